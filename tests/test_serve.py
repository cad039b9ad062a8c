"""The production web server (issue 12, point 1): gunicorn with deploy/gunicorn.conf.py, as
`make serve` and slrt-web.service start it, in real processes.

The server runs against the test database: on PostgreSQL pytest-django's own test database
(the requests here are anonymous pages that write nothing); on SQLite, whose test database lives
in memory, a file database migrated for this module (slow: one `migrate`, ~15 s).

It proves: several worker processes answer; DEBUG is off (a missing page is the app's own 404,
never Django's debug page); access lines hold the path but no query string; SIGTERM stops the
master and every worker cleanly. And that the documented env file (deploy/slrt.env.example, with
a random key) passes `manage.py check --deploy --fail-level WARNING`, and that the systemd units
pass `systemd-analyze verify`.
"""

import contextlib
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"
WORKERS = 3
NIK = "3204280101010001"
# One xdist worker runs these (make test: --dist loadgroup), sharing one server.
# django_db: pytest-django sets up the test database only for a session whose tests ask for it.
pytestmark = [pytest.mark.xdist_group("serve"), pytest.mark.django_db]


def _database_url(tmp_path_factory) -> str:
    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.postgresql":
        auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
        return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    path = tmp_path_factory.mktemp("serve-db") / "slrt.sqlite3"
    url = f"sqlite:///{path}"
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, check=True,
                   env={**os.environ, "DATABASE_URL": url}, capture_output=True, timeout=300)
    return url


def _get(url: str, timeout: float = 20) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - the test server's http URL
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _children(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(c) for c in (task / "children").read_text().split()}
    return found


@contextlib.contextmanager
def _gunicorn(database_url: str, folder: Path):
    env = {k: v for k, v in os.environ.items() if k not in ("SLRT_DEBUG", "DJANGO_SETTINGS_MODULE")}
    # Port 0: the kernel picks one nobody holds, and gunicorn's log says which (a port chosen free
    # beforehand can be taken by another test's server before gunicorn binds it).
    env.update({
        "DATABASE_URL": database_url, "SLRT_VAR_DIR": str(folder / "var"), "SLRT_BIND": "127.0.0.1:0",
        "SLRT_WEB_WORKERS": str(WORKERS), "SLRT_WEB_THREADS": "2", "SLRT_METRICS_ADDR": "off",
        "SLRT_ALLOWED_HOSTS": "127.0.0.1",
    })
    out, err = (folder / "access.log").open("w"), (folder / "error.log").open("w")
    process = subprocess.Popen([str(GUNICORN), "-c", str(ROOT / "deploy" / "gunicorn.conf.py")], cwd=folder,
                               env=env, stdout=out, stderr=err)
    base = ""
    try:
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, (folder / "error.log").read_text()[-3000:]
            if not base and (found := re.search(r"Listening at: (http://127\.0\.0\.1:\d+)",
                                                (folder / "error.log").read_text())):
                base = found.group(1)
            try:
                if base and _get(base + "/healthz", timeout=5)[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, (folder / "error.log").read_text()[-3000:]
            time.sleep(0.5)
        yield {"process": process, "base": base, "access": folder / "access.log", "error": folder / "error.log"}
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
        out.close()
        err.close()


@pytest.fixture(scope="module")
def database_url(django_db_setup, django_db_blocker, tmp_path_factory):
    with django_db_blocker.unblock():
        return _database_url(tmp_path_factory)


@pytest.fixture(scope="module")
def server(database_url, tmp_path_factory):
    with _gunicorn(database_url, tmp_path_factory.mktemp("serve")) as started:
        yield started


@pytest.fixture
def own_server(database_url, tmp_path):
    """A server of its own, for the test that stops it."""
    with _gunicorn(database_url, tmp_path) as started:
        yield started


def test_several_worker_processes_answer(server):
    # /healthz answers once one worker is up; on a busy machine the others may still be booting.
    deadline = time.monotonic() + 60
    while len(workers := _children(server["process"].pid)) < WORKERS and time.monotonic() < deadline:
        time.sleep(0.5)
    assert len(workers) == WORKERS
    # Many requests at once on fresh connections: the workers share them out.
    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(lambda _: _get(server["base"] + "/healthz")[0], range(60)))
    assert statuses == [200] * 60, server["error"].read_text()[-4000:]
    time.sleep(0.5)  # the access lines are written after each answer
    answered = {int(p) for p in re.findall(r"<(\d+)>\s*$", server["access"].read_text(), re.M)}
    assert answered <= workers and len(answered) >= 2, (answered, workers)


def test_debug_is_off_a_missing_page_is_the_apps_404(server):
    status, body = _get(server["base"] + "/tidak-ada-halaman-ini/")
    assert status == 404
    assert "Data tidak ditemukan" in body and 'href="/"' in body
    assert "URLconf" not in body and "urlpatterns" not in body and "Traceback" not in body


def test_access_lines_hold_the_path_but_no_query_string(server):
    path = "/tidak-ada-halaman-ini/"
    _get(f"{server['base']}{path}?nik={NIK}&q=Budi+Santoso")
    time.sleep(0.5)
    lines = [line for line in server["access"].read_text().splitlines() if path in line]
    assert lines, server["access"].read_text()[-2000:]
    for line in lines:
        assert f'"GET {path} HTTP/1.1" 404' in line
        assert "?" not in line and "nik" not in line and NIK not in line and "Budi" not in line
    logs = server["access"].read_text() + server["error"].read_text()
    assert NIK not in logs and "Budi" not in logs


def test_sigterm_stops_master_and_workers_cleanly(own_server):
    server = own_server
    process = server["process"]
    workers = _children(process.pid)
    assert workers
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=45) == 0
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()
                and "zombie" not in Path(f"/proc/{pid}/status").read_text()]
    assert "Shutting down: Master" in server["error"].read_text()


def _env_file(path: Path) -> dict[str, str]:
    """KEY=value lines as systemd's EnvironmentFile reads them (comments and blanks skipped)."""
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def test_check_deploy_is_clean_with_the_documented_env_file(tmp_path):
    env = _env_file(ROOT / "deploy" / "slrt.env.example")
    assert env["SLRT_TLS"] == "1" and env["SLRT_PROXY_COUNT"] == "1" and env["SLRT_SECRET_KEY"].startswith("CHANGE")
    env["SLRT_SECRET_KEY"] = secrets.token_urlsafe(50)
    env["SLRT_VAR_DIR"] = str(tmp_path / "var")  # the documented /var/lib/slrt is the server's
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=ROOT,
                            env={"PATH": os.environ["PATH"], "HOME": str(tmp_path), **env},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_systemd_units_verify(tmp_path):
    if not shutil.which("systemd-analyze"):
        if os.environ.get("CI"):
            pytest.fail("systemd-analyze is missing (apt-get install systemd)")
        pytest.skip("systemd-analyze is missing")
    # The units name /opt/slrt (README "Production"); verify checks that their programs exist,
    # so this checkout stands in for it.
    units = sorted((ROOT / "deploy" / "systemd").glob("slrt*.service")) + sorted(
        (ROOT / "deploy" / "systemd").glob("slrt*.t*"))  # slrt.target, slrt-backup.timer
    names = []
    for unit in units:
        name = unit.name.replace("@.service", "@1.service")
        (tmp_path / name).write_text(unit.read_text().replace("/opt/slrt", str(ROOT)))
        names.append(f"./{name}")
    result = subprocess.run(["systemd-analyze", "verify", *names], cwd=tmp_path, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0 and not result.stderr.strip(), result.stdout + result.stderr
    for unit in units:
        text = unit.read_text()
        if unit.suffix == ".service":
            for line in ("User=slrt", "EnvironmentFile=/etc/slrt/slrt.env", "NoNewPrivileges=yes",
                         "ProtectSystem=strict", "PrivateTmp=yes", "ReadWritePaths=/var/lib/slrt"):
                assert line in text, (unit.name, line)
        # One-shot steps (migrate before the services, the nightly backup) neither restart nor wait.
        if unit.name not in ("slrt-migrate.service", "slrt-backup.service") and unit.suffix == ".service":
            assert "Restart=on-failure" in text and "Requires=slrt-migrate.service" in text, unit.name
