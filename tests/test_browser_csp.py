"""The pages pass their Content-Security-Policy in a real Chromium: no script, style or eval
is refused on the main pages of the desk (issue 11, point 1).

Each page is watched two ways: the console messages Chromium writes for a refused resource
("Content Security Policy") and `securitypolicyviolation` events, recorded by an init script
(Playwright injects it outside the page's policy). Behaviours that used to be inline (the
language switcher, the intake's "add a need row", the desil bars) are exercised too.
"""

import pytest

from tests.browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESA = "32.01.02.2001"
WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI + " " + (e.sample || ""));
});
"""


@pytest.fixture
def data(regions_after_flush, make_user, make_person):
    from tests.test_referrals_fixtures import make_case

    case = make_case(DESA, name="Siti Rahmawati")[0]
    make_person(desa_code=DESA, nama="Sumarni Lestari")
    return {"front": make_user("front_office", "32.01"), "back": make_user("back_office", "32.01"),
            "manajer": make_user("manajer", "32.01"), "case": case.pk}


def _watched(browser, base, user):
    context, page = log_in(browser, base, user)
    console = []
    page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
    context.add_init_script(WATCH)
    return context, page, console


def _violations(page, console):
    return console + page.evaluate("() => window.__cspViolations || []")


def test_main_pages_raise_no_csp_violation(data, live_server, chromium):
    base = live_server.url
    seen = {}
    with chromium() as browser:
        context, page, console = _watched(browser, base, data["front"])
        page.goto(f"{base}/")
        page.wait_for_load_state("networkidle")
        seen["front office home"] = _violations(page, console)

        console.clear()
        page.goto(f"{base}/layanan/baru/?q=Sumarni")
        page.locator("#intake-results [data-person-id]").first.wait_for()
        seen["intake search"] = _violations(page, console)
        context.close()

        context, page, console = _watched(browser, base, data["back"])
        page.goto(f"{base}/layanan/{data['case']}/")
        page.wait_for_load_state("networkidle")
        seen["case page"] = _violations(page, console)

        console.clear()
        page.goto(f"{base}/layanan/")
        page.locator("#case-results tbody tr").first.wait_for()
        page.locator("#id_desa").press_sequentially("wanaher", delay=40)
        page.locator("#id_desa-saran [role=option]", has_text="Wanaherang").click()
        page.wait_for_function("() => document.querySelectorAll('#case-results tbody tr').length === 1")
        seen["region filter"] = _violations(page, console)
        context.close()

        context, page, console = _watched(browser, base, data["manajer"])
        page.goto(f"{base}/")
        page.wait_for_load_state("networkidle")
        bars = page.locator(".bar[data-width]")
        if bars.count():  # the desil bars get their width from static/js, not a style attribute
            assert page.evaluate("() => document.querySelector('.bar[data-width]').style.width").endswith("%")
        # the language switcher submits its form from static/js (no onchange attribute)
        with page.expect_navigation():  # the form's submit navigates; wait for it, not for idle
            page.select_option("select[name=language]", "en")
        page.wait_for_load_state("networkidle")
        assert page.locator("html").get_attribute("lang") == "en"
        seen["manajer home, language switch"] = _violations(page, console)
        context.close()
    assert seen == {name: [] for name in seen}


def test_intake_adds_need_rows_without_eval(data, live_server, chromium):
    base = live_server.url
    with chromium() as browser:
        context, page, console = _watched(browser, base, data["front"])
        page.goto(f"{base}/layanan/baru/?q=Nama%20Yang%20Tidak%20Ada")
        page.wait_for_load_state("networkidle")
        page.locator("#register-new").click()
        page.wait_for_url("**/layanan/baru/catat/**")
        rows = page.locator("#need-rows .need-row")
        before = rows.count()
        page.click("#add-need")
        page.wait_for_function(f"() => document.querySelectorAll('#need-rows .need-row').length === {before + 1}")
        names = page.evaluate("() => [...document.querySelectorAll('#need-rows .need-row')].pop().innerHTML")
        assert f"-{before}-" in names  # the new row is numbered by the count the script sent
        assert _violations(page, console) == []
        context.close()
