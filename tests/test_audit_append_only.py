"""The audit trail cannot be edited (issue 11, point 9): the database itself refuses every UPDATE,
DELETE and TRUNCATE of audit rows and sealed blocks, and any DELETE of an account, except the two
narrow writes of sealing and of the retention erasure; the test run's flush passes only through
its documented gate (tests/conftest.py)."""

import pytest
from django.core.management.color import no_style
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models.deletion import ProtectedError
from django.utils import timezone

from slrt.accounts.models import AccountDeletionRefused, ApiToken, User
from slrt.accounts.services import deactivate_user
from slrt.audit import gate, triggers
from slrt.audit.models import AuditBlock, AuditEvent
from slrt.audit.sealing import seal_pending
from slrt.audit.services import record

pytestmark = pytest.mark.django_db

LATER = timezone.now() + timezone.timedelta(hours=2)  # every row of the test is old enough to seal


def refused(fn):
    """Run `fn` in a savepoint and say whether the database refused it (PostgreSQL then aborts
    the savepoint only)."""
    try:
        with transaction.atomic():
            fn()
    except (DatabaseError, IntegrityError):
        return True
    return False


def raw(sql, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.fixture
def admin(make_user):
    return make_user("admin", "32.01")


def test_the_guard_triggers_are_installed_by_the_migrations():
    assert triggers.missing(connection) == []


def test_no_update_or_delete_of_an_unsealed_row_passes(admin):
    event = record(admin, "person.view", detail={"people": [1, 2]})
    assert refused(lambda: AuditEvent.objects.filter(pk=event.pk).update(detail={"people": [3]}))
    assert refused(lambda: AuditEvent.objects.filter(pk=event.pk).update(action="person.edit"))
    assert refused(lambda: AuditEvent.objects.filter(pk=event.pk).update(actor=None))
    assert refused(lambda: raw("UPDATE audit_auditevent SET region_code = '32' WHERE id = %s", [event.pk]))
    assert refused(lambda: AuditEvent.objects.filter(pk=event.pk).delete())
    assert refused(lambda: raw("DELETE FROM audit_auditevent WHERE id = %s", [event.pk]))
    # Erasing an unsealed row would lose a payload no hash keeps: refused even through the gate.
    assert refused(lambda: _erase(event.pk))
    event.refresh_from_db()
    assert (event.action, event.detail, event.actor_id) == ("person.view", {"people": [1, 2]}, admin.pk)


def test_sealing_sets_the_hashes_once_and_a_sealed_row_stays_as_it_was(admin):
    event = record(admin, "case.view", detail={"case": 7})
    assert seal_pending(now=LATER) >= 1
    event.refresh_from_db()
    assert len(event.row_hash) == 64 and event.block_id is not None
    # A second "sealing" (new hashes, another block) is an edit like any other.
    assert refused(lambda: AuditEvent.objects.filter(pk=event.pk).update(row_hash="0" * 64))
    assert refused(lambda: AuditEvent.objects.filter(pk=event.pk).update(block=None))
    assert refused(lambda: AuditEvent.objects.filter(pk=event.pk).update(detail={"case": 8}))
    block = AuditBlock.objects.get(pk=event.block_id)
    assert refused(lambda: AuditBlock.objects.filter(pk=block.pk).update(hash="f" * 64))
    assert refused(lambda: raw("DELETE FROM audit_auditblock WHERE id = %s", [block.pk]))


def _erase(pk, **extra):
    with gate.gate_open("erase"):
        AuditEvent.objects.filter(pk=pk).update(detail={}, erased_at=timezone.now(), **extra)


def test_only_the_erase_gate_empties_a_sealed_payload_and_nothing_else(admin):
    event = record(admin, "person.view", detail={"people": [5]})
    seal_pending(now=LATER)
    event.refresh_from_db()
    # Without the gate: refused.
    assert refused(lambda: AuditEvent.objects.filter(pk=event.pk).update(detail={}, erased_at=timezone.now()))
    # Through the gate, but changing more than the payload: refused.
    assert refused(lambda: _erase(event.pk, action="x"))
    assert refused(lambda: _erase(event.pk, row_hash="0" * 64))
    with gate.gate_open("erase"):  # through the gate, but keeping a payload: refused
        assert refused(lambda: AuditEvent.objects.filter(pk=event.pk).update(detail={"p": 1}, erased_at=LATER))
    _erase(event.pk)
    erased = AuditEvent.objects.get(pk=event.pk)
    assert erased.detail == {} and erased.erased_at is not None
    assert (erased.row_hash, erased.payload_hash, erased.block_id) == (event.row_hash, event.payload_hash,
                                                                        event.block_id)
    assert gate.committed_gates() == []  # the gate closed with its transaction
    assert refused(lambda: _erase(event.pk))  # once erased, never again


def test_the_flush_passes_only_through_the_test_gate(admin):
    record(admin, "person.view")
    if connection.vendor == "postgresql":  # TRUNCATE inside the test's transaction: no deferred FK checks pending
        raw("SET CONSTRAINTS ALL IMMEDIATE")
    tables = ["audit_auditevent", "audit_auditblock"]
    sql = connection.ops.sql_flush(no_style(), tables)
    ungated = type(connection.ops).execute_sql_flush.__wrapped__
    assert refused(lambda: ungated(connection.ops, sql))
    if connection.vendor == "postgresql":  # a row trigger does not fire on TRUNCATE: the statement trigger does
        assert refused(lambda: raw("TRUNCATE audit_auditevent, audit_auditblock"))
    assert AuditEvent.objects.exists()
    connection.ops.execute_sql_flush(sql)  # what Django's flush calls: the conftest gate lets it through
    assert not AuditEvent.objects.exists()
    assert gate.committed_gates() == []


def test_an_account_is_never_deleted_only_deactivated(admin, make_user):
    user = make_user("front_office", "32.01")
    record(user, "case.view")
    ApiToken.objects.issue(user, ttl_hours=1)
    with pytest.raises(AccountDeletionRefused):
        user.delete()
    # A queryset's delete: the audit row's actor protects it, and the database refuses in any case.
    with pytest.raises(ProtectedError), transaction.atomic():
        User.objects.filter(pk=user.pk).delete()
    fresh = make_user("front_office", "32.01")  # no audit row names it as actor
    assert refused(lambda: User.objects.filter(pk=fresh.pk).delete())
    assert refused(lambda: raw("DELETE FROM accounts_user WHERE id = %s", [fresh.pk]))
    if connection.vendor == "postgresql":
        assert refused(lambda: raw("TRUNCATE accounts_user CASCADE"))

    deactivate_user(admin, user)
    user.refresh_from_db()
    assert user.is_active is False
    assert not ApiToken.objects.filter(user=user).exists()
    assert AuditEvent.objects.filter(actor=user).exists()  # its rows still name it
    assert AuditEvent.objects.filter(action="user.deactivate", object_id=str(user.pk), actor=admin).exists()


def test_a_manajer_cannot_deactivate_an_account_outside_its_kab_kota(make_user):
    # Inside it a Manajer may (issue 13, tests/test_manage_accounts.py has the whole matrix).
    from django.core.exceptions import PermissionDenied

    manager, user = make_user("manajer", "32.01"), make_user("front_office", "32.02")
    with pytest.raises(PermissionDenied):
        deactivate_user(manager, user)
    user.refresh_from_db()
    assert user.is_active


def test_the_deactivate_user_command_closes_the_account(make_user):
    import io

    from django.contrib.auth.backends import ModelBackend
    from django.core.management import call_command

    from tests.conftest import PASSWORD

    user = make_user("front_office", "32.01")
    assert ModelBackend().authenticate(None, username=user.username, password=PASSWORD) == user
    call_command("deactivate_user", user.username, stdout=io.StringIO())
    user.refresh_from_db()
    assert not user.is_active
    assert ModelBackend().authenticate(None, username=user.username, password=PASSWORD) is None


def test_the_web_role_that_audit_grants_prints_may_only_read_and_append_audit_rows(admin):
    if connection.vendor != "postgresql":
        pytest.skip("database roles: PostgreSQL")
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("audit_grants", "slrt_test_web", stdout=out)
    grants = out.getvalue().replace("BEGIN;", "").replace("COMMIT;", "")
    event = record(admin, "person.view", detail={"people": [1]})
    raw("SET CONSTRAINTS ALL IMMEDIATE")
    raw("CREATE ROLE slrt_test_web NOLOGIN")  # inside the test's transaction: rolled back with it
    raw(grants)
    raw("SET ROLE slrt_test_web")
    try:
        appended = record(admin, "case.view", detail={"case": 1})  # a request's audit row: allowed
        assert AuditEvent.objects.filter(pk=appended.pk).exists()
        for sql in ("UPDATE audit_auditevent SET action = 'x' WHERE id = %s",
                    "DELETE FROM audit_auditevent WHERE id = %s",
                    "UPDATE audit_auditblock SET hash = 'x' WHERE id = %s"):
            with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
                raw(sql, [event.pk])
        with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
            raw("INSERT INTO audit_gate (kind) VALUES ('flush')")  # cannot open a gate either
        assert User.objects.filter(pk=admin.pk).exists()  # the rest of the application's tables: as before
    finally:
        raw("RESET ROLE")
