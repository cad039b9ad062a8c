"""Sealed hash blocks (issue 11, point 9): the sealing job chains the audit rows into blocks,
`verify_audit` walks the chain and names the first block and row an attacker with the table
owner's rights edited, deleted or inserted — and reports rows emptied by retention as erased."""

import io
import threading
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from slrt.audit import triggers
from slrt.audit.models import AuditBlock, AuditEvent
from slrt.audit.retention import erase_audit_payloads
from slrt.audit.sealing import seal_pending, verify
from slrt.audit.services import record

pytestmark = pytest.mark.django_db


def later(**kw):
    return timezone.now() + timedelta(**kw)


@contextmanager
def as_table_owner():
    """What an attacker holding the owner's role can do: switch the guard off, write, switch it back on."""
    if connection.vendor == "postgresql":
        # Inside the test's transaction: settle the deferred foreign-key checks before ALTER TABLE.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table in triggers.GUARDED:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        yield
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table in triggers.GUARDED:
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
    else:
        triggers.uninstall(connection)
        yield
        triggers.install(connection)


def sql(statement, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def verify_fails() -> str:
    with pytest.raises(CommandError) as failed:
        call_command("verify_audit", stdout=io.StringIO())
    return str(failed.value)


@pytest.fixture
def rows(make_user, settings):
    settings.SLRT_AUDIT_BLOCK_ROWS = 4
    user = make_user("front_office", "32.01")
    return [record(user, "person.view", detail={"people": [i, i + 1]}) for i in range(10)]


def test_rows_are_sealed_in_chained_blocks_and_the_chain_verifies(rows):
    total = AuditEvent.objects.count()  # the ten and the account's creation
    assert seal_pending(now=later(hours=2)) == total == 11
    blocks = list(AuditBlock.objects.order_by("number"))
    assert [b.row_count for b in blocks] == [4, 4, 3]
    assert [b.prev_hash for b in blocks[1:]] == [b.hash for b in blocks[:-1]]
    assert blocks[0].first_id == rows[0].id - 1 and blocks[-1].last_id == rows[-1].id
    assert not AuditEvent.objects.filter(row_hash="").exists()
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    assert "3 blok, 11 baris tersegel" in out.getvalue()
    assert seal_pending(now=later(hours=2)) == 0  # nothing sealed twice


def test_young_rows_wait_and_a_short_block_waits_for_more_rows_a_while(rows, settings):
    assert seal_pending() == 0  # younger than the margin: their neighbours may not have committed
    settings.SLRT_AUDIT_BLOCK_ROWS = 100
    assert seal_pending(now=later(minutes=2)) == 0  # older than the margin, but a short block waits
    assert seal_pending(now=later(minutes=11)) == AuditEvent.objects.count()  # … not for ever


def test_a_missing_id_waits_then_is_recorded_as_skipped(rows, settings):
    settings.SLRT_AUDIT_BLOCK_ROWS = 100
    seal_pending(now=later(hours=2))
    # An id taken by a transaction still open (or rolled back): the next rows come after a hole.
    hole = AuditEvent.objects.order_by("-id").first().id + 1
    after = AuditEvent.objects.create(id=hole + 2, action="case.view")
    assert seal_pending(now=later(minutes=20)) == 0  # the hole may still commit
    assert seal_pending(now=later(hours=2)) == 1  # an hour on, it was rolled back
    block = AuditBlock.objects.get(last_id=after.id)
    assert block.skipped == [[hole, hole + 1]]
    assert verify().ok
    # The transaction that held the id commits after all, inside the sealed range: it shows.
    AuditEvent.objects.create(id=hole, action="case.view")
    assert f"baris id {hole} disisipkan setelah penyegelan" in verify_fails()


def test_an_edited_payload_is_named(rows):
    seal_pending(now=later(hours=2))
    victim = rows[5]
    with as_table_owner():
        AuditEvent.objects.filter(pk=victim.pk).update(detail={"people": [99]})
    message = verify_fails()
    block = AuditBlock.objects.get(first_id__lte=victim.pk, last_id__gte=victim.pk)
    assert f"blok {block.number} " in message and f"baris id {victim.pk} diubah" in message


def test_an_edited_envelope_with_recomputed_row_hash_still_breaks_the_block(rows):
    from slrt.audit.sealing import row_hash

    seal_pending(now=later(hours=2))
    victim = rows[2]
    with as_table_owner():
        AuditEvent.objects.filter(pk=victim.pk).update(action="case.view")
        row = AuditEvent.objects.filter(pk=victim.pk).values().get()
        AuditEvent.objects.filter(pk=victim.pk).update(row_hash=row_hash(row, row["payload_hash"]))
    assert "blok 1 " in verify_fails() and "hash blok tidak cocok" in verify_fails()


def test_a_deleted_row_is_named(rows):
    seal_pending(now=later(hours=2))
    victim = rows[6]
    with as_table_owner():
        sql("DELETE FROM audit_auditevent WHERE id = %s", [victim.pk])
    assert f"baris id {victim.pk} hilang" in verify_fails()


def test_a_deleted_block_breaks_the_chain(rows):
    seal_pending(now=later(hours=2))
    middle = AuditBlock.objects.get(number=2)
    with as_table_owner():
        sql("UPDATE audit_auditevent SET block_id = NULL WHERE block_id = %s", [middle.pk])
        sql("DELETE FROM audit_auditevent WHERE block_id IS NULL AND id BETWEEN %s AND %s",
            [middle.first_id, middle.last_id])
        sql("DELETE FROM audit_auditblock WHERE id = %s", [middle.pk])
    assert "blok 3 " in verify_fails() and "blok dihapus" in verify_fails()


def test_a_dropped_trigger_fails_the_verification(rows):
    seal_pending(now=later(hours=2))
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER audit_auditevent_no_delete" +
                       (" ON audit_auditevent" if connection.vendor == "postgresql" else ""))
    assert "audit_auditevent_no_delete" in verify_fails()


def test_erased_payloads_keep_the_chain_and_are_reported_as_erased(rows):
    seal_pending(now=later(hours=2))
    unsealed = record(None, "case.view", detail={"case": 1})  # too young to be sealed: kept
    assert erase_audit_payloads(later(hours=3), timezone.now()) == 11  # the ten and the account's creation
    assert AuditEvent.objects.get(pk=unsealed.pk).detail == {"case": 1}
    report = verify()
    assert report.ok and (report.rows, report.erased, report.unsealed) == (11, 11, 1)
    # An erased row is still covered: its envelope is checked against the kept row hash.
    with as_table_owner():
        AuditEvent.objects.filter(pk=rows[0].pk).update(object_id="42")
    assert f"baris id {rows[0].pk} diubah" in verify_fails()


def test_the_scheduled_sealing_job_seals(rows, settings):
    from slrt.notifications.tasks import run_job

    settings.SLRT_AUDIT_SEAL_AFTER = 0
    settings.SLRT_AUDIT_BLOCK_WAIT = 0
    run_job.apply(args=("audit_seal",))
    assert not AuditEvent.objects.filter(row_hash="").exists()


@pytest.mark.django_db(transaction=True)
def test_two_sealing_runs_at_once_seal_each_row_once(make_user, settings, regions_after_flush):
    if connection.vendor != "postgresql":
        # The in-memory SQLite test database shares one cache between threads (table locks, no
        # busy wait); a file database serialises the runs by BEGIN IMMEDIATE instead of a lock.
        pytest.skip("two connections at once: PostgreSQL")
    settings.SLRT_AUDIT_BLOCK_ROWS = 3
    user = make_user("front_office", "32.01")
    for i in range(30):
        record(user, "person.view", detail={"n": i})
    start, results = threading.Barrier(2), []

    def run():
        start.wait()
        try:
            results.append(seal_pending(now=later(hours=2)))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # The one that lost the lock sealed what was left after the winner, or nothing; no row twice.
    total = AuditEvent.objects.count()
    assert sum(results) + seal_pending(now=later(hours=2)) == total == 31
    report = verify()
    assert report.ok and report.rows == 31
