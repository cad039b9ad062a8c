"""A real Celery worker killed by SIGKILL mid-import: the queue hands the task to a new worker and
the import happens exactly once (one release, every person once, the job done on its 2nd attempt).

Real processes throughout: RabbitMQ (SLRT_BROKER_URL, a queue of this test's own), `celery -A slrt
worker --pool=prefork -c 1` in its own process group, and the PostgreSQL test database (the worker
must see what the test committed: a transactional test; SQLite has no second process on one file
that could hold an import's transaction open, so this test runs on PostgreSQL only).
"""

import csv
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from slrt.registry.imports.progress import read_progress
from slrt.registry.models import ImportJob, ImportStatus, Person, Release
from slrt.registry.selectors.imports import is_stale
from slrt.registry.services.imports import create_import_job

ON_POSTGRES = django_settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True),
              pytest.mark.skipif(not ON_POSTGRES, reason="a real worker needs the test database: PostgreSQL")]

BASE_DIR = Path(django_settings.BASE_DIR)
BROKER = os.environ.get("SLRT_TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")
DESAS = ["3201011001", "3201011002", "3201011003"]
# Enough rows that reading them takes several seconds on a CI machine (60,000 rows: a few seconds of reading).
N = 60_000


def _broker_reachable() -> bool:
    from kombu.utils.url import url_to_parts

    parts = url_to_parts(BROKER)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5672), timeout=3):
            return True
    except OSError:
        return False


@pytest.fixture
def broker():
    if not _broker_reachable():
        message = f"RabbitMQ is not reachable at {BROKER.split('@')[-1]}"
        if os.environ.get("CI") == "1":
            pytest.fail(message + " (CI=1: the queue kill test must run)")
        pytest.skip(message)
    return BROKER


def write_file(path: Path) -> Path:
    """N people in N/3 families in three villages of Kab. Bogor, each NIK unique."""
    birth0 = dt.date(1950, 1, 1)
    with open(path, "w", newline="") as f:
        w = csv.writer(f, delimiter=";")
        w.writerow(["nik", "nomor_kk", "nama", "kode_wilayah", "tanggal_lahir", "jenis_kelamin",
                    "hubungan_keluarga", "alamat", "desil", "periode", "program_pkh"])
        for i in range(N):
            birth = birth0 + dt.timedelta(days=i % 20_000)
            family = i // 3
            nik = f"320101{birth.day:02d}{birth.month:02d}{birth.year % 100:02d}{i // 20_000 + 1:04d}"
            w.writerow([nik, f"320101{family:010d}", f"Warga {i}", DESAS[family % 3], birth.isoformat(), "L",
                        "Kepala Keluarga" if i % 3 == 0 else "Anak", f"Kampung {family}", str(1 + family % 10),
                        "2026-01", "1"])
    return path


def _database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class Workers:
    """Celery workers started by the test, each in its own process group; all stopped in `stop`."""

    def __init__(self, env: dict, queue: str, logs: Path):
        self.env, self.queue, self.logs = env, queue, logs
        self.procs: list[subprocess.Popen] = []

    def start(self) -> subprocess.Popen:
        n = len(self.procs) + 1
        log = open(self.logs / f"worker-{n}.log", "wb")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "slrt", "worker", "--pool=prefork", "-c", "1", "-Q", self.queue,
             "-n", f"kill-test-{n}-{uuid.uuid4().hex[:6]}@%h", "--without-gossip", "--without-mingle",
             "--loglevel=INFO"],
            cwd=BASE_DIR, env=self.env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        proc.log = log
        self.procs.append(proc)
        return proc

    def kill(self, proc: subprocess.Popen) -> None:
        """SIGKILL the worker's whole process group: the main process and its pool child at once."""
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=30)

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                    proc.wait(timeout=20)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    pass
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # the pool children too, whatever became of the parent
            except ProcessLookupError:
                pass
            proc.wait(timeout=30)
            proc.log.close()

    def tail(self) -> str:
        return "\n".join(f"--- {p.name}\n" + p.read_text(errors="replace")[-3000:]
                         for p in sorted(self.logs.glob("worker-*.log")))


def _wait(what: str, check, timeout: float, workers: Workers):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out waiting until {what}\n{workers.tail()}")


def test_a_worker_killed_mid_import_hands_the_task_on_and_the_import_happens_once(
        tmp_path, settings, broker, regions_after_flush):
    var = tmp_path / "var"
    var.mkdir()
    settings.VAR_DIR = var  # the progress file and the uploaded file: where the worker writes and reads
    queue = f"slrt-test-{uuid.uuid4().hex}"
    env = dict(os.environ, DATABASE_URL=_database_url(), SLRT_BROKER_URL=broker, SLRT_QUEUE_NAME=queue,
               SLRT_TASK_ALWAYS_EAGER="0", SLRT_VAR_DIR=str(var), DJANGO_SETTINGS_MODULE="slrt.settings",
               PYTHONUNBUFFERED="1")
    env.pop("SLRT_LOG_FILE", None)  # the workers log to their own files here
    path = write_file(tmp_path / "dtsen.csv")
    job = create_import_job(path=path, original_name="dtsen.csv")  # committed: the test is transactional

    workers = Workers(env, queue, tmp_path)
    try:
        first = workers.start()
        # Enqueued as the web does (services.imports.enqueue_import), by a process on the real broker.
        send = subprocess.run(
            [sys.executable, "-c", "import django; django.setup(); from slrt.registry.models import ImportJob; "
             "from slrt.registry.services.imports import enqueue_import; "
             f"enqueue_import(ImportJob.objects.get(pk={job.pk}))"],
            cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60, check=False,
        )
        assert send.returncode == 0, send.stderr

        def reading():
            state = read_progress(job.pk) or {}
            return state.get("phase") == "reading" and state.get("rows_read", 0) >= 10_000 and state

        state = _wait("the first worker is reading the file", reading, 120, workers)
        running = ImportJob.objects.get(pk=job.pk)
        assert running.status == ImportStatus.RUNNING and running.attempts == 1 and running.pid == state["pid"]
        assert not is_stale(running), "a live attempt must not look stale"
        workers.kill(first)

        # The killed attempt left no data, and the job is recognisably stale once its database
        # session is gone (the server notices the closed socket).
        assert not Release.objects.exists() and not Person.objects.system().exists()
        _wait("the killed attempt's run lock is released",
              lambda: is_stale(ImportJob.objects.get(pk=job.pk)), 30, workers)
        assert ImportJob.objects.get(pk=job.pk).status == ImportStatus.RUNNING

        workers.start()  # the broker hands the unacknowledged message to this one
        done = _wait("the second worker finishes the import",
                     lambda: ImportJob.objects.filter(pk=job.pk, status__in=["done", "failed"]).first(), 300, workers)
    finally:
        workers.stop()
        _delete_queue(broker, queue)

    assert done.status == ImportStatus.DONE, f"{done.status}: {done.message}\n{workers.tail()}"
    assert done.attempts == 2
    assert (done.created, done.rows_read, done.rejected) == (N, N, 0)
    assert Release.objects.count() == 1 and done.release.period == "2026-01"
    assert Person.objects.system().count() == N
    assert Person.objects.system().values("nik").distinct().count() == N


def _delete_queue(url: str, queue: str) -> None:
    from kombu import Connection

    try:
        with Connection(url, connect_timeout=5) as conn:
            conn.default_channel.queue_delete(queue)
    except Exception:  # noqa: BLE001, S110 - a leftover empty queue is harmless; the test's outcome stands
        pass
