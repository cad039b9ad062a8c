"""Registry proposals under odd input and across regions: the import result page shows what the
import settled; missing minutes files, spreadsheet formulas, huge attendance numbers, searches
(audited), reconciliation totals of other regions, the exchange CSV round trip, and two batches
for one kabupaten at once."""

import csv
import datetime as dt
import io
import threading

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection

from slrt.audit.models import AuditEvent
from slrt.registry.models import ImportJob, Person, Release
from slrt.updates import export, services
from slrt.updates.models import Proposal, ProposalBatch, ProposalStatus, Reconciliation, VillageMeeting
from slrt.updates.reconcile import reconcile_release
from tests.test_referrals_fixtures import api_client, client_for
from tests.test_updates_workflow import BASE_ROWS, import_rows, nik

DESA = "32.01.02.2001"


@pytest.fixture
def staff(make_user):
    return {
        "fas": make_user("fasilitator", DESA),
        "other": make_user("fasilitator", "32.01.03.2001"),
        "sup": make_user("supervisor", "32.01.02"),
        "man": make_user("manajer", "32.01"),
    }


def minutes():
    return SimpleUploadedFile("ba.pdf", b"%PDF-1.4 minutes", content_type="application/pdf")


def approved(staff, data, kind="perubahan", reason="", **kw):
    fas, sup, man = staff["fas"], staff["sup"], staff["man"]
    p = services.draft_proposal(fas, kind=kind, data=data, reason=reason, **kw)
    services.verify(fas, p)
    services.transition(sup, p, "check")
    services.record_meeting(fas, desa_code=p.desa_code, kind="musdes", held_on=dt.date.today(), attendance=4,
                            minutes=minutes(), proposals=[p])
    services.transition(man, p, "approve")
    p.refresh_from_db()
    return p


@pytest.mark.django_db
def test_the_import_result_page_shows_the_proposal_reconciliation_with_a_link(tmp_path, staff, make_user):
    import_rows(tmp_path, BASE_ROWS, "2026-01")
    p = approved(staff, {"nik": nik(1), "pekerjaan": "Petani"})
    services.submit_batch(staff["man"], services.create_batch(staff["man"], kab_code="32.01", period="2026-02"))
    import_rows(tmp_path, [{**BASE_ROWS[0], "pekerjaan": "Petani"}, *BASE_ROWS[1:]], "2026-02")
    job = ImportJob.objects.order_by("-pk").first()
    recon = Reconciliation.objects.get(import_job=job)
    assert Proposal.objects.system().get(pk=p.pk).status == ProposalStatus.ACCEPTED
    admin = client_for(make_user("admin", "00"))  # a CLI import of the whole file: the nation's
    page = admin.get(f"/registri/impor/{job.pk}/")
    assert page.status_code == 200
    assert f'data-reconciliation="{recon.pk}"' in page.text
    assert 'data-proposals="accepted">1<' in page.text and 'data-proposals="pending">0<' in page.text
    assert f'href="/usulan/rekonsiliasi/{recon.pk}/"' in page.text
    first = ImportJob.objects.order_by("pk").first()  # the first import settled nothing: the block says 0
    assert 'data-proposals="accepted">0<' in admin.get(f"/registri/impor/{first.pk}/").text


@pytest.mark.django_db
def test_minutes_whose_file_is_gone_answer_404_not_500(staff, make_person):
    p = approved(staff, {"nik": make_person(DESA).nik, "pekerjaan": "Petani"})
    meeting = VillageMeeting.objects.system().get(pk=p.meeting_id)
    meeting.minutes.storage.delete(meeting.minutes.name)
    response = client_for(staff["fas"]).get(f"/usulan/musyawarah/{meeting.pk}/berita-acara/")
    assert response.status_code == 404


@pytest.mark.django_db
def test_spreadsheet_exports_write_formula_like_text_as_text(staff, make_person):
    person = make_person(DESA)
    p = approved(staff, {"nik": person.nik, "pekerjaan": "Petani"}, reason="Pindah")
    # Entry refuses such text now (tests/test_formula_injection.py); a row stored before is still safe.
    Proposal.objects.system().filter(pk=p.pk).update(
        reason="=1+1", data={**p.data, "pekerjaan": "=HYPERLINK(\"http://x\",\"klik\")"})
    batch = services.create_batch(staff["man"], kab_code="32.01", period="2026-06")
    siks = openpyxl.load_workbook(io.BytesIO(export.siks_xlsx(batch))).active
    reason_cell = siks.cell(row=export.SIKS_HEADER_ROW + 1, column=export.SIKS_COLUMNS.index("Alasan") + 1)
    assert reason_cell.value == "'=1+1" and reason_cell.data_type == "s"  # the sheet for people: neutralised
    sheet = openpyxl.load_workbook(io.BytesIO(export.exchange_xlsx(batch))).active
    cols = list(export.EXCHANGE_COLUMNS)
    data_row = list(sheet.iter_rows(min_row=2, max_row=2))[0]
    for name in ("pekerjaan", "alasan"):
        cell = data_row[cols.index(name)]
        assert cell.data_type == "s" and str(cell.value).startswith("="), name


@pytest.mark.django_db
def test_an_attendance_beyond_any_real_meeting_is_a_validation_error(staff, make_person):
    p = services.draft_proposal(staff["fas"], kind="perubahan", data={"nik": make_person(DESA).nik,
                                                                      "pekerjaan": "Petani"})
    services.verify(staff["fas"], p)
    services.transition(staff["sup"], p, "check")
    with pytest.raises(ValidationError) as exc:
        services.record_meeting(staff["fas"], desa_code=DESA, kind="musdes", held_on=dt.date.today(),
                                attendance=10**12, minutes=minutes(), proposals=[p])
    assert "attendance" in exc.value.message_dict
    r = client_for(staff["fas"]).post("/usulan/musyawarah/baru/", {
        "desa_code": DESA, "kind": "musdes", "held_on": dt.date.today().isoformat(), "attendance": str(10**12),
        "proposals": [str(p.pk)], "minutes": minutes()})
    assert r.status_code == 422
    assert not VillageMeeting.objects.system().exists()


@pytest.mark.django_db
def test_a_search_of_proposals_by_nik_or_name_is_audited(staff, make_person):
    person = make_person(DESA)
    services.draft_proposal(staff["fas"], kind="perubahan", data={"nik": person.nik, "pekerjaan": "Petani"})
    # Posted (a NIK never goes in a URL), then shown on the session key it was kept under.
    posted = client_for(staff["fas"]).post("/usulan/", {"q": person.nik}, follow=True)
    assert posted.status_code == 200 and person.nik not in posted.redirect_chain[0][0]
    event = AuditEvent.objects.get(action="proposal.search")
    assert event.actor == staff["fas"] and person.nik not in str(event.detail) and event.detail["count"] == 1
    assert api_client(staff["fas"]).get(f"/api/v1/proposals?q={person.nik}").json()["count"] == 1
    assert AuditEvent.objects.filter(action="proposal.search").count() == 2
    client_for(staff["fas"]).get("/usulan/?status=draf")  # a plain filter is no search
    assert AuditEvent.objects.filter(action="proposal.search").count() == 2


@pytest.mark.django_db
def test_the_reconciliation_list_counts_only_villages_in_the_users_scope(staff, make_person):
    approved(staff, {"nik": make_person(DESA).nik, "pekerjaan": "Petani"})
    services.submit_batch(staff["man"], services.create_batch(staff["man"], kab_code="32.01", period="2026-06"))
    recon = reconcile_release(Release.objects.create(source="DTSEN", period="2026-07"))
    # Another kabupaten's villages in the same (nation-wide) reconciliation.
    recon.by_village["32.02.02.2001"] = {"accepted": 7, "pending": 5, "rejected": 3}
    recon.pending += 5
    recon.accepted += 7
    recon.rejected += 3
    recon.save()
    page = client_for(staff["fas"]).get("/usulan/rekonsiliasi/").text
    assert f'data-recon="{recon.pk}"' in page
    assert 'data-count="accepted">0<' in page and 'data-count="pending">1<' in page
    assert 'data-count="rejected">0<' in page and ">7<" not in page


@pytest.mark.django_db
def test_the_exchange_csv_round_trips_through_the_registry_importer(tmp_path, staff):
    import_rows(tmp_path, BASE_ROWS, "2026-01")
    nama = "Rudi \"Ucok\" Hartono, S.Pd"
    approved(staff, {"nik": nik(20), "nomor_kk": "3201020101000020", "nama": nama, "kode_wilayah": DESA,
                     "tanggal_lahir": "1980-01-15", "jenis_kelamin": "L", "alamat": "Jl. Mawar, RT 1\nBlok \"A\"",
                     "hubungan_keluarga": "Kepala Keluarga"},
             kind="kk_baru", reason="Pindah datang;\n\"dari Garut\", 2026")
    batch = services.create_batch(staff["man"], kab_code="32.01", period="2026-06")
    raw = export.exchange_csv(batch)
    (row,) = list(csv.DictReader(io.StringIO(raw.decode("utf-8"))))
    assert row["nama"] == nama and row["alasan"] == "Pindah datang;\n\"dari Garut\", 2026"
    path = tmp_path / "usulan.csv"
    path.write_bytes(raw)
    call_command("import_registry", str(path), "--period", "2026-06", "--no-progress", stdout=io.StringIO())
    person = Person.objects.system().select_related("household").get(nik=nik(20))
    assert person.nama == nama and person.household.nomor_kk == "3201020101000020"
    assert person.household.alamat == 'Jl. Mawar, RT 1\nBlok "A"'


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real concurrent transactions")
@pytest.mark.django_db(transaction=True)
def test_two_batches_for_one_kabupaten_and_month_at_once_make_one_and_refuse_the_other(regions_after_flush, staff,
                                                                                    make_person):
    for _ in range(2):
        approved(staff, {"nik": make_person(DESA).nik, "pekerjaan": "Petani"})
    barrier = threading.Barrier(2)
    outcomes = []

    def make():
        from django.db import connection as conn

        try:
            barrier.wait()
            outcomes.append(services.create_batch(staff["man"], kab_code="32.01", period="2026-06"))
        except ValidationError as exc:
            outcomes.append(exc)
        except Exception as exc:  # noqa: BLE001 (the test reports what went wrong)
            outcomes.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=make) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    batches = [o for o in outcomes if isinstance(o, ProposalBatch)]
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(batches) == 1 and len(refused) == 1, outcomes
    assert "2026-06" in refused[0].message_dict["period"][0]
    assert ProposalBatch.objects.count() == 1
    assert Proposal.objects.system().filter(batch=batches[0], status=ProposalStatus.EXPORTED).count() == 2


@pytest.mark.django_db
def test_a_release_reconciled_for_a_kabupaten_then_nation_wide_counts_once(staff, make_person, settings):
    settings.SLRT_PROPOSAL_RELEASES_BEFORE_REJECT = 2
    p = approved(staff, {"nik": make_person(DESA).nik, "pekerjaan": "Petani"})
    services.submit_batch(staff["man"], services.create_batch(staff["man"], kab_code="32.01", period="2026-06"))
    release = Release.objects.create(source="DTSEN", period="2026-07")
    reconcile_release(release, region_code="32.01")
    p.refresh_from_db()
    assert p.status == ProposalStatus.SUBMITTED and p.releases_checked == 1
    # The same release imported again for the whole country: already checked for this village.
    again = reconcile_release(release, region_code="")
    p.refresh_from_db()
    assert p.status == ProposalStatus.SUBMITTED and p.releases_checked == 1
    assert (again.pending, again.rejected) == (1, 0)
    reconcile_release(Release.objects.create(source="DTSEN", period="2026-08"), region_code="")
    p.refresh_from_db()
    assert p.status == ProposalStatus.REJECTED  # a second, different release does count
