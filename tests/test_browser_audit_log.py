"""The audit log in a real Chromium: an Admin opens a resident's page, follows "Siapa melihat atau
mengubah data ini" to the officers who saw her, then searches the log by her NIK — the address bar
never holds the NIK."""

import datetime as dt

import pytest

from tests.browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def scene(regions_after_flush, make_user, make_person):
    from slrt.audit.services import record

    fo = make_user("front_office", "32.01")
    fo.first_name, fo.last_name = "Rina", "Wulandari"
    fo.save(update_fields=["first_name", "last_name"])
    siti = make_person("32.01.02.2001", "Siti Aminah", dt.date(1985, 3, 14), "P")
    budi = make_person("32.01.03.2001", "Budi Santoso", dt.date(1980, 1, 2), "L")
    record(fo, "person.view", siti)
    record(fo, "person.view", budi)
    return make_user("admin", "00"), siti, budi


def test_an_admin_follows_a_resident_to_who_saw_her_and_searches_by_nik(live_server, scene, chromium, shots):
    admin, siti, budi = scene
    base = live_server.url
    with chromium() as browser:
        context, page = log_in(browser, base, admin)
        page.goto(f"{base}/registri/warga/{siti.pk}/")
        page.click("a:has-text('Siapa melihat atau mengubah data ini')")
        page.wait_for_selector("h1:has-text('Siapa melihat atau mengubah data Siti Aminah')")
        assert page.url == f"{base}/audit/?orang={siti.pk}"
        rows = page.locator("#audit-log tbody tr")
        texts = [rows.nth(i).inner_text() for i in range(rows.count())]
        assert any("Rina Wulandari (Front office)" in t and "membuka data warga" in t for t in texts)
        assert not any("Budi Santoso" in t for t in texts)
        page.screenshot(path=str(shots / "audit-log-person.png"), full_page=True)
        page.goto(f"{base}/audit/")
        page.fill("#f-nik", siti.nik)
        page.click("button:has-text('Saring')")
        page.wait_for_url(f"{base}/audit/?s=*")
        assert siti.nik not in page.url
        rows = page.locator("#audit-log tbody tr")
        texts = [rows.nth(i).inner_text() for i in range(rows.count())]
        # Every row is about her (the log's own reading of a moment ago named her, and Budi with her).
        assert texts and all("Siti Aminah" in t for t in texts)
        assert not any("Budi Santoso" in t and "membuka data warga" in t for t in texts)
        context.close()
