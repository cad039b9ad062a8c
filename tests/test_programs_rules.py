"""Eligibility rules: catalogue content, validation, explanations, Python vs SQL agreement."""

import datetime as dt

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slrt.programs import rules
from slrt.programs.catalogue import PROGRAMS, load_catalogue
from slrt.programs.models import EligibilityRule, Program
from slrt.registry.models import Household, Person, ProgramParticipation

REF = dt.date(2026, 11, 22)


def pkh(code="PKH-BUMIL"):
    return Program.objects.get(code=code)


@pytest.mark.django_db
def test_catalogue_is_installed_by_migration_with_every_programme_and_a_current_rule_v1():
    codes = set(Program.objects.values_list("code", flat=True))
    assert {
        "PKH-BUMIL",
        "PKH-AUD",
        "PKH-SD",
        "PKH-SMP",
        "PKH-SMA",
        "PKH-DIS",
        "PKH-LANSIA",
        "BPNT",
        "PBI-JK",
        "PIP",
        "RUTILAHU",
        "KUBE",
        "ATENSI",
        "BLT-DD",
        "BAZNAS-SANTUNAN",
        "CSR-BEDAH",
    } <= codes
    for program in Program.objects.all():
        assert program.owner and program.benefit and program.target_unit and program.sector
        rule = program.rules.get(is_current=True)
        assert rule.version == 1 and rules.validate(rule.criteria) == rule.criteria
    assert set(Program.objects.filter(code__startswith="PKH-").values_list("registry_code", flat=True)) == {"PKH"}
    assert pkh("BPNT").registry_code == "BPNT" and pkh("PBI-JK").registry_code == "PBI"
    assert pkh("PIP").registry_code == "PIP"
    assert pkh("PKH-SD").rules.get().criteria[0] == {"field": "desil", "op": "between", "value": [1, 4]}
    assert pkh("BPNT").rules.get().criteria == [{"field": "desil", "op": "between", "value": [1, 5]}]
    blt = pkh("BLT-DD").rules.get().criteria
    assert {"field": "menerima", "op": "not_in", "value": ["BPNT", "PKH"]} in blt


@pytest.mark.django_db
def test_catalogue_load_is_idempotent_and_keeps_edited_rules():
    program = pkh("BPNT")
    program.rules.update(is_current=False)
    EligibilityRule.objects.create(program=program, version=2, criteria=[{"field": "desil", "op": "lte", "value": 4}])
    assert load_catalogue() == 0
    assert Program.objects.count() == len(PROGRAMS)
    assert program.rules.get(is_current=True).version == 2


def test_validation_errors_name_the_criterion_in_indonesian():
    with pytest.raises(rules.RuleError) as exc:
        rules.validate(
            [
                {"field": "desil", "op": "between", "value": [5, 2]},
                {"field": "gaji", "op": "eq", "value": 1},
                {"field": "anggota_hamil", "op": "gte", "value": 1},
                {"field": "desil", "op": "lte", "value": 11},
                {"field": "lantai", "op": "in", "value": ["emas"]},
                {"field": "menerima", "op": "in", "value": []},
            ]
        )
    assert exc.value.errors == [
        "Kriteria 1 (Desil): batas bawah lebih besar dari batas atas.",
        'Kriteria 2: kolom "gaji" tidak dikenal.',
        'Kriteria 3 (Anggota sedang hamil): operator "gte" tidak berlaku; pilih adalah.',
        "Kriteria 4 (Desil): harus antara 1 dan 10.",
        "Kriteria 5 (Lantai): nilai tidak dikenal: emas.",
        "Kriteria 6 (Menerima program): pilih paling sedikit satu nilai.",
    ]
    with pytest.raises(rules.RuleError, match="paling sedikit satu kriteria"):
        rules.validate([])


def test_validation_cleans_values_typed_in_a_form():
    assert rules.validate(
        [
            {"field": "desil", "op": "between", "value": ["1", " 4"]},
            {"field": "anggota_lansia", "op": "is", "value": "true"},
            {"field": "lantai", "op": "in", "value": "Tanah, bambu"},
            {"field": "menerima", "op": "not_in", "value": ["pkh", "BPNT"]},
        ]
    ) == [
        {"field": "desil", "op": "between", "value": [1, 4]},
        {"field": "anggota_lansia", "op": "is", "value": True},
        {"field": "lantai", "op": "in", "value": ["bambu", "tanah"]},
        {"field": "menerima", "op": "not_in", "value": ["BPNT", "PKH"]},
    ]


@pytest.mark.django_db
def test_explanation_of_a_desil_6_household_against_pkh_names_value_requirement_and_verdict():
    facts = rules.Facts(desil=6, members=[rules.Member(birth=dt.date(1990, 1, 1), hamil=True)])
    criteria = pkh().rules.get().criteria
    lines = rules.explain(criteria, facts, REF, pkh().label)
    assert [line.text for line in lines] == [
        "Desil 6; PKH Ibu Hamil mensyaratkan desil 1–4: tidak memenuhi",
        "Ada anggota sedang hamil; PKH Ibu Hamil mensyaratkan ada anggota sedang hamil: memenuhi",
    ]
    assert [line.passed for line in lines] == [False, True]
    assert rules.evaluate(criteria, facts, REF) is False
    facts.desil = 3
    assert rules.evaluate(criteria, facts, REF) is True


def test_explanation_texts_of_other_fields():
    facts = rules.Facts(
        desil=None,
        lantai="Tanah",
        atap="Genteng",
        dinding="bambu",
        status_bangunan="milik sendiri",
        luas_lantai=20,
        members=[rules.Member(birth=dt.date(2015, 6, 1)), rules.Member()],
        programs={"PKH"},
    )
    criteria = rules.validate(
        [
            {"field": "desil", "op": "lte", "value": 3},
            {"field": "anggota_usia", "op": "between", "value": [6, 21]},
            {"field": "rumah_tidak_layak", "op": "gte", "value": 1},
            {"field": "luas_per_orang", "op": "lte", "value": 8},
            {"field": "menerima", "op": "not_in", "value": ["PKH", "BPNT"]},
        ]
    )
    assert [line.text for line in rules.explain(criteria, facts, REF, "X")] == [
        "Desil belum diketahui; X mensyaratkan desil paling tinggi 3: tidak memenuhi",
        "1 anggota dalam rentang usia itu; X mensyaratkan ada anggota berusia 6–21 tahun: memenuhi",
        "2 dari 3 komponen rumah (lantai, dinding, atap) berbahan tidak layak; X mensyaratkan paling sedikit 1 "
        "komponen rumah tidak layak: memenuhi",
        "Luas lantai 10,0 m² per orang; X mensyaratkan luas lantai paling luas 8 m² per orang: tidak memenuhi",
        "Menerima PKH; X mensyaratkan tidak menerima BPNT maupun PKH: tidak memenuhi",
    ]


# --- Python vs SQL --------------------------------------------------------------------------

DESAS = ("32.01.02.2001", "32.01.02.2002")
TEXTS = (
    "",
    "Tanah",
    " bambu ",
    "KERAMIK",
    "seng",
    "Genteng",
    "milik sendiri",
    "kontrak/sewa",
    "anyaman bambu",
    "jerami/ijuk/daun/rumbia",
    "tembok",
)
DISAB = ("", "Kesulitan melihat", "Disabilitas ganda", "lumpuh berat", "Kesulitan mengurus diri sendiri")
PPKS = ("", "Fakir Miskin", "Lanjut Usia Terlantar", "penyandang disabilitas")
member_st = st.fixed_dictionaries(
    {
        "birth": st.one_of(st.none(), st.dates(dt.date(1930, 1, 1), REF)),
        "hamil": st.sampled_from([None, True, False]),
        "disabilitas": st.sampled_from(DISAB),
        "penyakit_kronis": st.sampled_from(("", "Diabetes", " ")),
        "jenis_ppks": st.sampled_from(PPKS),
        "is_active": st.booleans(),
        "programs": st.lists(st.sampled_from(("PKH", "BPNT", "PBI", "PIP", "BLTDD")), max_size=3, unique=True),
        "program_active": st.booleans(),
    }
)
household_st = st.fixed_dictionaries(
    {
        "desil": st.one_of(st.none(), st.integers(1, 10)),
        "lantai": st.sampled_from(TEXTS),
        "dinding": st.sampled_from(TEXTS),
        "atap": st.sampled_from(TEXTS),
        "status_bangunan": st.sampled_from(TEXTS),
        "luas_lantai": st.one_of(st.none(), st.integers(0, 200)),
        "members": st.lists(member_st, max_size=5),
    }
)
criterion_st = st.one_of(
    st.builds(
        lambda op, a, b: {"field": "desil", "op": op, "value": sorted([a, b]) if op == "between" else a},
        st.sampled_from(rules.NUMBER_OPS),
        st.integers(1, 10),
        st.integers(1, 10),
    ),
    st.builds(
        lambda op, a, b: {"field": "jumlah_anggota", "op": op, "value": sorted([a, b]) if op == "between" else a},
        st.sampled_from(rules.NUMBER_OPS),
        st.integers(0, 5),
        st.integers(0, 5),
    ),
    st.builds(
        lambda a, b: {"field": "anggota_usia", "op": "between", "value": sorted([a, b])},
        st.integers(0, 90),
        st.integers(0, 90),
    ),
    st.builds(
        lambda f, v: {"field": f, "op": "is", "value": v},
        st.sampled_from(
            (
                "anggota_hamil",
                "anggota_disabilitas",
                "anggota_disabilitas_berat",
                "anggota_lansia",
                "anggota_penyakit_kronis",
            )
        ),
        st.booleans(),
    ),
    st.sampled_from(("lantai", "dinding", "atap", "status_bangunan")).flatmap(
        lambda f: st.builds(
            lambda op, v: {"field": f, "op": op, "value": v},
            st.sampled_from(("in", "not_in")),
            st.lists(st.sampled_from(rules.FIELDS[f].choices), min_size=1, max_size=3),
        )
    ),
    st.builds(
        lambda op, v: {"field": "jenis_ppks", "op": op, "value": v},
        st.sampled_from(("in", "not_in")),
        st.lists(st.sampled_from(("fakir miskin", "penyandang disabilitas")), min_size=1),
    ),
    st.builds(
        lambda op, a, b: {"field": "rumah_tidak_layak", "op": op, "value": sorted([a, b]) if op == "between" else a},
        st.sampled_from(rules.NUMBER_OPS),
        st.integers(0, 3),
        st.integers(0, 3),
    ),
    st.builds(
        lambda op, a, b: {"field": "luas_per_orang", "op": op, "value": sorted([a, b]) if op == "between" else a},
        st.sampled_from(rules.NUMBER_OPS),
        st.integers(0, 60),
        st.integers(0, 60),
    ),
    st.builds(
        lambda op, v: {"field": "menerima", "op": op, "value": v},
        st.sampled_from(("in", "not_in")),
        st.lists(st.sampled_from(("PKH", "BPNT", "PIP")), min_size=1, max_size=2),
    ),
)

_serial = iter(range(10**6))


def _store(data) -> Household:
    n = next(_serial)
    h = Household(
        nomor_kk=f"32010200{n:08d}",
        desil=data["desil"],
        lantai=data["lantai"],
        dinding=data["dinding"],
        atap=data["atap"],
        status_bangunan=data["status_bangunan"],
        luas_lantai=data["luas_lantai"],
    )
    h.set_region(DESAS[n % 2])
    h.save()
    for i, m in enumerate(data["members"]):
        p = Person(
            nik=f"320102{n:06d}{i:04d}",
            household=h,
            nama="X",
            name_key="x",
            tanggal_lahir=m["birth"],
            hamil=m["hamil"],
            disabilitas=m["disabilitas"],
            penyakit_kronis=m["penyakit_kronis"],
            jenis_ppks=m["jenis_ppks"],
            is_active=m["is_active"],
        )
        p.set_region(h.desa_code)
        p.save()
        for code in m["programs"]:
            ProgramParticipation.objects.create(
                person=p, program_code=code, since_period="2025-01", active=m["program_active"]
            )
    return h


def _facts(data) -> rules.Facts:
    active = [m for m in data["members"] if m["is_active"]]
    return rules.Facts(
        desil=data["desil"],
        lantai=data["lantai"],
        dinding=data["dinding"],
        atap=data["atap"],
        status_bangunan=data["status_bangunan"],
        luas_lantai=data["luas_lantai"],
        members=[
            rules.Member(
                birth=m["birth"],
                hamil=m["hamil"],
                disabilitas=m["disabilitas"],
                penyakit_kronis=m["penyakit_kronis"],
                jenis_ppks=m["jenis_ppks"],
            )
            for m in active
        ],
        programs={c for m in active if m["program_active"] for c in m["programs"]},
    )


@pytest.mark.django_db
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(
    households=st.lists(household_st, min_size=1, max_size=6),
    criteria=st.lists(criterion_st, min_size=1, max_size=4),
    ref=st.dates(dt.date(2024, 2, 27), dt.date(2028, 3, 2)),
)
def test_python_evaluator_and_compiled_sql_agree_on_random_households(households, criteria, ref):
    criteria = rules.validate(criteria)
    stored = [(_store(data), data) for data in households]
    sql, params = rules.compile_sql(criteria, ref, kab_code="32.01")
    with connection.cursor() as cur:
        cur.execute(sql, params)
        by_sql = {row[0] for row in cur.fetchall()}
    for household, data in stored:
        by_python = rules.evaluate(criteria, _facts(data), ref)
        assert by_python == (household.pk in by_sql), (criteria, data)
    # Facts read back from the database are the same facts.
    from slrt.programs.selectors.assessment import facts_for

    for household, data in stored:
        assert rules.evaluate(criteria, facts_for(household), ref) == rules.evaluate(criteria, _facts(data), ref)
