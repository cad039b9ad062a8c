"""Region filters by name in a real Chromium: the back office types part of a village's name into
the case list's Wilayah box, picks the suggestion HTMX brings, and the list narrows to that
village's cases; the box then shows the picked name, not a code. The same box on the intake
search narrows the registry matches.

Data is made before the browser starts (see `chromium` in conftest); screenshots at tablet
size go to SLRT_SCREENSHOT_DIR (or the test's tmp_path).
"""

import pytest

from tests.browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WANAHERANG = "32.01.02.2001"
PUSPASARI = "32.01.03.2001"


@pytest.fixture
def data(regions_after_flush, make_user, make_person):
    from tests.test_referrals_fixtures import make_case

    make_case(WANAHERANG, name="Siti Rahmawati")
    make_case(PUSPASARI, name="Budi Santoso")
    make_person(desa_code=WANAHERANG, nama="Sumarni Lestari")
    make_person(desa_code=PUSPASARI, nama="Sumarni Wati")
    return make_user("back_office", "32.01")


def test_region_filter_by_typed_name_with_suggestions(data, live_server, chromium, shots):
    base = live_server.url
    with chromium() as browser:
        context, page = log_in(browser, base, data)
        page.goto(f"{base}/layanan/")
        rows = page.locator("#case-results tbody tr")
        rows.first.wait_for()
        assert rows.count() == 2

        box = page.locator("#id_desa")
        assert box.get_attribute("role") == "combobox"
        box.press_sequentially("wanaher", delay=40)
        option = page.locator("#id_desa-saran [role=option]", has_text="Wanaherang")
        option.wait_for()
        assert "Kec. Gunungputri" in option.inner_text()
        assert box.get_attribute("aria-expanded") == "true"
        page.screenshot(path=str(shots / "region-filter-suggestions.png"))
        option.click()

        # Picking fills the box with the name and refreshes the list (HTMX on change).
        page.wait_for_function("() => document.querySelectorAll('#case-results tbody tr').length === 1")
        assert box.input_value() == "Desa Wanaherang, Kec. Gunungputri"
        assert "Siti Rahmawati" in page.locator("#case-results").inner_text()
        assert "Budi Santoso" not in page.locator("#case-results").inner_text()
        assert "Desa Wanaherang, Kec. Gunungputri" in page.locator("#case-results").inner_text()
        assert "desa=Desa%20Wanaherang" in page.url
        page.screenshot(path=str(shots / "region-filter-result.png"))

        # Keyboard: arrow down into the list, Enter picks (intake search, kecamatan level).
        page.goto(f"{base}/layanan/baru/?q=Sumarni")
        page.locator("#intake-results [data-person-id]").first.wait_for()
        assert page.locator("#intake-results [data-person-id]").count() == 2
        region = page.locator("#id_region")
        region.press_sequentially("citeure", delay=40)
        page.wait_for_function(
            "() => { const o = [...document.querySelectorAll('#id_region-saran [role=option]')];"
            " return o.length > 0 && o.every(x => x.dataset.label.includes('Citeureup')); }"
        )
        region.press("ArrowDown")
        focused = page.evaluate("() => document.activeElement.getAttribute('data-label')")
        assert focused and focused.startswith(("Kec. Citeureup", "Desa Citeureup"))
        page.locator("#id_region-saran [data-label='Kec. Citeureup, Kabupaten Bogor']").click()
        page.wait_for_function(
            "() => document.querySelectorAll('#intake-results [data-person-id]').length === 1"
        )
        assert "Sumarni Wati" in page.locator("#intake-results").inner_text()
        context.close()
