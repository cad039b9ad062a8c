"""Field work end to end in a real Chromium: the facilitator sees the assigned visit in
"Kunjungan saya"; the verification is submitted over OpenRosa to the live server (digest auth,
multipart, as ODK Collect does); the supervisor finds it in the review queue, opens it and
approves; the visit shows as done.

The ORM is used only before and after Playwright runs (see tests/test_browser_desk_walk.py).
"""

import datetime as dt
from types import SimpleNamespace

import pytest

from tests.browser import log_in
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESA = "32.01.02.2001"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 300


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def field(regions_after_flush, make_user, make_person):
    from slrt.fieldwork import services
    from slrt.fieldwork.models import VisitKind
    from slrt.fieldwork.selectors import visit_snapshot

    head = make_person(desa_code=DESA, nama="Asep Sunandar", sex="L", hubungan_keluarga="Kepala Keluarga")
    household = head.household
    household.alamat, household.rt, household.rw = "Kp. Cibodas", "001", "002"
    household.save()
    fas = make_user("fasilitator", DESA)
    sup = make_user("supervisor", "32.01.02")
    visit = services.assign_visit(sup, kind=VisitKind.VERIFICATION, assigned_to=fas,
                                  due_date=dt.date.today() + dt.timedelta(days=3), note="Verifikasi alamat",
                                  household=household)
    return SimpleNamespace(fas=fas, sup=sup, visit=visit, household=household, snapshot=visit_snapshot(visit))



def instance_xml(field, instance_id):
    s = field.snapshot
    return f"""<?xml version="1.0"?>
<data id="slrt_verifikasi_rt" version="uji" xmlns:jr="http://openrosa.org/javarosa">
  <kunjungan>{field.visit.pk}</kunjungan>
  <base_nomor_kk>{s['nomor_kk']}</base_nomor_kk><base_alamat>{s['alamat']}</base_alamat>
  <base_dusun>{s['dusun']}</base_dusun><base_rt>{s['rt']}</base_rt><base_rw>{s['rw']}</base_rw>
  <base_versi>{s['versi']}</base_versi>
  <hasil>ditemukan</hasil>
  <rumah><kode_wilayah>{DESA}</kode_wilayah><nomor_kk>{s['nomor_kk']}</nomor_kk>
    <alamat>Kp. Cibodas Hilir No. 7</alamat><dusun/><rt>001</rt><rw>002</rw>
    <lantai>semen</lantai><luas_lantai>36</luas_lantai></rumah>
  <jenis_ppks/><program/><minta_tinjau_desil>tidak</minta_tinjau_desil><alasan_desil/>
  <foto_rumah>rumah.jpg</foto_rumah><tanda_tangan/><lokasi/><catatan>Alamat lengkap dengan nomor</catatan>
  <meta><instanceID>{instance_id}</instanceID></meta>
</data>""".encode()


def test_a_verification_visit_goes_from_the_task_list_over_openrosa_to_approval(live_server, field, chromium,
                                                                                 shots):
    import requests
    from requests.auth import HTTPDigestAuth

    base = live_server.url
    visit_id = field.visit.pk
    with chromium() as browser:
        context, page = log_in(browser, base, field.fas)
        page.click("nav.mainnav >> text=Kunjungan")
        page.locator(f"#kunjungan-saya tr[data-visit-id='{visit_id}']").wait_for()
        row = page.locator(f"#kunjungan-saya tr[data-visit-id='{visit_id}']").inner_text()
        assert field.household.nomor_kk in row and "Direncanakan" in row
        assert "ODK Collect" in page.locator("#odk-petunjuk").inner_text()
        page.screenshot(path=str(shots / "field-1-tasks.png"), full_page=True)
        context.close()

        # ODK Collect: HEAD for the digest challenge, then the multipart POST with a photo.
        auth = HTTPDigestAuth(field.fas.username, PASSWORD)
        head = requests.head(f"{base}/submission", auth=auth, timeout=30)
        assert head.status_code == 204, head.text
        files = {
            "xml_submission_file": ("submission.xml", instance_xml(field, "uuid:lapangan-1"), "text/xml"),
            "rumah.jpg": ("rumah.jpg", JPEG, "image/jpeg"),
        }
        posted = requests.post(f"{base}/submission", files=files, auth=auth, timeout=30)
        assert posted.status_code == 201, posted.text
        again = requests.post(f"{base}/submission", files=files, auth=auth, timeout=30)
        assert again.status_code == 201  # a retry is accepted and changes nothing

        context, page = log_in(browser, base, field.sup)
        page.click("nav.mainnav >> text=Tinjauan lapangan")
        page.locator("#antrean-tinjauan tbody tr").first.wait_for()
        page.screenshot(path=str(shots / "field-2-queue.png"), full_page=True)
        page.locator("#antrean-tinjauan tbody tr a").first.click()
        page.locator("#isian").wait_for()
        assert "Kp. Cibodas Hilir No. 7" in page.locator("#isian").inner_text()
        assert "rumah.jpg" in page.locator("#lampiran").inner_text()
        page.fill("#approve-note", "Sesuai kondisi lapangan")
        page.screenshot(path=str(shots / "field-3-submission.png"), full_page=True)
        page.click("#tinjau button:has-text('Setujui')")
        page.locator(r".msg >> text=/Kiriman .+ disetujui\./").wait_for()
        page.goto(f"{base}/lapangan/kunjungan/{visit_id}/")
        assert page.locator("#visit-status").inner_text().split()[-1] == "Selesai"  # after the badge icon
        page.screenshot(path=str(shots / "field-4-done.png"), full_page=True)
        context.close()

    from slrt.fieldwork.models import Submission, SubmissionStatus, Visit, VisitStatus
    from slrt.updates.models import Proposal, ProposalStatus

    sub = Submission.objects.system().get()
    assert sub.status == SubmissionStatus.APPROVED and sub.attachments.count() == 1
    assert Visit.objects.system().get(pk=visit_id).status == VisitStatus.DONE
    proposal = Proposal.objects.system().get()
    assert proposal.data["alamat"] == "Kp. Cibodas Hilir No. 7" and proposal.status == ProposalStatus.CHECKED
