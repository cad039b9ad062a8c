"""Registry import: good files, every kind of bad file and row, re-imports and newer releases."""

import csv
import datetime as dt
import io
import json

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command

from slrt.audit.models import AuditEvent
from slrt.registry.imports import ImportFileError
from slrt.registry.imports.progress import read_progress
from slrt.registry.models import (
    ChangeKind,
    Household,
    HouseholdAppearance,
    ImportJob,
    ImportRowError,
    ImportStatus,
    Person,
    ProgramParticipation,
    RegistryChange,
    Release,
)
from slrt.registry.selectors.imports import (
    error_report_csv_chunks,
    error_report_rows,
    import_progress,
    is_stale,
    job_for_user,
    jobs_for_user,
)
from slrt.registry.services.imports import ImportJobError, create_import_job, mark_stale_jobs, run_import

pytestmark = pytest.mark.django_db

DESA = "32.01.01.1001"  # Pondok Rajeg, Cibinong, Kab. Bogor
DESA_2 = "32.01.01.1002"
DESA_OTHER_KAB = "32.02.01.2002"  # Tonjong, Kab. Sukabumi
HEADER = ["nik", "nomor_kk", "nama", "kode_wilayah", "tanggal_lahir", "jenis_kelamin", "hubungan_keluarga",
          "alamat", "rt", "rw", "desil", "periode", "program_pkh", "program_bpnt"]


def nik(birth: dt.date, sex: str, serial: int, kec: str = "320101") -> str:
    day = birth.day + (40 if sex == "P" else 0)
    return f"{kec}{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial:04d}"


def kk(n: int, kec: str = "320101") -> str:
    return f"{kec}{n:010d}"


def person(serial, *, kk_no=1, nama=None, birth=dt.date(1980, 1, 15), sex="L", desa=DESA, periode="2026-01",
           **extra) -> dict:
    row = {
        "nik": nik(birth, sex, serial), "nomor_kk": kk(kk_no), "nama": nama or f"Warga {serial}",
        "kode_wilayah": desa.replace(".", ""), "tanggal_lahir": birth.isoformat(), "jenis_kelamin": sex,
        "hubungan_keluarga": "Kepala Keluarga", "alamat": f"Kampung {kk_no}", "rt": "1", "rw": "2", "desil": "2",
        "periode": periode, "program_pkh": "1", "program_bpnt": "0",
    }
    row.update(extra)
    return row


def write_csv(path, rows, header=None, delimiter=",", bom=False):
    header = header or list(rows[0].keys())
    with open(path, "w", newline="", encoding="utf-8-sig" if bom else "utf-8") as f:
        w = csv.writer(f, delimiter=delimiter)
        w.writerow(header)
        for r in rows:
            w.writerow([r.get(h, "") for h in header])
    return path


def write_xlsx(path, rows, header=None):
    header = header or list(rows[0].keys())
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append([r.get(h, "") for h in header])
    wb.save(path)
    return path


def run(path, **kwargs) -> ImportJob:
    job = create_import_job(path=path, original_name=path.name, **kwargs)
    return run_import(job)


def errors(job, warnings=False):
    return list(ImportRowError.objects.filter(job=job, is_warning=warnings).values_list("line", "column", "reason"))


def people():
    return Person.objects.system()


# --- good files ------------------------------------------------------------------------------


def test_good_csv_creates_households_people_programmes_and_the_release(tmp_path):
    rows = [
        person(1, kk_no=1, nama="  Budi   Santoso ", hubungan_keluarga="Kepala Keluarga", catatan="rumah panggung"),
        person(2, kk_no=1, nama="Siti Aminah", sex="P", birth=dt.date(1984, 7, 3), hubungan_keluarga="Istri",
               program_pkh="0", program_bpnt="1", tanggal_lahir="03-07-1984"),
        person(3, kk_no=2, nama="Ahmad Dahlan", desa=DESA_2, desil="7", rt="12", rw="", program_pkh=""),
    ]
    path = write_csv(tmp_path / "dtsen.csv", rows, header=HEADER + ["catatan"])
    job = run(path)

    assert (job.status, job.created, job.updated, job.unchanged, job.rejected, job.moved) == ("done", 3, 0, 0, 0, 0)
    assert job.accepted == 3 and job.rows_read == 3
    assert job.release == Release.objects.get(source="DTSEN", period="2026-01")
    budi = people().get(nik=rows[0]["nik"])
    assert budi.nama == "Budi Santoso" and budi.name_key == "budi santoso"
    assert (budi.prov_code, budi.kab_code, budi.kec_code, budi.desa_code) == ("32", "32.01", "32.01.01", DESA)
    assert budi.extra == {"catatan": "rumah panggung"}
    assert budi.first_release == budi.last_release == job.release
    assert budi.nik_warnings == []
    siti = people().get(nik=rows[1]["nik"])
    assert siti.tanggal_lahir == dt.date(1984, 7, 3) and siti.jenis_kelamin == "P"
    assert siti.household_id == budi.household_id
    household = Household.objects.system().get(nomor_kk=kk(1))
    assert (household.alamat, household.rt, household.rw, household.desil) == ("Kampung 1", "001", "002", 2)
    assert household.desa_code == DESA and household.first_release == job.release
    other = Household.objects.system().get(nomor_kk=kk(2))
    assert (other.desa_code, other.desil, other.rt, other.rw) == (DESA_2, 7, "012", "")
    assert HouseholdAppearance.objects.filter(release=job.release).count() == 2
    programmes = set(ProgramParticipation.objects.values_list("person__nik", "program_code", "active", "since_period"))
    assert programmes == {(rows[0]["nik"], "PKH", True, "2026-01"), (rows[1]["nik"], "BPNT", True, "2026-01")}
    assert not RegistryChange.objects.exists()


def test_good_xlsx_with_real_dates_and_numeric_cells_imports_like_csv(tmp_path):
    rows = [person(1), person(2, kk_no=1, sex="P", birth=dt.date(1990, 12, 31))]
    for r in rows:
        r["tanggal_lahir"] = dt.date.fromisoformat(r["tanggal_lahir"])  # a real spreadsheet date
        r["nik"], r["nomor_kk"], r["kode_wilayah"] = int(r["nik"]), int(r["nomor_kk"]), int(r["kode_wilayah"])
        r["desil"], r["program_pkh"] = 2, 1
    job = run(write_xlsx(tmp_path / "dtsen.xlsx", rows, header=HEADER))

    assert (job.created, job.rejected) == (2, 0)
    second = people().get(nik=str(rows[1]["nik"]))
    assert second.tanggal_lahir == dt.date(1990, 12, 31)
    assert Household.objects.system().get(nomor_kk=kk(1)).desil == 2
    assert ProgramParticipation.objects.filter(program_code="PKH", active=True).count() == 2


@pytest.mark.parametrize("delimiter", [",", ";", "|", "\t"])
@pytest.mark.parametrize("bom", [False, True])
def test_delimiter_is_sniffed_and_a_bom_is_ignored(tmp_path, delimiter, bom):
    path = write_csv(tmp_path / "f.csv", [person(1, alamat="Jl. A, No. 1; blok|3")], header=HEADER,
                     delimiter=delimiter, bom=bom)
    job = run(path)
    assert (job.created, job.rejected) == (1, 0)
    assert Household.objects.system().get().alamat == "Jl. A, No. 1; blok|3"


def test_header_names_are_case_insensitive_and_trimmed(tmp_path):
    header = [" NIK ", "Nomor KK", "NAMA", "Kode_Wilayah  ", "Periode"]
    path = tmp_path / "f.csv"
    p = person(1)
    path.write_text(",".join(header) + "\n" + ",".join([p["nik"], p["nomor_kk"], "Ani", DESA, "2026-01"]) + "\n")
    job = run(path)
    assert job.created == 1 and people().get().nama == "Ani"


# --- bad files -------------------------------------------------------------------------------


def test_a_file_missing_required_columns_is_refused_naming_them(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("nik,nama,desa,periode\n3201011501800001,Ani,3201011001,2026-01\n")
    job = create_import_job(path=path, original_name="f.csv")
    with pytest.raises(ImportFileError) as exc:
        run_import(job)
    assert "nomor_kk" in exc.value.message and "kode_wilayah" in exc.value.message
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED and "nomor_kk" in job.message
    assert not people().exists()


def test_a_row_with_broken_encoding_is_rejected_and_the_rest_imported(tmp_path):
    good, bad = person(1), person(2)
    path = write_csv(tmp_path / "f.csv", [good, bad], header=HEADER)
    raw = path.read_bytes().replace(b"Warga 2", b"Warga \xff\xfe2")
    path.write_bytes(raw)
    job = run(path)
    assert (job.created, job.rejected) == (1, 1)
    [(line, column, reason)] = errors(job)
    assert line == 3 and "UTF-8" in reason
    assert list(people().values_list("nik", flat=True)) == [good["nik"]]


def test_a_row_with_a_nul_character_is_rejected_and_the_rest_imported(tmp_path):
    path = write_csv(tmp_path / "f.csv", [person(i) for i in range(1, 2000)], header=HEADER)
    # Past the first 64 KiB (which decide whether the file is text at all).
    path.write_bytes(path.read_bytes().replace(b"Warga 1999", b"Warga 19\x0099"))
    job = run(path)
    assert (job.created, job.rejected) == (1998, 1)
    assert errors(job)[0][0] == 2000


def test_latin1_header_is_refused_as_a_whole(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes("nik,nomor_kk,nama,kode_wilayah,periode,catatan_é\n".encode("latin-1"))
    with pytest.raises(ImportFileError, match="UTF-8"):
        run(path)


def test_duplicate_niks_in_one_file_keep_the_first_and_name_its_line(tmp_path):
    first = person(1, nama="Pertama")
    again = dict(first, nama="Kedua", nomor_kk=kk(2))
    thrice = dict(first, nama="Ketiga")
    path = write_csv(tmp_path / "f.csv", [first, person(2), again, thrice], header=HEADER)
    job = run(path)
    assert (job.created, job.rejected) == (2, 2)
    assert people().get(nik=first["nik"]).nama == "Pertama"
    rejected = errors(job)
    assert [(line, column) for line, column, _r in rejected] == [(4, "nik"), (5, "nik")]
    assert all("baris 2" in reason for _l, _c, reason in rejected)
    assert not Household.objects.system().filter(nomor_kk=kk(2)).exists()


@pytest.mark.parametrize("code,expected", [
    ("9999999999", "tidak ada di data wilayah"),
    ("32.01.01.9999", "tidak ada di data wilayah"),
    ("320101", "10 digit"),
    ("", "Wajib diisi"),
])
def test_an_unknown_or_malformed_region_rejects_the_row(tmp_path, code, expected):
    path = write_csv(tmp_path / "f.csv", [person(1), person(2, kode_wilayah=code)], header=HEADER)
    job = run(path)
    assert (job.created, job.rejected) == (1, 1)
    [(line, column, reason)] = errors(job)
    assert (line, column) == (3, "kode_wilayah") and expected in reason


def test_one_kk_in_two_villages_rejects_the_conflicting_rows(tmp_path):
    rows = [person(1, kk_no=5), person(2, kk_no=5), person(3, kk_no=5, desa=DESA_2)]
    job = run(write_csv(tmp_path / "f.csv", rows, header=HEADER))
    assert (job.created, job.rejected) == (2, 1)
    [(line, column, reason)] = errors(job)
    assert (line, column) == (4, "kode_wilayah") and "baris 2" in reason and DESA in reason


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"  \r\n\r\n"])
def test_an_empty_file_is_refused(tmp_path, content):
    path = tmp_path / "kosong.csv"
    path.write_bytes(content)
    with pytest.raises(ImportFileError, match="kosong"):
        run(path)


def test_a_file_with_only_a_header_is_refused(tmp_path):
    path = tmp_path / "judul.csv"
    path.write_text(",".join(HEADER) + "\n")
    with pytest.raises(ImportFileError, match="tidak berisi baris data"):
        run(path)


@pytest.mark.parametrize("content,expected", [
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "PDF"),
    (b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00>\x00", "biner"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, ".xls"),
    (b"PK\x03\x04\x14\x00\x00\x00garbage-not-a-real-zip", "XLSX"),
    (b"\xff\xfen\x00i\x00k\x00", "UTF-16"),
])
def test_a_file_that_is_not_csv_or_xlsx_is_refused(tmp_path, content, expected):
    path = tmp_path / "data.csv"  # the name lies; the content decides
    path.write_bytes(content)
    with pytest.raises(ImportFileError, match=expected):
        run(path)
    assert not people().exists()


def test_a_zip_or_word_document_that_is_not_a_workbook_is_refused(tmp_path):
    import zipfile

    path = tmp_path / "surat.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("word/document.xml", "<w:document/>")
    with pytest.raises(ImportFileError, match="bukan XLSX"):
        run(path)


def test_a_text_file_without_the_columns_is_refused(tmp_path):
    path = tmp_path / "surat.csv"
    path.write_text("Kepada Yth. Kepala Dinas Sosial\nDengan hormat,\n")
    with pytest.raises(ImportFileError, match="Kolom wajib tidak ada"):
        run(path)


def test_every_invalid_field_is_named_with_line_and_column(tmp_path):
    bad = [
        person(2, nomor_kk="12345"),
        person(3, tanggal_lahir="31-02-1980"),
        person(4, tanggal_lahir="1980/13/01"),
        person(5, jenis_kelamin="X"),
        person(6, desil="11"),
        person(7, rt="12a"),
        person(8, periode="2026-13"),
        person(9, program_pkh="mungkin"),
        dict(person(10), nama="   "),
        person(11, nik="3201013202800011"),  # 32 February
        person(12, tanggal_lahir=(dt.date.today() + dt.timedelta(days=400)).isoformat()),
        person(13, nama="-"),
    ]
    job = run(write_csv(tmp_path / "f.csv", [person(1)] + bad, header=HEADER))
    assert (job.created, job.rejected) == (1, len(bad))
    got = [(line, column) for line, column, _r in errors(job)]
    assert got == [(3, "nomor_kk"), (4, "tanggal_lahir"), (5, "tanggal_lahir"), (6, "jenis_kelamin"), (7, "desil"),
                   (8, "rt"), (9, "periode"), (10, "program_pkh"), (11, "nama"), (12, "nik"), (13, "tanggal_lahir"),
                   (14, "nama")]


def test_nik_warnings_are_kept_on_the_person_and_listed_in_the_report(tmp_path):
    # The NIK says male (day 15), the row says female: accepted, flagged for a visit.
    row = person(1, jenis_kelamin="P")
    job = run(write_csv(tmp_path / "f.csv", [row], header=HEADER))
    assert (job.created, job.rejected, job.warnings) == (1, 0, 1)
    assert people().get().nik_warnings == ["sex_mismatch"]
    [(line, column, reason)] = errors(job, warnings=True)
    assert (line, column) == (2, "nik") and "Jenis kelamin" in reason
    kinds = [r[-1] for r in error_report_rows(job)]
    assert kinds == ["peringatan"]


def test_line_numbers_count_the_header_as_line_one_and_keep_blank_lines(tmp_path):
    path = tmp_path / "f.csv"
    ok, bad = person(1), person(2, desil="0")
    text = ",".join(HEADER) + "\n" + ",".join(ok[h] for h in HEADER) + "\n\n" + ",".join(bad[h] for h in HEADER)
    path.write_text(text + "\n")
    job = run(path)
    assert [line for line, _c, _r in errors(job)] == [4]


# --- re-import and newer releases ------------------------------------------------------------


def test_importing_the_same_file_twice_changes_nothing_the_second_time(tmp_path):
    rows = [person(i, kk_no=1 + i // 3) for i in range(1, 10)]
    path = write_csv(tmp_path / "f.csv", rows, header=HEADER + ["catatan"])
    run(path)
    before_people = list(people().order_by("pk").values())
    before_households = list(Household.objects.system().order_by("pk").values())
    before_programmes = list(ProgramParticipation.objects.order_by("pk").values())
    again = run(path)
    assert (again.created, again.updated, again.unchanged, again.moved, again.rejected) == (0, 0, 9, 0, 0)
    assert list(people().order_by("pk").values()) == before_people
    assert list(Household.objects.system().order_by("pk").values()) == before_households
    assert list(ProgramParticipation.objects.order_by("pk").values()) == before_programmes
    assert not RegistryChange.objects.exists()
    assert HouseholdAppearance.objects.count() == 4


def test_a_newer_release_updates_people_in_place_records_history_and_a_move(tmp_path):
    first = [
        person(1, kk_no=1, nama="Slamet", program_pkh="1"),
        person(2, kk_no=1, nama="Sri", sex="P", birth=dt.date(1985, 2, 2), hubungan_keluarga="Istri"),
        person(3, kk_no=2, nama="Joko"),
    ]
    r1 = run(write_csv(tmp_path / "r1.csv", first, header=HEADER))
    ids = {p.nik: (p.pk, p.household_id) for p in people()}
    kk1, kk2 = Household.objects.system().get(nomor_kk=kk(1)), Household.objects.system().get(nomor_kk=kk(2))

    second = [
        dict(first[0], periode="2026-04", nama="Slamet Riyadi", program_pkh="0", program_bpnt="1"),
        dict(first[1], periode="2026-04", nomor_kk=kk(2)),  # Sri moved to Joko's KK
        dict(first[2], periode="2026-04", desil="5"),
        person(4, kk_no=3, periode="2026-04"),
    ]
    r2 = run(write_csv(tmp_path / "r2.csv", second, header=HEADER))

    assert (r2.created, r2.updated, r2.unchanged, r2.moved, r2.rejected) == (1, 2, 1, 1, 0)
    assert r2.release.period == "2026-04" and r2.release != r1.release
    slamet = people().get(nik=first[0]["nik"])
    assert slamet.pk == ids[first[0]["nik"]][0]
    assert slamet.nama == "Slamet Riyadi" and slamet.name_key == "slamet riyadi"
    assert slamet.first_release == r1.release and slamet.last_release == r2.release
    change = RegistryChange.objects.get(person=slamet)
    assert change.kind == ChangeKind.UPDATED and change.release == r2.release
    assert change.changes == {"nama": ["Slamet", "Slamet Riyadi"], "program_pkh": [True, False],
                              "program_bpnt": [None, True]}
    pkh = ProgramParticipation.objects.get(person=slamet, program_code="PKH")
    assert (pkh.active, pkh.since_period, pkh.until_period) == (False, "2026-01", "2026-04")
    bpnt = ProgramParticipation.objects.get(person=slamet, program_code="BPNT")
    assert (bpnt.active, bpnt.since_period) == (True, "2026-04")

    sri = people().get(nik=first[1]["nik"])
    assert sri.pk == ids[first[1]["nik"]][0] and sri.household_id == kk2.pk
    move = RegistryChange.objects.get(person=sri)
    assert move.kind == ChangeKind.MOVED
    assert move.changes == {"household": [kk1.pk, kk2.pk], "nomor_kk": [kk(1), kk(2)]}

    joko = people().get(nik=first[2]["nik"])
    assert not RegistryChange.objects.filter(person=joko).exists()  # desil belongs to the household
    kk2.refresh_from_db()
    assert kk2.desil == 5 and kk2.last_release == r2.release
    household_change = RegistryChange.objects.get(household=kk2, person=None)
    assert household_change.changes == {"desil": [2, 5]}
    assert set(HouseholdAppearance.objects.filter(household=kk2).values_list("release__period", flat=True)) == {
        "2026-01", "2026-04"}


def test_a_column_absent_from_a_newer_file_leaves_that_field_unchanged(tmp_path):
    row = person(1, pekerjaan="Petani")
    run(write_csv(tmp_path / "r1.csv", [row], header=HEADER + ["pekerjaan"]))
    slim = {k: row[k] for k in ("nik", "nomor_kk", "nama", "kode_wilayah")}
    job = run(write_csv(tmp_path / "r2.csv", [slim]), period="2026-04")
    assert (job.updated, job.unchanged) == (0, 1)
    p = people().get()
    assert p.pekerjaan == "Petani" and p.tanggal_lahir == dt.date(1980, 1, 15)
    assert ProgramParticipation.objects.get(program_code="PKH").active is True
    assert not RegistryChange.objects.exists()


def test_an_emptied_cell_in_a_present_column_is_an_update(tmp_path):
    row = person(1, pekerjaan="Petani")
    run(write_csv(tmp_path / "r1.csv", [row], header=HEADER + ["pekerjaan"]))
    emptied = dict(row, pekerjaan="", periode="2026-04")
    job = run(write_csv(tmp_path / "r2.csv", [emptied], header=HEADER + ["pekerjaan"]))
    assert job.updated == 1
    assert RegistryChange.objects.get().changes == {"pekerjaan": ["Petani", ""]}


def test_household_moving_village_takes_its_members_not_in_the_file_along(tmp_path):
    run(write_csv(tmp_path / "r1.csv", [person(1, kk_no=1), person(2, kk_no=1)], header=HEADER))
    job = run(write_csv(tmp_path / "r2.csv", [person(1, kk_no=1, desa=DESA_2, periode="2026-04")], header=HEADER))
    assert job.updated == 1
    assert set(people().values_list("desa_code", flat=True)) == {DESA_2}


def test_period_option_overrides_the_column_and_a_missing_period_is_refused(tmp_path):
    path = write_csv(tmp_path / "f.csv", [person(1, periode="2026-01")], header=HEADER)
    job = run(path, period="2025-10", source="DTKS")
    assert (job.release.source, job.release.period) == ("DTKS", "2025-10")
    no_period = write_csv(tmp_path / "g.csv", [person(2)], header=["nik", "nomor_kk", "nama", "kode_wilayah"])
    with pytest.raises(ImportFileError, match="Periode"):
        run(no_period)


def test_the_most_common_period_names_the_release(tmp_path):
    rows = [person(1, periode="2026-04"), person(2, periode="2026-04"), person(3, periode="2026-01")]
    job = run(write_csv(tmp_path / "f.csv", rows, header=HEADER))
    assert job.release.period == "2026-04"


# --- large file ------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_large_file_of_20000_rows_imports_exactly(tmp_path):
    n = 20_000
    desas = [f"32.01.01.100{d}" for d in range(1, 6)]
    birth0 = dt.date(1950, 1, 1)
    path = tmp_path / "besar.csv"
    accepted, region_rejected, duplicates = {}, set(), set()
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        for i in range(1, n + 1):
            kk_no = 1 + i // 4
            birth, sex = birth0 + dt.timedelta(days=i), "P" if i % 2 else "L"
            r = person(i, kk_no=kk_no, birth=birth, sex=sex, nik=nik(birth, sex, 1 + i % 9999),
                       desa=desas[kk_no % 5], program_pkh=str(i % 2), program_bpnt="1" if i % 3 == 0 else "")
            if i % 1000 == 0:
                r["kode_wilayah"] = "3201019999"  # no such village
                region_rejected.add(i)
            elif i % 1500 == 0:
                r["nik"] = accepted[i - 1]["nik"]  # the NIK of the line above
                duplicates.add(i)
            else:
                accepted[i] = r
            w.writerow([r[h] for h in HEADER])

    job = run(path)

    assert job.rows_read == n
    assert job.rejected == len(region_rejected) + len(duplicates)
    assert job.created == len(accepted) == people().count()
    lines = dict(ImportRowError.objects.filter(job=job).values_list("line", "column"))
    assert lines == {i + 1: "kode_wilayah" for i in region_rejected} | {i + 1: "nik" for i in duplicates}
    assert Household.objects.system().count() == len({r["nomor_kk"] for r in accepted.values()})
    assert ProgramParticipation.objects.filter(program_code="PKH", active=True).count() == len(
        [i for i in accepted if i % 2])
    assert ProgramParticipation.objects.filter(program_code="BPNT", active=True).count() == len(
        [i for i in accepted if i % 3 == 0])
    for i in (1, 777, 12345, n - 1):
        p = people().select_related("household").get(nik=accepted[i]["nik"])
        assert (p.nama, p.household.nomor_kk, p.desa_code) == (accepted[i]["nama"], accepted[i]["nomor_kk"],
                                                                 desas[(1 + i // 4) % 5])
    again = run(path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, job.created)


# --- reports, progress, jobs -----------------------------------------------------------------


def test_the_error_report_lists_line_column_value_reason_and_kind(tmp_path):
    rows = [person(1, jenis_kelamin="P"), person(2, desil="abc")]
    job = run(write_csv(tmp_path / "f.csv", rows, header=HEADER))
    text = "".join(error_report_csv_chunks(job))
    parsed = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert parsed[0] == ["baris", "kolom", "nilai", "alasan", "jenis"]
    assert parsed[1][:3] == ["2", "nik", rows[0]["nik"]] and parsed[1][4] == "peringatan"
    assert parsed[2][:3] == ["3", "desil", "abc"] and parsed[2][4] == "galat" and "Desil" in parsed[2][3]


def test_progress_is_reported_through_the_file_and_the_callback(tmp_path):
    seen = []
    job = create_import_job(path=write_csv(tmp_path / "f.csv", [person(1)], header=HEADER), original_name="f.csv")
    run_import(job, progress=lambda state: seen.append(state["phase"]))
    assert seen[0] == "queued" and "reading" in seen and "merging" in seen and seen[-1] == "done"
    state = read_progress(job.pk)
    assert state["phase"] == "done" and state["created"] == 1
    info = import_progress(job)
    assert info["percent"] == 100 and info["finished"] and info["accepted"] == 1 and not info["stale"]


def test_a_running_job_whose_process_is_gone_is_stale_and_can_be_run_again(tmp_path):
    job = create_import_job(path=write_csv(tmp_path / "f.csv", [person(1)], header=HEADER), original_name="f.csv")
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING, pid=2**22 + 12345, host="", attempts=1)
    job.refresh_from_db()
    assert is_stale(job) and import_progress(job)["stale"]
    finished = run_import(job)
    assert finished.status == ImportStatus.DONE and finished.created == 1 and finished.attempts == 2


@pytest.fixture
def live_attempt():
    """Make job `pk` look run by a live process: on PostgreSQL another session holds its run lock
    (the pid does not count there: a worker on another machine has one this host cannot check);
    on SQLite the recorded pid is this process."""
    import os

    from django.db import connection

    from slrt.registry.imports import runlock

    sessions = []

    def hold(pk):
        if connection.vendor != "postgresql":
            ImportJob.objects.filter(pk=pk).update(status=ImportStatus.RUNNING, pid=os.getpid())
            return
        import psycopg

        s = connection.settings_dict
        other = psycopg.connect(host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432, user=s["USER"],
                                password=s["PASSWORD"] or None, dbname=s["NAME"], autocommit=True)
        sessions.append(other)
        other.execute("SELECT pg_advisory_lock(%s::int4, %s::int4)", [runlock.LOCK_CLASS, pk])
        # A pid that is surely dead: the lock, not the pid, is what makes the attempt live.
        ImportJob.objects.filter(pk=pk).update(status=ImportStatus.RUNNING, pid=2**22 + 12345)

    yield hold
    for other in sessions:
        other.close()


def test_a_running_job_with_a_live_process_cannot_be_started_twice(tmp_path, live_attempt):
    job = create_import_job(path=write_csv(tmp_path / "f.csv", [person(1)], header=HEADER), original_name="f.csv")
    live_attempt(job.pk)
    job.refresh_from_db()
    assert not is_stale(job)
    with pytest.raises(ImportJobError):
        run_import(job)
    assert mark_stale_jobs() == 0
    assert ImportJob.objects.get(pk=job.pk).status == ImportStatus.RUNNING


def test_a_stale_job_of_the_command_line_is_marked_failed_but_a_queue_job_is_left_for_its_redelivery(tmp_path):
    path = write_csv(tmp_path / "f.csv", [person(1)], header=HEADER)
    cli = create_import_job(path=path, original_name="f.csv")
    queued = create_import_job(path=path, original_name="f.csv")
    ImportJob.objects.filter(pk__in=[cli.pk, queued.pk]).update(status=ImportStatus.RUNNING, pid=2**22 + 12345)
    ImportJob.objects.filter(pk=queued.pk).update(task_id="a" * 32)
    assert mark_stale_jobs() == 1
    assert ImportJob.objects.get(pk=cli.pk).status == ImportStatus.FAILED
    assert ImportJob.objects.get(pk=queued.pk).status == ImportStatus.RUNNING


def test_only_admin_and_manajer_may_import_and_a_manajer_only_inside_the_region(tmp_path, make_user):
    path = write_csv(tmp_path / "f.csv", [person(1), person(2, kk_no=2, desa=DESA_OTHER_KAB,
                                                               nik=nik(dt.date(1980, 1, 15), "L", 2, "320201"))],
                     header=HEADER)
    with pytest.raises(PermissionDenied):
        create_import_job(path=path, original_name="f.csv", actor=make_user("front_office", "32.01"))
    manajer = make_user("manajer", "32.01")
    job = run_import(create_import_job(path=path, original_name="f.csv", actor=manajer))
    assert (job.created, job.rejected) == (1, 1)
    [(line, column, reason)] = errors(job)
    assert (line, column) == (3, "kode_wilayah") and "kewenangan" in reason


def test_a_manajer_cannot_change_a_person_recorded_in_another_region(tmp_path, make_user):
    other = person(1, kk_no=1, desa=DESA_OTHER_KAB, nik=nik(dt.date(1980, 1, 15), "L", 1, "320201"),
                   nomor_kk=kk(1, "320201"))
    run(write_csv(tmp_path / "r1.csv", [other], header=HEADER))
    moved_in = dict(other, kode_wilayah=DESA.replace(".", ""), nomor_kk=kk(9), periode="2026-04")
    job = run_import(create_import_job(path=write_csv(tmp_path / "r2.csv", [moved_in], header=HEADER),
                                       original_name="r2.csv", actor=make_user("manajer", "32.01")))
    assert (job.created, job.updated, job.rejected) == (0, 0, 1)
    assert "kewenangan" in errors(job)[0][2]
    assert people().get().desa_code == DESA_OTHER_KAB


def test_jobs_are_visible_to_their_region_only(tmp_path, make_user):
    path = write_csv(tmp_path / "f.csv", [person(1)], header=HEADER)
    bogor = make_user("manajer", "32.01")
    job = create_import_job(path=path, original_name="f.csv", actor=bogor)
    cli_job = create_import_job(path=path, original_name="f.csv")
    assert list(jobs_for_user(bogor)) == [job]
    assert job_for_user(make_user("manajer", "32.02"), job.pk) is None
    assert job_for_user(make_user("admin", "32"), job.pk) == job
    assert set(jobs_for_user(make_user("admin", "00"))) == {job, cli_job}
    assert not jobs_for_user(make_user("back_office", "32.01")).exists()


def test_the_import_is_audited_with_counts_only(tmp_path, make_user):
    admin = make_user("admin", "00")
    row = person(1)
    job = run_import(create_import_job(path=write_csv(tmp_path / "f.csv", [row], header=HEADER),
                                       original_name="f.csv", actor=admin))
    event = AuditEvent.objects.get(action="registry.import")
    assert event.actor == admin and event.object_id == str(job.pk)
    assert event.detail["created"] == 1 and event.detail["release_id"] == job.release_id
    assert row["nik"] not in json.dumps(event.detail) and row["nama"] not in json.dumps(event.detail)


# --- command line ----------------------------------------------------------------------------


def test_the_command_prints_an_indonesian_summary_and_writes_the_report(tmp_path):
    path = write_csv(tmp_path / "f.csv", [person(1), person(2, desil="99")], header=HEADER)
    out = io.StringIO()
    report = tmp_path / "laporan.csv"
    call_command("import_registry", str(path), "--source", "DTSEN", "--report", str(report), stdout=out)
    text = out.getvalue()
    for label in ("diterima", "baru", "diperbarui", "tidak berubah", "pindah KK", "ditolak"):
        assert label in text
    assert list(csv.reader(report.open()))[1][:2] == ["3", "desil"]


def test_the_command_fails_for_an_unusable_file(tmp_path):
    path = tmp_path / "laporan.pdf.csv"
    path.write_bytes(b"%PDF-1.4\n")
    with pytest.raises(CommandError, match="PDF"):
        call_command("import_registry", str(path), stdout=io.StringIO())
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("import_registry", str(write_csv(tmp_path / "f.csv", [person(1)], header=HEADER)),
                     "--period", "2026-7", stdout=io.StringIO())
