"""Who is running an import right now, across processes and machines.

On PostgreSQL the process that runs a job holds a session advisory lock on it for the whole run
(taken before the job is marked running, released when the run ends). The server drops the lock
when that process's connection goes, however it goes: a worker killed by SIGKILL, on this machine
or another, releases it with its connection. So "running, and nobody holds the lock" means the
attempt is dead, and a redelivered task may take the job over; "somebody holds it" means a live
attempt, even one whose broker connection dropped and whose message was handed to a second worker.

SQLite (one machine, the demo) has no such lock: there the pid and host of the job decide.
"""

from contextlib import contextmanager, suppress

from django.db import connections

# The first key of pg_advisory_lock(int4, int4): "SLRI" (SLRT registry import); the second is the job id.
LOCK_CLASS = 0x534C5249


def _pg(using: str = "default"):
    connection = connections[using]
    return connection if connection.vendor == "postgresql" else None


def supported(using: str = "default") -> bool:
    return _pg(using) is not None


@contextmanager
def holding(job_id: int):
    """Hold the run lock of `job_id` for the block; yields False if another session holds it
    (always True on SQLite)."""
    connection = _pg()
    if connection is None:
        yield True
        return
    with connection.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_lock(%s::int4, %s::int4)", [LOCK_CLASS, job_id])
        got = cur.fetchone()[0]
    if not got:
        yield False
        return
    try:
        yield True
    finally:
        with suppress(Exception):  # a broken connection has dropped the lock already
            with connection.cursor() as cur:
                cur.execute("SELECT pg_advisory_unlock(%s::int4, %s::int4)", [LOCK_CLASS, job_id])


def held_elsewhere(job_id: int) -> bool | None:
    """Whether another session holds the run lock of `job_id`; None on SQLite (not knowable).

    Read on the primary (`default`): a replica does not see the primary's locks."""
    connection = _pg()
    if connection is None:
        return None
    with connection.cursor() as cur:
        cur.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            " AND classid::bigint = %s AND objid::bigint = %s AND objsubid = 2 AND pid <> pg_backend_pid())",
            [LOCK_CLASS, job_id],
        )
        return bool(cur.fetchone()[0])
