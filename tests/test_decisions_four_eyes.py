"""Recommendations: drafting, the four-eyes approval per role, conflicts, timeline and audit."""

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from slrt.accounts.roles import CAPABILITIES
from slrt.audit.models import AuditEvent
from slrt.cases import decisions
from slrt.cases.models import CaseEvent, CaseStatus, Letter, NeedStatus, RecommendationStatus
from slrt.cases.timeline import describe
from slrt.core.exceptions import Forbidden, FourEyes, InvalidTransition
from slrt.core.locking import ConflictError
from slrt.referrals.models import Referral, ReferralStatus
from tests.test_referrals_fixtures import OTHER_KAB_DESA, api_client, build_desk, client_for, make_case

pytestmark = pytest.mark.django_db

ROLES = ["bo", "manajer", "koord", "fo", "fasilitator", "admin", "dinsos"]


@pytest.fixture
def desk(make_user):
    return build_desk(make_user)


def _draft(desk, actor=None, kind="puskesos", **kw):
    case, need = make_case()
    return decisions.draft_recommendation(actor or desk.bo, need, kind, note="Ditangani Puskesos", **kw)


def _approve(actor, rec, approve=True, note="ok"):
    rec.refresh_from_db()
    return decisions.decide_recommendation(actor, rec, approve=approve, expected_version=rec.version, note=note)


@pytest.mark.parametrize("who", ROLES)
def test_only_drafting_roles_may_draft(desk, who):
    user = getattr(desk, who)
    case, need = make_case()
    if user.role in CAPABILITIES["draft_recommendation"]:
        rec = decisions.draft_recommendation(user, need, "puskesos")
        assert rec.status == RecommendationStatus.DRAFT and rec.drafted_by == user
    else:
        with pytest.raises(Forbidden):
            decisions.draft_recommendation(user, need, "puskesos")


@pytest.mark.parametrize("who", ROLES)
def test_approval_per_role_on_a_back_office_draft(desk, who):
    rec = _draft(desk, desk.bo)
    user = getattr(desk, who)
    if user.role in CAPABILITIES["approve_recommendation"]:
        assert _approve(user, rec).status == RecommendationStatus.APPROVED
    else:
        with pytest.raises(Forbidden):
            _approve(user, rec)
        rec.refresh_from_db()
        assert rec.status == RecommendationStatus.DRAFT


@pytest.mark.parametrize("drafter", ["manajer", "koord"])
def test_nobody_decides_their_own_draft(desk, drafter):
    user = getattr(desk, drafter)
    rec = _draft(desk, user)
    for approve in (True, False):
        with pytest.raises(FourEyes) as exc:
            _approve(user, rec, approve=approve)
        assert "empat mata" in str(exc.value.message)
    rec.refresh_from_db()
    assert rec.status == RecommendationStatus.DRAFT and rec.decided_by is None


def test_another_manajer_may_approve_a_manajers_draft(desk):
    rec = _draft(desk, desk.manajer)
    rec = _approve(desk.manajer2, rec)
    assert rec.status == RecommendationStatus.APPROVED and rec.decided_by == desk.manajer2


def test_koordinator_of_another_desa_cannot_reach_the_draft(desk):
    rec = _draft(desk, desk.bo)
    with pytest.raises(Http404):
        _approve(desk.koord_other, rec)


def test_manajer_of_another_kabupaten_gets_404(desk):
    rec = _draft(desk, desk.bo)
    with pytest.raises(Http404):
        decisions.get_recommendation(desk.manajer_other_kab, rec.pk)
    with pytest.raises(Http404):
        _approve(desk.manajer_other_kab, rec)


def test_draft_names_what_is_missing_for_each_kind(desk):
    case, need = make_case()
    with pytest.raises(ValidationError) as exc:
        decisions.draft_recommendation(desk.bo, need, "program")
    assert "program" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        decisions.draft_recommendation(desk.bo, need, "lembaga")
    assert "service" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        decisions.draft_recommendation(desk.bo, need, "nonsense")
    assert "kind" in exc.value.message_dict


def test_rejection_needs_a_note(desk):
    rec = _draft(desk)
    with pytest.raises(ValidationError) as exc:
        _approve(desk.manajer, rec, approve=False, note="  ")
    assert "note" in exc.value.message_dict
    rec = _approve(desk.manajer, rec, approve=False, note="Sudah menerima bantuan lain")
    assert rec.status == RecommendationStatus.REJECTED


def test_stale_version_is_a_conflict_and_a_second_decision_is_refused(desk):
    rec = _draft(desk)
    stale = rec.version
    _approve(desk.manajer, rec)
    with pytest.raises(ConflictError):
        decisions.decide_recommendation(desk.manajer2, rec, approve=False, expected_version=stale, note="x")
    rec.refresh_from_db()
    with pytest.raises(InvalidTransition):
        decisions.decide_recommendation(desk.manajer2, rec, approve=False, expected_version=rec.version, note="x")
    assert rec.status == RecommendationStatus.APPROVED and rec.decided_by == desk.manajer


def test_decision_moves_case_and_need_and_is_on_the_timeline_and_audited(desk):
    rec = _draft(desk)
    case = rec.case
    case.refresh_from_db()
    rec.need.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS and rec.need.status == NeedStatus.IN_PROGRESS
    _approve(desk.manajer, rec)
    kinds = list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))
    assert kinds[:3] == ["recommendation.drafted", "recommendation.approved", "letter.issued"]
    texts = [describe(e) for e in CaseEvent.objects.filter(case=case)]
    assert f"Rekomendasi #{rec.pk} disetujui." in texts
    actions = set(AuditEvent.objects.filter(object_id=str(rec.pk)).values_list("action", flat=True))
    assert {"recommendation.draft", "recommendation.approved"} <= actions
    assert not any("Siti" in str(e.params) for e in CaseEvent.objects.filter(case=case))


def test_approved_agency_recommendation_drafts_its_referral(desk):
    rec = _draft(desk, kind="lembaga", service=desk.rsud_service)
    _approve(desk.manajer, rec)
    referral = Referral.objects.system().get(recommendation=rec)
    assert referral.status == ReferralStatus.DRAFT and referral.agency == desk.rsud
    assert not Letter.objects.filter(recommendation=rec).exists()  # the Surat Rujukan goes out on send


def test_closed_case_refuses_new_recommendations(desk):
    case, need = make_case()
    type(case).unscoped.filter(pk=case.pk).update(status=CaseStatus.CLOSED)
    with pytest.raises(InvalidTransition):
        decisions.draft_recommendation(desk.bo, need, "puskesos")


# --- web ---------------------------------------------------------------------------------------


def test_web_drafter_is_refused_with_the_reason_and_keeps_the_note(desk):
    rec = _draft(desk, desk.manajer)
    client = client_for(desk.manajer)
    response = client.post(
        f"/layanan/rekomendasi/{rec.pk}/putuskan/",
        {"decision": "approve", "version": rec.version, "note": "Catatan saya sendiri", "next": "/"},
    )
    assert response.status_code == 403
    body = response.content.decode()
    assert "empat mata" in body and "Catatan saya sendiri" in body


def test_web_stale_decision_shows_conflict_and_keeps_typed_note(desk):
    rec = _draft(desk)
    stale = rec.version
    _approve(desk.manajer, rec)
    response = client_for(desk.manajer2).post(
        f"/layanan/rekomendasi/{rec.pk}/putuskan/",
        {"decision": "reject", "version": stale, "note": "Tidak layak karena desil 7", "next": "/"},
    )
    assert response.status_code == 409
    body = response.content.decode()
    assert "baru saja diubah" in body and "Tidak layak karena desil 7" in body


def test_web_approve_redirects_back_and_bo_gets_403(desk):
    rec = _draft(desk)
    response = client_for(desk.bo2).post(
        f"/layanan/rekomendasi/{rec.pk}/putuskan/", {"decision": "approve", "version": 1}
    )
    assert response.status_code == 403
    response = client_for(desk.manajer).post(
        f"/layanan/rekomendasi/{rec.pk}/putuskan/", {"decision": "approve", "version": rec.version, "next": "/rujukan/"}
    )
    assert response.status_code == 302 and response["Location"] == "/rujukan/"


def test_web_draft_with_missing_program_rerenders_with_input(desk):
    case, need = make_case()
    response = client_for(desk.bo).post(
        f"/layanan/kasus/{case.pk}/rekomendasi/", {"need": need.pk, "kind": "program", "note": "Layak PKH", "next": "/"}
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "Pilih program bantuan" in body and "Layak PKH" in body
    other_case, other_need = make_case(OTHER_KAB_DESA)
    response = client_for(desk.bo).post(
        f"/layanan/kasus/{other_case.pk}/rekomendasi/", {"need": other_need.pk, "kind": "puskesos"}
    )
    assert response.status_code == 404


def test_decision_panel_hides_buttons_from_the_drafter(desk, rf):
    from django.template.loader import render_to_string

    rec = _draft(desk, desk.manajer)
    for user, expected in ((desk.manajer, False), (desk.manajer2, True)):
        request = rf.get("/layanan/kasus/1/")
        request.user = user
        html = render_to_string("cases/_decisions.html", {"case": rec.case}, request=request)
        assert (f"/layanan/rekomendasi/{rec.pk}/putuskan/" in html) is expected


# --- API ---------------------------------------------------------------------------------------


def test_api_draft_approve_four_eyes_and_conflict(desk):
    case, need = make_case()
    bo = api_client(desk.manajer)
    response = bo.post(
        f"/api/v1/cases/{case.pk}/recommendations",
        {"need_id": need.pk, "kind": "program", "program_id": desk.program.pk, "note": "desil 2"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    rec = response.json()
    own = bo.post(f"/api/v1/recommendations/{rec['id']}/approve", {"version": rec["version"]}, "application/json")
    assert own.status_code == 403 and own.json()["code"] == "four_eyes"
    other = api_client(desk.manajer2)
    ok = other.post(f"/api/v1/recommendations/{rec['id']}/approve", {"version": rec["version"]}, "application/json")
    assert ok.status_code == 200 and ok.json()["status"] == "disetujui" and ok.json()["letter_ids"]
    stale = other.post(
        f"/api/v1/recommendations/{rec['id']}/reject", {"version": rec["version"], "note": "x"}, "application/json"
    )
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"
    fresh = other.post(
        f"/api/v1/recommendations/{rec['id']}/reject",
        {"version": ok.json()["version"], "note": "x"},
        "application/json",
    )
    assert fresh.status_code == 409 and fresh.json()["code"] == "invalid_transition"
    bo_denied = api_client(desk.bo).post(
        f"/api/v1/recommendations/{rec['id']}/approve", {"version": 1}, "application/json"
    )
    assert bo_denied.status_code == 403 and bo_denied.json()["code"] == "forbidden"
    outside = api_client(desk.manajer_other_kab).get(f"/api/v1/cases/{case.pk}/recommendations")
    assert outside.status_code == 404 and outside.json()["code"] == "not_found"
    # Reading a case's recommendations is a read of the case (UU PDP access log).
    reads = AuditEvent.objects.filter(action="case.view", object_id=str(case.pk), actor=desk.manajer2)
    before = reads.count()
    assert other.get(f"/api/v1/cases/{case.pk}/recommendations").status_code == 200
    assert reads.count() == before + 1


def test_regional_programme_only_inside_its_region(desk):
    from slrt.programs.models import Program

    local = Program.objects.create(
        code="CSR-3202-UJI",
        name="CSR Kab 32.02",
        owner="PT Uji",
        target_unit="household",
        sector="perumahan",
        region_id="32.02",
    )
    case, need = make_case()
    assert local not in decisions.decision_options(desk.bo, case)["programs"]
    with pytest.raises(ValidationError) as exc:
        decisions.draft_recommendation(desk.bo, need, "program", program=local)
    assert "wilayah" in exc.value.message_dict["program"][0]


def test_web_decision_with_a_malformed_version_is_422_and_keeps_the_note(desk):
    rec = _draft(desk)
    response = client_for(desk.manajer).post(
        f"/layanan/rekomendasi/{rec.pk}/putuskan/",
        {"decision": "reject", "version": "abc", "note": "Desil 8, tidak layak", "next": "/"},
    )
    assert response.status_code == 422
    assert "Desil 8, tidak layak" in response.content.decode()
    rec.refresh_from_db()
    assert rec.status == RecommendationStatus.DRAFT
    with pytest.raises(ValidationError) as exc:
        decisions.decide_recommendation(desk.manajer, rec, approve=True, expected_version="1.5")
    assert "version" in exc.value.message_dict


def test_a_recommendation_for_a_need_already_handled_can_only_be_rejected(desk):
    """Approval would issue a letter or a referral for a need that no longer waits for one."""
    from slrt.cases.models import RecommendationKind

    case, need = make_case()
    rec = decisions.draft_recommendation(desk.bo, need, RecommendationKind.AGENCY, service=desk.rsud_service)
    need.status = NeedStatus.HANDLED
    need.save()
    with pytest.raises(InvalidTransition):
        decisions.decide_recommendation(desk.manajer, rec, approve=True, expected_version=rec.version)
    rejected = decisions.decide_recommendation(
        desk.manajer, rec, approve=False, expected_version=rec.version, note="Sudah tertangani"
    )
    assert rejected.status == "ditolak" and not rec.referrals.exists()
