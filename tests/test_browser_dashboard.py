"""The dashboard in a real Chromium (issue 13, "Done means"): a Manajer opens the dashboard of the
kabupaten, drills down through a kecamatan to a desa, clicks a bar of a chart, lands on the case
list holding exactly the cases the bar counts, and downloads that list's export with as many rows.
Also: the page draws its charts under the Content-Security-Policy without one violation, and it
fits a landscape (1280×800) and a portrait (800×1280) tablet. Screenshots go to `shots`."""

import csv
import io
from io import StringIO
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.core.management import call_command

from slrt.accounts.models import User
from slrt.accounts.roles import Role
from slrt.cases.models import Case
from tests.browser import TIMEOUT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PERIOD = "tahun=2026"


@pytest.fixture
def sections(monkeypatch):
    """The real sections once the intake module is written; until then this file's probe section."""
    from slrt.reports import dashboard_page

    if dashboard_page._section_function("slrt.reports.figures.intake:intake") is None:
        monkeypatch.setattr(dashboard_page, "SECTIONS", [("probe", "tests.test_dashboard_pages:probe_section")])


@pytest.fixture
def demo_users(regions_after_flush, sections):
    call_command("seed_demo", "--households", "600", stdout=StringIO())
    return {u.role: u for u in User.objects.filter(username__startswith="demo-")}


def _log_in(browser, base, user, viewport, then=f"/dasbor/?{PERIOD}"):
    """Signs in and lands on `then` (the login's `next`), not on the home page."""
    from slrt.demo.seed import DEMO_PASSWORD

    context = browser.new_context(viewport=viewport, locale="id-ID", accept_downloads=True)
    context.set_default_timeout(TIMEOUT)
    # Eight sessions share two cores while this suite runs: a page may take longer than TIMEOUT.
    context.set_default_navigation_timeout(4 * TIMEOUT)
    page = context.new_page()
    page.goto(f"{base}/akun/masuk/?{urlencode({'next': then})}")
    page.fill("#id_username", user.username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}{then}")
    return context, page


def _watch_csp(page) -> list[str]:
    """Script errors on the dashboard and CSP refusals anywhere, each with its page (none is allowed).
    Other pages' own script errors are theirs: the case list's region box asks htmx for a trigger
    condition (`focus[!this.value]`), which allowEval off refuses with htmx:evalDisallowedError."""
    problems = []

    def console(message):
        if message.type == "error" and ("/dasbor/" in page.url or "Content Security Policy" in message.text):
            problems.append(f"{page.url}: {message.text}")

    page.on("console", console)
    page.on("pageerror", lambda e: problems.append(f"{page.url}: {e}") if "/dasbor/" in page.url else None)
    return problems


def _drill_to_busiest_child(page):
    """Follow the by_region row with the largest number down to that child's dashboard."""
    link = page.evaluate("""() => {
        const rows = [...document.querySelectorAll('tr[data-value]')].filter(r => r.querySelector('a[data-drill]'));
        rows.sort((a, b) => parseFloat(b.dataset.value) - parseFloat(a.dataset.value));
        return rows.length ? rows[0].querySelector('a[data-drill]').dataset.drill : null;
    }""")
    assert link, "the dashboard has a by_region row to drill into"
    page.click(f'a[data-drill="{link}"]')
    page.wait_for_selector(f'h1[data-region="{link}"]')
    return link


def _bar_to_click(page) -> dict:
    """A drawn bar chart whose rows open the case list, and its biggest bar: where it is on screen,
    its number, and the list its row links to."""
    page.wait_for_selector("canvas[data-drawn]")
    bar = page.evaluate("""() => {
        for (const canvas of document.querySelectorAll('canvas[data-drawn]')) {
            const table = document.getElementById(canvas.dataset.chartFor);
            if (table.dataset.chart !== 'bar') continue;
            const rows = [...table.tBodies[0].rows].filter(r => r.dataset.value !== '');
            const i = rows.findIndex(r => (r.dataset.href || '').startsWith('/layanan/')
                && parseFloat(r.dataset.value) === Math.max(...rows.map(x => parseFloat(x.dataset.value))));
            if (i < 0 || !parseFloat(rows[i].dataset.value)) continue;
            canvas.scrollIntoView({block: 'center'});
            const el = Chart.getChart(canvas).getDatasetMeta(0).data[i];
            const box = canvas.getBoundingClientRect();
            const p = el.getCenterPoint();
            return {x: box.left + p.x, y: box.top + p.y, value: parseFloat(rows[i].dataset.value),
                    href: rows[i].dataset.href, table: table.id, label: rows[i].dataset.label};
        }
        return null;
    }""")
    assert bar, "a bar chart of cases with a non-zero bar"
    return bar


def _case_ids_over_all_pages(page, base) -> set[int]:
    ids = set()
    while True:
        ids |= {int(i) for i in page.eval_on_selector_all("tr[data-case-id]", "rs => rs.map(r => r.dataset.caseId)")}
        nxt = page.locator("a[rel=next], .pager a:has-text('Berikutnya')")
        if not nxt.count():
            return ids
        nxt.first.click()
        page.wait_for_load_state("load")


def test_a_manajer_drills_to_a_desa_clicks_a_bar_and_gets_exactly_those_cases_and_their_export(
    live_server, demo_users, browser, shots
):
    manajer = demo_users[Role.MANAJER]
    base = live_server.url
    context, page = _log_in(browser, base, manajer, {"width": 1280, "height": 800})
    problems = _watch_csp(page)
    page.reload()  # watched from its first request on
    page.wait_for_selector("canvas[data-drawn]")
    assert page.get_attribute("h1", "data-region") == manajer.region_id
    page.screenshot(path=str(shots / "dashboard-kab-1280x800.png"), full_page=True)

    kec = _drill_to_busiest_child(page)
    assert kec.startswith(f"{manajer.region_id}.")
    desa = _drill_to_busiest_child(page)
    assert desa.startswith(f"{kec}.") and desa.count(".") == 3
    # The breadcrumb leads back up: the kabupaten (the user's own /dasbor/) and the kecamatan.
    assert page.eval_on_selector_all("nav.crumbs a", "as => as.map(a => a.dataset.crumb)") == [manajer.region_id, kec]
    page.screenshot(path=str(shots / "dashboard-desa-1280x800.png"), full_page=True)

    bar = _bar_to_click(page)
    with page.expect_navigation():
        page.mouse.click(bar["x"], bar["y"])
    assert urlsplit(page.url).path == "/layanan/"
    assert page.url.endswith(bar["href"].split("?", 1)[1]) or urlsplit(page.url).query == urlsplit(bar["href"]).query
    page.screenshot(path=str(shots / "dashboard-bar-case-list-1280x800.png"), full_page=True)
    total = int(page.get_attribute("[data-total]", "data-total"))
    shown = _case_ids_over_all_pages(page, base)
    assert total == len(shown) == bar["value"], (bar, total, len(shown))
    # Exactly those cases: every one lies in the desa, none of the desa's others of the bar's kind is missing
    # (the list's own count equals the bar, and each listed case belongs to the desa).
    assert set(Case.objects.system().filter(pk__in=shown).values_list("desa_code", flat=True)) == {desa}

    # The list's own "Unduh CSV" button: the export of what the list shows (the same filters).
    export = page.locator(".export-buttons[data-export-list=cases] a[data-export=csv]")
    href = export.get_attribute("href")
    assert href.startswith("/ekspor/cases/?") and "format=csv" in href
    assert parse_qs(urlsplit(href).query) == {**parse_qs(urlsplit(page.url).query), "format": ["csv"]}
    with page.expect_download() as download_info:
        export.click()
    download = download_info.value
    rows = list(csv.reader(io.StringIO(open(download.path(), encoding="utf-8-sig").read())))
    assert len(rows) - 1 == bar["value"], (len(rows), bar)
    assert not problems, problems
    context.close()


def test_the_dashboard_fits_a_portrait_tablet_and_draws_every_chart(live_server, demo_users, browser, shots):
    manajer = demo_users[Role.MANAJER]
    for viewport in ({"width": 1280, "height": 800}, {"width": 800, "height": 1280}):
        context, page = _log_in(browser, live_server.url, manajer, viewport)
        problems = _watch_csp(page)
        page.reload()
        page.wait_for_load_state("load")
        charts = page.locator("canvas[data-chart-for]")
        assert charts.count() > 0
        page.wait_for_function("n => document.querySelectorAll('canvas[data-drawn]').length === n", arg=charts.count())
        # Nothing spills past the right edge; each chart and its table lie inside the viewport's width.
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        widths = page.eval_on_selector_all(
            "figure.dash-chart", "fs => fs.map(f => f.getBoundingClientRect().right)")
        assert widths and max(widths) <= viewport["width"]
        # Side by side on the landscape tablet, table above chart on the portrait one; a table of
        # more than two numbers a row always takes the full width, its chart below it.
        def pairs(selector, page=page):
            return page.eval_on_selector_all(
                selector, "ps => ps.map(p => [p.children[0].getBoundingClientRect().top, "
                "p.children[1].getBoundingClientRect().top])")

        narrow, wide = pairs(".has-chart:not(.wide) .dash-pair"), pairs(".has-chart.wide .dash-pair")
        assert narrow
        if viewport["width"] >= 1000:
            assert all(abs(a - b) < 2 for a, b in narrow), narrow
        else:
            assert all(b > a for a, b in narrow), narrow
        assert all(b > a for a, b in wide), wide
        name = f"dashboard-kab-{viewport['width']}x{viewport['height']}"
        page.screenshot(path=str(shots / f"{name}-top.png"))
        page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
        assert not problems, problems
        if viewport["width"] >= 1000:
            # A click on a row's name (plain text, not a link) opens the row's list too.
            row = page.locator("table[data-dash] tbody tr[data-href]:not(:has(a[data-drill]))").first
            href = row.get_attribute("data-href")
            with page.expect_navigation():
                row.locator("th").click()
            assert page.url.endswith(href)
        context.close()
