"""The data-subject request through the API (issue 11, point 8): every value sent comes from an
earlier API answer (the person from `GET /people?nik=`, ids and versions from the request's own
answers); the copy is a PDF that is not cached; a correction answers with a real proposal."""

import io
import json

import pytest
from pypdf import PdfReader

from slrt.audit.models import AuditEvent
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

DESA = "32.01.02.2001"


@pytest.fixture
def api(client):
    def login(user):
        response = client.post("/api/v1/auth/token", {"username": user.username, "password": PASSWORD},
                               content_type="application/json")
        assert response.status_code == 200, response.content
        headers = {"Authorization": f"Bearer {response.json()['token']}"}

        class Caller:
            def get(self, path, **params):
                return client.get(path, params, headers=headers)

            def post(self, path, body=None):
                return client.post(path, json.dumps(body or {}), content_type="application/json", headers=headers)

        return Caller()

    return login


def test_receive_verify_and_copy_through_the_api(api, make_user, make_person):
    nik = make_person(DESA, nama="Siti Aminah").nik
    fo = api(make_user("front_office", "32.01"))
    person = fo.get("/api/v1/people", nik=nik).json()["items"][0]

    created = fo.post("/api/v1/data-requests", {"person_id": person["id"], "kind": "akses"})
    assert created.status_code == 201, created.content
    r = created.json()
    assert r["status"] == "diterima" and r["actions"] == ["verify", "refuse", "withdraw"]

    early = fo.post(f"/api/v1/data-requests/{r['id']}/copy", {"version": r["version"]})
    assert early.status_code == 409 and early.json()["code"] == "invalid_transition"
    wrong = fo.post(f"/api/v1/data-requests/{r['id']}/verify", {
        "version": r["version"], "identity_method": "ktp", "identity_digits": "0000" if person["nik"][-4:] != "0000"
        else "1111"})
    assert wrong.status_code == 422 and "identity_digits" in wrong.json()["errors"]
    verified = fo.post(f"/api/v1/data-requests/{r['id']}/verify", {
        "version": r["version"], "identity_method": "ktp", "identity_digits": person["nik"][-4:]}).json()
    assert verified["status"] == "terverifikasi" and verified["identity_digits"] == person["nik"][-4:]

    stale = fo.post(f"/api/v1/data-requests/{r['id']}/copy", {"version": r["version"]})
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"
    pdf = fo.post(f"/api/v1/data-requests/{r['id']}/copy", {"version": verified["version"]})
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert "no-store" in pdf["Cache-Control"]
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert person["nik"] in text and person["nama"] in text

    done = fo.get(f"/api/v1/data-requests/{r['id']}").json()
    assert done["status"] == "dipenuhi" and done["resolution"] == "salinan" and done["copies_issued"] == 1
    listed = fo.get("/api/v1/data-requests", status="dipenuhi").json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == r["id"]
    # The list showed a person: its audit row names the request and the person shown (ids only).
    shown = AuditEvent.objects.filter(action="data_request.list").latest("pk").detail
    assert shown["data_requests"] == [r["id"]] and shown["people"] == [listed["items"][0]["person_id"]]
    assert person["nama"] not in json.dumps(shown)


def test_a_correction_through_the_api_answers_with_the_proposal(api, make_user, make_person):
    nik = make_person(DESA, nama="Siti Aminah", pekerjaan="Buruh tani").nik
    bo = api(make_user("back_office", "32.01"))
    person = bo.get("/api/v1/people", nik=nik).json()["items"][0]
    r = bo.post("/api/v1/data-requests", {"person_id": person["id"], "kind": "koreksi",
                                          "details": "Pekerjaan keliru"}).json()
    r = bo.post(f"/api/v1/data-requests/{r['id']}/verify", {
        "version": r["version"], "identity_method": "ktp", "identity_digits": person["nik"][-4:]}).json()
    answer = bo.post(f"/api/v1/data-requests/{r['id']}/correction", {
        "version": r["version"], "data": {"pekerjaan": "Petani"}, "reason": "Pekerjaan di registri keliru"})
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["request"]["status"] == "dipenuhi" and body["request"]["proposal_id"] == body["proposal_id"]
    proposal = bo.get(f"/api/v1/proposals/{body['proposal_id']}").json()
    assert proposal["kind"] == "perubahan" and proposal["data"]["pekerjaan"] == "Petani"
    assert proposal["person_id"] == person["id"]


def test_outside_the_region_the_api_answers_404_as_if_missing(api, make_user, make_person):
    nik = make_person(DESA).nik
    fo = api(make_user("front_office", "32.01"))
    person = fo.get("/api/v1/people", nik=nik).json()["items"][0]
    r = fo.post("/api/v1/data-requests", {"person_id": person["id"], "kind": "akses"}).json()
    other = api(make_user("front_office", "32.02"))
    assert other.get(f"/api/v1/data-requests/{r['id']}").status_code == 404
    assert other.post("/api/v1/data-requests", {"person_id": person["id"], "kind": "akses"}).status_code == 404
    assert other.get("/api/v1/data-requests").json()["count"] == 0
    assert other.post(f"/api/v1/data-requests/{r['id']}/transitions",
                      {"action": "refuse", "version": r["version"], "reason": "x"}).status_code == 404
