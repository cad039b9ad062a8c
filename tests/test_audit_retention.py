"""Retention (issue 11, point 9): per kind of record, what the law no longer allows to keep is
erased or anonymised — closed cases lose what could name the resident, old audit rows lose their
payload but keep their sealed hashes — and each run is itself audited."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from slrt.audit.models import AuditEvent
from slrt.audit.retention import apply_retention, rules
from slrt.audit.sealing import seal_pending, verify
from slrt.cases import services
from slrt.cases.models import Case, CaseStatus, FollowUpTask, Need, NeedStatus

pytestmark = pytest.mark.django_db

DESA = "32.01.02.2001"


def _intake(consent: bool):
    return services.Intake(
        complaint_type="pengaduan", channel="sekretariat", consent_given=consent,
        consent_purpose="Penanganan keluhan" if consent else "", consent_share_agencies=False,
        phone="0812-3456-7890" if consent else "",
        needs=[{"sector": "kesehatan", "description": "Biaya rawat inap Ibu Siti di RSUD"}],
        summary="Ibu Siti Aminah, tetangga Pak Budi, butuh bantuan",
    )


@pytest.fixture
def desk(make_user):
    return make_user("front_office", "32.01"), make_user("back_office", "32.01")


def closed_case(desk, make_person, *, consent: bool, closed_days_ago: int) -> Case:
    fo, bo = desk
    if consent:
        case = services.create_case(fo, _intake(consent), person=make_person(desa_code=DESA)).case
    else:  # an anonymous case: no person, only where it was asked from
        case = services.create_case(fo, _intake(consent), new_person=services.NewPerson(name="", desa_code=DESA)).case
    need = case.needs.get()
    services.set_need_status(bo, need, need.version, status=NeedStatus.HANDLED, outcome="Ditanggung oleh Bu Siti")
    case.refresh_from_db()
    services.close_case(bo, case, case.version, reason="Sudah dibantu Pak Budi")
    Case.objects.system().filter(pk=case.pk).update(closed_at=timezone.now() - timedelta(days=closed_days_ago))
    return case


def fresh(case):
    return Case.objects.system().get(pk=case.pk)


def test_cases_and_audit_register_their_rules():
    assert {r.kind for r in rules()} >= {"audit.detail", "cases.closed_anonymous", "cases.closed"}


def test_a_closed_anonymous_case_past_its_period_loses_its_free_text(desk, make_person):
    old = closed_case(desk, make_person, consent=False, closed_days_ago=3 * 365)
    recent = closed_case(desk, make_person, consent=False, closed_days_ago=30)
    counts = apply_retention()
    assert counts["cases.closed_anonymous"] == 1
    gone = fresh(old)
    assert gone.anonymised_at is not None
    assert (gone.summary, gone.close_reason) == ("", "")
    assert list(Need.objects.filter(case=old).values_list("description", "outcome")) == [("", "")]
    # What the figures need stays: the ticket, region, type, status and dates.
    assert (gone.ticket, gone.desa_code, gone.status, gone.complaint_type) == (
        old.ticket, old.desa_code, CaseStatus.CLOSED, "pengaduan")
    kept = fresh(recent)
    assert kept.anonymised_at is None and kept.summary.startswith("Ibu Siti")
    assert apply_retention()["cases.closed_anonymous"] == 0  # once


def test_a_closed_case_with_personal_data_is_anonymised_after_its_longer_period(desk, make_person, settings):
    three_years = closed_case(desk, make_person, consent=True, closed_days_ago=3 * 365)
    six_years = closed_case(desk, make_person, consent=True, closed_days_ago=6 * 365)
    FollowUpTask.objects.create(case=six_years, title="Telepon Bu Siti", due_date=timezone.localdate(),
                                result="Bu Siti sudah sembuh")
    assert six_years.person_id is not None and six_years.applicant_phone
    assert apply_retention()["cases.closed"] == 1
    gone = fresh(six_years)
    assert (gone.person_id, gone.household_id, gone.applicant_name, gone.applicant_nik, gone.applicant_phone,
            gone.applicant_address, gone.summary) == (None, None, "", "", "", "", "")
    assert list(FollowUpTask.objects.filter(case=six_years).values_list("title", "result")) == [("", "")]
    assert fresh(three_years).applicant_phone  # within its period
    # The district's schedule decides: a shorter period set in the settings applies.
    settings.SLRT_RETENTION_DAYS = {"cases.closed": 2 * 365}
    assert apply_retention()["cases.closed"] == 1
    assert fresh(three_years).anonymised_at is not None


def test_old_audit_payloads_go_and_the_sealed_hashes_stay(desk, make_person, settings):
    fo, _bo = desk
    case = closed_case(desk, make_person, consent=True, closed_days_ago=10)
    from slrt.audit.services import record

    record(fo, "case.view", case, detail={"case": case.pk})
    total = AuditEvent.objects.count()
    six_years_on = timezone.now() + timedelta(days=6 * 365)
    seal_pending(now=six_years_on)
    counts = apply_retention(now=six_years_on)
    with_payload = AuditEvent.objects.exclude(erased_at=None).count()
    assert counts["audit.detail"] == with_payload > 0
    assert not AuditEvent.objects.exclude(erased_at=None).exclude(detail={}).exists()
    assert AuditEvent.objects.count() == total + 1  # every row stays; the one more is the run's own record
    report = verify()
    assert report.ok and report.erased == with_payload
    # The run records what it did; its own row is new, so it keeps its payload.
    run = AuditEvent.objects.filter(action="retention.apply").latest("id")
    assert run.detail["counts"]["audit.detail"] == with_payload
    assert run.detail["days"]["cases.closed"] == 5 * 365


def test_a_kind_set_off_is_kept(desk, make_person, settings):
    old = closed_case(desk, make_person, consent=False, closed_days_ago=10 * 365)
    settings.SLRT_RETENTION_DAYS = {"cases.closed_anonymous": None}
    assert "cases.closed_anonymous" not in apply_retention()
    assert fresh(old).anonymised_at is None


def test_the_command_lists_the_rules_and_applies_them(desk, make_person):
    old = closed_case(desk, make_person, consent=False, closed_days_ago=3 * 365)
    listing = io.StringIO()
    call_command("apply_retention", "--list", stdout=listing)
    assert "cases.closed_anonymous: 730 hari" in listing.getvalue()
    out = io.StringIO()
    call_command("apply_retention", stdout=out)
    assert "cases.closed_anonymous=1" in out.getvalue()
    assert fresh(old).anonymised_at is not None
