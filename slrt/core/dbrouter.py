"""The read replica (DATABASE_REPLICA_URL): which reads may use it, and read-your-writes.

Writes always go to the primary (``default``). A read goes to the ``replica`` alias only inside
``replica_reads(...)``: the views and selectors marked with it show dashboards, reports, exports
and searches, where a replica a moment behind is harmless for everybody except the user who has
just saved something. For that user (read-your-writes):

- every request that wrote remembers, after its commit, the primary's WAL position
  (``pg_current_wal_lsn()``) under the user's id in the shared cache (a browser session and an API
  token of one account share it), for ``SLRT_DB_READ_YOUR_WRITES_SECONDS``;
- entering ``replica_reads`` asks the replica how far it has replayed (``pg_last_wal_replay_lsn()``)
  and uses it only when that is at or past the user's position; otherwise, and when the replica
  cannot be reached, the block reads from the primary;
- a block inside a transaction, or in a request that has already written, reads from the primary.

Writes that only record who did or saw what (sessions, sign-in bookkeeping, a token's last use, the
audit trail, the lock-out's attempts) do not count as the user's writes: no replica-safe page shows them back, and
counting them would send every audited search's next page to the primary while the replica lags.
Whatever is written to them still goes to the primary like every write.
"""

import logging
import re
import time
from contextvars import ContextVar
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connections, transaction

logger = logging.getLogger(__name__)

DEFAULT = "default"
REPLICA = "replica"
DOWN_SECONDS = 10.0  # after a failed probe, the replica is left alone this long (no connect wait per request)

# The alias chosen by the innermost replica_reads block (None outside any).
_choice: ContextVar[str | None] = ContextVar("slrt_replica_choice", default=None)


@dataclass
class _RequestState:
    wrote: bool = False

    def watch(self, execute, sql, params, many, context):
        if not self.wrote and counts_as_write(sql):
            self.wrote = True
        return execute(sql, params, many, context)


_request: ContextVar[_RequestState | None] = ContextVar("slrt_replica_request", default=None)
_down_until = 0.0

_READ = re.compile(r"\s*(?:SELECT|SHOW|SET|SAVEPOINT|RELEASE|ROLLBACK|BEGIN|COMMIT|DECLARE|FETCH|CLOSE|EXPLAIN)\b",
                   re.IGNORECASE)
_BOOKKEEPING = re.compile(
    r'\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(?:django_session|accounts_signedinsession|accounts_apitoken|audit_\w+|axes_\w+)\b',
    re.IGNORECASE,
)


def counts_as_write(sql: str) -> bool:
    """Whether a statement changes data a replica-safe page may show (anything not a plain read
    or bookkeeping counts: unknown statements are taken as writes)."""
    return not _READ.match(sql) and not _BOOKKEEPING.match(sql)


def replica_configured() -> bool:
    return REPLICA in connections.settings


def lsn_number(text: str | None) -> int | None:
    """'16/B374D848' → an int that orders like the WAL position."""
    if not text:
        return None
    high, _, low = str(text).partition("/")
    return (int(high, 16) << 32) | int(low, 16)


def _key(user_pk) -> str:
    return f"slrt:db:wrote:{user_pk}"


def remember_write(user_pk) -> None:
    """After a commit: the primary's WAL position, as the user's last write (never lowered)."""
    try:
        with connections[DEFAULT].cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_lsn()")
            position = lsn_number(cursor.fetchone()[0])
        known = cache.get(_key(user_pk))
        if known is None or position > known:
            cache.set(_key(user_pk), position, getattr(settings, "SLRT_DB_READ_YOUR_WRITES_SECONDS", 24 * 3600))
    except Exception:  # noqa: BLE001 - the write is committed; failing its answer now would invite a repeat
        logger.exception("read-your-writes: the write position of user %s was not recorded", user_pk)


def _replica_position() -> int | None:
    """How far the replica has replayed, or None when it cannot say (down, or not a standby)."""
    global _down_until
    if time.monotonic() < _down_until:
        return None
    try:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute("SELECT pg_last_wal_replay_lsn()")
            return lsn_number(cursor.fetchone()[0])
    except DatabaseError:
        _down_until = time.monotonic() + DOWN_SECONDS
        logger.warning("replica unreachable: replica-safe reads use the primary for %.0f s", DOWN_SECONDS)
        try:
            connections[REPLICA].close()
        except DatabaseError:
            pass
        return None


def choose(user) -> str:
    """The alias a replica-safe block of `user` reads from."""
    if not replica_configured():
        return DEFAULT
    if connections[DEFAULT].in_atomic_block:
        return DEFAULT  # a transaction reads its own, uncommitted rows
    state = _request.get()
    if state is not None and state.wrote:
        return DEFAULT  # this request saved something before showing it
    if user is None or not getattr(user, "is_authenticated", False):
        return DEFAULT  # no one to keep apart: e.g. a background job that was not told for whom
    replayed = _replica_position()
    if replayed is None:
        return DEFAULT
    needed = cache.get(_key(user.pk))
    if needed is not None and replayed < needed:
        return DEFAULT  # the replica has not yet replayed this user's last write
    return REPLICA


class _ReplicaReads:
    def __init__(self, user=None):
        self.user = user
        self._tokens: list = []

    def __enter__(self):
        if _choice.get() is not None:
            self._tokens.append(None)  # nested: the outer block's choice holds
        else:
            self._tokens.append(_choice.set(choose(self.user)))
        return self

    def __exit__(self, *exc):
        token = self._tokens.pop()
        if token is not None:
            _choice.reset(token)
        return False

    @property
    def alias(self) -> str:
        return _choice.get() or DEFAULT


def replica_reads(user=None):
    """Mark reads as replica-safe: ``with replica_reads(user): ...`` in a selector, or
    ``@replica_reads`` / ``@replica_reads()`` on a view (the reader is ``request.user``, set by then
    for sessions and API tokens alike). Only for showing data: a read that decides a write (a
    duplicate check, a state transition) must stay outside."""
    if callable(user) and not hasattr(user, "is_authenticated"):
        return _decorate(user)
    if user is None:
        return _Decorator()
    return _ReplicaReads(user)


class _Decorator:
    def __call__(self, view):
        return _decorate(view)


def _decorate(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        with _ReplicaReads(getattr(request, "user", None)):
            return view(request, *args, **kwargs)

    return wrapper


class PrimaryReplicaRouter:
    """Writes to the primary; reads to the replica only as chosen by the enclosing replica_reads."""

    def db_for_read(self, model, **hints):
        if _choice.get() == REPLICA and not connections[DEFAULT].in_atomic_block:
            return REPLICA
        return DEFAULT

    def db_for_write(self, model, **hints):
        return DEFAULT

    def allow_relation(self, obj1, obj2, **hints):
        if {obj1._state.db, obj2._state.db} <= {DEFAULT, REPLICA}:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if db == REPLICA:
            return False  # the standby replays the primary's schema; it is never migrated itself
        return None


class ReadYourWritesMiddleware:
    """Watches the request's statements on the primary; after a write, remembers where it is."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not replica_configured():
            return self.get_response(request)
        state = _RequestState()
        token = _request.set(state)
        try:
            with connections[DEFAULT].execute_wrapper(state.watch):
                response = self.get_response(request)
        finally:
            _request.reset(token)
        if state.wrote:
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                pk = user.pk
                transaction.on_commit(lambda: remember_write(pk), using=DEFAULT)
        return response
