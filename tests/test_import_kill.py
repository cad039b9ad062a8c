"""Imports in other processes: a SIGKILL leaves the data as it was and a re-run completes; an
import enqueued for the web runs as a task and is watched while it runs (the real worker, killed
mid-import, is in test_queue_kill.py).

The import runs in a real subprocess against a database that other processes can see: a
temporary SQLite file, or the PostgreSQL test database (committed data, hence a transactional
test). A small driver pauses the import at a chosen point (while streaming rows into the
staging table, or after households and people were already written inside the transaction),
the test waits for that point through the progress file, kills the process, and compares
every registry table with its state before.
"""

import csv
import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from slrt.registry.imports.progress import read_progress
from slrt.registry.models import ImportJob
from slrt.registry.selectors.imports import is_stale

# On PostgreSQL the subprocess must see committed data: a transactional test on the test
# database. On SQLite the subprocess gets its own database file and this test needs no other.
ON_POSTGRES = django_settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
pytestmark = [pytest.mark.slow] + ([pytest.mark.django_db(transaction=True)] if ON_POSTGRES else [])

BASE_DIR = Path(django_settings.BASE_DIR)
TABLES = ("registry_release", "registry_household", "registry_person", "registry_programparticipation",
          "registry_householdappearance", "registry_registrychange", "registry_importrowerror")
HEADER = ["nik", "nomor_kk", "nama", "kode_wilayah", "tanggal_lahir", "jenis_kelamin", "hubungan_keluarga",
          "alamat", "desil", "periode", "program_pkh"]
DESAS = ["3201011001", "3201011002", "3201011003"]
N = 3000

DRIVER = """
import os, sys, time
from pathlib import Path

sys.path.insert(0, {base!r})
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "slrt.settings")
import django

django.setup()
from slrt.registry.imports import loader

marker = Path(os.environ["SLRT_TEST_MARKER"])


def pause():
    marker.write_text("paused")
    time.sleep(3600)


if os.environ["SLRT_TEST_PAUSE_AT"] == "reading":
    add = loader.Loader.add

    def paused_add(self, row):
        add(self, row)
        if self.staged == 1500:
            pause()

    loader.Loader.add = paused_add
else:
    person_changes = loader.Loader._person_changes

    def paused_person_changes(self, *args, **kwargs):
        person_changes(self, *args, **kwargs)  # households and changed people already written
        pause()

    loader.Loader._person_changes = paused_person_changes

from django.core.management import call_command

call_command("import_registry", sys.argv[1], "--no-progress")
"""


def _nik(i: int, birth: dt.date) -> str:
    return f"320101{birth.day:02d}{birth.month:02d}{birth.year % 100:02d}{i % 9999 + 1:04d}"


def write_release(path: Path, period: str, *, changed: bool) -> Path:
    """N people in N/3 families; the second release renames every 20th person, moves every 50th
    to the next family, drops PKH for every 7th, adds 100 people and has 10 bad rows."""
    birth0 = dt.date(1950, 1, 1)
    with open(path, "w", newline="") as f:
        w = csv.writer(f, delimiter=";")
        w.writerow(HEADER)
        total = N + (100 if changed else 0)
        for i in range(total):
            birth = birth0 + dt.timedelta(days=i * 7)
            family = i // 3
            if changed and i % 50 == 1 and i < N:
                family += 1
            name = f"Warga {i}" + (" Baru" if changed and i % 20 == 0 else "")
            pkh = "0" if changed and i % 7 == 0 else "1"
            desa = DESAS[family % 3]
            if changed and i % 300 == 2:
                desa = "3201019999"
            w.writerow([_nik(i, birth), f"320101{family:010d}", name, desa, birth.isoformat(), "L",
                        "Kepala Keluarga" if i % 3 == 0 else "Anak", f"Kampung {family}", str(1 + family % 10),
                        period, pkh])
    return path


def _run(env, *args, timeout=300):
    return subprocess.run([sys.executable, str(BASE_DIR / "manage.py"), *args], env=env, cwd=BASE_DIR,
                          capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture
def database(request, tmp_path):
    """(environment for subprocesses, function returning every row of a table)."""
    env = dict(os.environ, SLRT_VAR_DIR=str(tmp_path / "var"), PYTHONUNBUFFERED="1")
    if not ON_POSTGRES:
        db_file = tmp_path / "registry.sqlite3"
        env["DATABASE_URL"] = f"sqlite:///{db_file}"
        assert _run(env, "migrate", "--skip-checks", "-v0").returncode == 0
        load = subprocess.run(
            [sys.executable, "-c", "import django; django.setup(); from slrt.wilayah.services import load_regions; "
             "load_regions(prefixes=('32',))"],
            env=dict(env, DJANGO_SETTINGS_MODULE="slrt.settings"), cwd=BASE_DIR, check=False, capture_output=True,
        )
        assert load.returncode == 0, load.stderr

        def query(sql):
            with sqlite3.connect(db_file) as db:
                return db.execute(sql).fetchall()
    else:
        request.getfixturevalue("regions_after_flush")
        s = connection.settings_dict
        auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
        env["DATABASE_URL"] = f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"

        def query(sql):
            with connection.cursor() as cur:
                cur.execute(sql)
                return [tuple(r) for r in cur.fetchall()]
    return env, query


def snapshot(query) -> dict:
    return {table: query(f"SELECT * FROM {table} ORDER BY 1") for table in TABLES}


@pytest.mark.parametrize("kill_at", ["reading", "merging"])
def test_a_killed_import_leaves_the_registry_as_it_was_and_a_rerun_completes(tmp_path, database, settings, kill_at):
    env, query = database
    first = _run(env, "import_registry", str(write_release(tmp_path / "r1.csv", "2026-01", changed=False)))
    assert first.returncode == 0, first.stderr
    before = snapshot(query)
    assert len(before["registry_person"]) == N

    release2 = write_release(tmp_path / "r2.csv", "2026-04", changed=True)
    marker = tmp_path / "paused"
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER.format(base=str(BASE_DIR)))
    proc = subprocess.Popen(
        [sys.executable, str(driver), str(release2)], cwd=BASE_DIR, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, env=dict(env, SLRT_TEST_PAUSE_AT=kill_at, SLRT_TEST_MARKER=str(marker)),
    )
    settings.VAR_DIR = Path(env["SLRT_VAR_DIR"])
    try:
        # Wait on the progress file (another process, transaction still open) for the pause point.
        deadline = time.monotonic() + 120
        state = None
        while time.monotonic() < deadline:
            [(job_id,)] = query("SELECT MAX(id) FROM registry_importjob")
            state = read_progress(job_id) if job_id and job_id > 1 else None
            if marker.exists() and state and state["phase"] == kill_at:
                break
            assert proc.poll() is None, "the import ended before reaching the pause point"
            time.sleep(0.05)
        else:
            pytest.fail(f"the import never reached {kill_at}")
        assert state["pid"] == proc.pid
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    assert snapshot(query) == before

    # The job still says "running", but its process is gone: recognisably stale.
    [(status, pid, host)] = query(f"SELECT status, pid, host FROM registry_importjob WHERE id = {job_id}")
    assert (status, pid) == ("running", proc.pid)
    assert is_stale(ImportJob(pk=job_id, status=status, pid=pid, host=host))

    rerun = _run(env, "import_registry", str(release2))
    assert rerun.returncode == 0, rerun.stderr
    bad = [i for i in range(N + 100) if i % 300 == 2]
    assert f"ditolak        : {len(bad):>10}" in rerun.stdout
    [(people,)] = query("SELECT COUNT(*) FROM registry_person")
    assert people == N + len([i for i in range(N, N + 100) if i not in bad])
    [(renamed,)] = query("SELECT COUNT(*) FROM registry_person WHERE nama LIKE '% Baru'")
    assert renamed == len([i for i in range(N + 100) if i % 20 == 0])
    kinds = dict(query("SELECT kind, COUNT(*) FROM registry_registrychange WHERE person_id IS NOT NULL GROUP BY kind"))
    assert kinds["moved"] == len([i for i in range(N) if i % 50 == 1])
    [(status,)] = query(f"SELECT status FROM registry_importjob WHERE id = {job_id}")
    assert status == "failed"  # marked when the re-run started


WEB_DRIVER = """
import json, sys, threading, time
sys.path.insert(0, {base!r})
import django

django.setup()
from django.db import connections
from slrt.registry.selectors.imports import import_progress
from slrt.registry.services.imports import create_import_job, enqueue_import

job = create_import_job(path=sys.argv[1], original_name="unggahan.csv")
watched = {{"phases": [], "progress": None}}


def watch():
    # Another thread, its own database connection: what the job page sees while the task runs.
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        job.refresh_from_db()
        progress = import_progress(job)
        if not watched["phases"] or watched["phases"][-1] != progress["phase"]:
            watched["phases"].append(progress["phase"])
        watched["progress"] = progress
        if progress["finished"]:
            break
        time.sleep(0.02)
    connections.close_all()


watcher = threading.Thread(target=watch)
watcher.start()
enqueue_import(job)  # outside a transaction: sent at once; eager here (SLRT_TASK_ALWAYS_EAGER=1)
watcher.join()
print(json.dumps(watched))
"""


def test_an_import_enqueued_for_the_web_runs_as_a_task_and_is_watched_while_it_runs(tmp_path, database):
    import json

    env, query = database
    path = write_release(tmp_path / "unggahan.csv", "2026-01", changed=False)
    driver = tmp_path / "web.py"
    driver.write_text(WEB_DRIVER.format(base=str(BASE_DIR)))
    result = subprocess.run([sys.executable, str(driver), str(path)], cwd=BASE_DIR, capture_output=True, text=True,
                            env=dict(env, DJANGO_SETTINGS_MODULE="slrt.settings", SLRT_TASK_ALWAYS_EAGER="1"),
                            timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    progress = report["progress"]
    assert progress["status"] == "done" and progress["created"] == N and progress["percent"] == 100
    assert progress["queued"] and progress["attempts"] == 1
    # The watcher saw the job move through its phases while the import's transaction was open.
    assert report["phases"][-1] == "done" and {"reading", "merging"} & set(report["phases"])
    [(people,)] = query("SELECT COUNT(*) FROM registry_person")
    assert people == N
