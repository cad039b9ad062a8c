"""Overdue referrals escalate once to the Manajer of their own kabupaten (scheduled job)."""

import datetime as dt
import itertools

import pytest
from django.core import mail
from django.utils import timezone

from slrt.audit.models import AuditEvent
from slrt.cases.models import Case, CaseEvent, Need
from slrt.cases.timeline import describe
from slrt.notifications.models import Notification
from slrt.programs.models import Agency
from slrt.referrals.escalation import escalate_overdue
from slrt.referrals.models import Referral, ReferralStatus

pytestmark = pytest.mark.django_db

DESA = "32.01.02.2001"
OTHER_KAB_DESA = "32.02.02.2001"
_seq = itertools.count(1)


def make_agency(code="RSUD-3201", region="32.01", email="rujukan@rsud.example.go.id"):
    agency, _ = Agency.objects.get_or_create(
        code=code, defaults={"name": f"RSUD {code}", "kind": "rsud", "region_id": region, "email": email}
    )
    return agency


def make_case(desa=DESA, phone="0812-3456-7890", email=""):
    n = next(_seq)
    case = Case(
        ticket=f"SLRT-{desa[:5].replace('.', '')}-2026-{n:06d}",
        status_code_hash="x",
        applicant_name="Siti Aminah",
        applicant_nik="3201024403850001",
        applicant_phone=phone,
        applicant_email=email,
        complaint_type="pengaduan",
        channel="sekretariat",
        consent_given=True,
        consent_share_agencies=True,
    )
    case.set_region(desa)
    case.save()
    return case


def make_referral(case=None, status=ReferralStatus.SENT, due_at=None, agency=None, desa=DESA):
    case = case or make_case(desa)
    need = Need.objects.create(case=case, sector="kesehatan", description="Biaya rawat inap")
    referral = Referral(
        number=f"RJK-{next(_seq):06d}",
        case=case,
        need=need,
        agency=agency or make_agency(),
        status=status,
        sent_at=timezone.now() - dt.timedelta(days=10),
        due_at=due_at,
    )
    referral.set_region(case.desa_code)
    referral.save()
    return referral


NOW = timezone.now()
PAST = NOW - dt.timedelta(hours=1)
FUTURE = NOW + dt.timedelta(days=2)


def test_escalation_picks_exactly_the_open_referrals_past_their_deadline():
    overdue = [
        make_referral(status=s, due_at=PAST)
        for s in (ReferralStatus.SENT, ReferralStatus.ACCEPTED, ReferralStatus.IN_SERVICE)
    ]
    not_due = make_referral(status=ReferralStatus.SENT, due_at=FUTURE)
    finished = [
        make_referral(status=s, due_at=PAST)
        for s in (
            ReferralStatus.DRAFT,
            ReferralStatus.REJECTED,
            ReferralStatus.DONE,
            ReferralStatus.RETURNED,
            ReferralStatus.CANCELLED,
        )
    ]
    no_deadline = make_referral(status=ReferralStatus.SENT, due_at=None)

    assert escalate_overdue(now=NOW) == 3

    escalated = set(Referral.objects.system().filter(escalated_at__isnull=False).values_list("pk", flat=True))
    assert escalated == {r.pk for r in overdue}
    for r in [not_due, no_deadline, *finished]:
        r.refresh_from_db()
        assert r.escalated_at is None


def test_escalation_is_idempotent_and_leaves_the_version_alone():
    referral = make_referral(due_at=PAST)
    assert escalate_overdue(now=NOW) == 1
    assert escalate_overdue(now=NOW + dt.timedelta(hours=1)) == 0

    referral.refresh_from_db()
    assert referral.escalated_at == NOW
    # A staff form holding version 1 can still save: the stamp is not an edit.
    assert referral.version == 1
    assert CaseEvent.objects.filter(case=referral.case, kind="referral.overdue").count() == 1
    assert AuditEvent.objects.filter(action="referral.escalate", object_id=str(referral.pk)).count() == 1
    assert Notification.objects.filter(event="referral.overdue", object_id=str(referral.pk)).count() >= 1
    # Run again later still does not re-notify.
    before = Notification.objects.filter(event="referral.overdue").count()
    escalate_overdue(now=NOW + dt.timedelta(days=3))
    assert Notification.objects.filter(event="referral.overdue").count() == before


def test_timeline_event_reads_in_indonesian_and_holds_no_personal_data():
    referral = make_referral(due_at=PAST)
    escalate_overdue(now=NOW)
    event = CaseEvent.objects.get(case=referral.case, kind="referral.overdue")
    assert set(event.params) == {"referral", "number", "status", "due"}
    text = describe(event)
    assert referral.number in text and "dieskalasi" in text
    assert "Siti" not in str(event.params) and referral.case.applicant_nik not in str(event.params)
    audit = AuditEvent.objects.get(action="referral.escalate")
    assert audit.region_code == DESA and "Siti" not in str(audit.detail)


def test_overdue_notifies_the_manajer_of_that_kab_and_the_agency_not_another_kab(make_user):
    own = make_user("manajer", "32.01")
    own.email = "manajer.bogor@dinsos.example.go.id"
    own.save()
    other = make_user("manajer", "32.02")
    other.email = "manajer.sukabumi@dinsos.example.go.id"
    other.save()
    no_email = make_user("manajer", "32.01")  # no address: nobody to write to, no broken row
    assert no_email.email == ""
    referral = make_referral(due_at=PAST)

    escalate_overdue(now=NOW)

    rows = Notification.objects.filter(event="referral.overdue", object_id=str(referral.pk))
    recipients = set(rows.values_list("recipient", flat=True))
    assert recipients == {own.email, "rujukan@rsud.example.go.id"}
    assert set(rows.values_list("channel", flat=True)) == {"email"}
    assert set(rows.values_list("kab_code", flat=True)) == {"32.01"}
    row = rows.get(recipient=own.email)
    assert referral.number in row.subject and referral.case.ticket in row.body
    assert "Siti" not in row.body and referral.case.applicant_nik not in row.body
    # And the resident is not told about internal deadlines.
    assert not rows.filter(channel__in=["sms", "whatsapp"]).exists()


def test_the_scheduled_jobs_escalate_then_the_outbox_sends_the_emails(make_user, settings):
    from slrt.notifications.tasks import run_job

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    manajer = make_user("manajer", "32.01")
    manajer.email = "manajer@dinsos.example.go.id"
    manajer.save()
    referral = make_referral(due_at=timezone.now() - dt.timedelta(minutes=5), agency=make_agency(email=""))

    run_job.apply(args=("escalation",))
    run_job.apply(args=("outbox",))

    referral.refresh_from_db()
    assert referral.escalated_at is not None
    assert [m.to for m in mail.outbox] == [[manajer.email]]
    assert referral.number in mail.outbox[0].subject
    assert Notification.objects.get(event="referral.overdue").status == "terkirim"
