"""PostgreSQL in production: connection pooling, statement timeouts, the read replica.

Read at settings time from the environment (README "PostgreSQL in production"):

- ``SLRT_DB_POOL`` (1/0): Django's built-in psycopg pool. ``slrt/wsgi.py`` turns it on for the web
  server; a command or a Celery worker keeps one persistent connection (``SLRT_CONN_MAX_AGE``), since
  a pool opened before a fork would be shared by the children. ``SLRT_DB_POOL_MIN`` /
  ``SLRT_DB_POOL_MAX`` size it per process, ``SLRT_DB_POOL_TIMEOUT`` is how long (seconds) a request
  waits for a free connection before it fails. With the pool, ``CONN_MAX_AGE`` is 0 (Django's rule).
- ``SLRT_DB_STATEMENT_TIMEOUT_MS``: PostgreSQL's ``statement_timeout`` for every connection of this
  process. ``slrt/wsgi.py`` sets a default for web requests; commands and workers get none.
- ``DATABASE_REPLICA_URL``: a streaming replica, the ``replica`` alias, read only inside code marked
  replica-safe (``slrt.core.dbrouter.replica_reads``), never written to.

SQLite (the demo) gets none of these.
"""

import os

from django.core.exceptions import ImproperlyConfigured

REPLICA = "replica"  # the alias; slrt.core.dbrouter routes to it
ROUTER = "slrt.core.dbrouter.PrimaryReplicaRouter"
MIDDLEWARE = "slrt.core.dbrouter.ReadYourWritesMiddleware"


def _int(name: str, default: int, *, low: int = 0) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not '{raw}'")
    if value < low:
        raise ImproperlyConfigured(f"{name} must be at least {low}")
    return value


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "on", "true", "yes"}:
        return True
    if raw in {"0", "off", "false", "no"}:
        return False
    raise ImproperlyConfigured(f"{name} must be 1 or 0, not '{raw}'")


def pool_options() -> dict | None:
    """The pool's size and wait, or None when this process runs without a pool."""
    if not _flag("SLRT_DB_POOL", False):
        return None
    low = _int("SLRT_DB_POOL_MIN", 2, low=0)
    high = _int("SLRT_DB_POOL_MAX", 10, low=1)
    if high < low:
        raise ImproperlyConfigured("SLRT_DB_POOL_MAX must not be below SLRT_DB_POOL_MIN")
    return {
        "min_size": low,
        "max_size": high,
        "timeout": _int("SLRT_DB_POOL_TIMEOUT", 10, low=1),
        # Connections are replaced now and then, so a restarted PgBouncer or a moved replica is
        # picked up and no server backend grows for ever; idle ones above min_size are closed.
        "max_lifetime": 30 * 60.0,
        "max_idle": 5 * 60.0,
    }


def configure(db: dict, *, pool: dict | None, timeout_ms: int) -> None:
    """Apply the pool and the statement timeout to one PostgreSQL alias's settings (in place)."""
    options = db.setdefault("OPTIONS", {})
    if timeout_ms:
        # libpq's `options` sets it at connection start, so no query of the process runs unbounded,
        # pooled connections included (the pool reuses connections made with these parameters).
        extra = f"-c statement_timeout={timeout_ms}"
        options["options"] = f"{options['options']} {extra}" if options.get("options") else extra
    # A request whose server cannot be reached fails within seconds instead of hanging a worker.
    options.setdefault("connect_timeout", 5)
    if pool:
        options["pool"] = dict(pool)
        db["CONN_MAX_AGE"] = 0  # Django refuses persistent connections with a pool
        db["CONN_HEALTH_CHECKS"] = True  # the pool checks a connection before lending it
    else:
        options.pop("pool", None)


def apply(s: dict) -> None:
    import dj_database_url

    default = s["DATABASES"]["default"]
    if default["ENGINE"] != "django.db.backends.postgresql":
        return
    pool = pool_options()
    timeout_ms = _int("SLRT_DB_STATEMENT_TIMEOUT_MS", 0)
    configure(default, pool=pool, timeout_ms=timeout_ms)

    # The router and its middleware are always installed on PostgreSQL: without a replica alias
    # they send everything to the primary at the cost of one dict lookup; the replica tests add
    # the alias at run time.
    s["DATABASE_ROUTERS"] = [*s.get("DATABASE_ROUTERS", []), ROUTER]
    middleware = list(s["MIDDLEWARE"])
    # Right inside the session middleware: its answer phase runs after the view and every inner
    # middleware wrote, so the position it records covers all of the request's writes.
    middleware.insert(middleware.index("django.contrib.sessions.middleware.SessionMiddleware") + 1, MIDDLEWARE)
    s["MIDDLEWARE"] = middleware

    # How long a user's last write position is kept: a replica lagging longer than this would show
    # them older data again, so it is far above any lag an operator would leave unattended.
    s["SLRT_DB_READ_YOUR_WRITES_SECONDS"] = _int("SLRT_DB_READ_YOUR_WRITES_SECONDS", 24 * 3600, low=60)

    replica_url = os.environ.get("DATABASE_REPLICA_URL", "").strip()
    if not replica_url:
        return
    if not os.environ.get("SLRT_CACHE_URL"):
        # Read-your-writes keeps each user's last write position in the cache; a per-process cache
        # would let the next request, on another worker, read a replica that has not replayed it.
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_URL needs SLRT_CACHE_URL (one cache shared by every application process, "
            "e.g. redis://127.0.0.1:6379/1): it remembers where each user's last write is."
        )
    replica = dj_database_url.parse(replica_url, conn_max_age=default["CONN_MAX_AGE"] if not pool else 0)
    if replica["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_REPLICA_URL must be a PostgreSQL URL")
    configure(replica, pool=pool, timeout_ms=timeout_ms)
    # A test run that inherits DATABASE_REPLICA_URL must not create a test database on a read-only
    # standby: there the alias mirrors the primary (tests/test_replica.py adds a real one).
    replica["TEST"] = {"MIRROR": "default"}
    s["DATABASES"][REPLICA] = replica
