"""A resident's data request in a real Chromium: the front office opens the person, records a copy
request, types a wrong and then the right last four KTP digits, downloads the PDF copy (which
names the resident's case) and sees the request fulfilled."""

import datetime as dt
import io

import pytest
from pypdf import PdfReader

from tests.browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESA = "32.01.02.2001"


@pytest.fixture
def scene(regions_after_flush, make_user, make_person):
    from slrt.cases import services as case_services

    fo = make_user("front_office", "32.01")
    person = make_person(DESA, "Siti Aminah", dt.date(1985, 3, 14), "P")
    case = case_services.create_case(fo, case_services.Intake(
        complaint_type="pengaduan", channel="sekretariat",
        needs=[{"sector": "kesehatan", "description": "Biaya cuci darah ibu"}],
        consent_given=True, consent_purpose="Penanganan keluhan", consent_share_agencies=False,
    ), person=person).case
    return fo, person, case


def test_the_desk_serves_a_copy_request_in_the_browser(live_server, scene, chromium, shots):
    fo, person, case = scene
    base = live_server.url
    with chromium() as browser:
        context, page = log_in(browser, base, fo)
        page.goto(f"{base}/registri/warga/{person.pk}/")
        page.click("a:has-text('Catat permintaan data pribadi')")
        page.check("input[name=kind][value=akses]")
        page.click("button:has-text('Catat permintaan')")
        page.wait_for_selector("h2:has-text('Periksa identitas pemohon')")
        page.select_option("#id_identity_method", "ktp")
        page.fill("#id_identity_digits", "0000" if person.nik[-4:] != "0000" else "1111")
        page.click("button:has-text('Identitas cocok')")
        assert "tidak cocok dengan data registri" in page.locator("#id_identity_digits_error").inner_text()
        page.fill("#id_identity_digits", person.nik[-4:])
        page.click("button:has-text('Identitas cocok')")
        page.wait_for_selector("h2:has-text('Serahkan salinan data')")
        page.screenshot(path=str(shots / "privacy-request-verified.png"), full_page=True)
        with page.expect_download() as download:
            page.click("button:has-text('Unduh salinan data (PDF)')")
        content = open(download.value.path(), "rb").read()
        page.reload()
        status = page.locator(".page-head").inner_text()
        context.close()
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
    assert person.nik in text and case.ticket in text and "Biaya cuci darah ibu" in text
    assert "Dipenuhi" in status
