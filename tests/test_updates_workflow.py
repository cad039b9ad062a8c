"""Registry proposals: the whole workflow from draft to reconciliation against later registry releases,
per-kind validation, refused transitions, four eyes, scope and optimistic locking."""

import csv
import datetime as dt
import io

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.http import Http404
from django.test import override_settings

from slrt.core.exceptions import Forbidden, FourEyes, InvalidTransition
from slrt.core.locking import ConflictError
from slrt.registry.models import Household, Person, Release
from slrt.updates import export, services
from slrt.updates.models import (
    BatchStatus,
    Proposal,
    ProposalStatus,
    ProposalTransition,
    Reconciliation,
    VillageMeeting,
)

pytestmark = pytest.mark.django_db

DESA = "32.01.02.2001"
DESA2 = "32.01.02.2002"
HEADER = ["nik", "nomor_kk", "nama", "kode_wilayah", "tanggal_lahir", "jenis_kelamin", "hubungan_keluarga",
          "pekerjaan", "desil", "periode"]


def nik(serial, birth=dt.date(1980, 1, 15), sex="L", kec="320102"):
    day = birth.day + (40 if sex == "P" else 0)
    return f"{kec}{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial:04d}"


def kk(n):
    return f"3201020101{n:06d}"


def row(serial, kk_no, nama, desa=DESA, *, rel="Anggota Keluarga", pekerjaan="", desil="3", sex="L"):
    return {"nik": nik(serial, sex=sex), "nomor_kk": kk(kk_no), "nama": nama, "kode_wilayah": desa,
            "tanggal_lahir": "1980-01-15", "jenis_kelamin": sex, "hubungan_keluarga": rel, "pekerjaan": pekerjaan,
            "desil": desil}


BASE_ROWS = [
    row(1, 1, "Ahmad Fauzi", rel="Kepala Keluarga", pekerjaan="Buruh"),
    row(2, 1, "Dewi Lestari", sex="P"),
    row(3, 2, "Bambang Susilo", DESA2, rel="Kepala Keluarga", pekerjaan="Buruh"),
    row(4, 3, "Joko Widodo", rel="Kepala Keluarga"),
    row(5, 3, "Sri Wahyuni", sex="P"),
]


def import_rows(tmp_path, rows, period):
    path = tmp_path / f"rilis-{period}.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=HEADER)
        w.writeheader()
        for r in rows:
            w.writerow({**r, "periode": period})
    call_command("import_registry", str(path), "--no-progress", stdout=io.StringIO())
    return Release.objects.get(period=period)


def minutes(name="berita-acara.pdf", content=b"%PDF-1.4\n%test minutes\n"):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@pytest.fixture
def people(make_user):
    return {
        "fas": make_user("fasilitator", DESA),
        "fas2": make_user("fasilitator", DESA2),
        "sup": make_user("supervisor", "32.01.02"),
        "man": make_user("manajer", "32.01"),
        "man2": make_user("manajer", "32.01"),
        "other": make_user("fasilitator", "32.01.03.2001"),
    }


def walk_to_checked(p, drafter, checker):
    services.verify(drafter, p)
    services.transition(checker, p, "check", p.version)
    return p


def test_the_whole_workflow_from_draft_to_reconciliation_on_later_releases(tmp_path, people, settings):
    settings.SLRT_PROPOSAL_RELEASES_BEFORE_REJECT = 2
    fas, sup, man = people["fas"], people["sup"], people["man"]
    import_rows(tmp_path, BASE_ROWS, "2026-01")

    new_hh = services.draft_proposal(fas, kind="kk_baru", data={
        "nik": nik(10), "nomor_kk": kk(10), "nama": "Rudi Hartono", "kode_wilayah": "3201022001",
        "tanggal_lahir": "15-01-1980", "jenis_kelamin": "L",
        "anggota": [{"nik": nik(11, sex="P"), "nama": "Rina Hartono", "jenis_kelamin": "P",
                     "tanggal_lahir": "1980-01-15"}]}, reason="Keluarga baru pindah datang")
    add = services.draft_proposal(fas, kind="tambah_anggota", data={
        "nomor_kk": kk(1), "nik": nik(12), "nama": "Bayu Fauzi", "tanggal_lahir": "1980-01-15",
        "jenis_kelamin": "L"})
    change = services.draft_proposal(fas, kind="perubahan", data={"nik": nik(1), "pekerjaan": "Petani"})
    removal = services.draft_proposal(fas, kind="penghapusan", data={"nik": nik(5, sex="P")},
                                      removal_reason="meninggal", reason="Meninggal 2026-01-20")
    # Desa 2: drafted by the supervisor of the kecamatan.
    change2 = services.draft_proposal(sup, kind="perubahan", data={"nik": nik(3), "pekerjaan": "Nelayan"})
    desil = services.draft_proposal(sup, kind="tinjau_desil", data={"nomor_kk": kk(2)}, reason="Usaha bangkrut")
    assert change.base == {"pekerjaan": "Buruh"} and change.data == {"nik": nik(1), "pekerjaan": "Petani"}
    assert desil.base == {"desil": 3}
    assert new_hh.data["kode_wilayah"] == DESA and new_hh.data["tanggal_lahir"] == "1980-01-15"
    assert removal.person.nik == nik(5, sex="P")

    desa1 = [new_hh, add, change, removal]
    for p in desa1:
        walk_to_checked(p, fas, sup)
    for p in (change2, desil):
        walk_to_checked(p, sup, sup)
    assert {p.status for p in desa1} == {ProposalStatus.CHECKED}

    meeting = services.record_meeting(fas, desa_code=DESA, kind="musdes", held_on=dt.date.today(), attendance=23,
                                      minutes=minutes(), notes="", proposals=desa1)
    assert meeting.minutes.read().startswith(b"%PDF") and meeting.minutes_name == "berita-acara.pdf"
    services.record_meeting(sup, desa_code=DESA2, kind="musdes", held_on="2026-01-25", attendance=9,
                            minutes=minutes("ba.png", b"\x89PNG\r\n\x1a\n" + b"0" * 20), proposals=[change2, desil])
    assert set(Proposal.objects.system().filter(meeting=meeting).values_list("status", flat=True)) == {"disepakati"}

    for p in Proposal.objects.system().all():
        services.transition(man, p, "approve", p.version)
    batch = services.create_batch(man, kab_code="32.01", period="2026-02")
    assert batch.row_count == 7  # kk_baru: head + 1 member; the other five one row each
    assert set(batch.proposals.values_list("status", flat=True)) == {ProposalStatus.EXPORTED}

    # Exchange CSV: parsed back, every row complete, proposal columns present.
    parsed = list(csv.DictReader(io.StringIO(export.exchange_csv(batch).decode())))
    assert len(parsed) == 7 and list(parsed[0])[-3:] == ["jenis_usulan", "id_usulan", "alasan"]
    by_nik = {r["nik"]: r for r in parsed}
    assert by_nik[nik(1)]["pekerjaan"] == "Petani" and by_nik[nik(1)]["nama"] == "Ahmad Fauzi"
    assert by_nik[nik(11, sex="P")]["nomor_kk"] == kk(10) and by_nik[nik(11, sex="P")]["jenis_usulan"] == "kk_baru"
    assert by_nik[nik(5, sex="P")]["alasan"].startswith("meninggal")
    # XLSX exchange file opens with the same header; the SIKS-NG sheet has its title block and columns.
    wb = openpyxl.load_workbook(io.BytesIO(export.exchange_xlsx(batch)))
    assert [c.value for c in next(wb.active.iter_rows(max_row=1))] == list(export.EXCHANGE_COLUMNS)
    sheet = openpyxl.load_workbook(io.BytesIO(export.siks_xlsx(batch))).active
    header = [c.value for c in sheet[export.SIKS_HEADER_ROW]]
    assert header == list(export.SIKS_COLUMNS)
    assert sheet["B3"].value == "2026-02" and sheet["B4"].value == 6
    assert sheet.cell(row=export.SIKS_HEADER_ROW + 1, column=10).value == dt.date.today().isoformat()

    with pytest.raises(ValidationError) as exc:
        services.create_batch(man, kab_code="32.01", period="2026-02")
    assert "2026-02" in exc.value.message_dict["period"][0]

    services.submit_batch(man, batch, note="Dikirim lewat SIKS-NG")
    batch.refresh_from_db()
    assert batch.status == BatchStatus.SUBMITTED
    assert set(batch.proposals.values_list("status", flat=True)) == {ProposalStatus.SUBMITTED}

    # Second release: contains the new household, the new member, the job change and household 3
    # without the deceased member; not the change of desa 2, and desil of KK 2 unchanged.
    second = [
        {**BASE_ROWS[0], "pekerjaan": "Petani"}, BASE_ROWS[1], BASE_ROWS[2], BASE_ROWS[3],
        row(12, 1, "Bayu Fauzi"), row(10, 10, "Rudi Hartono", rel="Kepala Keluarga"),
    ]
    rel2 = import_rows(tmp_path, second, "2026-02")
    status = dict(Proposal.objects.system().values_list("pk", "status"))
    assert status[new_hh.pk] == status[add.pk] == status[change.pk] == status[removal.pk] == ProposalStatus.ACCEPTED
    assert status[change2.pk] == status[desil.pk] == ProposalStatus.SUBMITTED
    recon = Reconciliation.objects.get(release=rel2)
    assert (recon.accepted, recon.pending, recon.rejected) == (4, 2, 0)
    assert recon.by_village == {DESA: {"accepted": 4, "pending": 0, "rejected": 0},
                                DESA2: {"accepted": 0, "pending": 2, "rejected": 0}}
    assert Proposal.objects.system().get(pk=change.pk).outcome_release == rel2
    assert ProposalTransition.objects.filter(proposal=change, action="accept", actor=None).exists()

    # Third release, still without them: rejected after two releases.
    rel3 = import_rows(tmp_path, second, "2026-03")
    left = Proposal.objects.system().filter(pk__in=[change2.pk, desil.pk])
    assert {p.status for p in left} == {ProposalStatus.REJECTED}
    assert all(p.outcome_release == rel3 and p.outcome_note for p in left)
    recon3 = Reconciliation.objects.get(release=rel3)
    assert recon3.by_village == {DESA2: {"accepted": 0, "pending": 0, "rejected": 2}}

    # The batch's exchange CSV is a file the registry importer reads.
    path = tmp_path / "usulan.csv"
    path.write_bytes(export.exchange_csv(batch))
    out = io.StringIO()
    call_command("import_registry", str(path), "--period", "2026-04", "--no-progress", stdout=out)
    assert Household.objects.system().filter(nomor_kk=kk(10), last_release__period="2026-04").exists()
    assert Person.objects.system().filter(nik=nik(11, sex="P")).exists()


def test_a_pending_proposal_is_not_counted_twice_when_a_release_is_imported_again(tmp_path, people, settings):
    settings.SLRT_PROPOSAL_RELEASES_BEFORE_REJECT = 2
    import_rows(tmp_path, BASE_ROWS, "2026-01")
    p = submitted(people, "perubahan", {"nik": nik(1), "pekerjaan": "Petani"})
    import_rows(tmp_path, BASE_ROWS, "2026-02")
    import_rows(tmp_path, BASE_ROWS, "2026-02")
    p.refresh_from_db()
    assert p.status == ProposalStatus.SUBMITTED and p.releases_checked == 1


def submitted(people, kind, data, **kw):
    fas, sup, man = people["fas"], people["sup"], people["man"]
    p = services.draft_proposal(fas, kind=kind, data=data, **kw)
    walk_to_checked(p, fas, sup)
    services.record_meeting(fas, desa_code=p.desa_code, kind="musdes", held_on=dt.date.today(), attendance=5,
                            minutes=minutes(), proposals=[p])
    services.transition(man, p, "approve")
    batch = services.create_batch(man, kab_code="32.01", period="2026-01")
    services.submit_batch(man, batch)
    p.refresh_from_db()
    return p


# -- validation per kind ----------------------------------------------------------------------


def errors_of(actor, **kw):
    with pytest.raises(ValidationError) as exc:
        services.draft_proposal(actor, **kw)
    return exc.value.message_dict


def test_validation_names_the_wrong_column_for_every_kind(people, make_person):
    fas = people["fas"]
    person = make_person(DESA, pekerjaan="Buruh")
    e = errors_of(fas, kind="kk_baru", data={"nama": "", "kode_wilayah": "32.01.02.9999",
                                            "anggota": [{"nama": "Ani", "nik": "123"}]})
    assert "nama" in e["nama"][0] and "kode_wilayah" in e["kode_wilayah"][0]
    assert "Anggota 1, kolom nik" in e["anggota"][0]
    e = errors_of(fas, kind="kk_baru", data={"nama": "Budi", "kode_wilayah": "3201032001"})
    assert "di luar wilayah" in e["kode_wilayah"][0]
    e = errors_of(fas, kind="kk_baru", data={"nama": "Budi", "kode_wilayah": DESA, "nik": person.nik})
    assert "sudah terdaftar" in e["nik"][0]
    e = errors_of(fas, kind="tambah_anggota", data={"nomor_kk": "3201020000009999", "nama": "Bayi"})
    assert "tidak ditemukan" in e["nomor_kk"][0]
    e = errors_of(fas, kind="tambah_anggota", data={"nomor_kk": person.household.nomor_kk, "nama": "Bayi",
                                                   "jenis_kelamin": "X"})
    assert "jenis_kelamin" in e["jenis_kelamin"][0]
    e = errors_of(fas, kind="perubahan", data={"nik": person.nik, "pekerjaan": "Buruh"})
    assert "Tidak ada kolom" in e["data"][0]
    e = errors_of(fas, kind="perubahan", data={"nik": person.nik, "desil": "11", "warna": "biru"})
    assert "desil" in e["desil"][0] and "warna" in e["warna"][0]
    e = errors_of(fas, kind="perubahan", data={"nomor_kk": person.household.nomor_kk, "nama": "Lain"})
    assert "hanya kolom keluarga" in e["nama"][0]
    e = errors_of(fas, kind="penghapusan", data={"nik": person.nik}, removal_reason="")
    assert "removal_reason" in e
    e = errors_of(fas, kind="tinjau_desil", data={"nomor_kk": person.household.nomor_kk}, reason="")
    assert "reason" in e
    e = errors_of(fas, kind="perubahan", data={"nik": "3201024101900001", "pekerjaan": "Petani"})
    assert "tidak ditemukan" in e["nik"][0]


def test_a_household_change_by_kk_and_a_second_open_removal_is_refused(people, make_person):
    fas = people["fas"]
    person = make_person(DESA)
    p = services.draft_proposal(fas, kind="perubahan", data={"nomor_kk": person.household.nomor_kk, "rt": "4"})
    assert p.data == {"nomor_kk": person.household.nomor_kk, "rt": "004"} and p.base == {"rt": ""}
    services.draft_proposal(fas, kind="penghapusan", person=person, data={}, removal_reason="pindah")
    e = errors_of(fas, kind="penghapusan", data={"nik": person.nik}, removal_reason="pindah")
    assert "sudah ada usulan penghapusan" in e["nik"][0]


# -- transitions, roles, four eyes, scope, locking ----------------------------------------------


def test_wrong_transitions_are_refused(people, make_person):
    fas, sup, man = people["fas"], people["sup"], people["man"]
    p = services.draft_proposal(fas, kind="perubahan", data={"nik": make_person(DESA).nik, "pekerjaan": "Tani"})
    with pytest.raises(InvalidTransition):
        services.transition(sup, p, "check")  # still a draft
    with pytest.raises(Forbidden):
        services.transition(fas, p, "approve")
    with pytest.raises(InvalidTransition):
        services.transition(man, p, "agree")  # only through a meeting
    with pytest.raises(InvalidTransition):
        services.transition(man, p, "export")
    services.verify(fas, p)
    with pytest.raises(ValidationError) as exc:
        services.transition(sup, p, "return_to_draft")
    assert "reason" in exc.value.message_dict
    services.transition(sup, p, "return_to_draft", reason="Foto KK tidak terbaca")
    assert p.status == ProposalStatus.DRAFT
    assert ProposalTransition.objects.filter(proposal=p, action="return_to_draft",
                                             note="Foto KK tidak terbaca").exists()
    services.transition(fas, p, "cancel", reason="Salah orang")
    with pytest.raises(InvalidTransition):
        services.transition(fas, p, "verify")


def test_the_approver_is_not_the_drafter(people, make_person):
    man, man2, sup = people["man"], people["man2"], people["sup"]
    p = services.draft_proposal(man, kind="perubahan", data={"nik": make_person(DESA).nik, "pekerjaan": "Tani"})
    walk_to_checked(p, man, sup)
    services.record_meeting(sup, desa_code=DESA, kind="musdes", held_on=dt.date.today(), attendance=3,
                            minutes=minutes(), proposals=[p])
    with pytest.raises(FourEyes):
        services.transition(man, p, "approve")
    services.transition(man2, p, "approve")
    assert Proposal.objects.system().get(pk=p.pk).status == ProposalStatus.APPROVED


def test_a_facilitator_of_another_desa_gets_404(people, make_person):
    p = services.draft_proposal(people["fas"], kind="perubahan",
                                data={"nik": make_person(DESA).nik, "pekerjaan": "Tani"})
    with pytest.raises(Http404):
        services.verify(people["other"], p)
    with pytest.raises(Http404):
        services.update_data(people["fas2"], p, p.version, data={"nik": p.data["nik"], "pekerjaan": "X"})


def test_a_stale_version_is_a_conflict_and_writes_nothing(people, make_person):
    fas = people["fas"]
    p = services.draft_proposal(fas, kind="perubahan", data={"nik": make_person(DESA).nik, "pekerjaan": "Tani"})
    old = p.version
    services.update_data(fas, p, old, data={"nik": p.data["nik"], "pekerjaan": "Nelayan"})
    with pytest.raises(ConflictError):
        services.update_data(fas, p, old, data={"nik": p.data["nik"], "pekerjaan": "Guru"})
    with pytest.raises(ConflictError):
        services.transition(fas, p, "verify", old)
    p.refresh_from_db()
    assert p.data["pekerjaan"] == "Nelayan" and p.status == ProposalStatus.DRAFT


def test_meeting_checks_date_attendance_minutes_and_proposal_state(people, make_person):
    fas, sup = people["fas"], people["sup"]
    p = services.draft_proposal(fas, kind="perubahan", data={"nik": make_person(DESA).nik, "pekerjaan": "Tani"})
    with pytest.raises(ValidationError) as exc:
        services.record_meeting(fas, desa_code=DESA, kind="muskel",
                                held_on=dt.date.today() + dt.timedelta(days=1), attendance=0,
                                minutes=minutes("ba.exe", b"MZ"), proposals=[p])
    e = exc.value.message_dict
    assert {"kind", "held_on", "attendance", "minutes", "proposals"} <= set(e)
    with pytest.raises(ValidationError) as exc:
        services.record_meeting(fas, desa_code=DESA, kind="musdes", held_on=dt.date.today(), attendance=4,
                                minutes=minutes("ba.pdf", b"not a pdf"), proposals=[p])
    assert "PDF" in exc.value.message_dict["minutes"][0]
    with override_settings():
        big = minutes("ba.pdf", b"%PDF" + b"0" * services.MINUTES_MAX_BYTES)
        walk_to_checked(p, fas, sup)
        with pytest.raises(ValidationError) as exc:
            services.record_meeting(fas, desa_code=DESA, kind="musdes", held_on=dt.date.today(), attendance=4,
                                    minutes=big, proposals=[p])
        assert "terlalu besar" in exc.value.message_dict["minutes"][0]
    assert not VillageMeeting.objects.system().exists()


def test_an_empty_batch_is_refused(people):
    with pytest.raises(ValidationError) as exc:
        services.create_batch(people["man"], kab_code="32.01", period="2026-05")
    assert "kosong" in exc.value.message_dict["period"][0]


def test_the_export_command_writes_the_three_files_of_a_batch(tmp_path, people, make_person):
    p = services.draft_proposal(people["fas"], kind="perubahan",
                                data={"nik": make_person(DESA).nik, "pekerjaan": "Tani"})
    walk_to_checked(p, people["fas"], people["sup"])
    services.record_meeting(people["fas"], desa_code=DESA, kind="musdes", held_on=dt.date.today(), attendance=2,
                            minutes=minutes(), proposals=[p])
    services.transition(people["man"], p, "approve")
    out = io.StringIO()
    call_command("export_proposals", "--kab", "32.01", "--period", "2026-08", "--user", people["man"].username,
                 "--out", str(tmp_path / "out"), stdout=out)
    names = sorted(f.name for f in (tmp_path / "out").iterdir())
    assert names == ["usulan-3201-2026-08-siksng.xlsx", "usulan-3201-2026-08.csv", "usulan-3201-2026-08.xlsx"]
    assert "1 baris" in out.getvalue()


def test_reconciliation_is_set_based_for_thousands_of_proposals(people, django_assert_max_num_queries, settings):
    settings.SLRT_PROPOSAL_RELEASES_BEFORE_REJECT = 3
    rows = []
    for i in range(2500):
        p = Proposal(kind="perubahan", status=ProposalStatus.SUBMITTED, data={"nik": nik(i + 1), "pekerjaan": "X"},
                     base={"pekerjaan": ""})
        p.set_region(DESA if i % 2 else DESA2)
        rows.append(p)
    Proposal.objects.bulk_create(rows, batch_size=500)
    release = Release.objects.create(source="DTSEN", period="2026-09")
    from slrt.updates.reconcile import reconcile_release

    with django_assert_max_num_queries(40):
        recon = reconcile_release(release, region_code="32.01")
    assert recon.pending == 2500
    assert recon.by_village[DESA]["pending"] == 1250
    assert set(Proposal.objects.system().values_list("releases_checked", flat=True)) == {1}
