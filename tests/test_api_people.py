"""REST contracts of SPEC for the registry: /api/v1/people, /api/v1/people/<id>, /api/v1/households/<id>."""

import datetime as dt

import pytest

from slrt.audit.models import AuditEvent
from slrt.registry.models import HouseholdAppearance, ProgramParticipation, RegistryChange, Release

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db

DESA = "32.01.01.1001"


@pytest.fixture
def manajer(make_user):
    return make_user("manajer", "32.01")


@pytest.fixture
def api(client):
    """A client that logs in through the token endpoint and sends `Authorization: Bearer`."""

    def login(user):
        response = client.post(
            "/api/v1/auth/token", {"username": user.username, "password": PASSWORD}, content_type="application/json"
        )
        assert response.status_code == 200, response.content
        token = response.json()["token"]

        def get(path, **params):
            return client.get(path, params, headers={"Authorization": f"Bearer {token}"})

        return get

    return login


@pytest.fixture
def family(make_person):
    head = make_person(desa_code=DESA, nama="Slamet Widodo", sex="L", birth=dt.date(1970, 1, 2),
                       hubungan_keluarga="Kepala Keluarga", nama_ibu_kandung="Painem")
    wife = make_person(desa_code=DESA, nama="Sumarni", household=head.household, birth=dt.date(1975, 6, 7),
                       hubungan_keluarga="Istri")
    return head, wife


def test_requests_without_a_valid_token_are_401_with_code(client):
    for headers in ({}, {"Authorization": "Bearer bukan-token"}):
        response = client.get("/api/v1/people", {"q": "Siti"}, headers=headers)
        assert response.status_code == 401
        assert response.json()["code"] == "unauthorized"


def test_lookup_by_nik_returns_that_person(api, manajer, family):
    head, _wife = family
    get = api(manajer)
    response = get("/api/v1/people", nik=head.nik)
    assert response.status_code == 200
    body = response.json()
    assert [item["id"] for item in body["items"]] == [head.pk]
    item = body["items"][0]
    assert item["nik"] == head.nik and item["nik_masked"] is False
    assert item["nama"] == "Slamet Widodo" and item["household_id"] == head.household_id
    assert item["nomor_kk"] == head.household.nomor_kk
    assert item["score"] == 1.0
    assert body["count"] == 1 and body["limit"] == 50 and body["offset"] == 0


def test_lookup_by_nik_with_separators(api, manajer, family):
    head, _wife = family
    typed = f"{head.nik[:6]} {head.nik[6:12]} {head.nik[12:]}"
    assert [i["id"] for i in api(manajer)("/api/v1/people", nik=typed).json()["items"]] == [head.pk]


def test_name_search_is_ranked_and_typo_tolerant(api, manajer, make_person):
    typo = make_person(desa_code=DESA, nama="Sri Wahyni")
    exact = make_person(desa_code=DESA, nama="Sri Wahyuni")
    variant = make_person(desa_code=DESA, nama="Srie Wahjuni")
    make_person(desa_code=DESA, nama="Bambang Sutrisno")
    items = api(manajer)("/api/v1/people", q="Sri Wahyuni").json()["items"]
    ids = [i["id"] for i in items]
    assert ids[0] == exact.pk
    assert set(ids) >= {exact.pk, typo.pk, variant.pk}
    assert [i["score"] for i in items] == sorted((i["score"] for i in items), reverse=True)


def test_name_search_with_region_and_birth_year(api, manajer, make_person):
    here = make_person(desa_code=DESA, nama="Dewi Sartika", birth=dt.date(1980, 2, 3))
    make_person(desa_code="32.01.02.2001", nama="Dewi Sartika", birth=dt.date(1980, 2, 3))
    make_person(desa_code=DESA, nama="Dewi Sartika", birth=dt.date(1990, 2, 3))
    get = api(manajer)
    items = get("/api/v1/people", q="Dewi Sartika", region="3201011001", birth_year="1980").json()["items"]
    assert [i["id"] for i in items] == [here.pk]
    assert get("/api/v1/people", q="Dewi Sartika", region="32.02").json()["items"] == []


def test_search_by_kk_lists_the_family(api, manajer, family):
    head, wife = family
    items = api(manajer)("/api/v1/people", kk=head.household.nomor_kk).json()["items"]
    assert {i["id"] for i in items} == {head.pk, wife.pk}


def test_limit_and_offset(api, manajer, make_person):
    for _ in range(5):
        make_person(desa_code=DESA, nama="Rudi Hartono")
    get = api(manajer)
    first = get("/api/v1/people", q="Rudi Hartono", limit="3").json()
    second = get("/api/v1/people", q="Rudi Hartono", limit="3", offset="3").json()
    assert first["count"] == 3 and second["count"] == 2
    assert not {i["id"] for i in first["items"]} & {i["id"] for i in second["items"]}


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, "missing_query"),
        ({"region": "32.01"}, "missing_query"),
        ({"nik": "12345"}, "invalid_nik"),
        ({"nik": "32010145069O0001"}, "invalid_nik"),
        ({"kk": "abc"}, "invalid_kk"),
        ({"q": "a"}, "invalid_query"),
        ({"q": "x" * 151}, "invalid_query"),
        ({"q": "Siti", "region": "32-01-xx"}, "invalid_region"),
        ({"q": "Siti", "birth_year": "tahun"}, "invalid_birth_year"),
        ({"q": "Siti", "birth_year": "1850"}, "invalid_birth_year"),
        ({"q": "Siti", "limit": "0"}, "invalid_limit"),
        ({"q": "Siti", "limit": "1000"}, "invalid_limit"),
        ({"q": "Siti", "offset": "-1"}, "invalid_offset"),
    ],
)
def test_invalid_parameters_answer_422_with_a_code_and_indonesian_detail(api, manajer, params, code):
    response = api(manajer)("/api/v1/people", **params)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == code
    assert body["detail"]


def test_person_detail(api, manajer, family):
    head, _wife = family
    release = Release.objects.create(source="DTSEN", period="2026-07")
    ProgramParticipation.objects.create(person=head, program_code="PKH", since_period="2025-01", source_release=release)
    response = api(manajer)(f"/api/v1/people/{head.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == head.pk and body["nik"] == head.nik and body["nama"] == "Slamet Widodo"
    assert body["nama_ibu_kandung"] == "Painem"
    assert body["tanggal_lahir"] == "1970-01-02" and body["desa_code"] == DESA and body["kab_code"] == "32.01"
    assert body["programs"] == [
        {"person_id": head.pk, "program_code": "PKH", "since_period": "2025-01", "until_period": "",
         "active": True, "source_release": "DTSEN 2026-07"}
    ]


def test_household_detail_has_members_programmes_and_appearances(api, manajer, family):
    head, wife = family
    household = head.household
    household.desil = 3
    household.save()
    release = Release.objects.create(source="DTSEN", period="2026-07")
    HouseholdAppearance.objects.create(household=household, release=release)
    ProgramParticipation.objects.create(person=wife, program_code="PBI-JK", since_period="2024-01")
    RegistryChange.objects.create(household=household, release=release, kind="created")
    response = api(manajer)(f"/api/v1/households/{household.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == household.pk and body["desil"] == 3 and body["nomor_kk"] == household.nomor_kk
    assert [m["id"] for m in body["members"]] == [head.pk, wife.pk]
    assert [(p["person_id"], p["program_code"]) for p in body["programs"]] == [(wife.pk, "PBI-JK")]
    assert body["appearances"] == [{"source": "DTSEN", "period": "2026-07"}]
    assert [c["kind"] for c in body["history"]] == ["created"]


@pytest.mark.parametrize("kind", ["people", "households"])
def test_out_of_scope_is_404_identical_to_missing(api, make_user, family, kind):
    head, _wife = family
    pk = head.pk if kind == "people" else head.household_id
    get = api(make_user("manajer", "32.02"))
    hidden = get(f"/api/v1/{kind}/{pk}")
    missing = get(f"/api/v1/{kind}/999999999")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content
    assert hidden.json()["code"] == "not_found"
    assert hidden.headers.get("Content-Type") == missing.headers.get("Content-Type")


def test_out_of_scope_is_not_listed(api, make_user, family):
    head, _wife = family
    get = api(make_user("manajer", "32.02"))
    for params in ({"nik": head.nik}, {"q": head.nama}, {"kk": head.household.nomor_kk}):
        response = get("/api/v1/people", **params)
        assert response.status_code == 200 and response.json()["items"] == []


def test_role_without_see_full_nik_gets_masked_numbers(api, make_user, family):
    head, _wife = family
    get = api(make_user("dinsos", "32"))
    nik_masked = f"{head.nik[:6]}********{head.nik[-2:]}"
    item = get("/api/v1/people", q=head.nama).json()["items"][0]
    assert item["nik"] == nik_masked and item["nik_masked"] is True
    assert head.household.nomor_kk not in str(item)
    detail = get(f"/api/v1/people/{head.pk}")
    assert detail.json()["nik"] == nik_masked and detail.json()["nama_ibu_kandung"] is None
    assert head.nik not in detail.content.decode()
    household = get(f"/api/v1/households/{head.household_id}").content.decode()
    assert head.nik not in household and head.household.nomor_kk not in household


def test_masked_role_can_still_look_up_by_full_nik(api, make_user, family):
    head, _wife = family
    items = api(make_user("dinsos", "32"))("/api/v1/people", nik=head.nik).json()["items"]
    assert [i["id"] for i in items] == [head.pk]


def test_mitra_user_gets_no_registry_data(api, make_user, family):
    head, _wife = family
    get = api(make_user("mitra", "32.01"))
    assert get("/api/v1/people", nik=head.nik).json()["items"] == []
    assert get(f"/api/v1/people/{head.pk}").status_code == 404
    assert get(f"/api/v1/households/{head.household_id}").status_code == 404


def test_each_detail_read_writes_an_audit_event(api, manajer, family):
    head, _wife = family
    get = api(manajer)
    get(f"/api/v1/people/{head.pk}")
    get(f"/api/v1/households/{head.household_id}")
    person_event = AuditEvent.objects.get(action="person.view")
    assert (person_event.actor, person_event.object_id) == (manajer, str(head.pk))
    household_event = AuditEvent.objects.get(action="household.view")
    assert (household_event.actor, household_event.object_id) == (manajer, str(head.household_id))


def test_searches_are_logged_without_the_search_terms(api, manajer, family):
    head, _wife = family
    found = api(manajer)("/api/v1/people", nik=head.nik).json()
    event = AuditEvent.objects.get(action="person.search")
    # Who was shown, by id (the answer's ids), never the terms.
    shown = {"people": [p["id"] for p in found["items"]], "households": [p["household_id"] for p in found["items"]]}
    assert event.actor == manajer and event.detail == {"by": ["nik"], "count": 1, **shown}
    assert head.nik not in str(event.detail)


def test_session_authentication_works_too(client, manajer, family):
    head, _wife = family
    client.force_login(manajer)
    assert client.get(f"/api/v1/people/{head.pk}").status_code == 200


def test_openapi_document_is_valid_and_lists_the_registry_operations(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    assert doc["openapi"].startswith("3.")
    paths = doc["paths"]
    assert {"/api/v1/people", "/api/v1/people/{person_id}", "/api/v1/households/{household_id}"} <= set(paths)
    params = {p["name"] for p in paths["/api/v1/people"]["get"]["parameters"]}
    assert {"nik", "q", "kk", "region", "birth_year", "limit", "offset"} <= params
