"""The referral state machine, walked from its data: every action allowed and refused per role
and per state, required fields, the consent gate, stale versions, stamps, audit, timeline,
notifications and the case status."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from slrt.accounts.roles import CAPABILITIES, Role
from slrt.audit.models import AuditEvent
from slrt.cases.models import CaseEvent, CaseStatus, Letter, NeedStatus
from slrt.cases.timeline import describe
from slrt.core.exceptions import ConsentRequired, DecisionRequired, Forbidden, InvalidTransition
from slrt.core.locking import ConflictError
from slrt.notifications.models import Notification
from slrt.referrals import services
from slrt.referrals.models import Referral, ReferralStatus, ReferralTransition
from slrt.referrals.selectors import actions_for
from slrt.referrals.workflow import TRANSITIONS
from tests.test_referrals_fixtures import FIELDS, PATH, build_desk, draft, make_case, move, referral_in

pytestmark = pytest.mark.django_db

# Everyone who might try, all scoped so that they can see the referral (except where noted).
ACTORS = ["bo", "manajer", "koord", "fo", "fasilitator", "admin", "dinsos", "mitra"]
ALL_STATES = list(PATH)


@pytest.fixture
def desk():
    return build_desk()


def _expected_refusal(user, source):
    # A Mitra user never sees drafts (Referral.scope_q): for it a draft does not exist.
    if user.role == Role.MITRA and source == ReferralStatus.DRAFT:
        return Http404
    return Forbidden


@pytest.mark.parametrize("action", list(TRANSITIONS))
@pytest.mark.parametrize("who", ACTORS)
def test_each_action_only_by_its_roles(desk, action, who):
    # Referrals backed by an approved recommendation, so only the role table decides here (the
    # penetapan layanan rule for direct referrals has its own test below).
    t = TRANSITIONS[action]
    user = getattr(desk, who)
    for source in sorted(t.sources):
        ref = referral_in(desk, source, backed=True)
        if user.role in t.roles:
            ref = move(ref, action, user, **FIELDS)
            assert ref.status == t.target
            stamp = ReferralTransition.objects.filter(referral=ref).last()
            assert (stamp.action, stamp.from_status, stamp.to_status, stamp.actor) == (action, source, t.target, user)
        else:
            with pytest.raises(_expected_refusal(user, source)):
                move(ref, action, user, **FIELDS)
            ref.refresh_from_db()
            assert ref.status == source


@pytest.mark.parametrize("who", ACTORS)
def test_direct_referral_is_sent_only_by_those_who_decide_services(desk, who):
    """Penetapan layanan: without an approved recommendation, sending is the decision itself."""
    user = getattr(desk, who)
    ref = draft(desk)
    if user.role in TRANSITIONS["send"].roles and user.role in CAPABILITIES["approve_recommendation"]:
        ref = move(ref, "send", user)
        assert ref.status == ReferralStatus.SENT
        assert Letter.objects.get(referral=ref).signer_name == (user.get_full_name() or user.username)
        return
    expected = DecisionRequired if user.role in TRANSITIONS["send"].roles else _expected_refusal(user, ref.status)
    with pytest.raises(expected) as exc:
        move(ref, "send", user)
    if expected is DecisionRequired:
        assert (exc.value.status, exc.value.code) == (403, "decision_required")
        assert "Manajer SLRT" in str(exc.value.message)
    ref.refresh_from_db()
    assert (ref.status, ref.sent_at) == (ReferralStatus.DRAFT, None)
    assert not Letter.objects.filter(referral=ref).exists()
    assert not ReferralTransition.objects.filter(referral=ref).exists()


def test_back_office_sends_a_referral_the_manajer_approved(desk):
    ref = referral_in(desk, ReferralStatus.DRAFT, backed=True)
    assert ref.recommendation.decided_by == desk.manajer
    ref = move(ref, "send", desk.bo)
    assert ref.status == ReferralStatus.SENT
    stamp = ReferralTransition.objects.get(referral=ref)
    assert (stamp.action, stamp.actor) == ("send", desk.bo)
    # The letter is signed by whoever decided, not by the clerk who sent it.
    assert Letter.objects.get(referral=ref).signer_name == (desk.manajer.get_full_name() or desk.manajer.username)


def test_allowed_actions_hide_send_of_a_direct_draft_from_back_office(desk):
    direct, backed = draft(desk), referral_in(desk, ReferralStatus.DRAFT, backed=True)
    assert actions_for(desk.bo, direct) == ["cancel"]
    assert actions_for(desk.bo, backed) == ["send", "cancel"]
    for decider in (desk.manajer, desk.koord):
        assert actions_for(decider, direct) == ["send", "cancel"]


@pytest.mark.parametrize("action", list(TRANSITIONS))
def test_each_action_refused_from_every_other_state(desk, action):
    t = TRANSITIONS[action]
    actor = desk.bo if Role.BACK_OFFICE in t.roles else desk.mitra
    for state in ALL_STATES:
        if state in t.sources:
            continue
        ref = referral_in(desk, state)
        # A referral never sent (a draft, or one cancelled as a draft) does not exist for the agency.
        expected = Http404 if actor.role == Role.MITRA and ref.sent_at is None else InvalidTransition
        with pytest.raises(expected):
            move(ref, action, actor, **FIELDS)
        ref.refresh_from_db()
        assert ref.status == state


def test_mitra_of_another_agency_and_staff_of_another_region_get_404(desk):
    for state in (ReferralStatus.SENT, ReferralStatus.ACCEPTED, ReferralStatus.IN_SERVICE):
        ref = referral_in(desk, state)
        for outsider in (desk.mitra_dinkes, desk.bo_other_kab, desk.manajer_other_kab, desk.koord_other):
            for action in TRANSITIONS:
                with pytest.raises(Http404):
                    move(ref, action, outsider, **FIELDS)
        ref.refresh_from_db()
        assert ref.status == state


def test_required_fields_are_named(desk):
    ref = referral_in(desk, ReferralStatus.SENT)
    with pytest.raises(ValidationError) as exc:
        move(ref, "reject", desk.mitra, reason="   ")
    assert set(exc.value.message_dict) == {"reason"}
    ref = move(ref, "accept", desk.mitra)
    ref = move(ref, "start", desk.mitra)
    with pytest.raises(ValidationError) as exc:
        move(ref, "done", desk.mitra, outcome="Sembuh")
    assert set(exc.value.message_dict) == {"service_given", "service_date"}
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    with pytest.raises(ValidationError) as exc:
        move(ref, "done", desk.mitra, outcome="Sembuh", service_given="Rawat inap", service_date=tomorrow)
    assert "masa depan" in exc.value.message_dict["service_date"][0]
    with pytest.raises(ValidationError):
        move(ref, "done", desk.mitra, outcome="Sembuh", service_given="Rawat inap", service_date="05/01/2026")
    ref = move(ref, "done", desk.mitra, outcome="Sembuh", service_given="Rawat inap", service_date="2026-01-05")
    assert (ref.status, ref.outcome, ref.service_date) == (ReferralStatus.DONE, "Sembuh", dt.date(2026, 1, 5))


def test_consent_gate_blocks_sending(desk):
    case, need = make_case(consent=False)
    ref = draft(desk, case, need)
    with pytest.raises(ConsentRequired) as exc:
        move(ref, "send", desk.manajer)
    assert exc.value.code == "consent_required"
    ref.refresh_from_db()
    assert ref.status == ReferralStatus.DRAFT and ref.sent_at is None
    assert not Letter.objects.filter(referral=ref).exists()


def test_stale_version_is_a_conflict_even_when_the_state_moved(desk):
    ref = referral_in(desk, ReferralStatus.SENT)
    stale = ref.version
    move(ref, "accept", desk.mitra)
    with pytest.raises(ConflictError):
        services.transition(desk.mitra, ref, "reject", stale, reason="Penuh")
    ref.refresh_from_db()
    assert ref.status == ReferralStatus.ACCEPTED and ref.reason == ""


def test_send_sets_deadline_from_sla_and_issues_the_letter(desk):
    ref = referral_in(desk, ReferralStatus.SENT)
    assert ref.due_at - ref.sent_at == dt.timedelta(days=desk.rsud_service.sla_days)
    assert Letter.objects.filter(referral=ref, kind="rujukan").count() == 1
    case, need = make_case()
    direct = services.draft_referral(desk.bo, need, agency=desk.dinkes)  # no service: default SLA
    direct = move(direct, "send", desk.manajer)
    assert direct.due_at - direct.sent_at == dt.timedelta(days=services.DEFAULT_SLA_DAYS)


def test_full_path_audit_timeline_notifications_and_case_status(desk):
    case, need = make_case()
    ref = draft(desk, case, need)
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS
    for action, who in [("send", "manajer"), ("accept", "mitra"), ("start", "mitra"), ("done", "mitra")]:
        ref = move(ref, action, getattr(desk, who), **FIELDS)
    need.refresh_from_db()
    assert need.status == NeedStatus.HANDLED
    kinds = list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))
    for kind in (
        "referral.drafted",
        "referral.send",
        "letter.issued",
        "referral.accept",
        "referral.start",
        "referral.done",
    ):
        assert kind in kinds
    texts = [describe(e) for e in CaseEvent.objects.filter(case=case)]
    assert f"Rujukan {ref.number} diterima lembaga." in texts
    assert f"Layanan rujukan {ref.number} selesai." in texts
    audited = set(
        AuditEvent.objects.filter(object_id=str(ref.pk), object_type="referrals.referral").values_list(
            "action", flat=True
        )
    )
    assert {"referral.draft", "referral.send", "referral.accept", "referral.start", "referral.done"} <= audited
    events = set(Notification.objects.filter(object_id=str(ref.pk)).values_list("event", flat=True))
    assert events == {"referral.accepted", "referral.done"}
    assert ReferralTransition.objects.filter(referral=ref).count() == 4
    for event in CaseEvent.objects.filter(case=case):
        assert "Siti" not in str(event.params) and "3201024506850001" not in str(event.params)


def test_cancel_revokes_the_letter(desk):
    ref = referral_in(desk, ReferralStatus.ACCEPTED)
    ref = move(ref, "cancel", desk.manajer, reason="Warga pindah")
    assert ref.status == ReferralStatus.CANCELLED and ref.reason == "Warga pindah"
    assert Letter.objects.get(referral=ref).revoked_at is not None


def test_drafting_rules(desk):
    case, need = make_case()
    with pytest.raises(Forbidden):
        services.draft_referral(desk.mitra, need, service=desk.rsud_service)
    with pytest.raises(Forbidden):
        services.draft_referral(desk.fo, need, service=desk.rsud_service)
    with pytest.raises(Http404):
        services.draft_referral(desk.bo_other_kab, need, service=desk.rsud_service)
    with pytest.raises(ValidationError) as exc:
        services.draft_referral(desk.bo, need)
    assert "service" in exc.value.message_dict
    a = services.draft_referral(desk.bo, need, service=desk.rsud_service)
    b = services.draft_referral(desk.koord, need, service=desk.dinkes_service)
    assert a.number != b.number and a.number.startswith("RJK-3201-")
    assert Referral.objects.system().filter(number=a.number).count() == 1
