"""The whole service-desk path in a real Chromium, clicked and typed like the staff would.

Front office finds a registry resident by name and registers her complaint (walk-in, kesehatan,
consent to share) and prints the receipt; back office sees the programme matching and drafts an
RSUD service recommendation; the Manajer approves it (four eyes) and sends the referral; the
RSUD's Mitra user accepts, serves and records the service; back office closes the case; the
public status page shows it done without personal data.

The ORM is used only for the fixture before the browser starts and for the final checks after
Playwright has stopped (see `chromium`). Debian's Chromium (`/usr/bin/chromium`); screenshots at
tablet size go to SLRT_SCREENSHOT_DIR (or the test's tmp_path).
"""

import datetime as dt
import io
import re
from types import SimpleNamespace

import pytest

from tests.browser import TABLET, TIMEOUT, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESA = "32.01.02.2001"


@pytest.fixture
def desk(regions_after_flush, make_user, make_person):
    """A poor family in the registry (desil 2, a pregnant mother, small children), the programme
    catalogue, the agencies of Kab. Bogor (32.01) and one user per desk role.

    Asked for before `chromium`: while Playwright's event loop runs, the ORM in this thread gets
    a second database connection, which would outlive the test and block dropping the
    PostgreSQL test database.
    """
    from slrt.programs.catalogue import load_agencies, load_catalogue

    # The transactional test flushed the catalogue the data migration had seeded.
    load_catalogue()
    load_agencies("32.01")
    head = make_person(
        desa_code=DESA, nama="Asep Sunandar", sex="L", birth=dt.date(1988, 2, 11), hubungan_keluarga="Kepala Keluarga"
    )
    household = head.household
    household.desil = 2
    household.save()
    mother = make_person(
        desa_code=DESA,
        nama="Rina Marlina",
        sex="P",
        birth=dt.date(1993, 7, 21),
        household=household,
        hubungan_keluarga="Istri",
        hamil=True,
    )
    today = dt.date.today()
    make_person(
        desa_code=DESA,
        nama="Dede Sunandar",
        sex="L",
        household=household,
        hubungan_keluarga="Anak",
        birth=today.replace(year=today.year - 4, day=1),
    )
    make_person(
        desa_code=DESA,
        nama="Neng Sunandar",
        sex="P",
        household=household,
        hubungan_keluarga="Anak",
        birth=today.replace(year=today.year - 9, day=1),
    )
    return SimpleNamespace(
        resident=mother,
        front_office=make_user("front_office", "32.01"),
        back_office=make_user("back_office", "32.01"),
        manajer=make_user("manajer", "32.01"),
        mitra=make_user("mitra", "32.01", agency="RSUD-3201"),
    )



def open_case(page, ticket):
    page.click("nav.mainnav >> text=Layanan")
    page.click(f"a:text-is('{ticket}')")
    page.locator("#linimasa").wait_for()
    assert ticket in page.locator("h1").inner_text()


def test_a_walk_in_is_served_from_intake_to_closure_and_the_resident_sees_it_done(live_server, desk, chromium, shots):
    from django.utils import timezone
    from pypdf import PdfReader

    base = live_server.url
    resident = desk.resident
    with chromium() as browser:
        # 1. Front office: search before create, pick the registry match, record the complaint.
        context, page = log_in(browser, base, desk.front_office)
        page.click("nav.mainnav >> text=Layanan")
        page.click("text=Keluhan baru")
        page.fill("#id_q", "Rina Marlina")
        page.click("button:has-text('Cari')")
        match = page.locator(f"table.results tr[data-person-id='{resident.pk}']")
        match.wait_for()
        page.screenshot(path=str(shots / "walk-1a-search.png"), full_page=True)
        match.locator("a:has-text('Pilih')").click()
        page.wait_for_url("**/layanan/baru/catat/**")
        assert "Rina Marlina" in page.locator("main").inner_text()
        page.select_option("#id_complaint_type", "pengaduan")
        page.select_option("#id_channel", "sekretariat")
        page.fill("#id_phone", "081298765432")
        page.fill("#id_summary", "Ibu hamil 7 bulan, perlu rawat inap, tidak mampu membayar.")
        page.select_option("#id_kebutuhan-0-sector", "kesehatan")
        page.fill("#id_kebutuhan-0-description", "Rawat inap persalinan di RSUD")
        # UU PDP: both consent questions arrive unanswered; saving without them marks them and keeps
        # what was typed; then the resident's answers are chosen actively.
        radios = page.locator("input[name=consent_given], input[name=consent_share_agencies]")
        assert radios.count() == 4
        assert not any(radios.nth(i).is_checked() for i in range(4))
        page.click("button:has-text('Simpan dan beri tiket')")
        page.locator("#id_consent_given.field-error").wait_for()
        assert page.locator("#id_consent_share_agencies.field-error").count() == 1
        assert "pilih Ya atau Tidak" in page.locator("#id_consent_given").inner_text()
        assert page.input_value("#id_summary").startswith("Ibu hamil 7 bulan")
        page.check("input[name=consent_given][value=ya]")
        page.check("input[name=consent_share_agencies][value=ya]")
        page.screenshot(path=str(shots / "walk-1b-intake.png"), full_page=True)
        page.click("button:has-text('Simpan dan beri tiket')")
        page.locator("#status-code").wait_for()
        ticket = page.locator("#ticket").inner_text().strip()
        code = page.locator("#status-code").inner_text().strip()
        assert re.fullmatch(r"SLRT-3201-\d{4}-\d{6}", ticket)
        assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", code)
        page.screenshot(path=str(shots / "walk-1c-ticket.png"), full_page=True)

        # The receipt link opens a PDF in a new tab; fetch it with the tab's session cookies.
        href = page.locator("a:has-text('Cetak tanda terima')").get_attribute("href")
        receipt = page.request.get(f"{base}{href}")
        assert receipt.ok
        assert receipt.headers["content-type"] == "application/pdf"
        pdf = receipt.body()
        assert pdf.startswith(b"%PDF")
        text = "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf)).pages)
        assert ticket in text
        flat = " ".join(text.split())
        assert "Setuju data dicatat Ya" in flat and "Setuju data dibagikan ke lembaga rujukan Ya" in flat
        context.close()

        # 2. Back office: the programme matching, then a recommendation for an RSUD service.
        context, page = log_in(browser, base, desk.back_office)
        open_case(page, ticket)
        eligible = page.locator("#assessment [data-section=eligible]")
        assert eligible.locator("[data-program='PKH-BUMIL']").count() == 1
        assert eligible.locator("[data-program='BPNT']").count() == 1
        assert "PKH komponen ibu hamil" in eligible.inner_text()
        page.locator("#assessment").screenshot(path=str(shots / "walk-2a-matching.png"))
        page.click("#keputusan summary:has-text('Susun rekomendasi')")
        page.select_option("#rec-kind", "lembaga")
        service = page.locator("#rec-service option", has_text="RSUD").filter(has_text="Rawat inap kelas III")
        page.select_option("#rec-service", service.get_attribute("value"))
        page.fill("#rec-note", "Desil 2, ibu hamil; perlu rawat inap kelas III.")
        page.screenshot(path=str(shots / "walk-2b-recommendation.png"), full_page=True)
        page.click("button:has-text('Simpan draf rekomendasi')")
        page.locator("#keputusan table").wait_for()
        decisions = page.locator("#keputusan table").inner_text()
        assert "Rawat inap kelas III" in decisions and "Draf" in decisions
        # Four eyes: the drafter is offered no decision buttons.
        assert page.locator("#keputusan button:has-text('Setujui')").count() == 0
        assert "empat mata" in decisions
        context.close()

        # 3. Manajer: approve (a draft referral appears), then send it to the RSUD.
        context, page = log_in(browser, base, desk.manajer)
        open_case(page, ticket)
        page.fill("#keputusan input[name=note]", "Disetujui, segera rujuk.")
        page.screenshot(path=str(shots / "walk-3a-approve.png"), full_page=True)
        page.click("#keputusan button:has-text('Setujui')")
        page.locator("#rujukan button:has-text('Kirim ke lembaga')").wait_for()
        assert "Disetujui" in page.locator("#keputusan table").inner_text()
        assert "Draf" in page.locator("#rujukan table").inner_text()
        page.click("#rujukan button:has-text('Kirim ke lembaga')")
        page.locator("#rujukan .badge:has-text('Terkirim')").wait_for()
        referral_number = page.locator("#rujukan tbody tr td a").first.inner_text().strip()
        page.locator("#rujukan").screenshot(path=str(shots / "walk-3b-sent.png"))
        context.close()

        # 4. Mitra (RSUD): inbox, accept, start, record the service given.
        context, page = log_in(browser, base, desk.mitra)
        page.click("nav.mainnav >> text=Kotak masuk rujukan")
        page.locator(f"a:text-is('{referral_number}')").wait_for()
        page.screenshot(path=str(shots / "walk-4a-inbox.png"), full_page=True)
        page.click(f"a:text-is('{referral_number}')")
        assert "Rina Marlina" in page.locator("main").inner_text()
        letter = page.request.get(base + page.locator("a:has-text('Surat Rujukan (PDF)')").get_attribute("href"))
        assert letter.ok and letter.body().startswith(b"%PDF")
        page.click("button:has-text('Terima')")
        page.locator("button:has-text('Mulai layanan')").wait_for()
        page.click("button:has-text('Mulai layanan')")
        page.locator("#done-service_given").wait_for()
        page.fill("#done-service_given", "Rawat inap kelas III, persalinan normal")
        page.fill("#done-outcome", "Ibu dan bayi sehat, biaya ditanggung PBI-JK")
        # The office's calendar day (Asia/Jakarta), which the service checks against.
        page.fill("#done-service_date", timezone.localdate().isoformat())
        page.screenshot(path=str(shots / "walk-4b-service.png"), full_page=True)
        page.click("button:has-text('Selesai dilayani')")
        page.locator("h1 .badge:has-text('Selesai')").wait_for()
        assert "persalinan normal" in page.locator("main").inner_text()
        page.screenshot(path=str(shots / "walk-4c-done.png"), full_page=True)
        context.close()

        # 5. Back office: the need is handled through the referral; close the case.
        context, page = log_in(browser, base, desk.back_office)
        open_case(page, ticket)
        assert "Tertangani" in page.locator("#kebutuhan table").inner_text()
        page.fill("#penutupan textarea[name=reason]", "Layanan RSUD selesai diberikan.")
        page.click("#penutupan button:has-text('Tutup kasus')")
        page.locator("#penutupan button:has-text('Buka kembali kasus')").wait_for()
        assert "Selesai" in page.locator("h1 .badge").inner_text()
        page.screenshot(path=str(shots / "walk-5-closed.png"), full_page=True)
        context.close()

        # 6. The resident, not logged in: the public status page.
        context = browser.new_context(viewport=TABLET, locale="id-ID")
        context.set_default_timeout(TIMEOUT)
        page = context.new_page()
        page.goto(f"{base}/status/")
        page.fill("#id_tiket", ticket)
        page.fill("#id_kode", code)
        page.click("button:has-text('Cek status')")
        page.locator("li[data-step=selesai]").wait_for()
        for step in ("diterima", "asesmen", "ditetapkan", "dirujuk", "dilayani", "selesai"):
            assert "done" in page.locator(f"li[data-step={step}]").get_attribute("class"), step
        html = page.content()
        for personal in (resident.nama, "Asep Sunandar", resident.nik, "081298765432"):
            assert personal not in html
        page.screenshot(path=str(shots / "walk-6-status.png"), full_page=True)
        context.close()

    # After the browser: the records behind the pages.
    from slrt.cases.models import Case, CaseStatus, RecommendationStatus
    from slrt.referrals.models import ReferralStatus

    case = Case.objects.system().get(ticket=ticket)
    assert case.status == CaseStatus.CLOSED
    assert case.person_id == resident.pk and case.household_id == resident.household_id
    assert case.channel == "sekretariat" and case.consent_share_agencies
    rec = case.recommendations.get()
    assert rec.status == RecommendationStatus.APPROVED
    assert rec.drafted_by_id == desk.back_office.pk and rec.decided_by_id == desk.manajer.pk
    referral = case.referrals.get()
    assert referral.number == referral_number
    assert referral.status == ReferralStatus.DONE and referral.agency.code == "RSUD-3201"
    assert referral.recommendation_id == rec.pk
