"""Referral API: create, list, detail, transitions with their error codes, and the OpenAPI document."""

import pytest

from slrt.referrals.models import ReferralStatus
from tests.test_referrals_fixtures import (
    NIK,
    OTHER_KAB_DESA,
    api_client,
    build_desk,
    draft,
    make_case,
    recommended,
    referral_in,
)

pytestmark = pytest.mark.django_db

JSON = "application/json"


@pytest.fixture
def desk():
    return build_desk()


def _post(client, ref_id, **body):
    return client.post(f"/api/v1/referrals/{ref_id}/transitions", body, content_type=JSON)


def test_create_send_and_mitra_walks_to_done(desk):
    case, need = make_case()
    bo = api_client(desk.bo)
    created = bo.post("/api/v1/referrals", {"need_id": need.pk, "service_id": desk.rsud_service.pk, "note": "x"}, JSON)
    assert created.status_code == 201, created.content
    ref = created.json()
    # A direct referral: back office drafts it, but sending it is the Manajer's decision.
    assert ref["status"] == "draf" and ref["actions"] == ["cancel"] and ref["nik"] == NIK
    manajer = api_client(desk.manajer)
    assert manajer.get(f"/api/v1/referrals/{ref['id']}").json()["actions"] == ["send", "cancel"]
    sent = _post(manajer, ref["id"], action="send", version=ref["version"])
    assert sent.status_code == 200 and sent.json()["status"] == "terkirim" and sent.json()["letter_id"]
    mitra = api_client(desk.mitra)
    seen = mitra.get(f"/api/v1/referrals/{ref['id']}").json()
    assert seen["nik"] == "320102********01" and seen["case_id"] is None and seen["actions"] == ["accept", "reject"]
    version = seen["version"]
    for action, extra in (
        ("accept", {}),
        ("start", {}),
        ("done", {"service_given": "a", "outcome": "b", "service_date": "2026-01-05"}),
    ):
        response = _post(mitra, ref["id"], action=action, version=version, **extra)
        assert response.status_code == 200, response.content
        version = response.json()["version"]
    assert response.json()["status"] == "selesai"


def test_error_codes(desk):
    ref = referral_in(desk, ReferralStatus.SENT)
    bo, mitra = api_client(desk.bo), api_client(desk.mitra)
    forbidden = _post(bo, ref.pk, action="accept", version=ref.version)
    assert forbidden.status_code == 403 and forbidden.json()["code"] == "forbidden"
    missing = _post(mitra, ref.pk, action="reject", version=ref.version)
    assert missing.status_code == 422 and "reason" in missing.json()["errors"]
    wrong_state = _post(mitra, ref.pk, action="start", version=ref.version)
    assert wrong_state.status_code == 409 and wrong_state.json()["code"] == "invalid_transition"
    assert _post(mitra, ref.pk, action="accept", version=ref.version).status_code == 200
    stale = _post(mitra, ref.pk, action="reject", version=ref.version, reason="x")
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"
    unknown = _post(mitra, ref.pk, action="fly", version=ref.version + 1)
    assert unknown.status_code == 409 and unknown.json()["code"] == "invalid_transition"


def test_consent_required(desk):
    case, need = make_case(consent=False)
    ref = draft(desk, case, need)
    response = _post(api_client(desk.manajer), ref.pk, action="send", version=ref.version)
    assert response.status_code == 409 and response.json()["code"] == "consent_required"


def test_back_office_sending_a_direct_referral_gets_decision_required(desk):
    ref = draft(desk)
    response = _post(api_client(desk.bo), ref.pk, action="send", version=ref.version)
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "decision_required" and "Manajer SLRT" in body["detail"]
    ref.refresh_from_db()
    assert ref.status == ReferralStatus.DRAFT and ref.version == 1
    for decider in (desk.koord, desk.manajer):
        ref = draft(desk)
        response = _post(api_client(decider), ref.pk, action="send", version=ref.version)
        assert response.status_code == 200 and response.json()["status"] == "terkirim", response.content


def test_back_office_sends_a_referral_backed_by_an_approved_recommendation(desk):
    ref = recommended(desk)
    bo = api_client(desk.bo)
    seen = bo.get(f"/api/v1/referrals/{ref.pk}").json()
    assert seen["actions"] == ["send", "cancel"]
    response = _post(bo, ref.pk, action="send", version=seen["version"])
    assert response.status_code == 200 and response.json()["status"] == "terkirim" and response.json()["letter_id"]


def test_scope_404_for_other_agency_and_other_region(desk):
    mine = referral_in(desk, ReferralStatus.SENT)
    case, need = make_case()
    theirs = draft(desk, case, need, svc=desk.dinkes_service)
    from tests.test_referrals_fixtures import move

    theirs = move(theirs, "send", desk.manajer)
    mitra = api_client(desk.mitra)
    listed = {r["number"] for r in mitra.get("/api/v1/referrals").json()["items"]}
    assert mine.number in listed and theirs.number not in listed
    for response in (
        mitra.get(f"/api/v1/referrals/{theirs.pk}"),
        _post(mitra, theirs.pk, action="accept", version=theirs.version),
        api_client(desk.bo_other_kab).get(f"/api/v1/referrals/{mine.pk}"),
        _post(api_client(desk.bo_other_kab), mine.pk, action="cancel", version=mine.version, reason="x"),
    ):
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    other_case, other_need = make_case(OTHER_KAB_DESA)
    create = api_client(desk.bo).post(
        "/api/v1/referrals", {"need_id": other_need.pk, "service_id": desk.rsud_service.pk}, JSON
    )
    assert create.status_code == 404
    mitra_create = mitra.post("/api/v1/referrals", {"need_id": need.pk, "service_id": desk.rsud_service.pk}, JSON)
    assert mitra_create.status_code == 404  # a Mitra user cannot see cases at all


def test_list_filters(desk):
    sent = referral_in(desk, ReferralStatus.SENT)
    accepted = referral_in(desk, ReferralStatus.ACCEPTED)
    bo = api_client(desk.bo)
    numbers = {r["number"] for r in bo.get("/api/v1/referrals?status=diterima").json()["items"]}
    assert numbers == {accepted.number}
    body = bo.get("/api/v1/referrals?agency=RSUD-3201&limit=1").json()
    assert body["count"] == 2 and len(body["items"]) == 1
    assert bo.get("/api/v1/referrals?status=nope").json()["code"] == "invalid_status"
    assert bo.get("/api/v1/referrals?date_from=kemarin").json()["code"] == "invalid_date"
    assert sent.number in {r["number"] for r in bo.get("/api/v1/referrals?overdue=false").json()["items"]}


def test_openapi_documents_referrals_and_decisions(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/referrals",
        "/api/v1/referrals/{referral_id}",
        "/api/v1/referrals/{referral_id}/transitions",
        "/api/v1/cases/{case_id}/recommendations",
        "/api/v1/recommendations/{recommendation_id}/approve",
        "/api/v1/recommendations/{recommendation_id}/reject",
        "/api/v1/letters/{letter_id}/pdf",
    ):
        assert path in paths, path
