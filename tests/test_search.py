"""Search: name keys for Indonesian spelling variants, ranked and scoped people search, profiles."""

import datetime as dt

import pytest
from django.db import connection, transaction
from django.http import Http404

from slrt.audit.models import AuditEvent
from slrt.registry.models import (
    ChangeKind,
    HouseholdAppearance,
    Person,
    ProgramParticipation,
    RegistryChange,
    Release,
)
from slrt.registry.search import name_key
from slrt.registry.selectors.people import (
    TRIGRAM_KEYS_SQL,
    get_household,
    get_person,
    household_profile,
    name_score,
    search_people,
    trigram_settings,
)

DESA_A = "32.01.01.1001"  # Kab. Bogor, kecamatan 32.01.01
DESA_B = "32.01.02.2001"  # Kab. Bogor, another kecamatan
DESA_SIBLING = "32.02.01.2002"  # Kab. Sukabumi, the neighbouring kabupaten

# Stored spelling -> a spelling a desk officer might type, one pair per rule of registry.search.
VARIANTS = [
    ("oe/u", "Soekarno Hadi", "Sukarno Hadi"),
    ("oe/u reversed", "Sumarni Wati", "Soemarni Wati"),
    ("dj/j", "Djoko Susilo", "Joko Susilo"),
    ("tj/c", "Tjipto Wibowo", "Cipto Wibowo"),
    ("sj/sy", "Sjamsul Arifin", "Syamsul Arifin"),
    ("ch/kh", "Chairul Anwar", "Khairul Anwar"),
    ("ch/kh/h", "Achmad Fauzi", "Ahmad Fauzi"),
    ("nj/ny", "Njoman Suta", "Nyoman Suta"),
    ("Muhammad/Mochammad", "Muhammad Ridwan", "Mochammad Ridwan"),
    ("Muhammad/Muhamad", "Muhammad Ridwan", "Muhamad Ridwan"),
    ("Muhammad/Mohammad", "Muhammad Ridwan", "Mohammad Ridwan"),
    ("Muhammad/Moh.", "Muhammad Ridwan", "Moh. Ridwan"),
    ("Muhammad/Mhd.", "Muhammad Ridwan", "Mhd. Ridwan"),
    ("Muhammad/M.", "Muhammad Ridwan", "M. Ridwan"),
    ("Siti/St.", "Siti Khodijah", "St. Khodijah"),
    ("St./Siti", "St. Maryam", "Siti Maryam"),
    ("doubled letters", "Sitti Rahmah", "Siti Rahmah"),
    ("doubled letters", "Hassan Basri", "Hasan Basri"),
    ("title and case", "Hj. Nur Aini, S.Pd.", "NUR AINI"),
    ("plain typo", "Sri Wahyuni", "Sri Wahyni"),
    ("plain typo", "Bambang Pamungkas", "Bambang Pamungkus"),
]

OTHER_NAMES = [
    "Agus Salim", "Budi Santoso", "Dewi Lestari", "Eko Prasetyo", "Fitri Handayani", "Gunawan Wibisono",
    "Indah Permatasari", "Joko Widodo", "Kartini Rahayu", "Lukman Hakim", "Maria Ulfa", "Nanang Kosim",
    "Rina Marlina", "Slamet Riyadi", "Tuti Alawiyah", "Wahyu Hidayat", "Yanti Susanti", "Zainal Abidin",
    "Siti Aisyah", "Ahmad Dahlan", "Muhammad Yusuf", "Sri Mulyani", "Nur Hidayah", "Bambang Sutrisno",
]


@pytest.fixture
def manajer(make_user):
    return make_user("manajer", "32.01")


@pytest.fixture
def population(make_person):
    return [make_person(desa_code=DESA_A if i % 2 else DESA_B, nama=n) for i, n in enumerate(OTHER_NAMES)]


# --- name_key -------------------------------------------------------------------------------


@pytest.mark.parametrize(("rule", "one", "other"), VARIANTS[:-2])
def test_name_key_gives_spelling_variants_one_key(rule, one, other):
    assert name_key(one) == name_key(other), rule


@pytest.mark.parametrize(
    "spelling",
    ["Muhammad", "Muhamad", "Mohammad", "Mochammad", "Mohamad", "Muchammad", "Moch.", "Moh.", "Muh.", "Mhd.",
     "Mohd", "M.", "M"],
)
def test_every_spelling_of_muhammad_is_one_token(spelling):
    assert name_key(f"{spelling} Yusuf") == name_key("Muhammad Yusuf") == "mhd yusuf"


def test_a_lone_m_after_the_name_is_an_initial_not_muhammad():
    assert name_key("Yusuf M") == "yusuf m"


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("Drs. H. Ahmad Sudirman, S.Pd., M.Si.", "ahmad sudirman"),
        ("Hj. Siti Fatimah", "siti fatimah"),
        ("H AHMAD DAHLAN", "ahmad dahlan"),
        ("Budi Santoso, S.T.", "budi santoso"),
        ("Ma'ruf  Amin", "maruf amin"),
        ("Nur-Aini", "nur aini"),
        ("José Rizal", "jose rizal"),
        ("  siti   AMINAH ", "siti aminah"),
    ],
)
def test_name_key_drops_titles_punctuation_case_and_spacing(raw, key):
    assert name_key(raw) == key


def test_name_key_of_only_a_title_is_not_empty():
    assert name_key("H.") == "h"
    assert name_key("") == ""


def test_name_key_keeps_different_names_apart():
    assert name_key("Siti Aminah") != name_key("Siti Aisyah")
    assert name_key("Joko Susilo") != name_key("Djoko Santoso")


# --- search by name -------------------------------------------------------------------------


@pytest.mark.parametrize(("rule", "stored", "typed"), VARIANTS)
def test_search_finds_each_spelling_variant_first(rule, stored, typed, manajer, population, make_person):
    target = make_person(desa_code=DESA_A, nama=stored)
    results = search_people(manajer, q=typed)
    assert results, rule
    assert results[0].pk == target.pk, (rule, [p.nama for p in results[:3]])


def test_exact_name_ranks_above_spelling_variant_above_typo(manajer, population, make_person):
    typo = make_person(nama="Siti Aminha")
    variant = make_person(nama="St. Aminah")
    exact = make_person(nama="SITI AMINAH")
    results = search_people(manajer, q="Siti Aminah")
    ranked = [p.pk for p in results[:3]]
    assert ranked == [exact.pk, variant.pk, typo.pk]
    scores = [p.score for p in results[:3]]
    assert scores[0] == 1.0 and scores[0] > scores[1] > scores[2] > 0
    assert all(0 <= p.score <= 1 for p in results)


def test_unrelated_names_are_not_returned(manajer, population, make_person):
    make_person(nama="Siti Aminah")
    names = {p.nama for p in search_people(manajer, q="Siti Aminah")}
    assert "Gunawan Wibisono" not in names and "Zainal Abidin" not in names


def test_query_naming_part_of_a_name_finds_it(manajer, population, make_person):
    target = make_person(nama="Siti Nurhaliza Rahmawati")
    assert target.pk in [p.pk for p in search_people(manajer, q="Nurhaliza")]


def test_name_score_scale():
    assert name_score("Siti Aminah", "siti  aminah") == 1.0
    assert name_score("Siti Aminah", "St. Aminah") == 0.95
    assert 0.6 < name_score("Siti Aminah", "Siti Aminha") < 0.95
    assert name_score("Siti Aminah", "Gunawan Wibisono") < 0.5


def test_limit_and_offset_page_through_ranked_results(manajer, make_person):
    for i in range(6):
        make_person(nama=f"Siti Aminah {'Binti ' * (i % 2)}Ahmad")
    first = search_people(manajer, q="Siti Aminah Ahmad", limit=4)
    rest = search_people(manajer, q="Siti Aminah Ahmad", limit=4, offset=4)
    assert len(first) == 4 and len(rest) == 2
    assert not {p.pk for p in first} & {p.pk for p in rest}


# --- filters --------------------------------------------------------------------------------


def test_region_filter_narrows_to_desa_and_kecamatan(manajer, make_person):
    in_a = make_person(desa_code=DESA_A, nama="Rudi Hartono")
    in_b = make_person(desa_code=DESA_B, nama="Rudi Hartono")
    assert [p.pk for p in search_people(manajer, q="Rudi Hartono", region=DESA_A)] == [in_a.pk]
    assert [p.pk for p in search_people(manajer, q="Rudi Hartono", region="32.01.02")] == [in_b.pk]
    assert [p.pk for p in search_people(manajer, q="Rudi Hartono", region="3201022001")] == [in_b.pk]
    assert {p.pk for p in search_people(manajer, q="Rudi Hartono", region="32.01")} == {in_a.pk, in_b.pk}


def test_region_containing_the_scope_keeps_the_scope(manajer, make_person):
    inside = make_person(desa_code=DESA_A, nama="Rudi Hartono")
    make_person(desa_code=DESA_SIBLING, nama="Rudi Hartono")
    assert [p.pk for p in search_people(manajer, q="Rudi Hartono", region="32")] == [inside.pk]


def test_region_outside_the_scope_yields_nothing(manajer, make_person):
    make_person(desa_code=DESA_SIBLING, nama="Rudi Hartono")
    make_person(desa_code=DESA_A, nama="Rudi Hartono")
    assert search_people(manajer, q="Rudi Hartono", region=DESA_SIBLING) == []
    assert search_people(manajer, q="Rudi Hartono", region="32.02") == []
    assert search_people(manajer, q="Rudi Hartono", region="bukan-kode") == []


def test_birth_year_filter(manajer, make_person):
    older = make_person(nama="Dewi Sartika", birth=dt.date(1970, 5, 1))
    make_person(nama="Dewi Sartika", birth=dt.date(1990, 5, 1))
    assert [p.pk for p in search_people(manajer, q="Dewi Sartika", birth_year=1970)] == [older.pk]
    assert search_people(manajer, q="Dewi Sartika", birth_year=1980) == []


# --- NIK and KK -----------------------------------------------------------------------------


def test_search_by_nik_is_exact_and_tolerates_separators(manajer, population, make_person):
    target = make_person(nama="Siti Aminah")
    spaced = f"{target.nik[:6]} {target.nik[6:12]}-{target.nik[12:]}"
    for typed in (target.nik, spaced, f"{target.nik[:6]}.{target.nik[6:]}"):
        results = search_people(manajer, nik=typed)
        assert [p.pk for p in results] == [target.pk]
        assert results[0].score == 1.0
    other = f"{target.nik[:-1]}{(int(target.nik[-1]) + 1) % 10}"
    assert search_people(manajer, nik=other) == []


def test_search_by_kk_lists_the_members_of_that_family(manajer, population, make_person):
    head = make_person(nama="Slamet Widodo", sex="L", hubungan_keluarga="Kepala Keluarga")
    wife = make_person(nama="Sumarni", household=head.household, hubungan_keluarga="Istri")
    kk = head.household.nomor_kk
    assert {p.pk for p in search_people(manajer, nomor_kk=kk)} == {head.pk, wife.pk}
    assert [p.pk for p in search_people(manajer, nomor_kk=f"{kk[:8]} {kk[8:]}", q="Sumarni")] == [wife.pk]


def test_inactive_people_are_left_out_unless_asked(manajer, make_person):
    merged = make_person(nama="Rudi Hartono", is_active=False)
    assert search_people(manajer, q="Rudi Hartono") == []
    assert search_people(manajer, nik=merged.nik) == []
    assert [p.pk for p in search_people(manajer, q="Rudi Hartono", include_inactive=True)] == [merged.pk]


# --- scope ----------------------------------------------------------------------------------


def test_user_of_a_sibling_kabupaten_finds_nothing(make_user, make_person):
    person = make_person(desa_code=DESA_A, nama="Rudi Hartono")
    sibling = make_user("manajer", "32.02")
    assert search_people(sibling, q="Rudi Hartono") == []
    assert search_people(sibling, nik=person.nik) == []
    assert search_people(sibling, nomor_kk=person.household.nomor_kk) == []
    assert search_people(sibling, q="Rudi Hartono", region=DESA_A) == []
    with pytest.raises(Http404):
        get_person(sibling, person.pk)
    with pytest.raises(Http404):
        get_household(sibling, person.household_id)


def test_desa_user_finds_only_their_desa(make_user, make_person):
    mine = make_person(desa_code=DESA_A, nama="Rudi Hartono")
    make_person(desa_code=DESA_B, nama="Rudi Hartono")
    fasilitator = make_user("fasilitator", DESA_A)
    assert [p.pk for p in search_people(fasilitator, q="Rudi Hartono")] == [mine.pk]
    assert [p.pk for p in search_people(fasilitator, q="Rudi Hartono", region="32.01")] == [mine.pk]


def test_nation_scoped_dinsos_finds_people_everywhere(make_user, make_person):
    a = make_person(desa_code=DESA_A, nama="Rudi Hartono")
    b = make_person(desa_code=DESA_SIBLING, nama="Rudi Hartono")
    dinsos = make_user("dinsos", "00")
    assert {p.pk for p in search_people(dinsos, q="Rudi Hartono")} == {a.pk, b.pk}


def test_mitra_user_has_no_registry_access(make_user, make_person):
    person = make_person(desa_code=DESA_A, nama="Rudi Hartono")
    mitra = make_user("mitra", "32.01")
    assert search_people(mitra, q="Rudi Hartono") == []
    assert search_people(mitra, nik=person.nik) == []
    with pytest.raises(Http404):
        get_person(mitra, person.pk)


# --- detail reads ---------------------------------------------------------------------------


def test_get_person_audits_the_read(manajer, make_person):
    person = make_person(nama="Rudi Hartono")
    assert get_person(manajer, person.pk).pk == person.pk
    event = AuditEvent.objects.get(action="person.view")
    assert event.actor == manajer and event.object_id == str(person.pk)
    assert event.region_code == person.desa_code


def test_missing_and_out_of_scope_are_the_same_404_and_not_audited(make_user, make_person):
    person = make_person(nama="Rudi Hartono")
    sibling = make_user("manajer", "32.02")
    for pk in (person.pk, 999_999_999, "bukan-angka"):
        with pytest.raises(Http404):
            get_person(sibling, pk)
    assert not AuditEvent.objects.filter(action="person.view").exists()


def test_household_profile_has_members_desil_programmes_releases_and_history(manajer, make_person):
    old = Release.objects.create(source="DTKS", period="2024-12")
    new = Release.objects.create(source="DTSEN", period="2026-07")
    head = make_person(nama="Slamet Widodo", sex="L", birth=dt.date(1970, 1, 2), hubungan_keluarga="Kepala Keluarga")
    household = head.household
    household.desil = 2
    household.save()
    child = make_person(nama="Rina Widodo", household=household, birth=dt.date(2010, 4, 5), hubungan_keluarga="Anak")
    wife = make_person(nama="Sumarni", household=household, birth=dt.date(1975, 6, 7), hubungan_keluarga="Istri")
    gone = make_person(nama="Slamet Widodo", household=household, is_active=False)
    ProgramParticipation.objects.create(person=head, program_code="PKH", since_period="2024-01", source_release=new)
    ProgramParticipation.objects.create(
        person=child, program_code="PIP", since_period="2022-07", until_period="2025-06", active=False,
        source_release=old,
    )
    HouseholdAppearance.objects.create(household=household, release=old)
    HouseholdAppearance.objects.create(household=household, release=new)
    first = RegistryChange.objects.create(household=household, release=old, kind=ChangeKind.CREATED)
    second = RegistryChange.objects.create(person=wife, release=new, kind=ChangeKind.UPDATED,
                                           changes={"pekerjaan": ["", "Petani"]})
    RegistryChange.objects.create(person=make_person(nama="Orang Lain"), kind=ChangeKind.CREATED)

    profile = household_profile(manajer, household.pk)

    assert profile["household"] == household and profile["desil"] == 2
    assert [p.pk for p in profile["members"]] == [head.pk, wife.pk, child.pk]
    assert gone.pk not in [p.pk for p in profile["members"]]
    assert {(p.program_code, p.active) for p in profile["programs"]} == {("PKH", True), ("PIP", False)}
    assert [(a.release.source, a.release.period) for a in profile["appearances"]] == [
        ("DTSEN", "2026-07"), ("DTKS", "2024-12"),
    ]
    assert [c.pk for c in profile["history"]] == [second.pk, first.pk]
    assert AuditEvent.objects.filter(action="household.view", object_id=str(household.pk)).count() == 1


def test_household_profile_outside_scope_is_404(make_user, make_person):
    person = make_person(desa_code=DESA_A)
    with pytest.raises(Http404):
        household_profile(make_user("supervisor", "32.01.02"), person.household_id)


# --- the key dictionary stays in step with every write path (PostgreSQL triggers) -----------


def test_renamed_person_is_found_under_the_new_name(manajer, population, make_person):
    person = make_person(nama="Rudi Hartono")
    person.nama = "Bambang Irawan Saputro"
    person.name_key = name_key(person.nama)
    person.save()
    assert [p.pk for p in search_people(manajer, q="Bambang Irawan Saputro")][:1] == [person.pk]


def test_people_written_by_bulk_insert_and_queryset_update_are_found(manajer, make_person):
    template = make_person(nama="Rudi Hartono")
    household = template.household
    bulk = []
    for i, nama in enumerate(["Yohanes Kristianto", "Fransiska Wulandari"]):
        person = Person(nik=f"{template.nik[:12]}{9000 + i}", household=household, nama=nama, name_key=name_key(nama))
        person.set_region(household.desa_code)
        bulk.append(person)
    Person.objects.system().bulk_create(bulk)
    renamed = "Ignatius Harjono"
    Person.objects.system().filter(pk=template.pk).update(nama=renamed, name_key=name_key(renamed))
    for nama in ("Yohanes Kristianto", "Fransiska Wulandari", "Ignatius Haryono"):
        results = search_people(manajer, q=nama)
        assert results and results[0].name_key == name_key(nama), nama


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the key dictionary exists on PostgreSQL only")
def test_postgresql_name_key_dictionary_is_filled_by_triggers(make_person):
    make_person(nama="Wiratmoko Sastrowardojo")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM registry_name_key WHERE key = %s", [name_key("Wiratmoko Sastrowardojo")])
        assert cursor.fetchone()[0] == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram index on PostgreSQL only")
def test_postgresql_key_search_uses_the_trigram_index_once_the_dictionary_is_large(manajer, make_person):
    # A bulk write of many new keys (an import) refreshes the dictionary's statistics itself.
    template = make_person(nama="Rudi Hartono")
    bulk = []
    for i in range(1500):
        person = Person(nik=f"{template.nik[:10]}{i:06d}", household=template.household,
                        nama=f"Orang Uji {i:05d}", name_key=f"orang uji {i:05d}")
        person.set_region(template.desa_code)
        bulk.append(person)
    Person.objects.system().bulk_create(bulk, batch_size=2000)
    with transaction.atomic(), connection.cursor() as cursor:
        trigram_settings(cursor, 0.5)
        cursor.execute(f"EXPLAIN {TRIGRAM_KEYS_SQL}", {"q": "rudi hartono", "n": 2000})
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "registry_name_key_trgm" in plan
    assert [p.pk for p in search_people(manajer, q="Rudi Hartono")] == [template.pk]
