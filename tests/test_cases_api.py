"""Service desk API: intake with search before create, scope 404s, versions and 409s, close/reopen."""

import re

import pytest

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db

DESA = "32.01.02.2001"


@pytest.fixture
def api(client):
    """Log in through the token endpoint; returns a caller sending `Authorization: Bearer`."""

    def login(user):
        response = client.post(
            "/api/v1/auth/token", {"username": user.username, "password": PASSWORD}, content_type="application/json"
        )
        assert response.status_code == 200, response.content
        headers = {"Authorization": f"Bearer {response.json()['token']}"}

        def call(method, path, body=None, **params):
            if method == "get":
                return client.get(path, params, headers=headers)
            return getattr(client, method)(path, body or {}, content_type="application/json", headers=headers)

        return call

    return login


def payload(**kw):
    body = {
        "complaint_type": "pengaduan",
        "channel": "sekretariat",
        "urgency": "biasa",
        "phone": "081234567890",
        "needs": [{"sector": "kesehatan", "description": "Biaya rawat inap"}],
        "consent": {"given": True, "purpose": "Penanganan keluhan", "share_with_agencies": True},
    }
    body.update(kw)
    return body


def test_new_person_needs_a_search_token_or_a_checked_nik(api, make_user):
    call = api(make_user("front_office", "32.01"))
    response = call("post", "/api/v1/cases", payload(new_person={"name": "Budi", "desa_code": DESA}))
    assert response.status_code == 422 and response.json()["code"] == "search_required"
    response = call(
        "post", "/api/v1/cases", payload(new_person={"name": "Budi", "desa_code": DESA}, search_token="palsu")
    )
    assert response.status_code == 422 and response.json()["code"] == "search_required"
    search = call("get", "/api/v1/cases/intake-search", q="Budi Santoso")
    assert search.status_code == 200 and search.json()["items"] == []
    token = search.json()["search_token"]
    response = call(
        "post", "/api/v1/cases", payload(new_person={"name": "Budi", "desa_code": DESA}, search_token=token)
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert re.match(r"^SLRT-3201-\d{4}-\d{6}$", body["ticket"])
    assert re.match(r"^[A-Z0-9]{4}-[A-Z0-9]{4}$", body["status_code"])
    assert body["in_registry"] is False and len(body["proposal_ids"]) == 1 and len(body["visit_ids"]) == 1
    # A NIK the server looks up itself counts as the search.
    response = call(
        "post", "/api/v1/cases", payload(new_person={"name": "Ani", "desa_code": DESA, "nik": "3201025503900007"})
    )
    assert response.status_code == 201, response.content


def test_registered_nik_is_refused_and_registry_person_is_picked(api, make_user, make_person):
    person = make_person()
    call = api(make_user("front_office", "32.01"))
    response = call("post", "/api/v1/cases", payload(new_person={"name": "X", "desa_code": DESA, "nik": person.nik}))
    assert response.status_code == 422 and "nik" in response.json()["errors"]
    response = call("post", "/api/v1/cases", payload(person_id=person.pk))
    assert response.status_code == 201
    assert response.json()["person_id"] == person.pk and response.json()["household_id"] == person.household_id


def test_consent_rules_in_api(api, make_user, make_person):
    call = api(make_user("front_office", "32.01"))
    no = {"given": False, "share_with_agencies": False}
    response = call("post", "/api/v1/cases", payload(person_id=make_person().pk, consent=no))
    assert response.status_code == 422 and response.json()["code"] == "consent_required"
    response = call(
        "post", "/api/v1/cases", payload(phone="", consent=no, new_person={"name": "", "desa_code": DESA})
    )
    assert response.status_code == 201
    assert response.json()["applicant"]["name"] == "" and response.json()["consent"]["given"] is False


@pytest.mark.parametrize(
    ("role", "region", "visible"),
    [
        ("front_office", "32.01.02.2001", True),
        ("front_office", "32.01.02.2002", False),
        ("manajer", "32.01", True),
        ("manajer", "32.02", False),
        ("mitra", "32.01", False),
    ],
)
def test_case_scope_isolation_api(api, make_user, role, region, visible):
    creator = api(make_user("front_office", "32.01"))
    case_id = creator(
        "post", "/api/v1/cases", payload(new_person={"name": "Budi", "desa_code": DESA, "nik": "3201021503900007"})
    ).json()["id"]
    call = api(make_user(role, region))
    response = call("get", f"/api/v1/cases/{case_id}")
    missing = call("get", "/api/v1/cases/999999")
    listing = call("get", "/api/v1/cases")
    if visible:
        assert response.status_code == 200
        assert [c["id"] for c in listing.json()["items"]] == [case_id]
        return
    if role == "mitra":
        assert response.status_code == 403 and listing.status_code == 403
        return
    assert response.status_code == 404 and response.json() == missing.json()
    assert listing.json()["items"] == []
    add = call("post", f"/api/v1/cases/{case_id}/needs", {"sector": "pangan", "description": "Beras"})
    assert add.status_code == 404


def test_need_edit_with_stale_version_is_409_and_close_reopen(api, make_user):
    fo = api(make_user("front_office", "32.01"))
    bo = api(make_user("back_office", "32.01"))
    case = fo(
        "post", "/api/v1/cases", payload(new_person={"name": "Budi", "desa_code": DESA, "nik": "3201021503900007"})
    ).json()
    need = case["needs"][0]
    ok = bo(
        "patch",
        f"/api/v1/cases/{case['id']}/needs/{need['id']}",
        {"version": need["version"], "sector": "pangan", "description": "Beras"},
    )
    assert ok.status_code == 200 and ok.json()["version"] == need["version"] + 1
    stale = fo(
        "patch",
        f"/api/v1/cases/{case['id']}/needs/{need['id']}",
        {"version": need["version"], "sector": "energi", "description": "LPG"},
    )
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"

    refused = bo("post", f"/api/v1/cases/{case['id']}/close", {"version": case["version"]})
    assert refused.status_code == 422 and refused.json()["code"] == "not_allowed"
    assert f"#{need['id']}" in refused.json()["detail"]
    assert fo("post", f"/api/v1/cases/{case['id']}/close", {"version": case["version"]}).status_code == 403

    done = bo(
        "post",
        f"/api/v1/cases/{case['id']}/needs/{need['id']}/status",
        {"version": ok.json()["version"], "status": "tertangani", "outcome": "Dapat BPNT"},
    )
    assert done.status_code == 200 and done.json()["status"] == "tertangani"
    current = bo("get", f"/api/v1/cases/{case['id']}").json()
    assert current["status"] == "diproses"
    stale_close = bo("post", f"/api/v1/cases/{case['id']}/close", {"version": current["version"] - 1})
    assert stale_close.status_code == 409
    closed = bo("post", f"/api/v1/cases/{case['id']}/close", {"version": current["version"], "reason": "OK"})
    assert closed.status_code == 200 and closed.json()["status"] == "selesai"
    no_reason = bo("post", f"/api/v1/cases/{case['id']}/reopen", {"version": closed.json()["version"]})
    assert no_reason.status_code == 422
    reopened = bo(
        "post", f"/api/v1/cases/{case['id']}/reopen", {"version": closed.json()["version"], "reason": "Datang lagi"}
    )
    assert reopened.status_code == 200 and reopened.json()["status"] == "diproses"


def test_tasks_api_and_list_filters(api, make_user):
    import datetime as dt

    bo_user = make_user("back_office", "32.01")
    bo = api(bo_user)
    case = bo(
        "post",
        "/api/v1/cases",
        payload(urgency="darurat", new_person={"name": "Budi", "desa_code": DESA, "nik": "3201021503900007"}),
    ).json()
    task = bo(
        "post",
        f"/api/v1/cases/{case['id']}/tasks",
        {"title": "Telepon RSUD", "due_date": dt.date.today().isoformat(), "assigned_to_id": bo_user.pk},
    )
    assert task.status_code == 201, task.content
    assert bo("get", f"/api/v1/cases/{case['id']}/tasks").json()[0]["title"] == "Telepon RSUD"
    done = bo("post", f"/api/v1/cases/{case['id']}/tasks/{task.json()['id']}/done", {"result": "Diterima"})
    assert done.status_code == 200 and done.json()["done_at"]
    assert [c["id"] for c in bo("get", "/api/v1/cases", urgency="darurat").json()["items"]] == [case["id"]]
    assert bo("get", "/api/v1/cases", urgency="biasa").json()["items"] == []
    assert bo("get", "/api/v1/cases", region="32.02").json()["code"] == "invalid_region"
    assert bo("get", "/api/v1/cases", status="bogus").status_code == 422


def test_nik_is_masked_for_roles_without_full_nik(api, make_user):
    fo = api(make_user("front_office", "32.01"))
    case = fo(
        "post", "/api/v1/cases", payload(new_person={"name": "Budi", "desa_code": DESA, "nik": "3201021503900007"})
    ).json()
    assert case["applicant"]["nik"] == "3201021503900007"
    dinsos = api(make_user("dinsos", "32"))
    body = dinsos("get", f"/api/v1/cases/{case['id']}").json()
    assert body["applicant"]["nik"] == "320102********07" and body["applicant"]["nik_masked"] is True


def test_operations_are_in_openapi(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/cases",
        "/api/v1/cases/{case_id}",
        "/api/v1/cases/intake-search",
        "/api/v1/cases/{case_id}/needs",
        "/api/v1/cases/{case_id}/needs/{need_id}/status",
        "/api/v1/cases/{case_id}/tasks",
        "/api/v1/cases/{case_id}/close",
        "/api/v1/cases/{case_id}/reopen",
        "/api/v1/public/status",
    ):
        assert path in paths, path
