"""The monthly report in a real Chromium: a Manajer opens the page of their kab/kota, asks for
October's report, lands on its page with the frozen figures (the task ran on commit, eagerly),
downloads the PDF and the XLSX, and finds it listed; the Koordinator of a desa cannot open it."""

import datetime as dt

import pytest
from openpyxl import load_workbook

from tests.browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

KAB, DESA = "32.01", "32.01.02.2001"


@pytest.fixture
def scene(regions_after_flush, make_user):
    from slrt.cases.models import Case
    from slrt.wilayah.timezones import WIB

    for n in range(2):
        case = Case(ticket=f"SLRT-3201-2026-{n + 1:06d}", status_code_hash="x", applicant_name="Siti Aminah",
                    applicant_nik="3201024403850001", complaint_type="pengaduan", channel="sekretariat",
                    consent_given=True)
        case.set_region(DESA)
        case.save()
        Case.unscoped.filter(pk=case.pk).update(created_at=dt.datetime(2026, 10, 5 + n, 9, tzinfo=WIB))
    return make_user("manajer", KAB), make_user("koordinator_puskesos", DESA)


def test_a_manajer_asks_for_last_month_s_report_reads_it_and_downloads_both_files(
        live_server, scene, chromium, shots, tmp_path):
    from slrt.reports.models import MonthlyReport

    manajer, koordinator = scene
    base = live_server.url
    with chromium() as browser:
        context, page = log_in(browser, base, manajer)
        page.goto(f"{base}/laporan/")
        page.fill("#id_month", "2026-10")
        page.click("text=Buat laporan >> nth=-1")
        page.wait_for_selector("[data-figure='total']")
        assert page.inner_text("[data-figure='total'] dd") == "2"
        page.screenshot(path=str(shots / "monthly-report.png"), full_page=True)
        with page.expect_download() as info:
            page.click("text=Unduh PDF")
        assert info.value.path().read_bytes().startswith(b"%PDF")
        with page.expect_download() as info:
            page.click("text=Unduh XLSX")
        target = tmp_path / "laporan.xlsx"
        info.value.save_as(target)
        sheet = next(ws for ws in load_workbook(target).worksheets if ws["A1"].value == "Pengaduan masuk")
        assert {r[0]: r[1] for r in sheet.iter_rows(values_only=True) if r and r[0]}["Kasus baru"] == 2
        page.click("text=Semua laporan wilayah ini")
        assert page.locator("#monthly-reports tbody tr").count() == 1
        url = page.url
        context.close()

        context, page = log_in(browser, base, koordinator)
        report = MonthlyReport.objects.get()
        answer = page.goto(f"{base}/laporan/{report.pk}/")
        assert answer.status == 404
        assert page.goto(url).status == 404
        context.close()
