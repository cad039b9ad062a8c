"""Validate rows in batches, in this process or in worker processes.

Checking a row (NIK structure, name key, dates, hashes) is most of an import's CPU time, and
rows are independent, so large files are validated by a pool of worker processes while this
process reads the file and feeds the staging table. Batches come back in file order, and only
a few are in flight at once: memory stays flat whatever the file size.

Workers are started with `spawn` (a fresh interpreter that sets Django up again), never
`fork`, so they share nothing with this process's open database transaction.
"""

import multiprocessing
import os
import pickle
import tempfile
from collections import deque
from concurrent.futures import ProcessPoolExecutor

from django.conf import settings
from django.utils import translation

from .validate import RowValidator
from .worker import Batch, init_worker, validate_batch, work

__all__ = ["Batch", "validated_batches", "worker_count", "refuse_inside_worker"]

BATCH_ROWS = 2_000
# A batch also ends at this many characters of cell text: rows are bounded (limits.row_chars),
# but 2,000 rows at that bound would hold far more than a real batch (~0.5 M characters).
BATCH_CHARS = 4_000_000
# Below this size the workers' start-up (a second or two each) costs more than it saves.
PARALLEL_MIN_BYTES = 16 * 1024 * 1024


def worker_count(bytes_total: int) -> int:
    """How many worker processes validate rows: `SLRT_IMPORT_WORKERS`, default 0 (none).

    Off unless asked for: measured on a 2-CPU server, one worker gained nothing (the database
    needs a CPU for the COPY, and batches are pickled both ways), and each worker holds about
    100 MB. With four or more idle cores, 2-3 workers shorten the reading phase. Never for
    files under PARALLEL_MIN_BYTES, where starting the workers costs more than it saves.
    """
    configured = int(os.environ.get("SLRT_IMPORT_WORKERS") or 0)
    if configured <= 0 or bytes_total < PARALLEL_MIN_BYTES:
        return 0
    return configured


# --- caller side -----------------------------------------------------------------------------

# Set in the environment of worker processes. `spawn` re-runs the parent's main script in each
# worker; a script without an `if __name__ == "__main__":` guard would start the import again
# there, so an import refuses to start inside a worker (the pool then reports the failure).
WORKER_ENV = "SLRT_IMPORT_WORKER"


def refuse_inside_worker() -> None:
    if os.environ.get(WORKER_ENV):
        raise RuntimeError("registry import started inside an import worker: guard the calling script with "
                           "`if __name__ == '__main__':`")


def _raw_batches(rows):
    batch, chars = [], 0
    for item in rows:
        batch.append(item)
        cells = item[1]
        if type(cells) is list:
            chars += sum(map(len, cells))
        if len(batch) >= BATCH_ROWS or chars >= BATCH_CHARS:
            yield batch
            batch, chars = [], 0
    if batch:
        yield batch


def validated_batches(source, *, spec, desa_codes, scope: str, today, workers: int):
    """Yield a Batch per BATCH_ROWS rows of `source.rows`, in file order."""
    raw_batches = _raw_batches(source.rows)
    if workers <= 0:
        validator = RowValidator(spec, desa_codes=desa_codes, scope=scope, today=today)
        for raw in raw_batches:
            yield validate_batch(validator, raw)
        return
    settings_module = os.environ.get("DJANGO_SETTINGS_MODULE", settings.SETTINGS_MODULE)
    language = translation.get_language() or settings.LANGUAGE_CODE
    # The village codes go through a file: the arguments of a spawned worker travel through a
    # pipe, and a large payload to a worker that fails to start would block this process.
    codes_file = tempfile.NamedTemporaryFile(prefix="slrt-desa-", suffix=".pickle", delete=False)  # noqa: SIM115
    with codes_file:
        pickle.dump(desa_codes, codes_file)
    os.environ[WORKER_ENV] = "1"  # for the workers, spawned (on demand) while it is set
    try:
        # A worker that dies (killed, out of memory) breaks the pool with an error instead of
        # leaving this process waiting for a batch that will never come.
        pool = ProcessPoolExecutor(
            workers, mp_context=multiprocessing.get_context("spawn"), initializer=init_worker,
            initargs=(settings_module, language, spec, codes_file.name, scope, today),
        )
        pending: deque = deque()
        try:
            for raw in raw_batches:
                pending.append(pool.submit(work, raw))
                if len(pending) >= 2 * workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()
            pool.shutdown(wait=True, cancel_futures=True)
    finally:
        os.environ.pop(WORKER_ENV, None)
        os.unlink(codes_file.name)
