"""Proposal pages and API: list with counts, detail (audited), actions, create from a household
page, meeting with minutes download, batches with downloads, reconciliation report; scope 404s."""

import datetime as dt
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from slrt.audit.models import AuditEvent
from slrt.updates import services
from slrt.updates.models import Proposal, ProposalBatch, ProposalStatus, Reconciliation, VillageMeeting
from slrt.updates.reconcile import reconcile_release
from tests.test_referrals_fixtures import api_client, client_for

pytestmark = pytest.mark.django_db
DESA = "32.01.02.2001"
JSON = "application/json"


@pytest.fixture
def staff(make_user):
    return {
        "fas": make_user("fasilitator", DESA),
        "other": make_user("fasilitator", "32.01.03.2001"),
        "sup": make_user("supervisor", "32.01.02"),
        "man": make_user("manajer", "32.01"),
        "man_other": make_user("manajer", "32.02"),
    }


def draft(actor, person, pekerjaan="Petani"):
    return services.draft_proposal(actor, kind="perubahan", data={"nik": person.nik, "pekerjaan": pekerjaan})


def test_list_shows_counts_and_the_detail_is_audited_and_scoped(staff, make_person):
    p = draft(staff["fas"], make_person(DESA))
    client = client_for(staff["fas"])
    page = client.get("/usulan/?status=draf")
    assert page.status_code == 200 and f'data-proposal-id="{p.pk}"' in page.text
    assert 'data-status="draf"' in page.text
    detail = client.get(f"/usulan/{p.pk}/")
    assert detail.status_code == 200 and "Petani" in detail.text
    assert AuditEvent.objects.filter(action="proposal.view", object_id=str(p.pk)).exists()
    assert client_for(staff["other"]).get(f"/usulan/{p.pk}/").status_code == 404
    assert 'data-proposal-id' not in client_for(staff["other"]).get("/usulan/").text


def test_the_transition_buttons_move_the_proposal_and_a_stale_form_is_a_conflict(staff, make_person):
    p = draft(staff["fas"], make_person(DESA))
    fas = client_for(staff["fas"])
    assert 'value="verify"' in fas.get(f"/usulan/{p.pk}/").text
    r = fas.post(f"/usulan/{p.pk}/aksi/", {"action": "verify", "version": p.version})
    assert r.status_code == 302
    p.refresh_from_db()
    assert p.status == ProposalStatus.VERIFIED
    sup = client_for(staff["sup"])
    assert sup.post(f"/usulan/{p.pk}/aksi/", {"action": "check", "version": p.version - 1}).status_code == 409
    r = sup.post(f"/usulan/{p.pk}/aksi/", {"action": "return_to_draft", "version": p.version, "reason": ""})
    assert r.status_code == 422
    assert sup.post(f"/usulan/{p.pk}/aksi/", {"action": "check", "version": p.version}).status_code == 302


def test_create_by_hand_from_a_household_page(staff, make_person):
    person = make_person(DESA)
    fas = client_for(staff["fas"])
    household_page = fas.get(f"/registri/keluarga/{person.household_id}/")
    assert f"/usulan/baru/?kk={person.household_id}" in household_page.text
    form = fas.get(f"/usulan/baru/?kk={person.household_id}&jenis=tinjau_desil")
    assert form.status_code == 200 and person.household.nomor_kk in form.text
    r = fas.post("/usulan/baru/", {"kind": "tinjau_desil", "col_nomor_kk": person.household.nomor_kk, "reason": ""})
    assert r.status_code == 422 and "Alasan wajib diisi" in r.text
    r = fas.post("/usulan/baru/", {"kind": "kk_baru", "col_nama": "Budi Santoso", "col_kode_wilayah": "3201022001",
                                   "anggota": "; Siti Santoso; 1990-05-01; P; Istri"})
    assert r.status_code == 302
    p = Proposal.objects.system().get(kind="kk_baru")
    assert p.data["anggota"] == [{"nama": "Siti Santoso", "tanggal_lahir": "1990-05-01", "jenis_kelamin": "P",
                                  "hubungan_keluarga": "Istri"}]


def test_meeting_page_stores_minutes_and_only_the_region_downloads_them(staff, make_person):
    fas, sup = staff["fas"], staff["sup"]
    p = draft(fas, make_person(DESA))
    services.verify(fas, p)
    services.transition(sup, p, "check")
    client = client_for(fas)
    page = client.get(f"/usulan/musyawarah/baru/?desa={DESA}")
    assert page.status_code == 200 and f'value="{p.pk}"' in page.text
    r = client.post("/usulan/musyawarah/baru/", {
        "desa_code": DESA, "kind": "musdes", "held_on": dt.date.today().isoformat(), "attendance": "12",
        "notes": "", "proposals": [str(p.pk)],
        "minutes": SimpleUploadedFile("BA Musdes.pdf", b"%PDF-1.4 minutes", content_type="application/pdf"),
    })
    assert r.status_code == 302
    meeting = VillageMeeting.objects.system().get()
    download = client.get(f"/usulan/musyawarah/{meeting.pk}/berita-acara/")
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")
    assert client_for(staff["other"]).get(f"/usulan/musyawarah/{meeting.pk}/berita-acara/").status_code == 404


def _approved(staff, person):
    fas, sup, man = staff["fas"], staff["sup"], staff["man"]
    p = draft(fas, person)
    services.verify(fas, p)
    services.transition(sup, p, "check")
    services.record_meeting(fas, desa_code=DESA, kind="musdes", held_on=dt.date.today(), attendance=4,
                            minutes=SimpleUploadedFile("ba.pdf", b"%PDF-1.4"), proposals=[p])
    services.transition(man, p, "approve")
    return p


def test_batches_page_creates_downloads_and_submits(staff, make_person):
    _approved(staff, make_person(DESA))
    man = client_for(staff["man"])
    assert man.post("/usulan/berkas/", {"kab_code": "32.01", "period": "2026-06"}).status_code == 302
    batch = ProposalBatch.objects.get()
    csv_r = man.get(f"/usulan/berkas/{batch.pk}/unduh/csv/")
    assert csv_r.status_code == 200 and csv_r.content.decode().startswith("nik,nomor_kk,nama,kode_wilayah")
    siks = man.get(f"/usulan/berkas/{batch.pk}/unduh/siks/")
    sheet = openpyxl.load_workbook(io.BytesIO(siks.content)).active
    assert sheet["A7"].value == "No" and sheet["C8"].value == "Perubahan data"
    assert AuditEvent.objects.filter(action="proposal_batch.download").count() == 2
    assert client_for(staff["man_other"]).get(f"/usulan/berkas/{batch.pk}/unduh/csv/").status_code == 404
    assert client_for(staff["fas"]).get("/usulan/berkas/").status_code == 403
    assert man.post(f"/usulan/berkas/{batch.pk}/ajukan/", {"note": "SIKS-NG"}).status_code == 302
    assert set(batch.proposals.values_list("status", flat=True)) == {ProposalStatus.SUBMITTED}
    # A second batch for the same month is refused, naming the period.
    r = man.post("/usulan/berkas/", {"kab_code": "32.01", "period": "2026-06"})
    assert r.status_code == 422 and "2026-06" in r.text


def test_reconciliation_report_lists_only_villages_in_scope(staff, make_person):
    from slrt.registry.models import Release

    release = Release.objects.create(source="DTSEN", period="2026-07")
    recon = Reconciliation.objects.create(release=release, accepted=3, pending=1, by_village={
        DESA: {"accepted": 2, "pending": 1, "rejected": 0}, "32.02.02.2001": {"accepted": 1, "pending": 0,
                                                                              "rejected": 0}})
    page = client_for(staff["fas"]).get(f"/usulan/rekonsiliasi/{recon.pk}/")
    assert page.status_code == 200
    assert f'data-desa="{DESA}"' in page.text and 'data-desa="32.02.02.2001"' not in page.text
    assert 'data-total="accepted">2<' in page.text


# -- API ---------------------------------------------------------------------------------------


def test_api_create_list_transition_and_error_codes(staff, make_person):
    person = make_person(DESA)
    fas = api_client(staff["fas"])
    r = fas.post("/api/v1/proposals", {"kind": "perubahan", "data": {"nik": person.nik, "pekerjaan": "Guru"}},
                 content_type=JSON)
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["status"] == "draf" and body["base"] == {"pekerjaan": ""} and "verify" in body["actions"]
    bad = fas.post("/api/v1/proposals", {"kind": "penghapusan", "data": {"nik": person.nik}}, content_type=JSON)
    assert bad.status_code == 422 and "removal_reason" in bad.json()["errors"]
    listing = fas.get("/api/v1/proposals?status=draf").json()
    assert listing["count"] == 1 and listing["counts"]["draf"] == 1
    pid = body["id"]
    r = fas.post(f"/api/v1/proposals/{pid}/transition", {"action": "verify", "version": body["version"]},
                 content_type=JSON)
    assert r.status_code == 200 and r.json()["status"] == "terverifikasi"
    stale = fas.post(f"/api/v1/proposals/{pid}/transition", {"action": "cancel", "version": body["version"],
                                                             "reason": "x"}, content_type=JSON)
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"
    agree = api_client(staff["man"]).post(f"/api/v1/proposals/{pid}/transition", {"action": "agree"},
                                          content_type=JSON)
    assert agree.status_code == 409 and agree.json()["code"] == "invalid_transition"
    assert api_client(staff["other"]).get(f"/api/v1/proposals/{pid}").status_code == 404
    assert fas.get("/api/v1/proposal-batches").status_code == 403


def test_api_batches_and_reconciliation(staff, make_person):
    _approved(staff, make_person(DESA))
    batch = services.create_batch(staff["man"], kab_code="32.01", period="2026-06")
    services.submit_batch(staff["man"], batch)
    from slrt.registry.models import Release

    recon = reconcile_release(Release.objects.create(source="DTSEN", period="2026-07"), region_code="32.01")
    man = api_client(staff["man"])
    batches = man.get("/api/v1/proposal-batches").json()
    assert [b["period"] for b in batches] == ["2026-06"] and batches[0]["status"] == "diajukan"
    assert api_client(staff["man_other"]).get("/api/v1/proposal-batches").json() == []
    body = man.get(f"/api/v1/reconciliations/{recon.pk}").json()
    assert body["pending"] == 1 and body["by_village"] == {DESA: {"accepted": 0, "pending": 1, "rejected": 0}}


def test_every_page_renders_for_its_roles(staff, make_person):
    p = _approved(staff, make_person(DESA))
    p.refresh_from_db()
    man, fas = client_for(staff["man"]), client_for(staff["fas"])
    assert 'href="/usulan/"' in man.get("/").text  # the nav link
    for client, url in ((man, "/usulan/berkas/"), (fas, "/usulan/musyawarah/baru/"), (fas, "/usulan/rekonsiliasi/"),
                        (fas, "/usulan/baru/"), (fas, f"/usulan/musyawarah/{p.meeting_id}/"),
                        (man, f"/usulan/{p.pk}/"), (man, "/usulan/?q=Siti")):
        assert client.get(url, follow=True).status_code == 200, url  # ?q= moves onto a session key
    assert client_for(staff["other"]).get(f"/usulan/musyawarah/{p.meeting_id}/").status_code == 404


def test_the_api_masks_nik_and_kk_for_a_role_without_the_full_number(staff, make_person, make_user):
    person = make_person(desa_code=DESA)
    p = draft(staff["fas"], person)
    dinsos = api_client(make_user("dinsos", "32"))
    data = dinsos.get(f"/api/v1/proposals/{p.pk}").json()["data"]
    assert data["nik"] == person.nik[:6] + "*" * 8 + person.nik[-2:]
    full = api_client(staff["man"]).get(f"/api/v1/proposals/{p.pk}").json()["data"]
    assert full["nik"] == person.nik
