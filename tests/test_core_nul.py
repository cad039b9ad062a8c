"""Input with NUL characters is refused up front (PostgreSQL text cannot hold it), in the API with
a JSON error code and on web pages with a plain 400, and nothing is written."""

import json

import pytest

from slrt.cases.models import Need
from tests.test_referrals_fixtures import api_client, build_desk, client_for, draft, make_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk():
    desk = build_desk()
    desk.case, desk.need = make_case()
    desk.referral = draft(desk, desk.case, desk.need)
    return desk


@pytest.mark.parametrize("query", ["region=32.%00", "ticket=%00", "status=%00baru"])
def test_api_filters_with_nul_answer_422_invalid_characters(desk, query):
    response = api_client(desk.manajer).get(f"/api/v1/cases?{query}")
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_characters"


def test_api_json_body_with_nul_is_refused_and_nothing_is_written(desk):
    before = Need.objects.count()
    response = api_client(desk.manajer).post(
        f"/api/v1/cases/{desk.case.pk}/needs",
        data=json.dumps({"sector": "kesehatan", "description": "Biaya\u0000rawat"}),
        content_type="application/json",
    )
    assert response.status_code == 422 and response.json()["code"] == "invalid_characters"
    assert Need.objects.count() == before


def test_web_form_post_with_nul_gets_a_plain_400(desk):
    response = client_for(desk.manajer).post(
        f"/rujukan/{desk.referral.pk}/aksi/",
        {"action": "cancel", "version": desk.referral.version, "reason": "Batal\x00"},
    )
    assert response.status_code == 400
    assert "NUL" in response.content.decode()
    desk.referral.refresh_from_db()
    assert desk.referral.status == "draf"


def test_ordinary_input_with_percent_signs_is_not_mistaken_for_nul(desk):
    response = api_client(desk.manajer).post(
        f"/api/v1/cases/{desk.case.pk}/needs",
        data=json.dumps({"sector": "kesehatan", "description": "Diskon 100% biaya rawat"}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content


def test_the_odk_submission_body_is_left_to_its_view_which_authenticates_first(client, db):
    # A stranger's multipart body is not parsed by the NUL check: the answer is the digest
    # challenge, not a 400 that would prove the upload was read.
    response = client.post("/submission", {"xml_submission_file": "<data>\x00</data>"})
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Digest ")
