"""Shared fixtures. Every test database gets the full Kemendagri region list once."""

import datetime as dt
import itertools
import os

import pytest

from slrt.accounts.services import create_user
from slrt.registry.models import Household, Person
from slrt.wilayah.services import load_regions
from tests import leakscan

PASSWORD = "Sandi-Uji-2026"


def pytest_configure(config):
    from django.conf import settings

    # Test accounts are scaffolding; the production hasher would only cost time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

    # Pages are rendered with the production static storage (hashed names from a manifest), so
    # each test run (each xdist worker) collects the current static files into its own folder.
    import atexit
    import shutil
    import tempfile

    from django.core.management import call_command

    settings.STATIC_ROOT = tempfile.mkdtemp(prefix="slrt-static-")
    # Servers the tests start (gunicorn, make serve's pieces) render with the same manifest.
    os.environ["SLRT_STATIC_ROOT"] = settings.STATIC_ROOT
    atexit.register(shutil.rmtree, settings.STATIC_ROOT, ignore_errors=True)
    call_command("collectstatic", interactive=False, verbosity=0)

    _flush_through_the_audit_gate()

    # One log file per worker and the test data's personal values, for the leak scan of .ci/run.
    leakscan.configure(config)

    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        from django.test.testcases import LiveServerThread

        LiveServerThread.server_class = _server_class()


def _one_request_at_a_time(application):
    """In-memory SQLite: every request thread of the live server shares the test's one connection,
    so a rollback or commit in one request resets a query another is reading (a session check
    that finds no row signs the browser out). Requests, bodies included, run one at a time."""
    import threading

    lock = threading.Lock()

    def app(environ, start_response):
        with lock:
            result = application(environ, start_response)
            try:
                body = b"".join(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
        return [body]

    return app


def _server_class():
    from django.core.servers.basehttp import ThreadedWSGIServer

    class Server(ThreadedWSGIServer):
        def set_app(self, application):
            super().set_app(_one_request_at_a_time(application))

    return Server


def _flush_through_the_audit_gate():
    """The test run's one way past the append-only audit triggers (slrt/audit/triggers.py).

    Transactional and live-server tests end with Django's flush (DELETE on SQLite, TRUNCATE on
    PostgreSQL), which the triggers refuse on the audit tables and accounts_user. Here, and only
    here, every flush runs holding the `flush` gate: a row of audit_gate inserted and deleted
    inside the flush's own transaction (audit.gate), which the triggers let through. Production
    never flushes; no setting or environment variable opens the gate, and a gate row left
    committed makes verify_audit fail.
    """
    from django.db.backends.base.operations import BaseDatabaseOperations

    from slrt.audit.gate import gate_open

    flush = BaseDatabaseOperations.execute_sql_flush

    def execute_sql_flush(self, sql_list):
        with gate_open("flush", using=self.connection.alias):  # one transaction: gate, flush, gate closed
            flush(self, sql_list)

    execute_sql_flush.__wrapped__ = flush  # the ungated flush, for the test that proves the triggers bite
    BaseDatabaseOperations.execute_sql_flush = execute_sql_flush


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    yield
    leakscan.collect(item)


def pytest_sessionfinish(session):
    leakscan.finish(session.config)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        load_regions()


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: cached figures (the home page's registry counts) are keyed
    by what the database holds, and a rolled-back test's database can look the same as the next one's."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _own_var_dir(settings, tmp_path):
    """Files a test writes (uploads, import progress and logs) go to its own temporary directory."""
    settings.VAR_DIR = tmp_path / "var"
    settings.MEDIA_ROOT = tmp_path / "var" / "media"  # letterhead logos of seeded demo desks, too


_REGION_TOTAL = 91_600  # nation + 38 + 514 + 7,285 + 83,762


@pytest.fixture(autouse=True)
def _regions_loaded(request, django_db_blocker):
    """Transactional tests flush every table, regions included; restore them for whoever runs next.

    Runs before the test's own transaction starts, so the reload is committed like the session load.
    """
    if request.node.get_closest_marker("django_db") is None and not {"db", "transactional_db", "live_server"} & set(
        request.fixturenames
    ):
        return
    with django_db_blocker.unblock():
        ensure_regions()


def ensure_regions():
    """Reload the regions if a transactional test flushed them (module fixtures call this too)."""
    from slrt.wilayah.models import Region

    if Region.objects.count() != _REGION_TOTAL:
        load_regions()


@pytest.fixture
def regions_after_flush(transactional_db):
    """Regions for a transactional test (restored by `_regions_loaded` before it starts)."""


_seq = itertools.count(1)


@pytest.fixture
def make_user(db):
    def make(role, region, agency=""):
        return create_user(
            username=f"{role}-{region}-{next(_seq)}", role=role, region_code=region, password=PASSWORD,
            agency_code=agency or ("RSUD-3201" if role == "mitra" else ""),
            # Some generated usernames resemble PASSWORD closely enough for Django's similarity
            # validator; the password policy has its own tests.
            check_password=False,
        )

    return make


def _nik(kec_code: str, birth: dt.date, sex: str, serial: int) -> str:
    day = birth.day + (40 if sex == "P" else 0)
    return f"{kec_code.replace('.', '')}{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial:04d}"


@pytest.fixture
def make_person(db):
    """Create a household member in a desa; returns the Person (household created if needed)."""

    def make(desa_code="32.01.02.2001", nama="Siti Aminah", birth=dt.date(1985, 3, 14), sex="P",
             nomor_kk=None, household=None, nik=None, **fields):
        from slrt.registry.search import name_key

        serial = next(_seq)
        if household is None:
            household = Household(nomor_kk=nomor_kk or f"{desa_code.replace('.', '')[:6]}{serial:010d}")
            household.set_region(desa_code)
            household.save()
        person = Person(
            nik=nik or _nik(desa_code.rsplit(".", 1)[0], birth, sex, serial),
            household=household, nama=nama, name_key=name_key(nama), tanggal_lahir=birth,
            jenis_kelamin=sex, **fields,
        )
        person.set_region(household.desa_code)
        person.save()
        return person

    return make


# --- Browser tests (helpers in tests/browser.py) ------------------------------------------------


@pytest.fixture
def _playwright_next_to_django(monkeypatch, settings):
    # The live server serves /static/ through Django's finders, which know no content-hashed
    # names: with production's manifest storage every stylesheet and script would be a 404.
    settings.STORAGES = {
        **settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Playwright's sync API runs an event loop in this thread; Django would then refuse the ORM
    # calls of fixture teardown (database flush) as "async-unsafe". Nothing here is async.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    # Chromium keeps sockets alive, so a live-server thread can outlive the test holding a
    # persistent (CONN_MAX_AGE) connection, which blocks dropping the PostgreSQL test database.
    from django.db import connections

    monkeypatch.setitem(connections["default"].settings_dict, "CONN_MAX_AGE", 0)


@pytest.fixture
def chromium(_playwright_next_to_django):
    """A launcher: `with chromium() as browser:`. Playwright stops when the block ends, so the test
    can read the database afterwards on its own connection. Ask for data fixtures before this one:
    while Playwright's loop runs, the ORM in this thread would open a second connection."""
    from tests.browser import launched, sync_api

    api = sync_api()
    return lambda: launched(api)


@pytest.fixture
def browser(chromium):
    """A running browser for the whole test."""
    with chromium() as running:
        yield running


@pytest.fixture
def shots(tmp_path):
    """Where screenshots go: SLRT_SCREENSHOT_DIR to keep them, else the test's temporary folder."""
    import os
    from pathlib import Path

    folder = Path(os.environ.get("SLRT_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def fresh_database():
    """Empty the database and put back what migrations seed (regions, the catalogue), so a module's
    demo does not depend on what earlier tests in this worker committed, nor later tests see it."""
    from django.core.management import call_command

    from slrt.programs.catalogue import load_catalogue

    call_command("flush", "--no-input", verbosity=0)
    ensure_regions()
    load_catalogue()
