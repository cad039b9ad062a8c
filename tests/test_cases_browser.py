"""The front office intake in a real browser (Debian's Chromium): search, register a walk-in who is
not in the registry, add a need row through HTMX, get the ticket and code, open the case page."""

import re

import pytest

from tests.browser import new_page
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

@pytest.fixture
def front_office(regions_after_flush, make_user, make_person):
    # Asked for before `browser` (see tests/test_browser.py: the ORM must not open a second connection).
    make_person(desa_code="32.01.02.2001", nama="Siti Aminah")
    return make_user("front_office", "32.01")


def test_front_office_registers_a_walk_in_and_gets_ticket_and_code(live_server, front_office, browser, shots):
    _context, page = new_page(browser)
    page.goto(f"{live_server.url}/akun/masuk/")
    page.fill("#id_username", front_office.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    page.click("nav.mainnav >> text=Layanan")
    page.click("text=Keluhan baru")
    assert page.locator("#register-new").count() == 0  # nothing to register before a search
    page.fill("#id_q", "Budi Santoso")
    page.click("button:has-text('Cari')")
    page.locator("#register-new").wait_for(timeout=10_000)
    page.screenshot(path=str(shots / "cases-intake-search.png"), full_page=True)
    page.click("#register-new")

    page.fill("#id_name", "Budi Santoso")
    page.fill("#id_desa_code", "32.01.02.2001")
    page.fill("#id_phone", "081234567890")
    page.select_option("#id_kebutuhan-0-sector", "kesehatan")
    page.fill("#id_kebutuhan-0-description", "Biaya rawat inap")
    page.click("#add-need")
    page.locator("#id_kebutuhan-3-sector").wait_for(timeout=10_000)
    page.select_option("#id_kebutuhan-3-sector", "perumahan")
    page.fill("#id_kebutuhan-3-description", "Atap bocor")
    page.check("input[name=consent_given][value=ya]")  # the resident's answers, chosen actively
    page.check("input[name=consent_share_agencies][value=ya]")
    page.screenshot(path=str(shots / "cases-intake-form.png"), full_page=True)
    page.click("button:has-text('Simpan dan beri tiket')")

    page.locator("#status-code").wait_for(timeout=10_000)
    ticket = page.locator("#ticket").inner_text().strip()
    assert re.match(r"^SLRT-3201-\d{4}-000001$", ticket)
    assert re.match(r"^[A-Z0-9]{4}-[A-Z0-9]{4}$", page.locator("#status-code").inner_text().strip())
    page.screenshot(path=str(shots / "cases-created.png"), full_page=True)

    page.click("text=Buka kasus")
    page.locator("#linimasa").wait_for()
    assert "Kasus dicatat" in page.locator("#linimasa").inner_text()
    page.screenshot(path=str(shots / "cases-detail.png"), full_page=True)
    # Checked on the page, not through the ORM: that would open a second connection next to Playwright.
    needs = page.locator("#kebutuhan table").inner_text()
    assert "Kesehatan" in needs and "Perumahan" in needs and "Atap bocor" in needs
