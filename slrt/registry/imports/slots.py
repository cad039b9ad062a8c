"""How many imports may run at once on this server: a fixed number of lock-file slots.

Each import holds an exclusive `flock` on one of `limits.concurrent` files under
VAR_DIR/imports/slots while it runs. The kernel releases the lock when the process ends, however
it ends (SIGKILL included), so a crashed import never keeps its slot. The queue workers
and the command line on one machine share the same files, so the cap holds across
processes; it is per server (per VAR_DIR), as the memory it protects is.
"""

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path

from django.utils.translation import gettext as _

from .limits import limits
from .progress import imports_dir


class ImportsBusy(Exception):
    """Every slot is taken; `message` says so and asks to try again later, in Indonesian."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def busy_message(slots: int) -> str:
    return _("Server sedang menjalankan %(n)s impor, batas impor bersamaan di server ini. Coba lagi beberapa menit "
             "lagi, setelah salah satunya selesai.") % {"n": slots}


def _folder() -> Path:
    folder = imports_dir() / "slots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _try_lock(path: Path) -> int | None:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


@contextmanager
def import_slot():
    """Hold a slot for the duration of the block; ImportsBusy if every slot is taken."""
    slots = limits().concurrent
    folder = _folder()
    for i in range(slots):
        fd = _try_lock(folder / f"{i}.lock")
        if fd is None:
            continue
        try:
            yield i
        finally:
            os.close(fd)  # closing the last descriptor releases the lock
        return
    raise ImportsBusy(busy_message(slots))


def free_slots() -> int:
    """How many slots are free right now (a glance for the upload page, not a reservation)."""
    folder = _folder()
    free = 0
    for i in range(limits().concurrent):
        fd = _try_lock(folder / f"{i}.lock")
        if fd is not None:
            os.close(fd)
            free += 1
    return free
