"""Observability without personal data (issue 12 point 6): /readyz checks the database, the task
queue and free disk (200, or 503 naming what fails, nothing more); a real gunicorn with several
workers counts requests per route and serves the metrics only on its private address; JSON log
lines carry the request id the answer returned and none of the NIK, name or phone a request held."""

import json
import logging
import os
import random
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from celery import shared_task
from django.conf import settings
from django.test import RequestFactory, override_settings

from slrt.conf import observability
from slrt.core import metrics, requestid
from tests.ports import free_port

ROOT = Path(__file__).resolve().parent.parent
NIK = "3201014506900001"
NAME = "Suprihatin Wulandari"
PHONE = "081234567890"
GOOD_ID = "0f3e2a1b-9c8d-4e7f-a6b5-c4d3e2f1a0b9"


def _ports() -> range:
    """This file's ports, 18500-18599, split between xdist workers so that two never pick the same."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    if not worker.startswith("gw"):
        return range(18500, 18600)
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
    size = max(3, 100 // max(count, 1))
    start = 18500 + (int(worker[2:]) * size) % 100
    return range(start, min(start + size, 18600))


def _port_in_range() -> int:
    """A free port of this worker's share of the range, tried at random."""
    ports = _ports()
    return free_port(random.sample(ports, len(ports)))


def _closed_port() -> int:
    return _port_in_range()  # free now: nothing listens there


# --- /readyz in the test process ---------------------------------------------------------------

@pytest.mark.django_db
def test_readyz_answers_200_naming_each_check_ok(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "queue": "ok", "disk": "ok"}}


@pytest.mark.django_db
def test_healthz_stays_specs_liveness_answer(client):
    from django.db import connection

    body = client.get("/healthz").json()
    assert body == {"status": "ok", "database": connection.vendor, "engine": settings.DATABASES["default"]["ENGINE"]}


@pytest.mark.django_db
def test_readyz_answers_503_when_the_broker_is_unreachable_without_naming_its_host(client):
    port = _closed_port()
    with override_settings(CELERY_BROKER_URL=f"amqp://guest:guest@127.0.0.1:{port}//"):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "failing", "checks": {"database": "ok", "queue": "failing", "disk": "ok"}}
    assert b"127.0.0.1" not in response.content and str(port).encode() not in response.content


@pytest.mark.django_db
def test_readyz_does_not_wait_past_its_deadline_for_a_check_that_hangs(client, monkeypatch):
    """A broker or database host that swallows packets: the probe answers 503 at the deadline."""
    import threading

    from slrt.core import health

    release = threading.Event()
    monkeypatch.setitem(health.CHECKS, "queue", lambda: release.wait(120))
    try:
        with override_settings(SLRT_READY_TIMEOUT=0.5):
            began = time.monotonic()
            response = client.get("/readyz")
            took = time.monotonic() - began
    finally:
        release.set()
    assert response.status_code == 503 and response.json()["checks"]["queue"] == "failing"
    assert took < 60  # far below the hanging check's 120 s, however loaded the machine


@pytest.mark.django_db
def test_readyz_answers_503_when_free_disk_is_below_the_threshold(client):
    with override_settings(SLRT_READY_MIN_FREE_BYTES=2**62):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "queue": "ok", "disk": "failing"}


@pytest.mark.django_db
def test_readyz_answers_503_when_the_filesystem_broker_folder_is_not_writable(client, tmp_path):
    folder = tmp_path / "missing" / "messages"  # a folder that is not there cannot take a message
    options = {**settings.CELERY_BROKER_TRANSPORT_OPTIONS, "data_folder_in": str(folder)} \
        if settings.CELERY_BROKER_URL.startswith("filesystem") else {"data_folder_in": str(folder)}
    with override_settings(CELERY_BROKER_URL="filesystem://", CELERY_BROKER_TRANSPORT_OPTIONS=options):
        response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["checks"]["queue"] == "failing"


def _applied(**env_over) -> dict:
    s = {"LOGGING": json.loads(json.dumps(settings.LOGGING, default=str)), "MIDDLEWARE": [],
         "SECURE_REDIRECT_EXEMPT": [r"^healthz$"]}
    observability.apply(s)
    return s


@pytest.mark.django_db
def test_readyz_like_healthz_is_not_redirected_to_https(client):
    exempt = _applied()["SECURE_REDIRECT_EXEMPT"]
    assert exempt == [r"^healthz$", r"^readyz$"]
    with override_settings(SECURE_SSL_REDIRECT=True, SECURE_REDIRECT_EXEMPT=exempt):
        assert client.get("/readyz").status_code == 200
        assert client.get("/healthz").status_code == 200
        assert client.get("/akun/masuk/").status_code == 301


def test_every_handler_keeps_the_scrub_filter_and_gains_the_request_id():
    for name, handler in settings.LOGGING["handlers"].items():
        assert "scrub" in handler["filters"] and "request_context" in handler["filters"], name
    assert settings.MIDDLEWARE[0] == "slrt.core.requestid.RequestIdMiddleware"


def test_log_format_json_is_the_default_and_a_wrong_value_is_refused(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    monkeypatch.delenv("SLRT_LOG_FORMAT")
    s = _applied()
    assert {h["formatter"] for h in s["LOGGING"]["handlers"].values()} == {"json"}
    monkeypatch.setenv("SLRT_LOG_FORMAT", "xml")
    with pytest.raises(ImproperlyConfigured, match="SLRT_LOG_FORMAT"):
        _applied()


# --- request ids ---------------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_valid_request_id_is_kept_and_anything_else_replaced(client):
    assert client.get("/healthz", HTTP_X_REQUEST_ID=GOOD_ID)["X-Request-ID"] == GOOD_ID
    for bad in (NIK, PHONE, "Siti-Aminah-Wulandari-0000", "abc", "a" * 65, f"ab{NIK}cd", "0f3e2a1b 9c8d"):
        answered = client.get("/healthz", HTTP_X_REQUEST_ID=bad)["X-Request-ID"]
        assert answered != bad and requestid.valid(answered), bad
    made = {client.get("/healthz")["X-Request-ID"] for _ in range(5)}
    assert len(made) == 5 and all(requestid.valid(m) for m in made)


def test_json_lines_scrub_extra_fields_and_carry_the_request_or_task_id():
    formatter = requestid.JsonLogFormatter()
    record = logging.LogRecord("slrt.x", logging.INFO, __file__, 1, "lookup %s", (NIK,), None)
    record.nik = NIK
    record.where = {"url": f"/api/v1/people?nik={NIK}"}
    record.request_id, record.task_id = GOOD_ID, ""
    record.request = RequestFactory().get(f"/api/v1/people?nik={NIK}")  # as django.request logs it
    record.value = Exception(f"NIK {NIK}")
    line = json.loads(formatter.format(record))
    assert line["message"] == "lookup [scrubbed]" and line["nik"] == "[scrubbed]"
    assert "request" not in line and line["value"] == "NIK [scrubbed]"
    assert line["where"] == {"url": "/api/v1/people?nik=[scrubbed]"}
    assert line["request_id"] == GOOD_ID and "task_id" not in line
    assert {"time", "level", "logger"} <= set(line) and line["level"] == "INFO" and line["logger"] == "slrt.x"
    record.request_id, record.task_id = "", "5b1c"
    line = json.loads(formatter.format(record))
    assert line["task_id"] == "5b1c" and "request_id" not in line


# --- task metrics and queue depth --------------------------------------------------------------

@shared_task(name="tests.observability.fails")
def _fails():
    logging.getLogger("slrt.tests").warning("task running")
    raise RuntimeError("planned failure")


@shared_task(name="tests.observability.works")
def _works():
    return requestid.current_task_id.get()


def test_task_runs_and_failures_are_counted_and_logs_carry_the_task_id():
    from prometheus_client import REGISTRY

    def value(name, labels):
        return REGISTRY.get_sample_value(name, labels) or 0

    failures = value("slrt_task_failures_total", {"task": "tests.observability.fails"})
    runs = value("slrt_task_runs_total", {"task": "tests.observability.works", "state": "success"})
    # throw=False: as in a worker (the test run's eager tasks re-raise before Celery's task_failure).
    assert _fails.apply(task_id="task-obs-1", throw=False).state == "FAILURE"
    seen = _works.apply(task_id="task-obs-2").get()
    assert seen == "task-obs-2"  # the contextvar the log filter reads
    assert requestid.current_task_id.get() == ""  # reset after the run
    assert value("slrt_task_failures_total", {"task": "tests.observability.fails"}) == failures + 1
    assert value("slrt_task_runs_total", {"task": "tests.observability.works", "state": "success"}) == runs + 1
    assert value("slrt_task_runs_total", {"task": "tests.observability.fails", "state": "failure"}) >= 1
    assert value("slrt_task_duration_seconds_count", {"task": "tests.observability.works"}) >= 1


def test_queue_depth_counts_the_filesystem_brokers_waiting_messages(tmp_path):
    from kombu import Connection

    folder = tmp_path / "messages"
    folder.mkdir()
    options = {"data_folder_in": str(folder), "data_folder_out": str(folder),
               "control_folder": str(tmp_path / "control")}  # else kombu writes ./control
    queue = "slrt_obs_depth"
    assert metrics.queue_depth("filesystem://", queue, options) == 0
    with Connection("filesystem://", transport_options=options) as conn:
        producer = conn.Producer()
        for n in range(3):
            producer.publish({"n": n}, routing_key=queue, declare=[conn.SimpleQueue(queue).queue])
    assert metrics.queue_depth("filesystem://", queue, options) == 3


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@pytest.mark.parametrize("url", ["amqp://guest:guest@127.0.0.1:5672//", "redis://127.0.0.1:6379/15"])
def test_queue_depth_counts_a_real_brokers_waiting_messages(url):
    from kombu import Connection, Exchange, Queue

    port = 5672 if url.startswith("amqp") else 6379
    if not _reachable("127.0.0.1", port):
        if os.environ.get("CI") == "1":
            pytest.fail(f"no broker on 127.0.0.1:{port}")
        pytest.skip(f"no broker on 127.0.0.1:{port}")
    name = f"slrt_obs_depth_{os.getpid()}_{time.monotonic_ns()}"
    assert metrics.queue_depth(url, name) == 0  # not declared yet: nothing waits
    with Connection(url) as conn:
        queue = Queue(name, Exchange(name, type="direct"), routing_key=name, auto_delete=False)
        producer = conn.Producer()
        try:
            for n in range(4):
                producer.publish({"n": n}, exchange=queue.exchange, routing_key=name, declare=[queue])
            assert metrics.queue_depth(url, name) == 4
        finally:
            queue(conn.default_channel).delete()


# --- a real gunicorn: metrics on the private address, JSON logs --------------------------------

def _get(url: str, headers: dict | None = None, timeout: float = 30):
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


class Gunicorn:
    def __init__(self, tmp_path: Path, **env_over):
        self.port, self.metrics_port = _port_in_range(), _port_in_range()
        while self.metrics_port == self.port:
            self.metrics_port = _port_in_range()
        self.log = tmp_path / "web.log"
        self.console = tmp_path / "console.txt"
        env = {**os.environ, "SLRT_BIND": f"127.0.0.1:{self.port}", "SLRT_WEB_WORKERS": "3",
               "SLRT_WEB_THREADS": "2", "SLRT_METRICS_ADDR": f"127.0.0.1:{self.metrics_port}",
               "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prom"), "SLRT_LOG_FORMAT": "json",
               "SLRT_LOG_FILE": str(self.log), "SLRT_VAR_DIR": str(tmp_path / "var"),
               "SLRT_ALLOWED_HOSTS": "127.0.0.1", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
               "SLRT_READY_MIN_FREE_MB": "1", **env_over}
        env.pop("SLRT_BROKER_URL", None)
        with self.console.open("w") as out:
            self.proc = subprocess.Popen(
                [str(Path(sys.executable).parent / "gunicorn"), "-c", str(ROOT / "deploy" / "gunicorn.conf.py")],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        self.base = f"http://127.0.0.1:{self.port}"
        self.metrics = f"http://127.0.0.1:{self.metrics_port}/metrics"
        for _ in range(300):
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn ended: {self.console.read_text()[-3000:]}")
            if _reachable("127.0.0.1", self.port) and _reachable("127.0.0.1", self.metrics_port):
                return
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not listen: {self.console.read_text()[-3000:]}")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def logged(self) -> str:
        return (self.log.read_text(encoding="utf-8") if self.log.exists() else "") + self.console.read_text()


@pytest.fixture
def gunicorn_server(tmp_path):
    if not (Path(sys.executable).parent / "gunicorn").exists():
        if os.environ.get("CI") == "1":
            pytest.fail("gunicorn is not installed")
        pytest.skip("gunicorn is not installed")
    servers = []

    def start(**env_over):
        folder = tmp_path / f"s{len(servers)}"
        folder.mkdir()
        server = Gunicorn(folder, **env_over)
        servers.append(server)
        return server

    try:
        yield start
    finally:
        for server in servers:
            server.stop()


def _sample(text: str, name: str, labels: dict) -> float:
    from prometheus_client.parser import text_string_to_metric_families

    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total


def _other_local_address() -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))
            address = s.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


@pytest.mark.slow
def test_gunicorn_counts_every_workers_requests_and_serves_them_only_on_the_private_address(gunicorn_server):
    server = gunicorn_server()
    for _ in range(12):
        assert _get(server.base + "/healthz")[0] == 200
    status, _headers, body = _get(server.base + "/readyz")
    assert status == 200, body
    status, _headers, body = _get(server.metrics)
    assert status == 200
    text = body.decode()
    # Exactly the twelve, whichever of the three workers answered each: the master adds them up.
    assert _sample(text, "slrt_http_requests_total", {"route": "healthz", "method": "GET", "status": "200"}) == 12
    assert _sample(text, "slrt_http_request_duration_seconds_count", {"route": "healthz"}) == 12
    assert _sample(text, "slrt_task_queue_up", {}) == 1
    assert 'slrt_task_queue_messages{queue="slrt"} 0.0' in text
    assert "/healthz" not in text  # a route name, never a path
    # The public address has no metrics.
    assert _get(server.base + "/metrics")[0] == 404
    other = _other_local_address()
    if other:
        assert not _reachable(other, server.metrics_port), "the exporter listens beyond 127.0.0.1"


@pytest.mark.slow
def test_gunicorn_readyz_answers_503_when_the_database_is_down(gunicorn_server):
    dead = _closed_port()
    server = gunicorn_server(DATABASE_URL=f"postgres://postgres@127.0.0.1:{dead}/slrt_obs_none")
    status, _headers, body = _get(server.base + "/readyz")
    assert status == 503
    assert json.loads(body) == {"status": "failing", "checks": {"database": "failing", "queue": "ok", "disk": "ok"}}
    assert b"127.0.0.1" not in body and str(dead).encode() not in body
    assert _get(server.base + "/healthz")[0] == 503  # liveness says the same, as SPEC has it


@pytest.mark.slow
def test_json_log_lines_carry_the_answers_request_id_and_no_personal_data(gunicorn_server, tmp_path):
    server = gunicorn_server()
    query = urllib.parse.urlencode({"nik": NIK, "q": NAME, "telepon": PHONE})
    status, headers, _ = _get(f"{server.base}/api/v1/people?{query}", {"X-Request-ID": GOOD_ID})
    assert status == 401 and headers["X-Request-ID"] == GOOD_ID
    status, headers, _ = _get(f"{server.base}/registri/warga/{NIK}/?nama={NAME.replace(' ', '+')}")
    made = headers["X-Request-ID"]
    assert requestid.valid(made) and made != GOOD_ID
    lines = []
    for _ in range(50):
        text = server.log.read_text(encoding="utf-8") if server.log.exists() else ""
        lines = [json.loads(line) for line in text.splitlines()]  # the file: JSON lines only
        if {GOOD_ID, made} <= {line.get("request_id") for line in lines}:
            break
        time.sleep(0.1)
    access = [line for line in lines if line["logger"] == "slrt.access" and line.get("request_id") == GOOD_ID]
    assert len(access) == 1, lines
    line = access[0]
    assert {"time", "level", "logger", "message", "request_id", "route", "status", "duration_ms"} <= set(line)
    assert line["status"] == 401 and line["level"] == "INFO" and "people" in line["route"]
    assert any(line.get("request_id") == made for line in lines)
    # The scanner of .ci/run over this server's log, with the values the requests carried.
    scan_dir = tmp_path / "scan"
    scan_dir.mkdir()
    (scan_dir / "web.log").write_text(server.logged(), encoding="utf-8")
    (scan_dir / "web.values.json").write_text(json.dumps({"nik": [NIK], "name": [NAME], "phone": [PHONE]}))
    scan = subprocess.run([sys.executable, str(ROOT / "scripts" / "scan_test_logs.py"), str(scan_dir)],
                          capture_output=True, text=True, timeout=60)
    assert scan.returncode == 0, scan.stdout
    for value in (NIK, "Suprihatin", "Wulandari", PHONE):
        assert value not in server.logged()


@pytest.mark.slow
def test_a_real_celery_worker_counts_its_task_runs_and_failures_and_logs_task_ids(tmp_path):
    """A prefork worker (two child processes) with its exporter on a private port; two tasks sent
    through the filesystem broker by `celery call`, as any client would."""
    port = _port_in_range()
    queue = f"slrt_obs_{os.getpid()}"
    env = {**os.environ, "SLRT_VAR_DIR": str(tmp_path / "var"), "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
           "SLRT_METRICS_WORKER_ADDR": f"127.0.0.1:{port}", "SLRT_QUEUE_NAME": queue, "SLRT_LOG_FORMAT": "json",
           "SLRT_TASK_ALWAYS_EAGER": "0", "SLRT_LOG_FILE": str(tmp_path / "worker.log")}
    env.pop("SLRT_BROKER_URL", None)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    celery = str(Path(sys.executable).parent / "celery")
    console = tmp_path / "console.txt"
    with console.open("w") as out:
        worker = subprocess.Popen([celery, "-A", "slrt", "worker", "-c", "2", "--pool", "prefork",
                                   "-I", "tests.test_observability", "-Q", queue],
                                  cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        for _ in range(600):
            if worker.poll() is not None:
                raise RuntimeError(console.read_text()[-3000:])
            if "ready." in console.read_text():
                break
            time.sleep(0.1)
        logged = (tmp_path / "worker.log").read_text(encoding="utf-8")
        assert f"exporter on http://127.0.0.1:{port}/metrics" in logged, console.read_text()[-3000:]
        sent = {}
        for name in ("tests.observability.fails", "tests.observability.works"):
            out = subprocess.run([celery, "-A", "slrt", "call", name, "--queue", queue], cwd=ROOT, env=env,
                                 capture_output=True, text=True, timeout=60, check=True)
            sent[name] = out.stdout.strip()
        text = ""
        for _ in range(200):
            text = _get(f"http://127.0.0.1:{port}/metrics")[2].decode()
            if _sample(text, "slrt_task_runs_total", {}) >= 2:
                break
            time.sleep(0.1)
        assert _sample(text, "slrt_task_failures_total", {"task": "tests.observability.fails"}) == 1
        assert _sample(text, "slrt_task_runs_total", {"task": "tests.observability.fails", "state": "failure"}) == 1
        assert _sample(text, "slrt_task_runs_total", {"task": "tests.observability.works", "state": "success"}) == 1
        assert _sample(text, "slrt_task_duration_seconds_count", {"task": "tests.observability.works"}) == 1
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    lines = [json.loads(line) for line in (tmp_path / "worker.log").read_text(encoding="utf-8").splitlines()]
    ran = [line for line in lines if line["logger"] == "slrt.tests"]
    assert ran and ran[0]["task_id"] == sent["tests.observability.fails"] and "request_id" not in ran[0]
    for line in lines:  # Celery's own lines keep the task's name and id, never its arguments or result
        assert not {"args", "kwargs", "return_value"} & set(line.get("data") or {}), line
