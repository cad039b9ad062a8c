"""The dashboard pages (issue 13, point 1): each role opens its own region, drills down to the
child regions inside its scope (anything else is a 404), picks a period (a bad one is named in
Indonesian, never a 500), and every number on the page links to a list holding exactly as many
rows as the number says.

Runs on the demo district (`seed_demo`) through HTML only: numbers are found by `data-count`,
drill-down links by `data-drill`/`data-child`, list rows by their `data-…-id` attributes over every
page of the list. The generic rendering (tables, charts, text alternatives, drill-down of a
`by_region` table) is also checked against a small section of this file's own, so it does not hang
on what the demo happens to hold.
"""

import datetime as dt
import re
import sys
import textwrap
from html.parser import HTMLParser
from io import StringIO
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from slrt.accounts.models import User
from slrt.accounts.roles import Role
from slrt.accounts.scoping import region_q
from slrt.cases.models import Case, Channel
from slrt.reports import dashboard_page
from slrt.reports.figures import SECTIONS
from slrt.wilayah.models import Region, ancestor_codes
from tests.conftest import fresh_database

ROW_ID = re.compile(r"data-[a-z-]+-id")
DASHBOARD_ROLES = [Role.MANAJER, Role.KOORDINATOR_PUSKESOS, Role.DINSOS, Role.ADMIN, Role.SUPERVISOR]


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.counts, self.drills, self.children, self.crumbs, self.hrefs = [], [], [], [], []
        self.region, self.rows, self.totals, self.sections, self.canvases = None, 0, [], [], []
        self.chart_tables, self.errors, self.captions = {}, [], []
        self._caption = None
        self._error = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a":
            self.hrefs.append(a.get("href") or "")
            links = (("data-drill", self.drills), ("data-child", self.children), ("data-crumb", self.crumbs))
            for key, bucket in links:
                if key in a:
                    bucket.append(a)
        if "data-count" in a:
            self.counts.append(a)
        if tag == "h1" and "data-region" in a:
            self.region = a["data-region"]
        if tag == "tr" and any(ROW_ID.fullmatch(k) for k in a):
            self.rows += 1
        if "data-total" in a:
            self.totals.append(int(a["data-total"]))
        if "data-section" in a:
            self.sections.append(a["data-section"])
        if tag == "canvas":
            self.canvases.append(a)
        if tag == "table" and "data-chart" in a:
            self.chart_tables[a["id"]] = {"kind": a["data-chart"], "rows": []}
            self._table = a["id"]
        if tag == "tr" and "data-value" in a and getattr(self, "_table", None):
            self.chart_tables[self._table]["rows"].append(a)
        if tag == "figcaption":
            self._caption = ""
        if "data-period-error" in a:
            self._error = True

    def handle_endtag(self, tag):
        if tag == "table":
            self._table = None
        if tag == "figcaption" and self._caption is not None:
            self.captions.append(self._caption.strip())
            self._caption = None
        if tag == "div" and self._error:
            self._error = False

    def handle_data(self, data):
        if self._caption is not None:
            self._caption += data
        if self._error and data.strip():
            self.errors.append(data.strip())


def parse(response, status=200) -> _Page:
    assert response.status_code == status, (response.status_code, response.request["PATH_INFO"])
    page = _Page()
    page.feed(response.content.decode())
    return page


def rows_behind(client, href) -> int:
    """Rows of the list at `href`, counted over all its pages; checked against its total if shown."""
    parts = urlsplit(href.replace("&amp;", "&"))
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    counted, n = 0, 1
    while True:
        page = parse(client.get(f"{parts.path}?{urlencode({**query, 'hal': n})}"))
        counted += page.rows
        if not any(re.search(rf"[?&]hal={n + 1}(&|$)", h.replace("&amp;", "&")) for h in page.hrefs):
            break
        n += 1
    if page.totals:
        assert page.totals[0] == counted, (href, page.totals, counted)
    return counted


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    var = tmp_path_factory.mktemp("dashboard-var")
    with django_db_blocker.unblock(), override_settings(VAR_DIR=var, MEDIA_ROOT=var / "media"):
        fresh_database()
        try:
            call_command("seed_demo", "--households", "600", stdout=StringIO())
            users = {u.role: u for u in User.objects.filter(username__startswith="demo-")}
        except BaseException:
            fresh_database()
            raise
    yield users
    with django_db_blocker.unblock():
        fresh_database()


# --- a section of this file's own: cases per child region, per month, and a figure of days -------


def probe_section(scope):
    """Cases of the scope per child region (a `by_region` bar chart) and per day of the period (a
    line chart), each row linking to the case list of exactly those cases."""
    from slrt.reports.figures.base import column, figure, section, table

    def url(code):
        return f"/layanan/?{urlencode({'desa': code, 'dari': scope.period.start, 'sampai': scope.period.end})}"

    cases = Case.objects.for_user(scope.user).filter(region_q(scope.code))
    cases = cases.filter(scope.period.q("created_at", scope.code))
    children = dashboard_page.children(scope.region, "")
    rows = [{"key": c["code"], "code": c["code"], "label": c["name"], "n": cases.filter(region_q(c["code"])).count(),
             "url": url(c["code"])} for c in children]
    return section("probe", "Uji", figures=[
        figure("total", "Kasus", cases.count(), url=url(scope.code)),
        figure("days", "Median hari", 4.5, unit="hari"),
    ], tables=[
        table("by_region", "Menurut wilayah", [column("label", "Wilayah"), column("n", "Kasus")],
              [r for r in rows if r["n"]], chart="bar"),
        table("by_channel", "Menurut saluran", [column("label", "Saluran"), column("n", "Kasus")],
              [{"key": value, "label": str(label), "n": cases.filter(channel=value).count(),
                "url": f"{url(scope.code)}&channel={value}"} for value, label in Channel.choices], chart="bar"),
        table("zeros", "Semua nol", [column("label", "Apa"), column("n", "Berapa")],
              [{"key": "z", "label": "Z", "n": 0, "url": f"{url(scope.code)}&channel=web"}], chart="bar"),
        table("plain", "Tanpa grafik", [column("label", "Apa"), column("n", "Berapa"), column("note", "Catatan")],
              [{"key": "a", "label": "A", "n": 1, "note": "x"}]),
    ])


@pytest.fixture
def probe_only(monkeypatch):
    monkeypatch.setattr(dashboard_page, "SECTIONS", [("probe", f"{__name__}:probe_section")])


# --- scope ----------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("role", DASHBOARD_ROLES)
def test_each_role_opens_the_dashboard_of_its_own_region(client, demo, role, probe_only):
    user = demo[role]
    client.force_login(user)
    page = parse(client.get("/dasbor/"))
    assert page.region == user.region_id
    assert page.sections == ["probe"]


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.FRONT_OFFICE, Role.BACK_OFFICE, Role.FASILITATOR, Role.MITRA])
def test_roles_without_a_dashboard_are_refused(client, demo, role):
    client.force_login(demo[role])
    response = client.get("/dasbor/")
    assert response.status_code == 403
    assert "tidak memiliki akses" in response.content.decode()


@pytest.mark.django_db
def test_the_manajer_drills_from_the_kabupaten_down_to_a_desa_with_a_breadcrumb_back_up(client, demo, probe_only):
    manajer = demo[Role.MANAJER]
    client.force_login(manajer)
    kab = parse(client.get("/dasbor/"))
    kecamatan = {a["data-child"] for a in kab.children}
    assert kecamatan == set(Region.objects.filter(parent_id=manajer.region_id).values_list("code", flat=True))
    # The kecamatan holding the demo's cases, reached through the by_region table's own link.
    drill = next(a for a in kab.drills)
    kec = parse(client.get(drill["href"]))
    assert kec.region == drill["data-drill"] and kec.region in kecamatan
    assert [a["data-crumb"] for a in kec.crumbs] == [manajer.region_id]
    assert kec.crumbs[0]["href"].startswith("/dasbor/?")
    desa_link = next(a for a in kec.drills)
    desa = parse(client.get(desa_link["href"]))
    assert desa.region == desa_link["data-drill"]
    assert ancestor_codes(desa.region)[:3] == ancestor_codes(kec.region)
    assert [a["data-crumb"] for a in desa.crumbs] == [manajer.region_id, kec.region]
    assert desa.children == [] and desa.drills == []


@pytest.mark.django_db
def test_the_nation_breadcrumb_of_an_admin_starts_at_indonesia(client, demo, probe_only):
    client.force_login(demo[Role.ADMIN])
    page = parse(client.get("/dasbor/32.04/"))
    assert [a["data-crumb"] for a in page.crumbs] == ["00", "32"]
    assert len(parse(client.get("/dasbor/")).children) == Region.objects.filter(level=1).count()


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "code"), [
    (Role.MANAJER, "32.01"),  # a neighbouring kabupaten
    (Role.MANAJER, "32"),  # the province above
    (Role.MANAJER, "00"),  # the nation
    (Role.MANAJER, "32.04.99.9999"),  # a desa that does not exist inside the scope
    (Role.MANAJER, "3"),
    (Role.DINSOS, "31"),  # another province
    (Role.DINSOS, "00"),
    (Role.SUPERVISOR, "32.04"),  # the kabupaten above the supervisor's kecamatan
])
def test_a_region_outside_the_scope_is_404_as_if_it_did_not_exist(client, demo, role, code):
    client.force_login(demo[role])
    assert client.get(f"/dasbor/{code}/").status_code == 404


@pytest.mark.django_db
def test_the_koordinator_sees_only_its_own_desa(client, demo, probe_only):
    koordinator = demo[Role.KOORDINATOR_PUSKESOS]
    client.force_login(koordinator)
    assert parse(client.get(f"/dasbor/{koordinator.region_id}/")).region == koordinator.region_id
    sibling = Region.objects.filter(parent_id=koordinator.region.parent_id).exclude(code=koordinator.region_id).first()
    assert client.get(f"/dasbor/{sibling.code}/").status_code == 404
    assert client.get(f"/dasbor/{koordinator.region.parent_id}/").status_code == 404


# --- the period -----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("query", "message"), [
    ("bulan=2026-13", "Bulan harus berformat YYYY-MM"),
    ("bulan=November", "Bulan harus berformat YYYY-MM"),
    ("triwulan=2026-Q5", "Triwulan harus berformat YYYY-Qn"),
    ("tahun=26", "Tahun harus berformat YYYY"),
    ("dari=2026-02-30&sampai=2026-03-01", "Tanggal harus berformat YYYY-MM-DD"),
    ("dari=2026-03-01", "Tanggal harus berformat YYYY-MM-DD"),
    ("dari=2026-03-01&sampai=2026-02-01", "Tanggal akhir tidak boleh sebelum tanggal awal"),
    ("dari=2020-01-01&sampai=2025-01-01", "Periode paling panjang tiga tahun"),
    ("bulan=" + "9" * 200, "Bulan:"),
])
def test_a_bad_period_is_named_in_indonesian_and_no_figure_is_shown(client, demo, probe_only, query, message):
    client.force_login(demo[Role.MANAJER])
    page = parse(client.get(f"/dasbor/?{query}"), status=400)
    assert any(message in e for e in page.errors), page.errors
    assert page.sections == [] and page.counts == []
    assert page.region == demo[Role.MANAJER].region_id


@pytest.mark.django_db
@pytest.mark.parametrize(("query", "label"), [
    ("bulan=2026-07", "Juli 2026"), ("triwulan=2026-Q3", "Triwulan 3 2026"), ("tahun=2026", "2026"),
    ("dari=2026-07-01&sampai=2026-07-15", "1 Jul 2026 – 15 Jul 2026"),
])
def test_the_period_is_shown_and_carried_along_every_drill_down_link(client, demo, probe_only, query, label):
    client.force_login(demo[Role.MANAJER])
    response = client.get(f"/dasbor/?{query}")
    page = parse(response)
    assert f"Periode {label}" in response.content.decode()
    links = page.children + page.drills + page.crumbs
    assert links
    for a in links:
        assert f"?{query}" in a["href"].replace("&amp;", "&"), a


@pytest.mark.django_db
def test_the_default_period_is_the_current_month(client, demo, probe_only):
    client.force_login(demo[Role.MANAJER])
    month = timezone.localdate().strftime("%Y-%m")
    page = parse(client.get("/dasbor/"))
    assert all(f"bulan={month}" in a["href"] for a in page.children)


# --- numbers, charts and their text alternatives -----------------------------------------------


@pytest.mark.django_db
def test_the_probe_numbers_equal_cases_counted_independently(client, demo, probe_only):
    """The generic rendering shows each row's number unchanged and links it to its list."""
    manajer = demo[Role.MANAJER]
    client.force_login(manajer)
    page = parse(client.get("/dasbor/?tahun=2026"))
    start, end = dt.date(2026, 1, 1), dt.date(2026, 12, 31)
    in_year = [c for c in Case.objects.system().filter(kab_code=manajer.region_id)
               if start <= timezone.localtime(c.created_at).date() <= end]
    assert in_year, "the demo has cases this year"
    total = next(a for a in page.counts if a.get("data-figure") == "total")
    assert int(total["data-count"]) == len(in_year)
    per_kec = {}
    for case in in_year:
        per_kec[case.kec_code] = per_kec.get(case.kec_code, 0) + 1
    shown = {a["data-drill"] for a in page.drills}
    assert shown == set(per_kec)


@pytest.mark.django_db
def test_each_chart_has_its_table_and_a_text_alternative(client, demo, probe_only):
    client.force_login(demo[Role.MANAJER])
    page = parse(client.get("/dasbor/?tahun=2026"))
    assert page.canvases and len(page.canvases) == len(page.chart_tables) == len(page.captions)
    for canvas, caption in zip(page.canvases, page.captions, strict=True):
        table = page.chart_tables[canvas["data-chart-for"]]
        assert canvas["role"] == "img" and canvas["aria-label"] == caption
        assert table["rows"] and all(r["data-href"].startswith("/layanan/?") for r in table["rows"])
        biggest = max(table["rows"], key=lambda r: float(r["data-value"]))
        assert biggest["data-label"] in caption and "Grafik batang" in caption
    # A chart of nothing but zeros is left out; its table (with its link) stays.
    assert "t-probe-zeros" not in {c["data-chart-for"] for c in page.canvases}
    assert 'data-table="zeros"' in client.get("/dasbor/?tahun=2026").content.decode()


@pytest.mark.django_db
def test_a_number_that_is_not_a_count_carries_no_count_and_a_column_without_a_list_no_link(client, demo, probe_only):
    client.force_login(demo[Role.MANAJER])
    html = client.get("/dasbor/?tahun=2026").content.decode()
    assert re.search(r'<div class="stat" data-figure="days">\s*<div class="label">Median hari</div>\s*'
                     r'<div class="value">4,5 <small>hari</small>', html)
    row = re.search(r'<tr data-row="a".*?</tr>', html, re.S).group(0)
    assert "<a " not in row and "data-href" not in row


def test_a_missing_section_module_is_skipped_but_an_error_inside_a_present_one_raises(tmp_path, monkeypatch):
    assert dashboard_page._section_function("slrt.reports.figures.not_written_yet:intake") is None
    (tmp_path / "dash_broken_section.py").write_text(textwrap.dedent("""
        import slrt_no_such_package_anywhere  # noqa: F401

        def section(scope):
            return {}
    """))
    (tmp_path / "dash_partial_section.py").write_text("def other(scope):\n    return {}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError):
        dashboard_page._section_function("dash_broken_section:section")
    with pytest.raises(AttributeError):
        dashboard_page._section_function("dash_partial_section:section")
    for name in ("dash_broken_section", "dash_partial_section"):
        sys.modules.pop(name, None)


# --- the real sections --------------------------------------------------------------------------


def _present_sections():
    return [key for key, target in SECTIONS if dashboard_page._section_function(target) is not None]


@pytest.mark.django_db
@pytest.mark.parametrize("role", DASHBOARD_ROLES)
@pytest.mark.parametrize("period", ["", "tahun=2026"])
def test_every_number_on_the_dashboard_lists_as_many_rows_as_it_says(client, demo, role, period):
    present = _present_sections()
    if not present:
        pytest.skip("no section module written yet")
    client.force_login(demo[role])
    page = parse(client.get(f"/dasbor/?{period}"))
    assert page.sections == present
    for a in page.counts:
        assert rows_behind(client, a["href"]) == int(a["data-count"]), (role, period, a)


@pytest.mark.django_db
def test_the_real_dashboard_of_the_demo_is_not_all_zero(client, demo):
    if not _present_sections():
        pytest.skip("no section module written yet")
    client.force_login(demo[Role.MANAJER])
    page = parse(client.get("/dasbor/?tahun=2026"))
    assert any(int(a["data-count"]) for a in page.counts)


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.MANAJER, Role.DINSOS])
def test_every_by_region_row_of_the_real_sections_opens_its_childs_dashboard(client, demo, role):
    if not _present_sections():
        pytest.skip("no section module written yet")
    client.force_login(demo[role])
    page = parse(client.get("/dasbor/?tahun=2026"))
    for a in page.drills:
        child = parse(client.get(a["href"]))
        assert child.region == a["data-drill"]
        assert Region.objects.get(code=a["data-drill"]).parent_id == page.region
