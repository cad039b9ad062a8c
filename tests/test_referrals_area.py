"""An agency service may be chosen only inside the resident's area: an agency of the case's
kabupaten/kota (or inside it), its province or the nation. Another district's agency is neither
offered nor accepted, so a desk cannot send a resident's data across districts."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from slrt.cases import decisions
from slrt.cases.models import Recommendation
from slrt.referrals import selectors, services
from slrt.referrals.models import Referral
from slrt.wilayah.models import NATION_CODE
from tests.test_referrals_fixtures import agency, api_client, build_desk, client_for, make_case, service

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk():
    d = build_desk()
    d.other_kab_service = service(agency("RSUD-3202", region="32.02"), "rawat-inap")
    d.province_service = service(agency("RS-PROV-32", region="32"), "rujukan-provinsi")
    d.national_service = service(agency("RS-NASIONAL", region=NATION_CODE), "rujukan-nasional")
    d.kecamatan_service = service(agency("PUSKESMAS-320102", "puskesmas", region="32.01.02"), "rawat-jalan")
    return d


def _codes(services_list):
    return {s.agency.code for s in services_list}


def test_only_services_of_the_residents_area_are_offered(desk):
    case, _need = make_case()
    allowed = {"RSUD-3201", "DINKES-3201", "RS-PROV-32", "RS-NASIONAL", "PUSKESMAS-320102"}
    assert _codes(decisions.decision_options(desk.bo, case)["services"]) == allowed
    assert _codes(selectors.service_choices(case)) == allowed


def test_case_page_forms_do_not_show_another_districts_agency(desk):
    case, _need = make_case()
    html = client_for(desk.bo).get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'id="ref-service"' in html and 'id="rec-service"' in html
    assert "Lembaga RSUD-3201" in html and "Lembaga RS-PROV-32" in html
    assert "Lembaga RSUD-3202" not in html


@pytest.mark.parametrize("which", ["province_service", "national_service", "kecamatan_service"])
def test_provincial_national_and_in_district_agencies_are_accepted(desk, which):
    case, need = make_case()
    referral = services.draft_referral(desk.bo, need, service=getattr(desk, which), note="x")
    assert referral.agency == getattr(desk, which).agency


def test_draft_recommendation_refuses_another_districts_agency(desk):
    case, need = make_case()
    with pytest.raises(ValidationError) as exc:
        decisions.draft_recommendation(desk.bo, need, "lembaga", service=desk.other_kab_service, note="x")
    assert exc.value.error_dict["service"][0].code == decisions.AGENCY_OUTSIDE_AREA
    assert "luar wilayah warga" in exc.value.message_dict["service"][0]
    assert not Recommendation.objects.filter(case=case).exists()


def test_draft_referral_refuses_another_districts_agency(desk):
    case, need = make_case()
    with pytest.raises(ValidationError) as exc:
        services.draft_referral(desk.bo, need, service=desk.other_kab_service, note="x")
    assert exc.value.error_dict["service"][0].code == decisions.AGENCY_OUTSIDE_AREA
    assert not Referral.objects.system().filter(case=case).exists()


def test_web_direct_referral_to_another_district_is_refused_and_keeps_the_note(desk):
    case, need = make_case()
    response = client_for(desk.bo).post(
        f"/rujukan/draf/kasus/{case.pk}/",
        {"need": need.pk, "service": desk.other_kab_service.pk, "note": "Mohon segera"},
    )
    body = response.content.decode()
    assert response.status_code == 422
    assert "luar wilayah warga" in body and "Mohon segera" in body
    assert "Lembaga RSUD-3202" not in body  # not offered again in the re-rendered form
    assert not Referral.objects.system().filter(case=case).exists()


def test_web_recommendation_for_another_districts_agency_is_refused(desk):
    case, need = make_case()
    response = client_for(desk.bo).post(
        f"/layanan/kasus/{case.pk}/rekomendasi/",
        {"need": need.pk, "kind": "lembaga", "service": desk.other_kab_service.pk, "note": "Layak"},
    )
    assert response.status_code == 422
    assert "luar wilayah warga" in response.content.decode()
    assert not Recommendation.objects.filter(case=case).exists()


def test_api_refuses_another_districts_agency_with_422(desk):
    case, need = make_case()
    client = api_client(desk.bo)
    rec = client.post(
        f"/api/v1/cases/{case.pk}/recommendations",
        {"need_id": need.pk, "kind": "lembaga", "service_id": desk.other_kab_service.pk, "note": "x"},
        content_type="application/json",
    )
    assert rec.status_code == 422 and rec.json()["code"] == "agency_outside_area", rec.content
    assert "luar wilayah warga" in rec.json()["detail"]
    ref = client.post(
        "/api/v1/referrals",
        {"need_id": need.pk, "service_id": desk.other_kab_service.pk, "note": "x"},
        content_type="application/json",
    )
    assert ref.status_code == 422 and ref.json()["code"] == "agency_outside_area", ref.content
    assert not Referral.objects.system().filter(case=case).exists()
    assert not Recommendation.objects.filter(case=case).exists()
