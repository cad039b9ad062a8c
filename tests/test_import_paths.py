"""The importer's fast paths give exactly the result of the plain path.

* bulk: a large first import into empty tables drops their secondary indexes (and, on
  PostgreSQL, foreign keys) and rebuilds them after the load;
* parallel: large files are validated by worker processes.
"""

import datetime as dt

import pytest
from django.db import connection

from slrt.registry.imports import batches, loader
from slrt.registry.models import (
    Household,
    HouseholdAppearance,
    ImportRowError,
    Person,
    ProgramParticipation,
    RegistryChange,
)
from slrt.registry.services.imports import create_import_job, run_import

pytestmark = pytest.mark.django_db

TABLES = ("registry_household", "registry_person", "registry_programparticipation", "registry_householdappearance")
HEADER = ("nik,nomor_kk,nama,kode_wilayah,tanggal_lahir,jenis_kelamin,hubungan_keluarga,desil,periode,program_pkh,"
          "program_bpnt,catatan\n")


def write_file(path, n=60):
    """n people in n/3 families in three villages, with a bad row, a duplicate and a NIK warning."""
    lines = [HEADER]
    birth0 = dt.date(1960, 1, 1)
    for i in range(n):
        birth = birth0 + dt.timedelta(days=(97 * i) % 18000)
        sex = "P" if i % 2 else "L"
        nik = f"320101{birth.day + (40 if sex == 'P' else 0):02d}{birth.month:02d}{birth.year % 100:02d}{i + 1:04d}"
        desa = f"32010110{i // 3 % 3 + 1:02d}"
        stated_sex = "L" if i == 7 else sex  # the NIK says P: a warning
        relation = "Kepala Keluarga" if i % 3 == 0 else "Anak"
        lines.append(f"{nik},320101{i // 3:010d},Warga {i},{desa},{birth.isoformat()},{stated_sex},{relation},"
                     f"{1 + i % 10},2026-01,{i % 2},{'1' if i % 5 == 0 else ''},catatan {i}\n")
    lines.append(lines[5])  # a duplicate NIK
    lines.append("3201019999999999,3201010000000999,Salah,3201011001,,,,,2026-01,,,\n")  # impossible NIK
    path.write_text("".join(lines))
    return path


def run(path):
    return run_import(create_import_job(path=path, original_name=path.name))


def registry_state():
    """Everything the import wrote, without ids and timestamps."""
    people = sorted(Person.objects.system().values_list(
        "nik", "household__nomor_kk", "nama", "name_key", "tanggal_lahir", "jenis_kelamin", "hubungan_keluarga",
        "desa_code", "kec_code", "extra", "nik_warnings", "row_hash"))
    households = sorted(Household.objects.system().values_list("nomor_kk", "desa_code", "desil", "row_hash"))
    programmes = sorted(ProgramParticipation.objects.values_list("person__nik", "program_code", "active",
                                                                 "since_period"))
    appearances = sorted(HouseholdAppearance.objects.values_list("household__nomor_kk", "release__period"))
    return people, households, programmes, appearances


def report(job):
    return list(ImportRowError.objects.filter(job=job).order_by("line", "id").values_list(
        "line", "column", "value", "reason", "is_warning"))


def wipe_registry():
    RegistryChange.objects.all().delete()
    ProgramParticipation.objects.all().delete()
    HouseholdAppearance.objects.all().delete()
    Person.objects.system().delete()
    Household.objects.system().delete()


def schema():
    """Indexes (and foreign keys) of the registry tables."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT tablename, indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s)",
                        [list(TABLES)])
            indexes = cur.fetchall()
            cur.execute("SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
                        "WHERE conrelid::regclass::text = ANY(%s)", [list(TABLES)])
            return sorted(indexes), sorted(cur.fetchall())
        cur.execute("SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'index' "
                    "AND tbl_name IN (%s, %s, %s, %s)", TABLES)
        return sorted(cur.fetchall()), []


def test_a_bulk_first_import_gives_the_plain_result_and_restores_every_index(tmp_path, monkeypatch):
    path = write_file(tmp_path / "f.csv")
    before = schema()
    plain = run(path)
    plain_state, plain_report = registry_state(), report(plain)
    wipe_registry()

    monkeypatch.setattr(loader, "BULK_MIN_ROWS", 1)
    bulk = run(path)
    assert schema() == before
    assert registry_state() == plain_state
    assert report(bulk) == plain_report
    assert (bulk.created, bulk.rejected, bulk.warnings) == (plain.created, plain.rejected, plain.warnings) == (60, 2, 1)
    # Tables are no longer empty: the next import takes the ordinary path, and changes nothing.
    again = run(path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 60)
    assert schema() == before


def test_parallel_validation_gives_the_serial_result(tmp_path, monkeypatch):
    path = write_file(tmp_path / "f.csv", n=5000)
    monkeypatch.setattr(batches, "BATCH_ROWS", 700)  # several batches in flight, out of order
    serial = run(path)
    serial_state, serial_report = registry_state(), report(serial)
    wipe_registry()

    monkeypatch.setenv("SLRT_IMPORT_WORKERS", "2")
    monkeypatch.setattr(batches, "PARALLEL_MIN_BYTES", 0)
    pools = []

    class RecordedPool(batches.ProcessPoolExecutor):
        def __init__(self, *args, **kwargs):
            pools.append(args[0])
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(batches, "ProcessPoolExecutor", RecordedPool)
    parallel = run(path)
    assert pools == [2]
    assert registry_state() == serial_state
    assert report(parallel) == serial_report
    assert (parallel.rows_read, parallel.created, parallel.rejected) == (5002, 5000, 2)


def test_an_import_refuses_to_start_inside_a_worker_process(tmp_path, monkeypatch):
    monkeypatch.setenv(batches.WORKER_ENV, "1")
    with pytest.raises(RuntimeError, match="__main__"):
        run(write_file(tmp_path / "f.csv", n=6))
    assert not Person.objects.system().exists()
