"""The read replica (slrt.core.dbrouter) against a real streaming standby (scripts/replica).

The standby copies the whole primary cluster, so this worker's test database, created and
committed on the primary, is there too: the `replica` alias is a second, real connection to it on
port 5433 (no TEST MIRROR). The tests commit (transactional_db) so the standby sees their rows.

SLRT_TEST_REPLICA_PORT names a standby already running (.ci/run starts one); otherwise a standby
found on 5433 is used, or scripts/replica starts one for this module and stops it afterwards.
Without PostgreSQL or without a standby the tests skip, unless CI=1 asks them to fail.
"""

import copy
import fcntl
import os
import subprocess
import time
from pathlib import Path

import psycopg
import pytest
from django.core.cache import cache
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from slrt.core.dbrouter import DEFAULT, REPLICA, choose, lsn_number, replica_reads

from .conftest import PASSWORD

pytestmark = [pytest.mark.xdist_group("replica"), pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
DESA = "32.01.02.2001"


def _unavailable(reason):
    if os.environ.get("CI") == "1" and "PostgreSQL" not in reason:
        pytest.fail(reason)
    pytest.skip(reason)


def _is_standby(port: int) -> bool:
    try:
        with psycopg.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres", connect_timeout=3) as c:
            return c.execute("SELECT pg_is_in_recovery()").fetchone()[0]
    except psycopg.Error:
        return False


@pytest.fixture(scope="module")
def replica_port(django_db_setup):
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("the read replica is PostgreSQL's")
    if os.environ.get("SLRT_TEST_REPLICA_PORT"):
        port = int(os.environ["SLRT_TEST_REPLICA_PORT"])
        if not _is_standby(port):
            _unavailable(f"SLRT_TEST_REPLICA_PORT={port} is not a running standby")
        yield port
        return
    started = False
    lock_path = ROOT / "var" / "pg-replica.lock"
    lock_path.parent.mkdir(exist_ok=True)
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one xdist worker starts it; the other finds it running
        if not _is_standby(5433):
            result = subprocess.run([str(ROOT / "scripts" / "replica"), "start"], capture_output=True, text=True,
                                    timeout=900)
            if result.returncode != 0:
                _unavailable(f"scripts/replica could not start a standby: {result.stderr[-500:]}")
            started = True
    try:
        yield 5433
    finally:
        if started:
            subprocess.run([str(ROOT / "scripts" / "replica"), "stop"], capture_output=True, timeout=120)


def _allow_in_this_test(alias):
    """Django's test case refuses connections to aliases it was not given (`databases`); the
    replica alias is added after it was set up, so it is added to the running case's list. Its
    teardown flushes only aliases still configured then, and this one is gone by that time."""
    from django.db.backends.base.base import BaseDatabaseWrapper

    for cell in getattr(BaseDatabaseWrapper.ensure_connection, "__closure__", None) or ():
        case = cell.cell_contents
        if isinstance(case, type) and hasattr(case, "databases"):
            case.databases = {*case.databases, alias}
            return
    raise AssertionError("the running Django test case was not found")


@pytest.fixture
def replica(transactional_db, replica_port):
    """The `replica` alias, added for this test: this worker's test database on the standby."""
    _allow_in_this_test(REPLICA)
    settings_dict = copy.deepcopy(connections["default"].settings_dict)
    settings_dict.update(HOST="127.0.0.1", PORT=str(replica_port), CONN_MAX_AGE=0)
    settings_dict["OPTIONS"].pop("pool", None)
    connections.settings[REPLICA] = settings_dict
    cache.clear()  # no write positions left from earlier tests (user ids repeat after a flush)
    try:
        caught_up()
        yield connections[REPLICA]
    finally:
        try:
            with connections[REPLICA].cursor() as cursor:
                cursor.execute("SELECT pg_wal_replay_resume()")
        finally:
            connections[REPLICA].close()
            del connections[REPLICA]
            del connections.settings[REPLICA]
            cache.clear()


def caught_up(timeout=30.0):
    """Wait until the standby has replayed everything the primary has written so far."""
    with connections[DEFAULT].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        target = lsn_number(cursor.fetchone()[0])
    deadline = time.monotonic() + timeout
    while True:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute("SELECT pg_last_wal_replay_lsn()")
            if lsn_number(cursor.fetchone()[0]) >= target:
                return
        if time.monotonic() > deadline:
            raise AssertionError("the standby did not catch up")
        time.sleep(0.05)


def pause_replay():
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_pause()")
        for _ in range(100):
            cursor.execute("SELECT pg_get_wal_replay_pause_state()")
            if cursor.fetchone()[0] == "paused":
                return
            time.sleep(0.05)
    raise AssertionError("replay did not pause")


def resume_replay():
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_resume()")


class Queries:
    """Every statement on the primary and on the replica while the block runs."""

    def __enter__(self):
        self._contexts = [CaptureQueriesContext(connections[DEFAULT]), CaptureQueriesContext(connections[REPLICA])]
        for context in self._contexts:
            context.__enter__()
        return self

    def __exit__(self, *exc):
        for context in self._contexts:
            context.__exit__(*exc)
        self.primary = [q["sql"] for q in self._contexts[0].captured_queries]
        self.replica = [q["sql"] for q in self._contexts[1].captured_queries
                        if "pg_last_wal_replay_lsn" not in q["sql"]]  # the router's own probe
        return False

    def on_primary(self, table):
        return [sql for sql in self.primary if f'"{table}"' in sql]

    def on_replica(self, table):
        return [sql for sql in self.replica if f'"{table}"' in sql]


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def token_caller(user):
    client = Client()
    response = client.post("/api/v1/auth/token", {"username": user.username, "password": PASSWORD},
                           content_type="application/json")
    assert response.status_code == 200, response.content
    headers = {"Authorization": f"Bearer {response.json()['token']}"}

    def call(method, path, body=None, **params):
        if method == "get":
            return client.get(path, params, headers=headers)
        return client.post(path, body or {}, content_type="application/json", headers=headers)

    return call


def search(client, name):
    """Cari warga: the terms are posted (kept in the session), the answer comes on a key."""
    posted = client.post(reverse("registry:search"), {"q": name})
    assert posted.status_code == 303, posted.status_code
    return posted["Location"]


def new_case(call, person):
    body = {
        "complaint_type": "pengaduan", "channel": "sekretariat", "urgency": "biasa", "phone": "081234567890",
        "needs": [{"sector": "kesehatan", "description": "Biaya rawat inap"}],
        "consent": {"given": True, "purpose": "Penanganan keluhan", "share_with_agencies": True},
        "person_id": person.pk,
    }
    response = call("post", "/api/v1/cases", body)
    assert response.status_code == 201, response.content
    return response.json()["id"]


def test_searches_and_dashboards_read_the_replica_writes_and_audit_rows_go_to_the_primary(
        replica, make_user, make_person):
    person = make_person(nama="Siti Aminah")
    user = make_user("back_office", "32.01")
    client = signed_in(user)
    address = search(client, "Siti Aminah")  # the POST wrote the session only (bookkeeping)
    caught_up()

    with Queries() as people_search:
        page = client.get(address)
    assert page.status_code == 200 and reverse("registry:person", args=[person.pk]).encode() in page.content
    assert people_search.on_replica("registry_person"), "the people search did not read the replica"
    assert not people_search.on_primary("registry_person")
    # Who saw whom is written where every write goes: the primary.
    assert any(sql.startswith('INSERT INTO "audit_auditevent"') for sql in people_search.primary)
    assert not [sql for sql in people_search.replica if not sql.lstrip().upper().startswith(
        ("SELECT", "SAVEPOINT", "RELEASE", "BEGIN", "COMMIT"))]

    with Queries() as home:
        assert client.get(reverse("core:home")).status_code == 200
    assert home.on_replica("registry_household") and home.on_replica("cases_case")
    assert not home.on_primary("registry_household")

    with Queries() as cases:
        assert client.get(reverse("cases:list")).status_code == 200
    assert cases.on_replica("cases_case") and not cases.on_primary("cases_case")
    assert any(sql.startswith('INSERT INTO "audit_auditevent"') for sql in cases.primary)

    # The same search through the API with a token: the replica too, the audit row on the primary.
    call = token_caller(user)
    caught_up()
    with Queries() as api_search:
        found = call("get", "/api/v1/people", q="Siti Aminah")
    assert found.status_code == 200 and [p["id"] for p in found.json()["items"]] == [person.pk]
    assert api_search.on_replica("registry_person") and not api_search.on_primary("registry_person")
    assert any(sql.startswith('INSERT INTO "audit_auditevent"') for sql in api_search.primary)

    # A write is never sent to the replica, not even from inside a replica-safe block; reads inside
    # a transaction stay on the primary with the rows they may have just written.
    from django.db import router, transaction

    from slrt.registry.models import Person

    with replica_reads(user) as block:
        assert block.alias == REPLICA
        assert router.db_for_write(Person) == DEFAULT
        assert router.db_for_read(Person) == REPLICA
        with transaction.atomic():
            assert router.db_for_read(Person) == DEFAULT
    assert router.db_for_read(Person) == DEFAULT  # outside any block: the primary


def test_a_lagging_replica_never_shows_a_user_an_older_state_of_what_they_just_saved(
        replica, make_user, make_person):
    person = make_person(nama="Budi Santoso")
    writer = make_user("front_office", "32.01")
    other = make_user("back_office", "32.01")
    writer_api = token_caller(writer)
    writer_web, other_web = signed_in(writer), signed_in(other)
    caught_up()

    pause_replay()
    try:
        # The writer saves a new case through the API (token): primary, position remembered.
        case_id = new_case(writer_api, person)
        link = reverse("cases:detail", args=[case_id]).encode()

        # Their next list, in the browser session of the same account, shows it: from the primary.
        with Queries() as writer_list:
            page = writer_web.get(reverse("cases:list"))
        assert link in page.content
        assert writer_list.on_primary("cases_case") and not writer_list.on_replica("cases_case")
        # … and so does their API search and their home page.
        with Queries() as writer_home:
            assert writer_web.get(reverse("core:home")).status_code == 200
        assert writer_home.on_primary("cases_case") and not writer_home.on_replica("cases_case")
        assert choose(writer) == DEFAULT

        # Someone else reads the paused replica: the case is not there yet for them.
        with Queries() as other_list:
            page = other_web.get(reverse("cases:list"))
        assert page.status_code == 200
        assert other_list.on_replica("cases_case") and not other_list.on_primary("cases_case")
        assert link not in page.content
    finally:
        resume_replay()

    caught_up()
    # Replayed: the writer is back on the replica and sees their case there; so does the other.
    with Queries() as writer_again:
        page = writer_web.get(reverse("cases:list"))
    assert link in page.content and writer_again.on_replica("cases_case")
    assert link in other_web.get(reverse("cases:list")).content


def test_an_unreachable_replica_sends_replica_safe_reads_to_the_primary(replica, make_user, make_person, monkeypatch):
    import slrt.core.dbrouter as dbrouter

    person = make_person(nama="Ani Lestari")
    user = make_user("back_office", "32.01")
    client = signed_in(user)
    address = search(client, "Ani Lestari")
    port = connections.settings[REPLICA]["PORT"]
    monkeypatch.setattr(dbrouter, "_down_until", 0.0)
    connections[REPLICA].close()
    del connections[REPLICA]
    connections.settings[REPLICA]["PORT"] = "1"  # nothing listens there
    try:
        with CaptureQueriesContext(connections[DEFAULT]) as primary:
            page = client.get(address)
        assert page.status_code == 200 and reverse("registry:person", args=[person.pk]).encode() in page.content
        assert any('"registry_person"' in q["sql"] for q in primary.captured_queries)
        assert dbrouter._down_until > time.monotonic()  # left alone a while: no connect wait per request
    finally:
        connections[REPLICA].close()
        del connections[REPLICA]
        connections.settings[REPLICA]["PORT"] = port
