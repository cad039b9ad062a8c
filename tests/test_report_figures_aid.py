"""Aid on target (issue 13 point 1): the figures equal a count made here from the run's error rows
and the amounts this test sets; every url lists exactly those rows on the run page; the scope holds."""

import datetime as dt
import re

import pytest

from slrt.programs.models import Program, TargetingError
from slrt.programs.services.benefits import save_benefit
from slrt.programs.services.targeting import run_targeting
from slrt.registry.models import ProgramParticipation
from slrt.reports.figures import Scope
from slrt.reports.figures.aid import aid_on_target
from slrt.reports.period import month_period

TODAY = dt.date.today()
# The amounts this test sets (rupiah), and their yearly value per household written out by hand.
AMOUNTS = {
    "PKH-BUMIL": (1_100_000, "year"), "PKH-AUD": (1_200_000, "year"), "PKH-SD": (700_000, "year"),
    "PKH-SMP": (800_000, "year"), "PKH-SMA": (900_000, "year"), "PKH-DIS": (1_300_000, "year"),
    "PKH-LANSIA": (1_400_000, "year"), "BPNT": (100_000, "month"), "PBI-JK": (10_000, "month"),
    "PIP": (500_000, "year"), "BLT-DD": (50_000, "month"),
}
PER_YEAR = {code: amount * (12 if period == "month" else 1) for code, (amount, period) in AMOUNTS.items()}
PKH_FLOOR = 700_000  # the smallest PKH component above (SD)


def born(years, days=0):
    return dt.date(TODAY.year - years, 1, 1) - dt.timedelta(days=days) if years else TODAY


def receives(person, *codes):
    for code in codes:
        ProgramParticipation.objects.create(person=person, program_code=code, since_period="2025-01", active=True)


@pytest.fixture
def district(make_person, make_user):
    admin = make_user("admin", "00")
    for code, (amount, period) in AMOUNTS.items():
        program = Program.objects.get(code=code)
        save_benefit(admin, program, amount=amount, unit=program.target_unit, period=period, note="Uji anggaran")
    people = {}
    # Desa 2001 of kec 32.01.02: a poor family with a schoolchild receiving nothing (exclusion of
    # PKH-SD, BPNT, PBI, PIP, BLT-DD) and a well-off one receiving PKH and BPNT (inclusion).
    people["a"] = make_person("32.01.02.2001", "Siti Aminah", born(35), "P")
    make_person("32.01.02.2001", "Rizky", born(9), "L", household=people["a"].household)
    people["b"] = make_person("32.01.02.2001", "Bambang Sutrisno", born(40), "L")
    receives(people["b"], "PKH", "BPNT")
    # Desa 2001 of kec 32.01.03: an elderly poor woman receiving PKH and BPNT only.
    people["c"] = make_person("32.01.03.2001", "Mbah Sarinah", born(72), "P")
    receives(people["c"], "PKH", "BPNT")
    # Another kab/kota: its own run, never in 32.01's figures.
    people["f"] = make_person("32.02.02.2001", "Asep Saepudin", born(50), "L")
    receives(people["f"], "PKH")
    for key, desil in {"a": 2, "b": 8, "c": 1, "f": 9}.items():
        people[key].household.desil = desil
        people[key].household.save(update_fields=["desil"])
    manajer = make_user("manajer", "32.01")
    run = run_targeting(manajer, "32.01")
    other = run_targeting(make_user("manajer", "32.02"), "32.02")
    return {"manajer": manajer, "admin": admin, "run": run, "other": other, "people": people}


def scope(user, code):
    from slrt.reports.figures.base import resolve_region

    return Scope(user=user, region=resolve_region(user, code), period=month_period(TODAY.strftime("%Y-%m")))


def expected(run, region=""):
    """The figures counted here from the error rows themselves and AMOUNTS."""
    rows = [(e.program.code, e.program.registry_code, e.kind, e.desa_code, e.household_id)
            for e in TargetingError.objects.filter(run=run).select_related("program")
            if e.desa_code.startswith(region)]
    out = {"exclusion": 0, "inclusion": 0, "budget": 0, "spending": 0, "rows": rows}
    for code, registry, kind, _desa, _h in rows:
        if kind == "exclusion":
            out["exclusion"] += 1
            out["budget"] += PER_YEAR.get(code, 0)
        else:
            out["inclusion"] += 1
            out["spending"] += PKH_FLOOR if registry == "PKH" else PER_YEAR.get(code, 0)
    return out


def figures_of(section):
    return {f["key"]: f for f in section["figures"]}


def table_of(section, key):
    return next(t for t in section["tables"] if t["key"] == key)


ROW = re.compile(r'<tr data-household="(\d+)"><td>([^<]+)</td><td>([^<]+)</td>')
KIND_LABEL = {"Layak tetapi tidak menerima": "exclusion", "Menerima tetapi tidak layak": "inclusion"}


def listed(client, url):
    page = client.get(url)
    assert page.status_code == 200
    return sorted((code, KIND_LABEL[label], int(h)) for h, code, label in ROW.findall(page.content.decode()))


@pytest.mark.django_db
def test_the_kab_figures_equal_the_error_rows_times_the_amounts(district):
    run = district["run"]
    want = expected(run)
    assert want["exclusion"] >= 5 and want["inclusion"] >= 2  # the crafted district has both kinds
    section = aid_on_target(scope(district["manajer"], "32.01"))
    f = figures_of(section)
    assert f["exclusion"]["value"] == want["exclusion"]
    assert f["inclusion"]["value"] == want["inclusion"]
    assert f["budget_excluded"]["value"] == want["budget"]
    assert f["spending_included"]["value"] == want["spending"]
    # Per programme: households and money, counted from the rows.
    excl = {r["key"]: r for r in table_of(section, "exclusion_by_program")["rows"]}
    for code, per_year in PER_YEAR.items():
        n = sum(1 for c, _r, k, _d, _h in want["rows"] if c == code and k == "exclusion")
        assert (excl[code]["n"], excl[code]["amount"]) == (n, n * per_year)
    incl = {r["key"]: r for r in table_of(section, "inclusion_by_program")["rows"]}
    pkh_incl = sum(1 for _c, reg, k, _d, _h in want["rows"] if reg == "PKH" and k == "inclusion")
    pkh_row = next(r for r in incl.values() if r["label"] == "Program Keluarga Harapan (PKH)")
    assert pkh_incl >= 1 and (pkh_row["n"], pkh_row["amount"]) == (pkh_incl, pkh_incl * PKH_FLOOR)
    assert not any(r["key"] in ("PKH-SD", "PKH-SMP") for r in incl.values())  # one row for the whole PKH
    # Per desa: the two desa with errors.
    desa = {r["key"]: r for r in table_of(section, "by_desa")["rows"]}
    for d in {x[3] for x in want["rows"]}:
        rows = [x for x in want["rows"] if x[3] == d]
        assert desa[d]["n"] == len(rows)
        assert desa[d]["exclusion"] == sum(1 for x in rows if x[2] == "exclusion")
    assert "Desa" in desa["32.01.02.2001"]["label"] or desa["32.01.02.2001"]["label"] != "32.01.02.2001"


@pytest.mark.django_db
def test_every_url_lists_exactly_the_rows_it_counts(client, district):
    run = district["run"]
    client.force_login(district["manajer"])
    want = expected(run)["rows"]
    section = aid_on_target(scope(district["manajer"], "32.01"))
    f = figures_of(section)
    assert listed(client, f["exclusion"]["url"]) == sorted((c, k, h) for c, _r, k, _d, h in want if k == "exclusion")
    assert listed(client, f["inclusion"]["url"]) == sorted((c, k, h) for c, _r, k, _d, h in want if k == "inclusion")
    for key in ("exclusion_by_program", "inclusion_by_program"):
        for row in table_of(section, key)["rows"]:
            got = listed(client, row["url"])
            assert len(got) == row["n"]
            assert all(code == row["key"] for code, _k, _h in got)
    for row in table_of(section, "by_region")["rows"]:  # kecamatan rows: the run page filtered to the kec
        got = listed(client, row["url"])
        assert got == sorted((c, k, h) for c, _r, k, d, h in want if d.startswith(row["code"] + "."))
        assert len(got) == row["n"]
    # Drilled down to one desa: per programme and kind, each row its own list.
    desa = aid_on_target(scope(district["manajer"], "32.01.02.2001"))
    assert figures_of(desa)["exclusion"]["value"] == expected(run, "32.01.02.2001")["exclusion"]
    for row in table_of(desa, "by_desa_program")["rows"]:
        got = listed(client, row["url"])
        desa_code, code, kind = row["key"].split(":")
        assert got == sorted((c, k, h) for c, _r, k, d, h in want if (c, k, d) == (code, kind, desa_code))
        assert row["n"] == len(got) and row["amount"] == len(got) * (
            PKH_FLOOR if kind == "inclusion" and code.startswith("PKH") else PER_YEAR[code])


@pytest.mark.django_db
def test_scope_a_province_sums_its_runs_and_nothing_outside_is_counted(district, make_user):
    run, other = district["run"], district["other"]
    # A Manajer of 32.01 never counts 32.02's run.
    mine = figures_of(aid_on_target(scope(district["manajer"], "32.01")))
    assert mine["inclusion"]["value"] == expected(run)["inclusion"]
    assert expected(other)["inclusion"] >= 1
    # Dinsos of the province: both kab/kota, totals without one list to open, kab rows that link.
    dinsos = make_user("dinsos", "32")
    prov = aid_on_target(scope(dinsos, "32"))
    both = expected(run)["inclusion"] + expected(other)["inclusion"]
    assert figures_of(prov)["inclusion"]["value"] == both and figures_of(prov)["inclusion"]["url"] == ""
    kabs = {r["code"]: r for r in table_of(prov, "by_region")["rows"]}
    assert kabs["32.02"]["inclusion"] == expected(other)["inclusion"] and f"/{other.pk}/" in kabs["32.02"]["url"]
    # A later run of the kab replaces the earlier one in the figures (the latest run counts).
    ProgramParticipation.objects.filter(person=district["people"]["b"]).delete()
    rerun = run_targeting(district["manajer"], "32.01")
    again = figures_of(aid_on_target(scope(district["manajer"], "32.01")))
    assert again["inclusion"]["value"] == expected(rerun)["inclusion"] < expected(run)["inclusion"]
    assert f"/{rerun.pk}/" in again["inclusion"]["url"]
    # A role that may not open the run pages gets no figures at all.
    koordinator = make_user("koordinator_puskesos", "32.01.02.2001")
    assert aid_on_target(scope(koordinator, "32.01.02.2001"))["figures"] == []


@pytest.mark.django_db
def test_the_dashboard_shows_the_section_with_its_money_and_links(client, district):
    client.force_login(district["manajer"])
    page = client.get("/dasbor/")
    html = page.content.decode()
    assert page.status_code == 200 and 'data-section="aid"' in html
    aid = html[html.index('data-section="aid"'):]
    run = district["run"]
    assert f'href="/program/penargetan/{run.pk}/?kind=exclusion"' in aid
    assert "Program Keluarga Harapan (PKH)" in aid and "batas bawah" in aid
