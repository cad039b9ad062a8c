"""Readiness (`GET /readyz`): may this process take traffic? The database answers, the task
queue's broker answers, and the disks under VAR_DIR and MEDIA_ROOT have room.

`/healthz` (core.views) stays SPEC's liveness answer. Each check runs in its own thread and all
share one deadline (SLRT_READY_TIMEOUT, seconds), so an unreachable host answers 503 quickly
instead of hanging the probe. The body names each check ok or failing, nothing more: no error
text, host names or ports (those go to the log, which only operators read).
"""

import logging
import shutil
import tempfile
import threading
import time
from pathlib import Path

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from slrt.accounts.scoping import region_safe

log = logging.getLogger("slrt.health")


def check_database() -> None:
    connection = connections[DEFAULT_DB_ALIAS]  # this thread's own connection, closed below
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        connection.close()


def check_queue() -> None:
    url = settings.CELERY_BROKER_URL
    timeout = settings.SLRT_READY_TIMEOUT
    if url.startswith("filesystem://"):
        # kombu's folder transport: reachable when this process can write a message into it.
        options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}) or {}
        folder = options.get("data_folder_in") or "."
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".readyz-", suffix=".tmp"):
            pass
        return
    from slrt.celery import app

    with app.connection_for_write(url, connect_timeout=timeout) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, timeout=timeout)


def _existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_disk() -> None:
    need = settings.SLRT_READY_MIN_FREE_BYTES
    for path in {Path(settings.VAR_DIR), Path(settings.MEDIA_ROOT)}:
        free = shutil.disk_usage(_existing(path)).free
        if free < need:
            raise OSError(f"{free // 2**20} MiB free under {path}, below {need // 2**20} MiB")


CHECKS = {"database": check_database, "queue": check_queue, "disk": check_disk}


def run_checks() -> dict[str, bool]:
    results: dict[str, bool] = {}
    errors: dict[str, str] = {}

    def run(name, check):
        try:
            check()
            results[name] = True
        except Exception as e:  # noqa: BLE001 - any failure means not ready
            errors[name] = f"{type(e).__name__}: {e}"
            results[name] = False

    threads = [threading.Thread(target=run, args=item, daemon=True, name=f"readyz-{item[0]}")
               for item in CHECKS.items()]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + settings.SLRT_READY_TIMEOUT
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    outcome = {}
    for name in CHECKS:
        ok = results.get(name, False)  # still running at the deadline: failing
        outcome[name] = ok
        if not ok:
            reason = errors.get(name, f"no answer in {settings.SLRT_READY_TIMEOUT}s")
            log.warning("readyz: %s failing (%s)", name, reason)
    return outcome


@region_safe
@require_GET
def readyz(request):
    outcome = run_checks()
    ready = all(outcome.values())
    return JsonResponse(
        {"status": "ok" if ready else "failing",
         "checks": {name: "ok" if ok else "failing" for name, ok in outcome.items()}},
        status=200 if ready else 503,
    )



