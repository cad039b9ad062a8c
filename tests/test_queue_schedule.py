"""Scheduled jobs on the real queue: two `celery -A slrt beat` processes send every registered job
every period, one worker receives both copies, and each (job, period) runs once.

Real processes on real engines: RabbitMQ (amqp://guest:guest@127.0.0.1:5672//, a queue of this
test's own) and the PostgreSQL test database (committed data, hence a transactional test). The
period is shortened for the test (SLRT_JOB_PERIOD_SECONDS). Without RabbitMQ the test is skipped,
unless CI=1 says the broker must be there. SQLite: skipped (one writer; the claim's race is the
point).
"""

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from slrt.notifications.jobs import registered_jobs
from slrt.notifications.models import JobRun

BROKER = "amqp://guest:guest@127.0.0.1:5672//"
BASE_DIR = Path(django_settings.BASE_DIR)
PERIOD = 2
PERIODS = 5  # how many periods both schedulers run side by side

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _rabbitmq_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5672), timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture
def queue_env(tmp_path, regions_after_flush):
    if connection.vendor != "postgresql":
        pytest.skip("two schedulers racing for a claim: PostgreSQL (DATABASE_URL)")
    if not _rabbitmq_up():
        if os.environ.get("CI") == "1":
            pytest.fail("RabbitMQ is not running on 127.0.0.1:5672 (CI=1 requires it)")
        pytest.skip("RabbitMQ is not running on 127.0.0.1:5672")
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    queue = f"slrt-test-{uuid.uuid4().hex}"
    env = dict(
        os.environ,
        DATABASE_URL=f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}",
        SLRT_BROKER_URL=BROKER, SLRT_QUEUE_NAME=queue, SLRT_TASK_ALWAYS_EAGER="0",
        SLRT_JOB_PERIOD_SECONDS=str(PERIOD), SLRT_VAR_DIR=str(tmp_path / "var"), PYTHONUNBUFFERED="1",
    )
    yield env, queue
    from kombu import Connection

    with Connection(BROKER) as conn:  # leave RabbitMQ as we found it
        with contextlib.suppress(Exception):  # never created: nothing to clean
            conn.default_channel.queue_delete(queue)


def _start(env, log: Path, *args) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "slrt", *args], cwd=BASE_DIR,
        env=dict(env, SLRT_LOG_FILE=str(log)), stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True,
    )


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _wait_for(path: Path, text: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text(errors="replace"):
            return
        time.sleep(0.2)
    tail = path.read_text(errors="replace")[-3000:] if path.exists() else "(no log)"
    raise AssertionError(f"{path.name} never said {text!r}:\n{tail}")


def test_two_schedulers_send_every_job_each_period_and_each_period_runs_once(tmp_path, queue_env):
    env, queue = queue_env
    logs = {name: tmp_path / f"{name}.log" for name in ("worker", "beat1", "beat2")}
    processes = []
    try:
        worker = _start(env, logs["worker"], "worker", "--pool", "solo", "--queues", queue, "--loglevel", "INFO",
                        "--hostname", f"{queue}@%h", "--without-mingle", "--without-gossip")
        processes.append(worker)
        _wait_for(logs["worker"], "ready.", timeout=60)
        for name in ("beat1", "beat2"):
            processes.append(_start(env, logs[name], "beat", "--loglevel", "INFO",
                                    "--schedule", str(tmp_path / f"{name}-schedule")))
        for name in ("beat1", "beat2"):
            _wait_for(logs[name], "Sending due task job:outbox", timeout=60)
        time.sleep(PERIODS * PERIOD)
        for beat in processes[1:]:
            _stop(beat)
        time.sleep(PERIOD)  # the worker drains what the schedulers sent last
    finally:
        for process in reversed(processes):
            _stop(process)

    worker_log = logs["worker"].read_text(errors="replace")
    ran = Counter(re.findall(r"jobs: (\S+) ran for (\S+):", worker_log))
    skipped = Counter(re.findall(r"jobs: (\S+) for (\S+) already (?:done|running); skipped", worker_log))
    names = {job.name for job in registered_jobs()}
    assert {name for name, _period in ran} == names, worker_log[-3000:]
    # Each job and period ran exactly once, though both schedulers sent it: the second copy of
    # most periods reached the worker and was turned away by the claim.
    assert all(n == 1 for n in ran.values()), [key for key, n in ran.items() if n > 1]
    for name in names:
        periods = sorted(p for job, p in ran if job == name)
        assert len(periods) >= PERIODS - 1, (name, periods)
        assert sum(n for (job, _p), n in skipped.items() if job == name) >= PERIODS - 2, (name, skipped)
    assert set(skipped) <= set(ran)  # a copy is only turned away for a period that ran
    for name in ("beat1", "beat2"):
        sent = logs[name].read_text(errors="replace").count("Sending due task job:outbox")
        assert sent >= PERIODS - 1, (name, sent)
    # The claims: one finished row per run, its outcome the run's counts.
    rows = list(JobRun.objects.values_list("job", "period_start", "finished_at", "outcome", "attempts"))
    assert Counter(job for job, *_rest in rows) == Counter(job for job, _p in ran)
    assert all(finished is not None and outcome and attempts == 1 for _j, _p, finished, outcome, attempts in rows)
    assert all(start.timestamp() % PERIOD == 0 for _j, start, *_rest in rows)  # aligned to the clock
