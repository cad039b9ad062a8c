"""The period of every figure (issue 13, point 6): month, quarter, year or custom; `to` inclusive;
a day is the day of the record's own province (WIB, WITA, WIT); bad input refused with a message
saying what is wrong. The case list's created filter (cases.selectors.created_q) bounds the same days."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from slrt.cases import services
from slrt.cases.models import Case
from slrt.cases.selectors import created_q
from slrt.reports import period as period_module
from slrt.reports.period import (
    MAX_DAYS,
    Period,
    current_month,
    custom_period,
    month_period,
    period_from_params,
    quarter_period,
    year_period,
)
from slrt.wilayah.models import NATION_CODE, Level, Region

UTC = dt.UTC
WIB, WITA, WIT = ZoneInfo("Asia/Jakarta"), ZoneInfo("Asia/Makassar"), ZoneInfo("Asia/Jayapura")


def test_month_runs_from_the_first_to_the_last_day_inclusive():
    p = month_period("2026-11")
    assert (p.start, p.end, p.kind) == (dt.date(2026, 11, 1), dt.date(2026, 11, 30), "month")
    assert month_period("2028-02").end == dt.date(2028, 2, 29)  # a leap year
    assert month_period("2026-02").end == dt.date(2026, 2, 28)
    assert p.month == "2026-11"
    assert p.previous() == month_period("2026-10") and month_period("2026-01").previous() == month_period("2025-12")


def test_quarters_and_years():
    assert quarter_period("2026-Q1") == Period(dt.date(2026, 1, 1), dt.date(2026, 3, 31), "quarter")
    assert quarter_period("2026-Q2") == Period(dt.date(2026, 4, 1), dt.date(2026, 6, 30), "quarter")
    assert quarter_period("2026-Q3") == Period(dt.date(2026, 7, 1), dt.date(2026, 9, 30), "quarter")
    assert quarter_period("2026-Q4") == Period(dt.date(2026, 10, 1), dt.date(2026, 12, 31), "quarter")
    assert year_period("2026") == Period(dt.date(2026, 1, 1), dt.date(2026, 12, 31), "year")
    assert quarter_period("2026-Q4").label == "Triwulan 4 2026"


def test_custom_period_is_inclusive_and_bounded():
    p = custom_period("2026-11-05", "2026-11-05")
    assert p.start == p.end == dt.date(2026, 11, 5)  # one day: `to` is inclusive
    start = dt.date(2024, 1, 1)
    assert custom_period(start, start + dt.timedelta(days=MAX_DAYS)).end == start + dt.timedelta(days=MAX_DAYS)
    with pytest.raises(ValueError, match="paling panjang tiga tahun"):
        custom_period(start, start + dt.timedelta(days=MAX_DAYS + 1))
    with pytest.raises(ValueError, match="tidak boleh sebelum tanggal awal"):
        custom_period("2026-11-05", "2026-11-04")
    p = custom_period("2026-11-10", "2026-11-19")
    assert p.previous() == Period(dt.date(2026, 10, 31), dt.date(2026, 11, 9), "custom")


@pytest.mark.parametrize(
    "params,message",
    [
        ({"bulan": "2026-13"}, "Bulan harus berformat YYYY-MM"),
        ({"bulan": "11-2026"}, "Bulan harus berformat YYYY-MM"),
        ({"triwulan": "2026-Q5"}, "Triwulan harus berformat YYYY-Qn"),
        ({"tahun": "26"}, "Tahun harus berformat YYYY"),
        ({"from": "2026-11-31", "to": "2026-12-01"}, "Tanggal harus berformat YYYY-MM-DD"),
        ({"from": "2026-11-01"}, "Tanggal harus berformat YYYY-MM-DD"),  # `to` missing
        ({"dari": "kemarin", "sampai": "2026-12-01"}, "Tanggal harus berformat YYYY-MM-DD"),
        ({"from": "2026-12-01", "to": "2026-11-01"}, "tidak boleh sebelum"),
    ],
)
def test_bad_input_says_what_is_wrong(params, message):
    with pytest.raises(ValueError, match=message):
        period_from_params(params)


def test_params_choose_the_kind():
    assert period_from_params({"from": "2026-11-01", "to": "2026-11-15"}) == custom_period("2026-11-01", "2026-11-15")
    assert period_from_params({"dari": "2026-11-01", "sampai": "2026-11-15"}).end == dt.date(2026, 11, 15)
    assert period_from_params({"bulan": "2026-11"}) == month_period("2026-11")
    assert period_from_params({"triwulan": "2026-Q4"}) == quarter_period("2026-Q4")
    assert period_from_params({"tahun": "2026"}) == year_period("2026")


def test_the_current_month_is_the_regions_own(monkeypatch):
    # 16:00 UTC on 30 November: 23:00 in Jakarta (WIB), midnight in Makassar (WITA), 01:00 in Jayapura (WIT).
    monkeypatch.setattr(period_module.timezone, "now", lambda: dt.datetime(2026, 11, 30, 16, 0, tzinfo=UTC))
    assert current_month("32.01") == month_period("2026-11")
    assert current_month("51.71") == month_period("2026-12")
    assert current_month("91.01") == month_period("2026-12")
    assert current_month(NATION_CODE) == month_period("2026-11")  # the nation's days are WIB's
    assert period_from_params({}, "91.01") == month_period("2026-12")


def test_bounds_are_midnights_of_the_zone():
    start, after = month_period("2026-11").bounds(WIT)
    assert start == dt.datetime(2026, 10, 31, 15, 0, tzinfo=UTC)  # 00:00 WIT on 1 November
    assert after == dt.datetime(2026, 11, 30, 15, 0, tzinfo=UTC)  # 00:00 WIT on 1 December


def _desa(prov: str) -> str:
    return Region.objects.filter(level=Level.DESA, code__startswith=f"{prov}.").order_by("code").values_list(
        "code", flat=True).first()


@pytest.mark.django_db
def test_each_province_counts_by_its_own_day_and_the_case_list_agrees(make_user, make_person):
    """Cases created at the same UTC moments in West Java (WIB), Bali (WITA) and Papua (WIT): a
    November figure of each province and of the nation counts each by its own province's day, and
    the case list's created filter (its `dari`/`sampai`) selects the very same rows."""
    moments = {
        "late_nov_utc": dt.datetime(2026, 11, 30, 15, 30, tzinfo=UTC),  # 22:30 WIB, 23:30 WITA, 00:30 WIT (Dec)
        "early_nov_utc": dt.datetime(2026, 10, 31, 16, 30, tzinfo=UTC),  # 23:30 WIB (Oct), 00:30 WITA, 01:30 WIT
        "mid": dt.datetime(2026, 11, 15, 3, 0, tzinfo=UTC),
    }
    made = {}
    for prov in ("32", "51", "91"):
        desa = _desa(prov)
        fo = make_user("front_office", ".".join(desa.split(".")[:2]))
        for key, moment in moments.items():
            intake = services.Intake(
                complaint_type="pengaduan", channel="sekretariat",
                needs=[{"sector": "kesehatan", "description": "Biaya berobat"}],
                consent_given=True, consent_share_agencies=False, consent_purpose="Layanan SLRT",
            )
            case = services.create_case(fo, intake, person=make_person(desa, "Yohanis Wenda")).case
            Case.unscoped.filter(pk=case.pk).update(created_at=moment)
            made[(prov, key)] = case.pk
    november = month_period("2026-11")
    expected = {
        "32": {"late_nov_utc", "mid"},  # 31 Oct 23:30 WIB is October
        "51": {"late_nov_utc", "early_nov_utc", "mid"},  # 30 Nov 23:30 and 1 Nov 00:30 WITA
        "91": {"early_nov_utc", "mid"},  # 1 Dec 00:30 WIT is December
    }
    nation = make_user("dinsos", NATION_CODE)
    everyone = Case.objects.for_user(nation)
    for prov, keys in expected.items():
        want = {made[(prov, k)] for k in keys}
        in_prov = everyone.filter(prov_code=prov)
        assert set(in_prov.filter(november.q("created_at", prov)).values_list("pk", flat=True)) == want, prov
        # Counted nationally, each province still by its own midnight.
        assert set(in_prov.filter(november.q("created_at", NATION_CODE)).values_list("pk", flat=True)) == want, prov
        # The case list's filter, for the province and for the nation.
        for code in (prov, NATION_CODE):
            listed = in_prov.filter(created_q(november.start, november.end, code))
            assert set(listed.values_list("pk", flat=True)) == want, (prov, code)
        # And the same rule for one moment in Python.
        for key, moment in moments.items():
            assert november.contains(moment, prov) == (key in keys), (prov, key)


@pytest.mark.django_db
def test_the_case_list_link_of_a_period_lists_what_the_period_counts(make_user, make_person, client):
    """Through the page: `?dari=…&sampai=…&desa=<Papua kab>` lists the Papua cases of those WIT days."""
    desa = _desa("91")
    kab = ".".join(desa.split(".")[:2])
    fo = make_user("front_office", kab)
    created = []
    for moment in (dt.datetime(2026, 11, 30, 14, 59, tzinfo=UTC), dt.datetime(2026, 11, 30, 15, 0, tzinfo=UTC)):
        intake = services.Intake(
            complaint_type="pengaduan", channel="sekretariat",
            needs=[{"sector": "kesehatan", "description": "Biaya berobat"}],
            consent_given=True, consent_share_agencies=False, consent_purpose="Layanan SLRT",
        )
        case = services.create_case(fo, intake, person=make_person(desa, "Yohanis Wenda")).case
        Case.unscoped.filter(pk=case.pk).update(created_at=moment)
        created.append(case.pk)
    client.force_login(make_user("manajer", kab))
    html = client.get("/layanan/", {"desa": kab, "dari": "2026-11-01", "sampai": "2026-11-30"}).content.decode()
    assert f'data-case-id="{created[0]}"' in html  # 23:59 WIT on 30 November
    assert f'data-case-id="{created[1]}"' not in html  # 00:00 WIT on 1 December
    bad = client.get("/layanan/", {"dari": "30-11-2026"})
    assert "Saringan dari harus tanggal YYYY-MM-DD" in bad.content.decode()
    assert timezone.is_aware(Case.unscoped.get(pk=created[0]).created_at)
