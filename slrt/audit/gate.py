"""Gates: the one-transaction permissions the audit triggers check (see `audit.triggers`).

`erase` lets the retention service empty the payload of sealed rows; `flush` lets the test
run's database flush delete rows. A gate is a row inserted at the start and deleted at the end
of the caller's own transaction, so no other transaction can see it open; a gate left
committed (only a hand-made INSERT can do that) makes verify_audit fail.
"""

from contextlib import contextmanager

from django.db import connections, transaction

from .triggers import GATE_TABLE

KINDS = ("erase", "flush")


@contextmanager
def gate_open(kind: str, using: str = "default"):
    if kind not in KINDS:
        raise ValueError(kind)
    connection = connections[using]
    with transaction.atomic(using=using):
        with connection.cursor() as cursor:
            # The primary key also serialises two holders of one gate (a second waits for the first).
            cursor.execute(f"INSERT INTO {GATE_TABLE} (kind) VALUES (%s)", [kind])
        yield
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {GATE_TABLE} WHERE kind = %s", [kind])


def committed_gates(using: str = "default") -> list[str]:
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT kind FROM {GATE_TABLE} ORDER BY kind")
        return [row[0] for row in cursor.fetchall()]
