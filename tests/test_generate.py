"""generate_registry: a synthetic exchange file that looks and behaves like a DTKS/DTSEN export."""

import csv
import datetime as dt
import random
from collections import Counter, defaultdict

import pytest
from django.core.management import CommandError, call_command
from hypothesis import given, settings
from hypothesis import strategies as st

from slrt.demo import generate as gen
from slrt.demo.generate import (
    BAD_REASONS,
    HEADER,
    GenerateError,
    generate_next_release,
    generate_registry,
    load_region_data,
    name_variant,
)
from slrt.registry.nik import check_nik
from slrt.wilayah.models import Level, Region
from tests.conftest import ensure_regions

REGION = "32.04"  # Kabupaten Bandung
PERIOD = "2026-07"


def read(path):
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    return rows[0], [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def read_key(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def parse_date(value):
    for fmt in ("%Y-%m-%d", "%d-%m-%Y"):
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    return None


def dotted(kode):
    return f"{kode[:2]}.{kode[2:4]}.{kode[4:6]}.{kode[6:10]}"


@pytest.fixture(scope="module")
def files(tmp_path_factory, django_db_setup, django_db_blocker):
    """One clean file, one noisy file (bad rows, near-duplicates), and a next release."""
    folder = tmp_path_factory.mktemp("gen")
    with django_db_blocker.unblock():
        ensure_regions()
        clean = generate_registry(out=folder / "clean.csv", households=800, region=REGION, seed=11, period=PERIOD)
        noisy = generate_registry(
            out=folder / "noisy.csv", households=1000, region=REGION, seed=12, period=PERIOD, bad_share=0.05,
            duplicate_share=0.05, key_path=folder / "noisy.key.csv",
        )
        nxt = generate_next_release(
            base=folder / "clean.csv", out=folder / "next.csv", changed_share=0.1, seed=13,
            key_path=folder / "next.key.csv",
        )
        desa = set(
            Region.objects.filter(level=Level.DESA, code__startswith=REGION + ".").values_list("code", flat=True)
        )
    return {"folder": folder, "clean": clean, "noisy": noisy, "next": nxt, "desa": desa}


def test_header_is_the_spec_exchange_format(files):
    header, rows = read(files["clean"].path)
    assert header == HEADER
    for required in ("nik", "nomor_kk", "nama", "kode_wilayah"):
        assert required in header
    assert all(len(r["nik"]) == 16 and r["nik"].isdigit() for r in rows)
    assert all(r["program_pkh"] in ("0", "1") for r in rows)
    assert {r["periode"] for r in rows} == {PERIOD}


def test_same_seed_gives_the_same_file_and_another_seed_another(db, tmp_path):
    a = generate_registry(out=tmp_path / "a.csv", households=150, region=REGION, seed=5, period=PERIOD,
                          bad_share=0.05, duplicate_share=0.05)
    b = generate_registry(out=tmp_path / "b.csv", households=150, region=REGION, seed=5, period=PERIOD,
                          bad_share=0.05, duplicate_share=0.05)
    c = generate_registry(out=tmp_path / "c.csv", households=150, region=REGION, seed=6, period=PERIOD,
                          bad_share=0.05, duplicate_share=0.05)
    assert a.path.read_bytes() == b.path.read_bytes()
    assert a.path.read_bytes() != c.path.read_bytes()


def test_region_data_is_the_same_from_the_region_table_and_from_lokal(db):
    from_db = dict(gen._regions_from_db(REGION))
    from_lokal = dict(gen._regions_from_lokal(REGION))
    desa_db = sorted(c for c in from_db if c.count(".") == 3)
    desa_lokal = sorted(c for c in from_lokal if c.count(".") == 3 and c.startswith(REGION + "."))
    assert desa_db == desa_lokal and len(desa_db) > 200
    assert load_region_data("3204").desa == desa_db


def test_clean_rows_have_nik_birth_date_and_sex_consistent(files, db):
    _header, rows = read(files["clean"].path)
    region = load_region_data(REGION)
    kecamatan = set(region.kecamatan)
    today = dt.date.today()
    for r in rows:
        birth = parse_date(r["tanggal_lahir"])
        check = check_nik(r["nik"], jenis_kelamin=r["jenis_kelamin"], tanggal_lahir=birth, today=today)
        assert check.valid, (r["nik"], check.errors)
        assert check.warnings == [], (r["nik"], check.warnings)
        assert check.birth_date == birth  # the century too: nobody is born in an ambiguous year
        assert r["nik"][:6] in {k.replace(".", "") for k in kecamatan}
        assert dotted(r["kode_wilayah"]) in files["desa"]
        assert r["nomor_kk"].isdigit() and len(r["nomor_kk"]) == 16
        assert r["nama"].strip()
    assert len({r["nik"] for r in rows}) == len(rows)


def test_households_have_one_head_plausible_ages_and_shared_household_columns(files):
    _header, rows = read(files["clean"].path)
    ref = dt.date(2026, 7, 1)
    by_kk = defaultdict(list)
    for r in rows:
        by_kk[r["nomor_kk"]].append(r)
    assert len(by_kk) == files["clean"].households == 800
    sizes = Counter(len(m) for m in by_kk.values())
    assert set(sizes) <= set(range(1, 9)) and len(sizes) >= 6
    for kk, members in by_kk.items():
        relations = Counter(m["hubungan_keluarga"] for m in members)
        assert relations["Kepala Keluarga"] == 1
        assert relations["Istri"] <= 1
        for column in gen.HOUSEHOLD_COLUMNS:
            assert len({m[column] for m in members}) == 1, (kk, column)
        assert kk.startswith(members[0]["kode_wilayah"][:6])  # the KK's kecamatan
        head = next(m for m in members if m["hubungan_keluarga"] == "Kepala Keluarga")
        wife = next((m for m in members if m["hubungan_keluarga"] == "Istri"), None)
        born = {id(m): parse_date(m["tanggal_lahir"]) for m in members}
        assert all(b and b < ref for b in born.values())
        if wife:
            assert wife["jenis_kelamin"] == "P" and head["jenis_kelamin"] == "L"
        mother = wife or (head if head["jenis_kelamin"] == "P" else None)
        for child in (m for m in members if m["hubungan_keluarga"] == "Anak"):
            assert (born[id(child)] - born[id(head)]).days > 15 * 365
            if mother:
                assert (born[id(child)] - born[id(mother)]).days > 15 * 365
                assert child["nama_ibu_kandung"] == mother["nama"]


def test_desil_leans_to_the_poorest_and_programmes_follow_it_with_some_errors(files):
    _header, rows = read(files["clean"].path)
    households = {r["nomor_kk"]: r for r in rows}.values()
    desil = Counter(int(h["desil"]) for h in households)
    assert sum(desil[d] for d in (1, 2, 3, 4)) > 2 * sum(desil[d] for d in (7, 8, 9, 10))
    pkh = [int(h["desil"]) for h in households if h["program_pkh"] == "1"]
    assert len(pkh) > 50
    assert sum(d <= 4 for d in pkh) / len(pkh) > 0.85
    # Exclusion errors: poor families without PKH exist too.
    assert any(h["program_pkh"] == "0" and h["desil"] == "1" for h in households)
    # Inclusion errors show in a larger file (the noisy one adds to the sample).
    _h, more = read(files["noisy"].path)
    every = list(households) + list({r["nomor_kk"]: r for r in more}.values())
    assert any(h["program_pkh"] == "1" and int(h["desil"]) >= 5 for h in every)
    assert any(r["jenis_ppks"] for r in rows)
    assert all(r["jenis_ppks"] in gen.PPKS for r in rows if r["jenis_ppks"])


def test_names_are_indonesian_with_a_regional_flavour(files):
    _header, rows = read(files["clean"].path)
    first_names = Counter(r["nama"].split()[0] for r in rows)
    sunda = set(gen.FLAVOURS["sunda"].male) | set(gen.FLAVOURS["sunda"].female)
    # West Java: Sundanese names are the most common, Muslim naming patterns are frequent.
    assert sum(n for name, n in first_names.items() if name in sunda) > len(rows) * 0.3
    assert first_names["Siti"] > 0 and first_names["Muhammad"] > 0


def _bad_for(reason, row, desa):
    """Whether `row` is invalid for `reason` (and only for it)."""
    checks = {
        "nik": not check_nik(row["nik"]).valid,
        "kode_wilayah": dotted(row["kode_wilayah"]) not in desa,
        "tanggal_lahir": parse_date(row["tanggal_lahir"]) is None,
        "nama": not row["nama"].strip(" -"),
        "jenis_kelamin": row["jenis_kelamin"] not in ("L", "P"),
    }
    return checks[reason] and not any(v for k, v in checks.items() if k != reason)


def test_bad_rows_come_at_the_requested_share_each_invalid_for_its_named_reason(files):
    _header, rows = read(files["noisy"].path)
    key = read_key(files["folder"] / "noisy.key.csv")
    bad = [k for k in key if k["kind"] == "bad"]
    assert len(bad) == files["noisy"].bad
    share = len(bad) / files["noisy"].people
    assert 0.035 < share < 0.065
    assert {k["reason"] for k in bad} == set(BAD_REASONS)
    bad_lines = {int(k["line"]) for k in bad}
    for k in bad:
        row = rows[int(k["line"]) - 2]
        assert _bad_for(k["reason"], row, files["desa"]), (k, row)
    # Every other row is valid.
    for line, row in enumerate(rows, start=2):
        if line not in bad_lines:
            assert check_nik(row["nik"]).valid and row["nama"].strip() and row["jenis_kelamin"] in ("L", "P")
            assert dotted(row["kode_wilayah"]) in files["desa"]


def test_a_clean_file_has_no_bad_rows_and_no_duplicates(files):
    assert files["clean"].bad == 0 and files["clean"].duplicates == 0
    assert files["clean"].rows == files["clean"].people


def test_near_duplicates_are_the_same_person_under_a_mistyped_nik_or_swapped_date(files):
    _header, rows = read(files["noisy"].path)
    key = read_key(files["folder"] / "noisy.key.csv")
    dups = [k for k in key if k["kind"] == "duplicate"]
    assert 0.03 < len(dups) / files["noisy"].people < 0.07
    by_nik = {r["nik"]: r for r in rows}
    assert len(by_nik) == len(rows)  # a duplicate never reuses another row's NIK
    reasons = Counter()
    for k in dups:
        dup, original = rows[int(k["line"]) - 2], by_nik[k["related_nik"]]
        assert dup["nik"] == k["nik"] != original["nik"]
        assert check_nik(dup["nik"]).valid
        kinds = set(k["reason"].split("+"))
        reasons.update(kinds)
        if "date_swapped" in kinds:
            a, b = parse_date(dup["tanggal_lahir"]), parse_date(original["tanggal_lahir"])
            assert (a.year, a.month, a.day) == (b.year, b.day, b.month)
            assert sum(x != y for x, y in zip(dup["nik"][12:], original["nik"][12:], strict=True)) == 1
        else:
            assert sum(x != y for x, y in zip(dup["nik"], original["nik"], strict=True)) == 1
            assert parse_date(dup["tanggal_lahir"]) == parse_date(original["tanggal_lahir"])
        if "name_variant" in kinds:
            assert dup["nama"] != original["nama"]
        else:
            assert dup["nama"] == original["nama"]
        if "other_kk" in kinds:
            assert dup["nomor_kk"] != original["nomor_kk"]
        assert dup["kode_wilayah"] == original["kode_wilayah"]
        assert check_nik(dup["nik"], jenis_kelamin=dup["jenis_kelamin"]).warnings == []
    assert {"nik_one_digit", "date_swapped", "name_variant", "other_kk"} <= set(reasons)


@pytest.mark.parametrize(("name", "allowed"), [
    ("Muhammad Rizki", {"Moch. Rizki", "Moh. Rizki", "M. Rizki", "Muhamad Rizki", "Mochammad Rizki",
                        "Mohammad Rizki"}),
    ("Siti Aminah", {"St. Aminah"}),
    ("Sukarno", {"Soekarno"}),
    ("Jajang", {"Djajang"}),
    ("Cecep", {"Tjecep"}),
    ("Syamsul", {"Sjamsul"}),
    ("Khairul", {"Chairul"}),
])
def test_name_variants_include_the_indonesian_spelling_rules(name, allowed):
    seen = {name_variant(name, random.Random(seed)) for seed in range(300)}
    assert name not in seen
    assert allowed & seen, seen


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(set(gen.FLAVOURS["sunda"].male + gen.FLAVOURS["jawa"].female
                                  + gen.SITI_2 + gen.MODERN_MALE))), st.integers(0, 10**6))
def test_a_name_variant_always_differs_from_the_name(name, seed):
    variant = name_variant(name, random.Random(seed))
    assert variant != name and variant.strip()


def test_next_release_changes_the_requested_share_and_nothing_else(files):
    _h, base_rows = read(files["clean"].path)
    _h, next_rows = read(files["next"].path)
    key = read_key(files["folder"] / "next.key.csv")
    result = files["next"]
    assert result.period == "2026-10"  # the next quarter
    assert {r["periode"] for r in next_rows} == {"2026-10"}
    base = {r["nik"]: r for r in base_rows}
    after = {r["nik"]: r for r in next_rows}
    assert len(after) == len(next_rows)
    assert set(base) <= set(after)  # nobody disappears
    marked = {k["nik"]: k for k in key}
    fields = [c for c in HEADER if c != "periode"]
    differs = {nik for nik, r in base.items() if any(r[c] != after[nik][c] for c in fields)}
    changed = {nik for nik, k in marked.items() if k["kind"] in ("changed", "moved")}
    assert differs == changed  # the key names exactly the people that changed
    assert 0.05 < len(differs) / len(base) < 0.17
    moved = [k for k in key if k["kind"] == "moved"]
    assert moved and all(after[k["nik"]]["nomor_kk"] != base[k["nik"]]["nomor_kk"] for k in moved)
    new = [k for k in key if k["kind"] == "new"]
    assert new and all(k["nik"] not in base and check_nik(k["nik"]).valid for k in new)
    assert len(new) == result.new and len(moved) == result.moved
    kinds = {k["reason"] for k in key if k["kind"] == "changed"}
    assert {"desil", "alamat"} <= kinds
    # Household columns stay shared inside each KK after the changes.
    by_kk = defaultdict(set)
    for r in next_rows:
        by_kk[r["nomor_kk"]].add(tuple(r[c] for c in gen.HOUSEHOLD_COLUMNS))
    assert all(len(v) == 1 for v in by_kk.values())


def test_next_release_never_reuses_a_nik_or_kk_when_chained(files, db, tmp_path):
    second = generate_next_release(base=files["next"].path, out=tmp_path / "third.csv", changed_share=0.2, seed=14)
    _h, rows = read(second.path)
    assert len({r["nik"] for r in rows}) == len(rows)
    assert second.period == "2027-01"


def test_xlsx_output_has_the_same_rows_as_csv(db, tmp_path):
    from openpyxl import load_workbook

    generate_registry(out=tmp_path / "a.csv", households=30, region="32.04.05", seed=3, period=PERIOD)
    generate_registry(out=tmp_path / "a.xlsx", households=30, region="32.04.05", seed=3, period=PERIOD)
    wb = load_workbook(tmp_path / "a.xlsx", read_only=True)
    xlsx_rows = [[("" if v is None else str(v)) for v in row] for row in wb.worksheets[0].iter_rows(values_only=True)]
    wb.close()
    with open(tmp_path / "a.csv", newline="", encoding="utf-8") as fh:
        assert xlsx_rows == list(csv.reader(fh))


def test_any_region_level_works_and_stays_inside_it(db, tmp_path):
    for code in ("32", "32.04.05", "32.04.05.2001"):
        result = generate_registry(out=tmp_path / "r.csv", households=20, region=code, seed=1, period=PERIOD)
        _h, rows = read(result.path)
        assert rows and all(dotted(r["kode_wilayah"]).startswith(code) for r in rows)


def test_bad_arguments_are_refused_in_indonesian(db, tmp_path):
    with pytest.raises(GenerateError, match="tidak ada"):
        generate_registry(out=tmp_path / "x.csv", households=5, region="32.99", seed=1)
    with pytest.raises(GenerateError, match="YYYY-MM"):
        generate_registry(out=tmp_path / "x.csv", households=5, region=REGION, seed=1, period="2026-13")
    with pytest.raises(GenerateError, match="antara"):
        generate_registry(out=tmp_path / "x.csv", households=5, region=REGION, seed=1, bad_share=0.9)


def test_command_writes_the_file_and_reports_counts(db, tmp_path, capsys):
    out = tmp_path / "cmd.csv"
    call_command("generate_registry", "--households", "40", "--region", REGION, "--seed", "9", "--out", str(out),
                 "--bad-share", "0.05", "--duplicate-share", "0.05", "--period", PERIOD, "-v0")
    assert "40 KK" in capsys.readouterr().out
    _h, rows = read(out)
    assert len(rows) > 40
    call_command("generate_registry", "--base", str(out), "--changed-share", "0.1", "--seed", "9",
                 "--out", str(tmp_path / "next.csv"), "-v0")
    assert "berubah" in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command("generate_registry", "--households", "5", "--region", "99.99", "--out", str(out), "-v0")
    with pytest.raises(CommandError):
        call_command("generate_registry", "--out", str(out), "-v0")
