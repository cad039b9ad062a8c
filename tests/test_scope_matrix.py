"""The region-scope matrix: every role × (its own region, a sibling region, a parent region)
against every URL and API endpoint that shows personal data.

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
