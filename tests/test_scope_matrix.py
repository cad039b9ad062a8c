"""The region-scope matrix: every role × (its own region, a sibling region, a parent region)
against every URL and API endpoint that shows personal data: registry people and households,
service-desk cases and referrals.

One person lives in desa 32.01.02.2001 (kecamatan 32.01.02, kabupaten 32.01, provinsi 32).
For each role we place a user:
  * own:     in the region at the role's level that contains the person  -> sees the person
  * sibling: in a neighbouring region at the same level                   -> 404 / empty
  * parent:  the person is moved into the parent region of the user's
             region but outside the user's own region                     -> 404 / empty
Mitra users see no registry data at all, whatever their region.
"""

import pytest
from django.urls import NoReverseMatch, reverse

from slrt.accounts.roles import ALLOWED_LEVELS, Role
from slrt.wilayah.models import Level

pytestmark = pytest.mark.django_db

DESA = "32.01.02.2001"
OWN = {
    Level.NATION: "00", Level.PROVINSI: "32", Level.KABUPATEN: "32.01", Level.KECAMATAN: "32.01.02", Level.DESA: DESA,
}
SIBLING = {Level.PROVINSI: "33", Level.KABUPATEN: "32.02", Level.KECAMATAN: "32.01.03", Level.DESA: "32.01.02.2002"}
# A desa inside the parent of the user's region but outside the region itself.
ELSEWHERE_IN_PARENT = {
    Level.PROVINSI: "31.71.01.1001",  # another province (parent = nation)
    Level.KABUPATEN: "32.02.02.2001",  # same province, other kabupaten
    Level.KECAMATAN: "32.01.03.2001",  # same kabupaten, other kecamatan
    Level.DESA: "32.01.02.2002",  # same kecamatan, other desa
}


def _role_level(role):
    # The lowest level a role may sit at is where its scope is narrowest: the strictest case.
    return max(ALLOWED_LEVELS[role])


def _endpoints(person):
    household = person.household
    api = [
        ("api people by nik", f"/api/v1/people?nik={person.nik}", "list"),
        ("api people by name", f"/api/v1/people?q={person.nama}", "list"),
        ("api person detail", f"/api/v1/people/{person.pk}", "detail"),
        ("api household detail", f"/api/v1/households/{household.pk}", "detail"),
    ]
    web = []
    for label, name, kwargs, kind in [
        ("web person detail", "registry:person", {"pk": person.pk}, "detail"),
        ("web household profile", "registry:household", {"pk": household.pk}, "detail"),
    ]:
        try:
            web.append((label, reverse(name, kwargs=kwargs), kind))
        except NoReverseMatch:  # pragma: no cover - the page must exist; fail loudly below
            pytest.fail(f"URL {name} is missing")
    try:
        web.append(("web search by nik", reverse("registry:search") + f"?q={person.nik}", "search"))
        web.append(("web search by name", reverse("registry:search") + f"?q={person.nama}", "search"))
    except NoReverseMatch:  # pragma: no cover
        pytest.fail("URL registry:search is missing")
    return api + web


def _visible(client, url, kind, person):
    response = client.get(url)
    if kind == "detail":
        assert response.status_code in (200, 404), (url, response.status_code)
        return response.status_code == 200
    assert response.status_code == 200, (url, response.status_code)
    if url.startswith("/api/"):
        return any(item["id"] == person.pk for item in response.json()["items"])
    return f'data-person-id="{person.pk}"' in response.content.decode()


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("case", ["own", "sibling", "parent"])
def test_scope_matrix(client, make_user, make_person, role, case):
    level = _role_level(role)
    if case == "own":
        person, user_region, expected = make_person(desa_code=DESA, nama="Sumarni Wulandari"), OWN[level], True
    elif case == "sibling":
        if level == Level.NATION:
            pytest.skip("the nation has no sibling")
        person, user_region, expected = make_person(desa_code=DESA, nama="Sumarni Wulandari"), SIBLING[level], False
    else:
        if level == Level.NATION:
            pytest.skip("the nation has no parent")
        person = make_person(desa_code=ELSEWHERE_IN_PARENT[level], nama="Sumarni Wulandari")
        user_region, expected = OWN[level], False
    if role == Role.MITRA:
        expected = False
    client.force_login(make_user(role, user_region))
    for label, url, kind in _endpoints(person):
        assert _visible(client, url, kind, person) is expected, f"{role} {case}: {label} {url}"


def test_out_of_scope_answers_exactly_like_missing(client, make_user, make_person):
    person = make_person(desa_code=DESA)
    client.force_login(make_user("manajer", "32.02"))
    for path in (f"/api/v1/people/{person.pk}", f"/api/v1/households/{person.household.pk}"):
        hidden = client.get(path)
        missing = client.get(path.rsplit("/", 1)[0] + "/999999999")
        assert hidden.status_code == missing.status_code == 404
        assert hidden.content == missing.content


# --- Cases and referrals -------------------------------------------------------------------

AGENCY = "RSUD-3201"


def _case_with_referral(desa, make_user):
    """A case in `desa` with one need referred (sent) to the RSUD-3201 agency (made national)."""
    from slrt.cases import services as case_services
    from slrt.cases.tickets import issue_search_token
    from slrt.programs.catalogue import load_agencies
    from slrt.programs.models import Agency, AgencyService
    from slrt.referrals import services as referral_services

    load_agencies("32.01")
    # A national agency may receive referrals from anywhere (agency area rule), so the matrix can
    # place the case in any region and still send it to the same agency.
    Agency.objects.filter(code=AGENCY).update(region_id="00")
    kab = ".".join(desa.split(".")[:2])
    intake = case_services.Intake(
        complaint_type="pengaduan", channel="sekretariat", needs=[{"sector": "kesehatan", "description": "Rawat inap"}],
        consent_given=True, consent_purpose="Penanganan keluhan", consent_share_agencies=True,
    )
    desk = make_user("manajer", kab)
    case = case_services.create_case(
        desk, intake, new_person=case_services.NewPerson(name="Sumarni Wulandari", desa_code=desa),
        search_token=issue_search_token(desk, "Sumarni"),
    ).case
    service = AgencyService.objects.get(agency__code=AGENCY, code="RAWAT-INAP")
    referral = referral_services.draft_referral(desk, case.needs.get(), service=service)
    # Four eyes: a direct referral is sent by another Manajer than the one who drafted it.
    referral = referral_services.transition(make_user("manajer", kab), referral, "send", referral.version)
    return case, referral


def _desk_endpoints(case, referral):
    return [
        ("api case list", "/api/v1/cases", "list", "cases", case.pk),
        ("api case detail", f"/api/v1/cases/{case.pk}", "detail", "cases", case.pk),
        ("web case list", reverse("cases:list"), "search", "cases", case.pk),
        ("web case page", reverse("cases:detail", args=[case.pk]), "detail", "cases", case.pk),
        ("api referral list", "/api/v1/referrals", "list", "referrals", referral.pk),
        ("api referral detail", f"/api/v1/referrals/{referral.pk}", "detail", "referrals", referral.pk),
        ("web referral page", reverse("referrals:detail", args=[referral.pk]), "detail", "referrals", referral.pk),
    ]


def _desk_visible(client, url, kind, area, pk):
    response = client.get(url, follow=True)
    if kind == "detail" or response.status_code == 403:
        # 403: the role has no business with this kind of record at all (e.g. Mitra on cases).
        assert response.status_code in (200, 403, 404), (url, response.status_code)
        return response.status_code == 200
    assert response.status_code == 200, (url, response.status_code)
    if url.startswith("/api/"):
        return any(item["id"] == pk for item in response.json()["items"])
    marker = "data-case-id" if area == "cases" else "data-referral-id"
    return f'{marker}="{pk}"' in response.content.decode()


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("where", ["own", "sibling", "parent"])
def test_case_and_referral_scope_matrix(client, make_user, role, where):
    """Staff see a case and its referral only inside their region; a Mitra user never sees the
    case and sees the referral only when it was sent to its own agency, wherever the case lives."""
    level = _role_level(role)
    if level == Level.NATION and where != "own":
        pytest.skip("the nation has no sibling or parent")
    desa = ELSEWHERE_IN_PARENT[level] if where == "parent" else DESA
    case, referral = _case_with_referral(desa, make_user)
    user_region = SIBLING[level] if where == "sibling" else OWN[level]
    if role == Role.MITRA:
        # Mitra users sit at kabupaten level; scope for them is the agency, not the region.
        for agency, expected in ((AGENCY, True), ("DINKES-3201", False)):
            client.force_login(make_user(role, user_region, agency))
            for label, url, kind, area, pk in _desk_endpoints(case, referral):
                sees = _desk_visible(client, url, kind, area, pk)
                assert sees is (expected and area == "referrals"), f"mitra {agency} {where}: {label} {url}"
        return
    client.force_login(make_user(role, user_region))
    for label, url, kind, area, pk in _desk_endpoints(case, referral):
        assert _desk_visible(client, url, kind, area, pk) is (where == "own"), f"{role} {where}: {label} {url}"
