"""A desk officer's path through a real Chromium: log in, find a resident by a spelling variant,
open the family profile, switch to English. Screenshots at tablet and desktop size.

Uses Debian's Chromium (`/usr/bin/chromium`) through Playwright's Python API; no browser is
downloaded. Skipped when Chromium or Playwright is missing. Set SLRT_SCREENSHOT_DIR to keep the
screenshots somewhere to look at.
"""

import datetime as dt

import pytest

from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = [(1280, 800), (1920, 1080)]  # 10-inch Android tablet (landscape), desktop
DESA = "32.01.02.2001"


@pytest.fixture
def desk(regions_after_flush, make_user, make_person):
    """A manajer and a family of three in one desa.

    Tests must ask for it *before* `browser`: while Playwright's event loop runs, the ORM in this
    thread gets a second database connection, which would outlive the test and block dropping
    the PostgreSQL test database.
    """
    user = make_user("manajer", "32.01")
    head = make_person(desa_code=DESA, nama="Mochammad Ridwan", sex="L", birth=dt.date(1975, 6, 2),
                       hubungan_keluarga="Kepala Keluarga")
    make_person(desa_code=DESA, nama="Siti Rohmah", household=head.household, hubungan_keluarga="Istri")
    make_person(desa_code=DESA, nama="Dewi Lestari", household=head.household, birth=dt.date(2010, 1, 9),
                hubungan_keluarga="Anak")
    make_person(desa_code=DESA, nama="Ridwan Kamil")  # a weaker match, ranked below
    household = head.household
    household.desil = 2
    household.save()
    return user, head


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_a_desk_officer_finds_a_resident_by_spelling_variant_and_opens_the_family(
    live_server, desk, browser, shots, width, height
):
    user, head = desk
    context = browser.new_context(viewport={"width": width, "height": height}, locale="id-ID")
    page = context.new_page()

    page.goto(f"{live_server.url}/akun/masuk/")
    assert page.locator("html").get_attribute("lang") == "id"
    page.screenshot(path=str(shots / f"login-{width}.png"))
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.screenshot(path=str(shots / f"home-{width}.png"))

    page.click("nav.mainnav >> text=Cari warga")
    page.wait_for_selector("#id_q")
    page.wait_for_load_state("load")  # the deferred htmx must be listening before we type
    # "Muhamad" for "Mochammad": old spelling and a single m; live results, no button press.
    page.fill("#id_q", "Muhamad Ridwan")
    first = page.locator("table.results tbody tr").first
    first.wait_for(timeout=10_000)
    assert first.get_attribute("data-person-id") == str(head.pk)
    assert "Mochammad Ridwan" in first.inner_text()
    # The terms were posted: the address bar (and so the history, Back and the access log) holds
    # only the session key the search is kept under.
    assert "/registri/cari/?s=" in page.url and "Muhamad" not in page.url and "Ridwan" not in page.url
    search_url = page.url
    page.screenshot(path=str(shots / f"search-{width}.png"))

    first.locator(f"a[href='/registri/keluarga/{head.household_id}/']").click()
    page.wait_for_url(f"**/registri/keluarga/{head.household_id}/")
    members = page.locator("tr[data-person-id]")
    assert members.count() == 3
    assert members.first.inner_text().count("Mochammad Ridwan") == 1  # the head comes first
    assert page.locator(".desil.desil-2").count() >= 1
    page.screenshot(path=str(shots / f"household-{width}.png"), full_page=True)

    # Back returns to the results, read again from the session key.
    page.go_back()
    page.wait_for_url(search_url)
    page.locator(f"table.results tbody tr[data-person-id='{head.pk}']").wait_for(timeout=10_000)
    page.go_forward()
    page.wait_for_url(f"**/registri/keluarga/{head.household_id}/")

    # Every control is big enough for a finger (44 px) on the tablet.
    # The account menu's items are folded away until it opens; its summary is the control shown.
    controls = ("nav.mainnav a", ".userbox button:visible", ".account-menu > summary", ".userbox select",
                ".btn", "table a")
    for selector in controls:
        for box in (el.bounding_box() for el in page.locator(selector).all()):
            assert box is None or box["height"] >= 43.5, (selector, box)

    page.select_option("select[name=language]", "en")
    page.wait_for_load_state("load")
    page.wait_for_selector("html[lang=en]")
    assert "Family profile" in page.locator("h1").inner_text()
    assert page.locator("nav.mainnav >> text=Find residents").count() == 1
    page.screenshot(path=str(shots / f"household-en-{width}.png"))
    context.close()


def test_tables_scroll_sideways_instead_of_breaking_the_page_on_a_narrow_screen(live_server, desk, browser):
    user, head = desk
    context = browser.new_context(viewport={"width": 600, "height": 900}, locale="id-ID")
    page = context.new_page()
    page.goto(f"{live_server.url}/akun/masuk/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/registri/keluarga/{head.household_id}/")
    page_width = page.evaluate("document.documentElement.scrollWidth")
    assert page_width <= 600  # the page itself never scrolls sideways
    wrap = page.locator(".table-wrap").first
    assert wrap.evaluate("el => el.scrollWidth > el.clientWidth")  # the table scrolls inside its box
    context.close()
