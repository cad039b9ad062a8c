"""Every list exports (issue 13 point 3): the list's own rows for the caller, as CSV and XLSX.

Each list's rows are counted here from the records the test made, never through the selector the
export uses. Formulas typed into names and notes come out inert, NIKs and names are masked for a
role without `see_full_nik`, another kab/kota exports nothing, each export writes one audit row
with its count (a personal filter only as "used"), and a big export runs as a background job whose
file only its requester can fetch. The API tests take every id from an earlier API answer.
"""

import csv
import datetime as dt
import io

import openpyxl
import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from slrt.audit.models import AuditEvent
from slrt.cases.models import Case
from slrt.exports import services
from slrt.exports.models import ExportJob, ExportStatus
from slrt.notifications.models import Notification
from slrt.programs.models import TargetingError, TargetingRun, TargetingStatus
from slrt.referrals.models import ReferralStatus
from slrt.registry.models import Household
from tests.test_referrals_fixtures import api_client, build_desk, client_for, make_case, referral_in
from tests.test_referrals_fixtures import user as account

pytestmark = pytest.mark.django_db

DESA = "32.01.02.2001"
OTHER_DESA = "32.01.03.2001"
OTHER_KAB_DESA = "32.02.02.2001"
FORMULAS = ['=HYPERLINK("http://x.example","klik")', "+cmd|' /C calc'!A0", "@SUM(A1:A9)", "-1+1"]


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode()), "CSV starts with a byte-order mark for Excel"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def xlsx_rows(data: bytes) -> list[tuple]:
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    return [tuple("" if v is None else v for v in row) for row in wb.active.iter_rows(values_only=True)]


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def export(client, name, fmt="csv", **params):
    return client.get(f"/ekspor/{name}/", {"format": fmt, **params})


def last_export_audit(user, name):
    return AuditEvent.objects.filter(actor=user, action=f"export.{name}").order_by("-id").first()


@pytest.fixture
def desk(db):
    return build_desk()


# --- cases -----------------------------------------------------------------------------------------


def _cases(names):
    made = []
    for i, name in enumerate(names):
        case, _need = make_case(DESA if i % 2 == 0 else OTHER_DESA, name=name, nik=f"320102450685{i:04d}")
        made.append(case)
    return made


def test_cases_export_holds_the_list_rows_with_names_not_codes_and_formulas_inert(desk):
    made = _cases(["Siti Rahmawati", *FORMULAS])
    Case.objects.system().filter(pk=made[0].pk).update(summary="=1+2 catatan", urgency="darurat")
    make_case(OTHER_KAB_DESA, name="Warga Kab Lain", nik="3202024506850001")
    client = client_for(desk.bo)

    response = export(client, "cases", status="baru")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    rows = csv_rows(body(response))
    header, data = rows[0], rows[1:]
    assert header[:3] == ["Tiket", "Warga", "NIK"] and "Status" in header
    assert sorted(r[0] for r in data) == sorted(c.ticket for c in made)  # not the other kab's case
    by_ticket = {r[0]: dict(zip(header, r, strict=True)) for r in data}
    first = by_ticket[made[0].ticket]
    assert first["Warga"] == "Siti Rahmawati" and first["NIK"] == "3201024506850000"  # back office sees it
    assert first["Uraian keluhan"] == "'=1+2 catatan"
    assert first["Urgensi"] == "Darurat" and first["Jenis"] == "Pengaduan" and first["Status"] == "Baru"
    assert first["Wilayah"].startswith("Desa ") or "," in first["Wilayah"]  # a name, not 32.01.02.2001
    assert "32.01" not in first["Wilayah"]
    names = {by_ticket[c.ticket]["Warga"] for c in made[1:]}
    assert names == {"'" + f for f in FORMULAS}


def test_cases_export_masks_nik_and_names_for_a_role_without_full_nik(desk):
    made = _cases(["Siti Rahmawati"])
    rows = csv_rows(body(export(client_for(desk.dinsos), "cases")))
    header, data = rows[0], rows[1:]
    row = dict(zip(header, data[0], strict=True))
    assert [r[0] for r in data] == [made[0].ticket]
    assert row["NIK"] == "320102********00" and row["Warga"] == "S. R."


def test_another_kab_exports_none_of_the_cases(desk):
    _cases(["Siti Rahmawati", "Budi Santoso"])
    rows = csv_rows(body(export(client_for(desk.bo_other_kab), "cases")))
    assert len(rows) == 1  # the header only


def test_cases_xlsx_parses_back_with_the_same_rows_and_inert_formulas(desk):
    made = _cases(FORMULAS)
    response = export(client_for(desk.bo), "cases", "xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    data = body(response)
    rows = xlsx_rows(data)
    assert rows[0][:3] == ("Tiket", "Warga", "NIK")
    assert sorted(r[0] for r in rows[1:]) == sorted(c.ticket for c in made)
    assert sorted(r[1] for r in rows[1:]) == sorted("'" + f for f in FORMULAS)
    # Stored as text cells: no cell of the sheet is a formula.
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert all(c.data_type != "f" for row in wb.active.iter_rows() for c in row)
    assert isinstance(rows[1][3], dt.datetime)  # the date is a date cell


def test_a_cases_export_is_audited_with_its_filter_count_and_the_cases_shown(desk):
    made = _cases(["Siti Rahmawati", "Budi Santoso", "Ani"])
    client = client_for(desk.bo)
    body(export(client, "cases", desa=DESA, tiket=made[0].ticket))
    event = last_export_audit(desk.bo, "cases")
    assert event.detail["count"] == 1
    assert event.detail["filters"] == {"desa": DESA, "tiket": True}  # the ticket asked for: only "used"
    assert event.detail["cases"] == [made[0].pk]
    assert event.detail["format"] == "csv" and event.region_code == DESA


def test_a_download_stopped_by_the_client_is_audited_with_the_rows_it_got(desk):
    made = _cases([f"Warga {i}" for i in range(6)])
    Case.objects.system().filter(pk__in=[c.pk for c in made]).update(summary="panjang " * 4000)  # ~32 KB each
    prepared = services.prepare(desk.bo, "cases", {}, "csv")
    chunks = services.csv_stream(prepared, desk.bo)  # what the streamed answer iterates
    first = next(chunks)
    chunks.close()  # the client went away after the first 64 KB: the server closes the answer
    event = last_export_audit(desk.bo, "cases")
    assert event.detail["complete"] is False
    assert len(csv_rows(first)) - 1 <= event.detail["count"] < len(made)


def test_bad_input_unknown_list_bad_format_and_bad_filter(desk):
    client = client_for(desk.bo)
    assert export(client, "tidak-ada").status_code == 404
    bad_format = export(client, "cases", "pdf")
    assert bad_format.status_code == 422 and b"csv atau xlsx" in bad_format.content
    bad_filter = export(client, "cases", status="entah")
    assert bad_filter.status_code == 422 and b"status" in bad_filter.content
    # A Mitra may not export the staff's case list at all.
    assert export(client_for(desk.mitra), "cases").status_code == 403


# --- referrals and the Mitra inbox -----------------------------------------------------------------


def test_referrals_export_and_the_mitra_inbox_hold_their_lists_rows(desk):
    sent = referral_in(desk, ReferralStatus.SENT)
    other = referral_in(desk, ReferralStatus.ACCEPTED)
    draft = referral_in(desk, ReferralStatus.DRAFT)
    staff = csv_rows(body(export(client_for(desk.manajer), "referrals")))
    assert sorted(r[0] for r in staff[1:]) == sorted(r.number for r in (sent, other, draft))
    only_sent = csv_rows(body(export(client_for(desk.manajer), "referrals", status="terkirim")))
    assert [r[0] for r in only_sent[1:]] == [sent.number]

    # A Mitra's "referrals" is its inbox: sent referrals of its agency, the NIK always masked.
    inbox = csv_rows(body(export(client_for(desk.mitra), "referrals")))
    header = inbox[0]
    assert "Kebutuhan" in header and "Wilayah" not in header
    assert sorted(r[0] for r in inbox[1:]) == sorted([sent.number, other.number])
    row = dict(zip(header, inbox[1], strict=True))
    assert row["NIK"] == "320102********01"
    assert last_export_audit(desk.mitra, "inbox").detail["count"] == 2
    assert csv_rows(body(export(client_for(desk.mitra_dinkes), "referrals")))[1:] == []
    assert csv_rows(body(export(client_for(desk.manajer_other_kab), "referrals")))[1:] == []


# --- people search (terms from the session, never the URL) -----------------------------------------


def test_people_export_takes_the_search_terms_from_the_session_key_not_the_url(desk, make_person, client):
    head = make_person(nama="Siti Aminah")
    members = [head] + [make_person(nama=name, household=head.household) for name in FORMULAS]
    make_person(nama="Tetangga Lain")
    client.force_login(desk.bo)
    searched = client.post("/registri/cari/", {"q": head.household.nomor_kk})
    assert searched.status_code == 303
    key = searched["Location"].split("s=")[1].split("&")[0]
    page = client.get(searched["Location"])
    assert f"/ekspor/people/?format=csv&amp;s={key}".encode() in page.content  # the button carries the key

    response = export(client, "people", s=key)
    rows = csv_rows(body(response))
    assert sorted(r[0] for r in rows[1:]) == sorted(p.nik for p in members)
    assert sorted(r[1] for r in rows[1:]) == sorted(["Siti Aminah", *("'" + f for f in FORMULAS)])
    event = last_export_audit(desk.bo, "people")
    assert event.detail["filters"] == {"q": True} and event.detail["count"] == len(members)
    assert sorted(event.detail["people"]) == sorted(p.pk for p in members)
    # A term in the export's own URL is ignored: without the key there is no search to export.
    no_key = export(client, "people", q=head.nik)
    assert no_key.status_code == 422


def test_people_export_by_nik_through_the_api_masks_for_dinsos(desk, make_person):
    person = make_person(nama="Siti Aminah")
    full = api_client(desk.bo).get("/api/v1/exports/people", {"format": "csv", "nik": person.nik})
    assert full.status_code == 200
    assert csv_rows(body(full))[1][:2] == [person.nik, "Siti Aminah"]
    masked = api_client(desk.dinsos).get("/api/v1/exports/people", {"format": "csv", "nik": person.nik})
    row = csv_rows(body(masked))[1]
    assert row[0] == person.nik[:6] + "********" + person.nik[14:] and row[1] == "S. A."
    assert csv_rows(body(api_client(desk.bo_other_kab).get(
        "/api/v1/exports/people", {"format": "csv", "nik": person.nik})))[1:] == []


# --- households, targeting errors, notifications ---------------------------------------------------


def test_households_export_filters_by_desil_inside_the_scope(desk, make_person):
    poor = [make_person().household for _ in range(3)]
    Household.objects.system().filter(pk__in=[h.pk for h in poor]).update(desil=1)
    make_person()  # desil unknown
    make_person(desa_code=OTHER_KAB_DESA)
    rows = csv_rows(body(export(client_for(desk.bo), "households", desil="1")))
    assert sorted(r[0] for r in rows[1:]) == sorted(h.nomor_kk for h in poor)
    bad = export(client_for(desk.bo), "households", desil="11")
    assert bad.status_code == 422 and b"Desil" in bad.content


def _run_with_errors(desk, make_person):
    from tests.test_referrals_fixtures import program

    run = TargetingRun.objects.create(region_id="32.01", status=TargetingStatus.DONE, started_by=desk.manajer)
    prog = program()
    households = [make_person(desa_code=DESA if i < 3 else OTHER_DESA).household for i in range(5)]
    for i, h in enumerate(households):
        TargetingError.objects.create(run=run, program=prog, household=h, desa_code=h.desa_code,
                                      kind="exclusion" if i % 2 == 0 else "inclusion")
    return run, households


def test_targeting_errors_export_is_the_run_pages_rows(desk, make_person):
    run, households = _run_with_errors(desk, make_person)
    client = client_for(desk.manajer)
    rows = csv_rows(body(export(client, "targeting-errors", run=run.pk, kind="exclusion")))
    assert rows[0] == ["Program", "Jenis galat", "Desa", "Nomor KK", "Desil"]
    assert sorted(r[3] for r in rows[1:]) == sorted(h.nomor_kk for i, h in enumerate(households) if i % 2 == 0)
    assert {r[1] for r in rows[1:]} == {"Layak tetapi tidak menerima"}
    page = client.get(f"/program/penargetan/{run.pk}/", {"kind": "exclusion"})
    assert f"run={run.pk}".encode() in page.content and b"/ekspor/targeting-errors/" in page.content
    assert export(client, "targeting-errors").status_code == 422  # which run?
    assert export(client_for(desk.manajer_other_kab), "targeting-errors", run=run.pk).status_code == 404


def test_notifications_export_masks_the_recipient_and_defaults_to_failed(desk):
    def note(status, desa=DESA, recipient="081234567890", subject="Rujukan terlambat"):
        n = Notification(event="referral.overdue", channel="sms", recipient=recipient, subject=subject, body="x",
                         status=status, next_attempt_at=timezone.now())
        n.set_region(desa)
        n.save()
        return n

    failed = [note("gagal", subject=FORMULAS[0]), note("gagal")]
    note("terkirim")
    note("gagal", desa=OTHER_KAB_DESA)
    rows = csv_rows(body(export(client_for(desk.manajer), "notifications")))
    assert len(rows) == 1 + len(failed)
    assert {r[3] for r in rows[1:]} == {"08123****890"}
    assert {r[4] for r in rows[1:]} == {"Gagal permanen"}
    assert "'" + FORMULAS[0] in {r[1] for r in rows[1:]}
    everything = csv_rows(body(export(client_for(desk.manajer), "notifications", status="semua")))
    assert len(everything) == 1 + 3


# --- visits, submissions, proposals, the audit log ------------------------------------------------


def _scoped(model, desa, **fields):
    obj = model(**fields)
    obj.set_region(desa)
    obj.save()
    return obj


def test_visits_and_the_review_queue_export_their_rows(desk, make_person):
    from slrt.fieldwork.models import Submission, Visit

    hh = make_person().household
    visits = [_scoped(Visit, DESA, kind="verifikasi", assigned_to=desk.fasilitator, household=hh, note=FORMULAS[i])
              for i in range(3)]
    elsewhere = _scoped(Visit, OTHER_KAB_DESA, kind="verifikasi")
    rows = csv_rows(body(export(client_for(desk.manajer), "visits")))
    assert sorted(int(r[0]) for r in rows[1:]) == sorted(v.pk for v in visits)
    header = rows[0]
    row = dict(zip(header, rows[1], strict=True))
    assert row["Jenis"] == "Verifikasi rumah tangga" and row["Status"] == "Direncanakan"
    assert row["Petugas"] == desk.fasilitator.username and row["Nomor KK"] == hh.nomor_kk
    assert {r[header.index("Catatan")] for r in rows[1:]} == {"'" + f for f in FORMULAS[:3]}
    other_kab = csv_rows(body(export(client_for(desk.manajer_other_kab), "visits")))
    assert [int(r[0]) for r in other_kab[1:]] == [elsewhere.pk]

    waiting = [_scoped(Submission, DESA, instance_id=f"uuid:{i}", form_id="slrt_verifikasi_rt", source="odk",
                       status=status, submitted_by=desk.fasilitator, visit=visits[0])
               for i, status in enumerate(["menunggu_tinjauan", "konflik"])]
    _scoped(Submission, DESA, instance_id="uuid:done", form_id="slrt_verifikasi_rt", source="odk", status="disetujui")
    supervisor = account("supervisor", "32.01.02")
    rows = csv_rows(body(export(client_for(supervisor), "submissions")))
    header = rows[0]
    assert len(rows) == 1 + len(waiting)
    assert {r[header.index("Formulir")] for r in rows[1:]} == {"Pendaftaran dan verifikasi rumah tangga"}
    assert {r[header.index("No. kunjungan")] for r in rows[1:]} == {str(visits[0].pk)}
    assert export(client_for(desk.bo), "submissions").status_code == 403  # the page is the supervisor's


def test_proposals_export_reads_the_search_box_from_the_session(desk, client):
    from slrt.updates.models import Proposal

    siti = _scoped(Proposal, DESA, kind="kk_baru", data={"nama": "Siti Aminah", "nik": "3201024506850001"})
    others = [_scoped(Proposal, DESA, kind="perubahan", data={"nama": name}) for name in ("Budi", FORMULAS[0])]
    client.force_login(desk.bo)
    rows = csv_rows(body(export(client, "proposals")))
    assert sorted(int(r[0]) for r in rows[1:]) == sorted(p.pk for p in [siti, *others])
    assert "'" + FORMULAS[0] in {r[2] for r in rows[1:]}
    only_new = csv_rows(body(export(client, "proposals", kind="kk_baru")))
    assert [int(r[0]) for r in only_new[1:]] == [siti.pk]
    assert only_new[1][3] == "3201024506850001" and only_new[1][1] == "Rumah tangga baru"
    searched = client.post("/usulan/", {"q": "Siti Aminah"})
    key = searched["Location"].split("s=")[1].split("&")[0]
    found = csv_rows(body(export(client, "proposals", s=key)))
    assert [int(r[0]) for r in found[1:]] == [siti.pk]
    assert last_export_audit(desk.bo, "proposals").detail["filters"] == {"q": True}
    masked = csv_rows(body(export(client_for(desk.dinsos), "proposals", kind="kk_baru")))
    assert masked[1][3] == "320102********01" and masked[1][2] == "S. A."


def test_audit_log_export_is_the_admins_and_holds_the_events_of_its_scope(desk, make_person, client):
    from slrt.audit.services import record

    person = make_person(nama="Siti Aminah")
    about = [record(desk.bo, "person.view", person), record(desk.fo, "person.view", person)]
    client.force_login(desk.admin)
    searched = client.post("/audit/", {"nik": person.nik})
    key = searched["Location"].split("s=")[1].split("&")[0]
    assert f"/ekspor/audit/?format=csv&amp;s={key}".encode() in client.get(searched["Location"]).content
    rows = csv_rows(body(export(client, "audit", s=key)))
    # The two reads of the person, and the Admin's own reading of the log that named them.
    assert sorted(r[rows[0].index("Nomor data")] for r in rows[1:]) == ["", *[str(person.pk)] * len(about)]
    assert last_export_audit(desk.admin, "audit").detail["filters"] == {"nik": True}

    mine = [record(desk.bo, "person.view", region_code=DESA) for _ in range(3)]
    record(desk.bo_other_kab, "person.view", region_code=OTHER_KAB_DESA)
    rows = csv_rows(body(export(client_for(desk.admin), "audit", aksi="person.view")))
    assert len(rows) == 1 + len(mine) + len(about)  # not the other kab's event
    header = rows[0]
    assert {r[header.index("Pelaku")] for r in rows[1:]} == {desk.bo.username, desk.fo.username}
    assert all("," in r[header.index("Wilayah")] for r in rows[1:])  # "Desa …, Kec. …", not a code
    assert export(client_for(desk.manajer), "audit").status_code == 403
    bad = export(client_for(desk.admin), "audit", dari="kemarin")
    assert bad.status_code == 422


# --- background jobs -------------------------------------------------------------------------------


def test_a_big_export_runs_in_the_background_with_progress_and_a_link_for_its_owner_only(
    desk, settings, django_capture_on_commit_callbacks
):
    settings.SLRT_EXPORT_SYNC_MAX = 2
    made = _cases(["Siti Rahmawati", "Budi Santoso", "Ani Lestari"])
    client = client_for(desk.bo)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = export(client, "cases", "xlsx")
    assert response.status_code == 302
    job = ExportJob.objects.get()
    assert response["Location"] == f"/ekspor/tugas/{job.pk}/"
    assert job.status == ExportStatus.QUEUED and job.rows_total == 3
    page = client.get(response["Location"])
    assert b'hx-trigger="every 1s"' in page.content and b"Menunggu giliran" in page.content

    for callback in callbacks:  # the worker (tasks run eagerly in tests)
        callback()
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE and job.rows_done == 3 and job.file.name.startswith("exports/")
    status = client.get(f"/ekspor/tugas/{job.pk}/status/", HTTP_HX_REQUEST="true")
    assert b"hx-trigger" not in status.content and f"/ekspor/tugas/{job.pk}/unduh/".encode() in status.content
    download = client.get(f"/ekspor/tugas/{job.pk}/unduh/")
    rows = xlsx_rows(body(download))
    assert sorted(r[0] for r in rows[1:]) == sorted(c.ticket for c in made)
    event = AuditEvent.objects.filter(action="export.cases", actor=desk.bo).get()
    assert event.detail["job"] == job.pk and event.detail["count"] == 3

    # Nobody else, an Admin neither, reaches the job, its progress or its file.
    for other in (desk.bo2, desk.admin):
        c = client_for(other)
        for url in ("", "status/", "unduh/"):
            assert c.get(f"/ekspor/tugas/{job.pk}/{url}", HTTP_HX_REQUEST="true").status_code == 404


def test_expired_export_files_are_deleted_by_the_cleanup_job(desk, settings, django_capture_on_commit_callbacks):
    settings.SLRT_EXPORT_SYNC_MAX = 0
    _cases(["Siti Rahmawati"])
    with django_capture_on_commit_callbacks(execute=True):
        export(client_for(desk.bo), "cases")
    job = ExportJob.objects.get()
    name = job.file.name
    assert default_storage.exists(name)
    from slrt.notifications.jobs import job_named

    cleanup = job_named("export_cleanup")
    assert cleanup.run() == 0  # not yet expired
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert cleanup.run() == 1
    job.refresh_from_db()
    assert job.status == ExportStatus.EXPIRED and not default_storage.exists(name)
    assert client_for(desk.bo).get(f"/ekspor/tugas/{job.pk}/unduh/").status_code == 404


# --- the API (every id from an API answer) ---------------------------------------------------------


def test_api_exports_per_spec_and_a_big_one_answers_202_with_its_job(
    desk, settings, django_capture_on_commit_callbacks
):
    made = _cases(["Siti Rahmawati", "Budi Santoso", "=HYPERLINK(\"x\")"])
    api = api_client(desk.bo)
    small = api.get("/api/v1/exports/cases", {"format": "csv"})
    assert small.status_code == 200 and small["X-Export-Rows"] == "3"
    assert sorted(r[0] for r in csv_rows(body(small))[1:]) == sorted(c.ticket for c in made)

    assert api.get("/api/v1/exports/nothing", {"format": "csv"}).status_code == 404
    bad = api.get("/api/v1/exports/cases", {"format": "pdf"})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_format" and "format" in bad.json()["errors"]
    bad = api.get("/api/v1/exports/cases", {"format": "csv", "urgency": "kiamat"})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_filter" and "urgency" in bad.json()["errors"]
    assert api_client(desk.mitra).get("/api/v1/exports/cases", {"format": "csv"}).status_code == 403

    settings.SLRT_EXPORT_SYNC_MAX = 1
    with django_capture_on_commit_callbacks(execute=True):
        started = api.get("/api/v1/exports/cases", {"format": "xlsx"})
    assert started.status_code == 202
    job = started.json()
    assert job["status"] == "queued" and job["rows_total"] == 3 and job["download_url"] is None
    status = api.get(job["status_url"]).json()
    assert status["id"] == job["id"] and status["status"] == "done" and status["rows_done"] == 3
    rows = xlsx_rows(body(api.get(status["download_url"])))
    assert sorted(r[0] for r in rows[1:]) == sorted(c.ticket for c in made)
    assert [j["id"] for j in api.get("/api/v1/exports/jobs").json()] == [job["id"]]
    assert api_client(desk.bo2).get("/api/v1/exports/jobs").json() == []
    assert api_client(desk.bo2).get(job["status_url"]).status_code == 404
    assert api_client(desk.bo2).get(status["download_url"]).status_code == 404


def test_openapi_document_names_the_export_operations(client):
    doc = client.get("/api/v1/openapi.json").json()
    op = doc["paths"]["/api/v1/exports/{list_name}"]["get"]
    assert set(op["responses"]) >= {"200", "202", "404", "422"}
    assert "text/csv; charset=utf-8" in op["responses"]["200"]["content"]
    names = next(p for p in op["parameters"] if p["name"] == "list_name")["schema"]["enum"]
    assert {"cases", "referrals", "people", "households", "visits", "submissions", "proposals",
            "targeting-errors", "notifications", "audit"} <= set(names)
    assert "/api/v1/exports/jobs/{job_id}" in doc["paths"]
