"""Exports in a real Chromium: a Manajer filters the case list to one village, presses "Unduh CSV"
and gets exactly that village's cases; above the sync bound the XLSX button goes to the job page,
whose link (once the job is done) downloads the same rows.

Data is made before the browser starts (see `chromium` in conftest).
"""

import csv
import io

import openpyxl
import pytest

from tests.browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WANAHERANG = "32.01.02.2001"
PUSPASARI = "32.01.03.2001"


@pytest.fixture
def data(regions_after_flush, make_user):
    from tests.test_referrals_fixtures import make_case

    here = [make_case(WANAHERANG, name=name)[0] for name in ("Siti Rahmawati", "=HYPERLINK(\"x\")", "Ani")]
    make_case(PUSPASARI, name="Budi Santoso")
    return make_user("manajer", "32.01"), here


def test_a_manajer_downloads_the_filtered_case_list_and_a_big_export_from_its_job_page(
    data, live_server, chromium, settings, tmp_path
):
    manajer, here = data
    base = live_server.url
    with chromium() as browser:
        context, page = log_in(browser, base, manajer)
        page.goto(f"{base}/layanan/?desa={WANAHERANG}")
        page.locator("#case-results tbody tr").first.wait_for()
        with page.expect_download() as info:
            page.click("[data-export-list=cases] [data-export=csv]")
        path = tmp_path / "cases.csv"
        info.value.save_as(path)
        rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))
        assert sorted(r[0] for r in rows[1:]) == sorted(c.ticket for c in here)
        assert "'=HYPERLINK(\"x\")" in {r[1] for r in rows[1:]}

        settings.SLRT_EXPORT_SYNC_MAX = 1
        page.click("[data-export-list=cases] [data-export=xlsx]")
        page.wait_for_url(f"{base}/ekspor/tugas/*/")
        link = page.locator("#export-status a[data-download]")
        link.wait_for()
        with page.expect_download() as info:
            link.click()
        path = tmp_path / "cases.xlsx"
        info.value.save_as(path)
        sheet = openpyxl.load_workbook(path, read_only=True).active
        tickets = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
        assert sorted(tickets) == sorted(c.ticket for c in here)
        context.close()
