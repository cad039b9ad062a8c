"""Nothing personal in logs (issue 11 point 7): the access lines of runserver and of the test run's
live servers, and every other log line, lose their query-string values; the leak scan of `.ci/run`
finds a NIK, a name or a phone planted in a log file, masked, and passes a clean one."""

import json
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from slrt.core.logs import ScrubPersonalData, scrub
from tests import leakscan

ROOT = Path(__file__).resolve().parent.parent
NIK = "3201014506900001"
NAME = "Suprihatin Wulandari"
PHONE = "081234567890"


def test_scrub_keeps_names_of_parameters_and_drops_their_values():
    line = f'"GET /api/v1/people?nik={NIK}&q=Siti+Aminah&region=32.01 HTTP/1.1" 200 512'
    assert scrub(line) == '"GET /api/v1/people?nik=[scrubbed]&q=[scrubbed]&region=[scrubbed] HTTP/1.1" 200 512'
    assert scrub(f"/x/?{NIK}#frag") == "/x/?[scrubbed]#[scrubbed]"
    # A NIK outside a query string (a path, a message) goes too; shorter or longer numbers stay.
    assert scrub(f"Not Found: /warga/{NIK}/") == "Not Found: /warga/[scrubbed]/"
    assert scrub("job 123456789012345 rows 12345678901234567") == "job 123456789012345 rows 12345678901234567"


def test_every_configured_handler_scrubs():
    assert settings.LOGGING["handlers"]
    for name, handler in settings.LOGGING["handlers"].items():
        assert "scrub" in handler.get("filters", []), name
    # Django's own loggers and runserver's access log end at those handlers, not at Django's defaults.
    for name in ("django", "django.server"):
        logger = logging.getLogger(name)
        assert logger.handlers == [] and logger.propagate, name
    live = [h for h in logging.getLogger().handlers if type(h) in (logging.StreamHandler, logging.FileHandler)]
    assert live and all(any(isinstance(f, ScrubPersonalData) for f in h.filters) for h in live)


def test_a_record_with_dict_args_like_gunicorns_access_log_is_scrubbed():
    record = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1, '%(h)s "%(r)s" %(s)s',
                               {"h": "10.0.0.1", "r": f"GET /api/v1/people?nik={NIK} HTTP/1.1", "s": "200"}, None)
    assert ScrubPersonalData().filter(record) is True
    assert record.getMessage() == '10.0.0.1 "GET /api/v1/people?nik=[scrubbed] HTTP/1.1" 200'


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_a_traceback_quoting_a_nik_is_scrubbed():
    try:
        raise ValueError(f"NIK {NIK} tidak cocok")
    except ValueError:
        record = logging.LogRecord("slrt.x", logging.ERROR, __file__, 1, "gagal", (), sys.exc_info())
    ScrubPersonalData().filter(record)
    text = logging.Formatter().format(record)
    assert "ValueError: NIK [scrubbed] tidak cocok" in text and NIK not in text


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_runserver_access_log_holds_no_query_value(tmp_path):
    """A real `manage.py runserver`: its stderr (the access log) names the parameters, not the values."""
    port = _free_port()
    env = {**os.environ, "SLRT_ALLOWED_HOSTS": "127.0.0.1", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
           "SLRT_LOG_FILE": str(tmp_path / "server.log")}
    console = tmp_path / "console.txt"  # a file, not a pipe: a full pipe would block the server
    with console.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload", "--skip-checks"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, text=True,
        )
    # Redirects are not followed: the sign-in page would need this empty database's tables.
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):  # a loaded machine: the first answer may take long
            try:
                opener.open(f"{base}/healthz", timeout=60)
                break
            except OSError:  # not listening yet (URLError, refused, reset)
                time.sleep(0.2)
        for path in (f"/api/v1/people?nik={NIK}", f"/api/v1/people?q={NAME.replace(' ', '+')}&region=32.01",
                     f"/registri/cari/?q={NIK}", f"/api/v1/people/{NIK}?telepon={PHONE}"):
            try:
                opener.open(base + path, timeout=60)
            except urllib.error.HTTPError:
                pass  # 401, 302 to sign-in: each still writes its access line
        time.sleep(0.5)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    logged = console.read_text() + (tmp_path / "server.log").read_text()
    assert "/api/v1/people?nik=[scrubbed]" in logged
    assert "/api/v1/people?q=[scrubbed]&region=[scrubbed]" in logged
    assert "/registri/cari/?q=[scrubbed]" in logged
    assert "/api/v1/people/[scrubbed]?telepon=[scrubbed]" in logged
    for value in (NIK, "Suprihatin", "Wulandari", PHONE):
        assert value not in logged


@pytest.mark.django_db(transaction=True)
def _read_log(log: Path) -> str:
    """The worker's log through its handler's open file: another pytest run started in the same
    checkout clears var/test-logs, and the handler then writes to an unlinked file."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.FileHandler) and Path(handler.baseFilename) == log and handler.stream:
            return Path(f"/proc/self/fd/{handler.stream.fileno()}").read_text(encoding="utf-8")
    return log.read_text(encoding="utf-8") if log.exists() else ""


def test_the_test_runs_live_server_access_lines_reach_the_workers_log_scrubbed(live_server, request):
    """What `.ci/run` scans: the live servers of browser tests log their requests into the worker's file."""
    marker = f"/tidak-ada-{os.getpid()}-{time.monotonic_ns()}/"
    try:
        urllib.request.urlopen(f"{live_server.url}{marker}?nik={NIK}", timeout=10)  # noqa: S310
    except urllib.error.HTTPError as e:
        assert e.code == 404
    log = leakscan.LOG_DIR / f"{leakscan.worker_name(request.config)}.log"
    lines = []
    for _ in range(100):  # the server thread writes its access line once the answer is sent
        for handler in logging.getLogger().handlers:
            handler.flush()
        text = _read_log(log)
        lines = [line for line in text.splitlines() if marker in line]
        if any("django.server" in line for line in lines):
            break
        time.sleep(0.1)
    assert any("django.server" in line and f"{marker}?nik=[scrubbed]" in line for line in lines), lines
    assert not any(NIK in line for line in lines)


def _scan(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "scan_test_logs.py"), str(folder)],
                          capture_output=True, text=True, timeout=60)


def test_the_leak_scan_finds_planted_values_and_names_file_and_line_without_the_value(tmp_path):
    (tmp_path / "gw0.values.json").write_text(json.dumps({"nik": [NIK], "name": [NAME], "phone": [PHONE]}))
    (tmp_path / "gw0.log").write_text("2026-12-03 10:00:00,000 INFO django.server \"GET /healthz HTTP/1.1\" 200 40\n")
    clean = _scan(tmp_path)
    assert clean.returncode == 0, clean.stdout
    (tmp_path / "gw1.log").write_text(
        "INFO a ok\n"
        f"INFO slrt.x searching {NIK}\n"
        f"INFO slrt.x for {NAME.upper()} at desk\n"
        "INFO slrt.x sms to +62 812-3456-7890 sent\n"
        # Not in any values file, yet shaped like a NIK (kecamatan 32.01.01, born 05-06-90, woman).
        "INFO slrt.x other 3201014506900777\n"
    )
    found = _scan(tmp_path)
    assert found.returncode == 1
    report = found.stdout
    for line, kind in ((2, "nik"), (3, "name"), (4, "phone"), (5, "nik-pattern")):
        assert f"gw1.log:{line}: {kind} " in report, report
    assert "gw1.log:1:" not in report and "gw0.log:" not in report
    for value in (NIK, "3201014506900777", "Suprihatin", "Wulandari", "812-3456-7890", "81234567890"):
        assert value not in report


def test_the_leak_scan_fails_when_the_run_wrote_no_logs(tmp_path):
    assert _scan(tmp_path).returncode == 2
