"""The case side of the dashboards (issue 13, point 1): Intake, Handling, Decisions.

Each figure is checked against a count made here from the rows the test itself created (a list
of specs, counted in Python), never by calling the selector again; every figure's and row's link,
opened with the test client, lists exactly the cases it counts (the data-case-id rows of the case
list, over all its pages). The scope matrix: a Manajer of another kabupaten and a Koordinator of
another desa count none of it and may not ask for it.
"""

import datetime as dt
import statistics
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.http import Http404

from slrt.cases import decisions, services, tickets
from slrt.cases.models import Case, NeedStatus
from slrt.programs.models import Program
from slrt.referrals import services as referral_services
from slrt.reports.figures import Scope, dashboard_figures, resolve_region
from slrt.reports.figures.intake import decisions as decisions_section
from slrt.reports.figures.intake import duration_percentiles, handling, intake
from slrt.reports.period import month_period, quarter_period
from slrt.wilayah.models import Puskesos, Secretariat
from tests.test_home_queues import rows_behind
from tests.test_referrals_fixtures import agency, client_for, program, service, user

pytestmark = pytest.mark.django_db

WIB = ZoneInfo("Asia/Jakarta")
KAB = "32.01"
DESA_A = "32.01.02.2001"  # the Puskesos desa
DESA_A2 = "32.01.02.2002"
DESA_B = "32.01.03.2001"
EMPTY_DESA = "32.01.04.2001"  # a desa with no case: its Koordinator sees none of the rest
OTHER_KAB_DESA = "32.02.02.2001"
NOVEMBER = month_period("2026-11")


def at(month, day, hour=10, minute=0):
    return dt.datetime(2026, month, day, hour, minute, tzinfo=WIB)


@dataclass
class Spec:
    desa: str
    created: dt.datetime
    kind: str = "pengaduan"
    channel: str = "sekretariat"
    urgency: str = "biasa"
    sectors: tuple = ("kesehatan",)
    registry: bool = True
    puskesos: bool = False  # taken in at the Puskesos post of DESA_A (else the secretariat)
    close_after: float | None = None  # days from created to closed (every need handled first)
    handled: tuple = ()  # sectors whose need is marked handled (without closing)
    rec: str = ""  # "program", "agency", "override", "rejected", "agency_draft"
    overdue: bool = False  # an open follow-up past its due date
    case: Case = field(default=None, repr=False)


SPECS = [
    # In November (WIB days), in the kabupaten:
    Spec(DESA_A, at(11, 1, 0, 0), sectors=("kesehatan", "pendidikan"), close_after=2.5, rec="program"),
    Spec(DESA_A, at(11, 3), kind="pertanyaan", channel="puskesos", puskesos=True, registry=False,
         sectors=("pangan",), rec="agency"),
    Spec(DESA_A, at(11, 10), urgency="darurat", puskesos=True, channel="puskesos", close_after=7, rec="override"),
    Spec(DESA_A2, at(11, 15), kind="saran", channel="telepon", sectors=("kesehatan", "pangan", "perumahan"),
         handled=("kesehatan",), rec="rejected"),
    Spec(DESA_A2, at(11, 20), channel="whatsapp", urgency="mendesak", close_after=1, overdue=False),
    Spec(DESA_B, at(11, 25), registry=False, sectors=("adminduk",), close_after=10.25, rec="agency_draft"),
    Spec(DESA_B, at(11, 30, 23, 30), channel="web", sectors=("energi",), overdue=True),
    # Outside November: the last minute of October and the first of December (WIB), and one in October.
    Spec(DESA_A, at(10, 31, 23, 59), close_after=3, rec="program"),
    Spec(DESA_B, at(12, 1, 0, 0), sectors=("kesehatan", "pendidikan")),
    Spec(DESA_A2, at(10, 5), kind="saran", overdue=True),
    # Another kabupaten, inside November: never counted for 32.01.
    Spec(OTHER_KAB_DESA, at(11, 12), sectors=("kesehatan",), close_after=4, rec="program"),
]


@pytest.fixture
def world(make_person):
    sec = Secretariat.objects.create(region_id=KAB, name="Sekretariat SLRT Kabupaten Bogor")
    sec_other = Secretariat.objects.create(region_id="32.02", name="Sekretariat SLRT Kabupaten Sukabumi")
    post = Puskesos.objects.create(region_id=DESA_A, secretariat=sec, name="Puskesos Desa Uji")
    rsud = agency("RSUD-3201", "rsud")
    rsud_service = service(rsud, "rawat-inap", 5)
    test_program = program("PKH_UJI")
    bpnt = Program.objects.get(code="BPNT")
    w = {
        "sec": sec, "sec_other": sec_other, "post": post, "rsud": rsud, "program": test_program, "bpnt": bpnt,
        "fo": user("front_office", KAB), "fo_post": user("front_office", DESA_A), "bo": user("back_office", KAB),
        "manajer": user("manajer", KAB), "koord_empty": user("koordinator_puskesos", EMPTY_DESA),
        "manajer_other": user("manajer", "32.02"), "fo_other": user("front_office", "32.02"),
        "bo_other": user("back_office", "32.02"), "dinsos": user("dinsos", "32"),
    }
    for spec in SPECS:
        other = spec.desa.startswith("32.02")
        fo = w["fo_other"] if other else (w["fo_post"] if spec.puskesos else w["fo"])
        bo = w["bo_other"] if other else w["bo"]
        decider = w["manajer_other"] if other else w["manajer"]
        intake_ = services.Intake(
            complaint_type=spec.kind, channel=spec.channel, urgency=spec.urgency,
            needs=[{"sector": s, "description": f"Kebutuhan {s}"} for s in spec.sectors],
            consent_given=True, consent_share_agencies=True, consent_purpose="Layanan SLRT",
        )
        if spec.registry:
            desil = 8 if spec.rec == "override" else None
            person = make_person(spec.desa, "Ujang Suryana", hubungan_keluarga="Kepala Keluarga")
            if desil:
                person.household.desil = desil
                person.household.save(update_fields=["desil"])
            result = services.create_case(fo, intake_, person=person)
        else:
            result = services.create_case(
                fo, intake_, new_person=services.NewPerson(name="Warga Baru", desa_code=spec.desa),
                search_token=tickets.issue_search_token(fo, "nama"),
            )
        case = result.case
        needs = list(case.needs.order_by("id"))
        if spec.rec:
            need = needs[0]
            if spec.rec in ("program", "rejected"):
                rec = decisions.draft_recommendation(bo, need, "program", program=test_program)
            elif spec.rec == "override":
                rec = decisions.draft_recommendation(bo, need, "program", program=bpnt)
            else:
                rec = decisions.draft_recommendation(bo, need, "lembaga", service=rsud_service)
            if spec.rec != "agency_draft":
                decisions.decide_recommendation(
                    decider, rec, approve=spec.rec != "rejected", expected_version=rec.version,
                    note="Tidak sesuai" if spec.rec == "rejected" else "",
                    override=spec.rec == "override", override_reason="Keadaan darurat keluarga",
                )
        for need in case.needs.order_by("id"):
            if spec.close_after is not None or need.sector in spec.handled:
                if need.status in (NeedStatus.HANDLED, NeedStatus.CLOSED):
                    continue
                need.refresh_from_db()
                services.set_need_status(bo, need, need.version, status=NeedStatus.HANDLED, outcome="Sudah dibantu")
        if spec.overdue:
            task = services.add_task(bo, case, title="Telepon warga", due_date=dt.date.today() + dt.timedelta(days=1))
            type(task).objects.filter(pk=task.pk).update(due_date=dt.date.today() - dt.timedelta(days=3))
        if spec.close_after is not None:
            case.refresh_from_db()
            for ref in case.referrals.all():  # an open referral would keep the case open
                referral_services.transition(bo, ref, "cancel", ref.version, reason="Sudah ditangani")
            case.refresh_from_db()
            services.close_case(decider, case, case.version, reason="Selesai")
        # The period rule counts by creation: the test sets when each case came in (and closed).
        Case.unscoped.filter(pk=case.pk).update(
            created_at=spec.created,
            closed_at=spec.created + dt.timedelta(days=spec.close_after) if spec.close_after is not None else None,
        )
        spec.case = case
    yield w
    for spec in SPECS:
        spec.case = None


# --- counted independently from the specs -----------------------------------------------------------


def in_scope_specs(period=NOVEMBER, region=KAB):
    return [
        s for s in SPECS
        if (s.desa == region or s.desa.startswith(f"{region}."))
        and period.start <= s.created.astimezone(WIB).date() <= period.end
    ]


def figure_of(section, key):
    return next(f for f in section["figures"] if f["key"] == key)


def table_of(section, key):
    return next(t for t in section["tables"] if t["key"] == key)


def rows_by_key(section, key):
    return {r["key"]: r for r in table_of(section, key)["rows"]}


def scope(u, code=KAB, period=NOVEMBER):
    return Scope(u, resolve_region(u, code), period)


def test_intake_figures_equal_counts_made_from_the_created_rows(world):
    specs = in_scope_specs()
    assert len(specs) == 7  # the October and December edges (WIB) stay out
    s = intake(scope(world["manajer"]))
    assert figure_of(s, "total")["value"] == len(specs)
    assert figure_of(s, "not_in_registry")["value"] == sum(not x.registry for x in specs) == 2
    types = rows_by_key(s, "by_type")
    for kind in ("pertanyaan", "saran", "pengaduan"):
        assert types[kind]["n"] == sum(x.kind == kind for x in specs), kind
    channels = rows_by_key(s, "by_channel")
    for channel in ("sekretariat", "puskesos", "telepon", "whatsapp", "web", "kunjungan"):
        assert channels[channel]["n"] == sum(x.channel == channel for x in specs), channel
    urgencies = rows_by_key(s, "by_urgency")
    for urgency in ("biasa", "mendesak", "darurat"):
        assert urgencies[urgency]["n"] == sum(x.urgency == urgency for x in specs), urgency
    desks = rows_by_key(s, "by_desk")
    assert desks[f"puskesos:{world['post'].pk}"]["n"] == sum(x.puskesos for x in specs) == 2
    assert desks[f"puskesos:{world['post'].pk}"]["label"] == "Puskesos Desa Uji"
    assert desks[f"sekretariat:{world['sec'].pk}"]["n"] == sum(not x.puskesos for x in specs) == 5
    assert desks[f"sekretariat:{world['sec'].pk}"]["label"] == "Sekretariat SLRT Kabupaten Bogor"
    regions = rows_by_key(s, "by_region")  # the kecamatan of the kabupaten, each listed
    assert regions["32.01.02"]["n"] == sum(x.desa.startswith("32.01.02.") for x in specs) == 5
    assert regions["32.01.03"]["n"] == 2 and regions["32.01.04"]["n"] == 0
    assert all(r["code"] == k for k, r in regions.items())
    months = table_of(s, "by_month")
    assert months["chart"] == "line" and [(r["key"], r["n"]) for r in months["rows"]] == [("2026-11", 7)]


def test_a_case_with_needs_in_two_sectors_counts_once_in_each_sector_and_once_in_total(world):
    specs = in_scope_specs()
    s = intake(scope(world["manajer"]))
    sectors = rows_by_key(s, "by_sector")
    for sector in ("kesehatan", "pendidikan", "pangan", "perumahan", "adminduk", "energi", "pertanian"):
        assert sectors[sector]["n"] == sum(sector in x.sectors for x in specs), sector
    assert sectors["kesehatan"]["n"] == 4  # the first case (kesehatan + pendidikan) counts here once
    assert sectors["pendidikan"]["n"] == 1
    assert sum(r["n"] for r in sectors.values()) > figure_of(s, "total")["value"]


def test_by_month_over_a_quarter_by_the_wib_day(world):
    q4 = quarter_period("2026-Q4")
    s = intake(scope(world["manajer"], period=q4))
    rows = {r["key"]: r["n"] for r in table_of(s, "by_month")["rows"]}
    expected = {}
    for x in in_scope_specs(q4):
        key = f"{x.created.astimezone(WIB):%Y-%m}"
        expected[key] = expected.get(key, 0) + 1
    assert rows == {"2026-10": expected["2026-10"], "2026-11": 7, "2026-12": expected["2026-12"]}
    assert rows["2026-10"] == 2 and rows["2026-12"] == 1


def test_handling_figures(world):
    specs = in_scope_specs()
    s = handling(scope(world["manajer"]))
    closed = [x for x in specs if x.close_after is not None]
    assert figure_of(s, "closed")["value"] == len(closed) == 4
    assert figure_of(s, "open")["value"] == len(specs) - len(closed)
    days = [x.close_after for x in closed]
    median, p90 = statistics.quantiles(days, n=10, method="inclusive")[4], statistics.quantiles(
        days, n=10, method="inclusive")[8]
    assert figure_of(s, "median_days")["value"] == round(median, 1) == 4.8  # (2.5 + 7) / 2 = 4.75
    assert figure_of(s, "p90_days")["value"] == round(p90, 1)
    needs = [(x, sector) for x in specs for sector in x.sectors]
    handled = [(x, sector) for x, sector in needs if x.close_after is not None or sector in x.handled]
    assert figure_of(s, "needs_handled")["value"] == len(handled)
    assert figure_of(s, "needs_handled_share")["value"] == round(100 * len(handled) / len(needs), 1)
    assert figure_of(s, "needs_handled")["cases"] == len({id(x) for x, _s in handled})
    # Overdue now counts every case of the region with a late follow-up, whatever its month.
    assert figure_of(s, "overdue_followups")["value"] == sum(
        x.overdue for x in SPECS if x.desa.startswith(f"{KAB}.")) == 2
    by_status = rows_by_key(s, "needs_by_status")
    assert by_status["tertangani"]["n"] == len(handled)
    assert sum(r["n"] for r in by_status.values()) == len(needs)


def test_decisions_figures(world):
    specs = in_scope_specs()
    s = decisions_section(scope(world["manajer"]))
    recs = [x.rec for x in specs if x.rec]
    assert figure_of(s, "recommendations")["value"] == len(recs) == 5
    assert figure_of(s, "approved")["value"] == sum(r in ("program", "agency", "override") for r in recs) == 3
    assert figure_of(s, "rejected")["value"] == recs.count("rejected") == 1
    assert figure_of(s, "overrides")["value"] == recs.count("override") == 1
    programs = rows_by_key(s, "by_program")
    assert programs["PKH_UJI"]["n"] == 2 and programs["PKH_UJI"]["approved"] == 1
    assert programs["PKH_UJI"]["rejected"] == 1
    assert programs["BPNT"]["overrides"] == 1 and programs["BPNT"]["approved"] == 1
    agencies = rows_by_key(s, "by_agency")
    assert agencies["RSUD-3201"]["n"] == 2 and agencies["RSUD-3201"]["approved"] == 1
    assert agencies["RSUD-3201"]["label"] == "Lembaga RSUD-3201"


def _items(section):
    yield from section["figures"]
    for t in section["tables"]:
        yield from t["rows"]


def test_every_figure_and_row_link_lists_exactly_the_cases_counted(world):
    client = client_for(world["manajer"])
    sections = dashboard_figures(scope(world["manajer"]), keys={"intake", "handling", "decisions"})
    checked = 0
    for section in sections:
        for item in _items(section):
            assert item.get("url"), (section["key"], item["key"])
            expected = item.get("cases", item.get("value", item.get("n")))
            assert rows_behind(client, item["url"]) == expected, (section["key"], item["key"], item["url"])
            checked += 1
    assert checked > 40


def test_links_name_the_period_by_the_same_days_as_the_figure(world):
    s = intake(scope(world["manajer"]))
    query = parse_qs(urlsplit(figure_of(s, "total")["url"]).query)
    assert query["dari"] == ["2026-11-01"] and query["sampai"] == ["2026-11-30"] and query["desa"] == [KAB]
    # The list page says the filters are active, in names.
    html = client_for(world["manajer"]).get(figure_of(s, "not_in_registry")["url"]).content.decode()
    assert 'data-filter-active="1"' in html and "tidak terdaftar" in html and "Kabupaten Bogor" in html


def test_percentiles_on_this_database_equal_percentile_cont(world):
    closed = Case.unscoped.filter(closed_at__isnull=False, kab_code=KAB)
    days = sorted((c.closed_at - c.created_at).total_seconds() / 86400 for c in closed)
    q = statistics.quantiles(days, n=20, method="inclusive")
    got = duration_percentiles(Case.objects.for_user(world["manajer"]).filter(closed_at__isnull=False),
                               fractions=(0.25, 0.5, 0.9))
    assert got == [round(q[4], 1), round(q[9], 1), round(q[17], 1)]
    assert duration_percentiles(Case.objects.for_user(world["manajer"]).none()) == [None, None]


# --- the scope matrix -----------------------------------------------------------------------------------


def _values(sections):
    return [item.get("value", item.get("n")) for section in sections for item in _items(section)]


@pytest.mark.parametrize("who,own", [("manajer_other", "32.02"), ("koord_empty", EMPTY_DESA)])
def test_outside_users_count_none_of_it_and_may_not_ask_for_it(world, who, own):
    u = world[who]
    with pytest.raises(Http404):
        resolve_region(u, KAB)
    with pytest.raises(Http404):
        resolve_region(u, DESA_A)
    mine = dashboard_figures(scope(u, own), keys={"intake", "handling", "decisions"})
    expected = {"32.02": len(in_scope_specs(region="32.02")), EMPTY_DESA: 0}[own]
    assert figure_of(mine[0], "total")["value"] == expected
    if own == EMPTY_DESA:
        assert all(not v for v in _values(mine)), _values(mine)
        assert not any(t["key"] == "by_region" for t in mine[0]["tables"])  # below the desa: no children
    else:  # the other kabupaten's own case only: no 32.01 desk, sector or programme in it
        desks = rows_by_key(mine[0], "by_desk")
        assert set(desks) == {f"sekretariat:{world['sec_other'].pk}"}
        assert set(rows_by_key(mine[2], "by_program")) == {"PKH_UJI"}
        assert rows_by_key(mine[2], "by_program")["PKH_UJI"]["n"] == 1


def test_a_province_user_sees_the_kabupaten_and_drills_down_to_a_desa(world):
    dinsos = world["dinsos"]
    province = intake(scope(dinsos, "32"))
    kabs = rows_by_key(province, "by_region")
    assert kabs["32.01"]["n"] == 7 and kabs["32.02"]["n"] == 1
    desa = intake(scope(dinsos, DESA_A))
    assert figure_of(desa, "total")["value"] == sum(x.desa == DESA_A for x in in_scope_specs()) == 3
    client = client_for(dinsos)
    assert rows_behind(client, kabs["32.01"]["url"]) == 7
    assert rows_behind(client, figure_of(desa, "total")["url"]) == 3
