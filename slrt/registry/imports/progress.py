"""Import progress in a small JSON file, readable by any process while the import runs.

The import holds one database transaction open for its whole run (that is what makes a killed
import leave no trace). On SQLite that transaction owns the only write lock, so progress
cannot go to the database; and on either database, rows written inside the transaction are
invisible to others until it commits. A file written atomically (temp file + rename) is
visible at once, costs nothing, and carries the pid and a heartbeat by which a dead import is
recognised.
"""

import json
import os
import socket
import time
from pathlib import Path

from django.conf import settings

# Phases, in order. "reading" streams the file into the staging table; "merging" runs the
# set-based upserts; the transaction commits at the end of "merging".
PHASES = ("queued", "reading", "merging", "done", "failed")
# Without a heartbeat for this long a running import is considered dead even if its pid
# is taken by another process (the longest single SQL statement is far shorter).
STALE_AFTER_SECONDS = 15 * 60


def imports_dir() -> Path:
    path = Path(settings.VAR_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def shared_imports_dir(name: str) -> Path:
    """`imports/<name>` in the shared storage's folder when it has local paths (SLRT_MEDIA_ROOT, one
    volume every server mounts), so what a queue worker on one machine writes (progress) or reads
    (the upload) is seen by the web server on another; else (S3) VAR_DIR/imports/<name> of this
    machine (README "Files on several machines")."""
    from django.core.files.storage import default_storage

    try:
        folder = Path(default_storage.path(f"imports/{name}"))
    except NotImplementedError:
        folder = imports_dir() / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def progress_path(job_id: int) -> Path:
    return shared_imports_dir("progress") / f"{job_id}.json"


def read_progress(job_id: int) -> dict | None:
    try:
        return json.loads(progress_path(job_id).read_text())
    except (OSError, ValueError):
        return None


class ProgressFile:
    """Writes the state of one job; `update` is throttled, `write` is immediate."""

    def __init__(self, job_id: int, *, interval: float = 0.25, callback=None):
        self.path = progress_path(job_id)
        self.interval = interval
        self.callback = callback
        self.state = {"job": job_id, "pid": os.getpid(), "host": socket.gethostname(), "phase": "queued"}
        self._last = 0.0

    def write(self, **changes) -> None:
        self.state.update(changes)
        self.state["heartbeat"] = time.time()
        tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(self.state))
        os.replace(tmp, self.path)
        self._last = time.monotonic()
        if self.callback:
            self.callback(dict(self.state))

    def update(self, **changes) -> None:
        if time.monotonic() - self._last >= self.interval:
            self.write(**changes)
        else:
            self.state.update(changes)


def process_alive(pid: int | None, host: str = "") -> bool:
    """Whether `pid` is a live (not zombie) process on this host; unknown hosts count as alive."""
    if not pid:
        return False
    if host and host != socket.gethostname():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        # A killed child not yet reaped by its parent still answers signal 0.
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True
