"""Statement timeouts and the pool (slrt/conf/database.py, slrt/wsgi.py), on PostgreSQL.

A web request runs under `statement_timeout` (slrt/wsgi.py sets 30 s unless the environment says
otherwise) and answers the app's error page when PostgreSQL cancels its query; a management
command, like a Celery worker, runs unbounded (an import's statements may take minutes).
"""

import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import connection, transaction

from slrt.conf import database

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def postgres(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("statement timeouts and the pool are PostgreSQL's")
    return connection.settings_dict


def _env(db, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLRT_DB_", "DATABASE_REPLICA"))}
    port = db.get("PORT") or "5432"
    env.update(DATABASE_URL=f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{port}/{db['NAME']}",
               SLRT_ALLOWED_HOSTS="127.0.0.1", SLRT_LOG_FILE="", **extra)
    return env


def test_the_web_application_gets_a_timeout_and_a_pool_and_its_children_do_not(postgres):
    probe = (
        "import os, slrt.wsgi\n"
        "from django.db import connection\n"
        "with connection.cursor() as c:\n"
        "    c.execute('SHOW statement_timeout'); print(c.fetchone()[0])\n"
        "print(connection.pool is not None, connection.pool.max_size if connection.pool else 0)\n"
        "print(os.environ.get('SLRT_DB_STATEMENT_TIMEOUT_MS'), os.environ.get('SLRT_DB_POOL'))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=_env(postgres), capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    timeout, pool, leaked = out.stdout.split("\n")[:3]
    assert timeout == "30s"
    assert pool == "True 10"
    assert leaked == "None None"  # a command the web process starts inherits no web limits

    # An operator's own values win over the web defaults.
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env=_env(postgres, SLRT_DB_STATEMENT_TIMEOUT_MS="1500", SLRT_DB_POOL="0"))
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split("\n")[:2] == ["1500ms", "False 0"]


def test_a_management_command_runs_without_a_statement_timeout(postgres):
    script = ("from django.db import connection\n"
              "c = connection.cursor(); c.execute('SHOW statement_timeout'); print(c.fetchone()[0])\n"
              "c.execute('SELECT pg_sleep(1.2)'); print('slept')\n")
    out = subprocess.run([sys.executable, "manage.py", "shell", "-v", "0", "-c", script], cwd=ROOT,
                         env=_env(postgres), capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split()[-2:] == ["0", "slept"]


@pytest.fixture
def web_server(postgres):
    """gunicorn serving slrt.wsgi against this test database, with a short web timeout."""
    log = ROOT / "var" / f"test-gunicorn-{os.getpid()}.log"
    log.parent.mkdir(exist_ok=True)
    with open(log, "w") as sink:
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "slrt.wsgi:application", "-b", "127.0.0.1:0",
             "--workers", "1", "--threads", "2", "--timeout", "60"],
            cwd=ROOT, env=_env(postgres, SLRT_DB_STATEMENT_TIMEOUT_MS="700"), stdout=sink, stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            found = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", log.read_text())
            if found and "Booting worker" in log.read_text():
                break
            assert server.poll() is None, log.read_text()[-2000:]
            time.sleep(0.2)
        else:
            raise AssertionError("gunicorn did not start: " + log.read_text()[-2000:])
        url = f"http://127.0.0.1:{found.group(1)}"
        for _ in range(100):  # the worker imports the application before it answers
            try:
                urllib.request.urlopen(url + "/healthz", timeout=5)  # noqa: S310 - a local test server
                break
            except OSError:  # refused, or still importing
                time.sleep(0.2)
        yield url, log
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.unlink(missing_ok=True)


def test_a_web_request_past_the_timeout_is_cancelled_and_answers_the_error_page(web_server):
    # Another transaction holds the session table: the request's session lookup waits on it, as a
    # runaway query would run, until PostgreSQL cancels it.
    url, log = web_server
    request = urllib.request.Request(url + "/", headers={"Cookie": "sessionid=" + "a" * 32})  # noqa: S310 - a local test server
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute('LOCK TABLE "django_session" IN ACCESS EXCLUSIVE MODE')
        started = time.monotonic()
        with pytest.raises(urllib.error.HTTPError) as answer:
            urllib.request.urlopen(request, timeout=30)  # noqa: S310 - a local test server
        took = time.monotonic() - started
    assert answer.value.code == 500
    assert 0.6 < took < 10, took  # cancelled at 700 ms, not left hanging
    # PostgreSQL cancelled it: the application logged the error (its page, or gunicorn's when the
    # static manifest is not collected in this checkout, answered the 500).
    time.sleep(0.5)
    assert "canceling statement due to statement timeout" in log.read_text()


def test_the_pool_replaces_persistent_connections():
    db = {"ENGINE": "django.db.backends.postgresql", "CONN_MAX_AGE": 60, "OPTIONS": {}}
    database.configure(db, pool={"min_size": 1, "max_size": 4}, timeout_ms=2000)
    assert db["CONN_MAX_AGE"] == 0 and db["OPTIONS"]["pool"] == {"min_size": 1, "max_size": 4}
    assert db["OPTIONS"]["options"] == "-c statement_timeout=2000"
    plain = {"ENGINE": "django.db.backends.postgresql", "CONN_MAX_AGE": 60, "OPTIONS": {}}
    database.configure(plain, pool=None, timeout_ms=0)
    assert plain["CONN_MAX_AGE"] == 60 and "pool" not in plain["OPTIONS"] and "options" not in plain["OPTIONS"]


def test_pool_sizes_come_from_the_environment(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    monkeypatch.setenv("SLRT_DB_POOL", "1")
    monkeypatch.setenv("SLRT_DB_POOL_MIN", "3")
    monkeypatch.setenv("SLRT_DB_POOL_MAX", "12")
    options = database.pool_options()
    assert (options["min_size"], options["max_size"]) == (3, 12)
    monkeypatch.setenv("SLRT_DB_POOL_MAX", "2")
    with pytest.raises(ImproperlyConfigured):
        database.pool_options()
    monkeypatch.setenv("SLRT_DB_POOL", "0")
    assert database.pool_options() is None
