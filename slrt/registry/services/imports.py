"""Writes for registry imports: create a job, run it (here or on the task queue), record it.

The heavy lifting is in `slrt.registry.imports`; this module owns the job's life cycle:

    pending --run_import--> running --commit--> done
                                    \\--error---> failed
    running, attempt gone (SIGKILL) = stale: `run_import` may take it over again.

The web UI enqueues the job (`enqueue_import`, on commit); a worker runs `tasks.run_import_job`,
which calls `run_import` like the command line does. The process running a job holds its run
lock (`imports.runlock`) from before it is marked running until the end; the job row is marked
running (and committed) before the import transaction opens, so other processes see it; the
counts and "done" are written inside that transaction, so they commit together with the data or
not at all. A worker killed mid-import therefore leaves nothing but a running job nobody holds:
the queue hands the message to another worker, whose attempt takes the job over and imports the
file once.
"""

import importlib
import logging
import os
import re
import socket
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from slrt.accounts.roles import can
from slrt.audit.services import record
from slrt.registry.imports import pipeline, runlock
from slrt.registry.imports.batches import refuse_inside_worker
from slrt.registry.imports.limits import limits, megabytes, thousands
from slrt.registry.imports.progress import ProgressFile, shared_imports_dir
from slrt.registry.imports.reader import ImportFileError
from slrt.registry.imports.slots import ImportsBusy, busy_message, free_slots, import_slot
from slrt.registry.models import ImportJob, ImportJobRegion, ImportRowError, ImportStatus, Source
from slrt.registry.selectors.imports import is_stale

logger = logging.getLogger(__name__)

_PERIOD = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
_UPLOAD_SUFFIXES = {".csv", ".xlsx", ".txt", ".tsv"}


class ImportJobError(Exception):
    """The job cannot be run in its current state (already done, or running elsewhere)."""


def create_import_job(*, path, original_name: str, source: str = Source.DTSEN, period: str | None = None,
                      actor=None) -> ImportJob:
    """A pending job for the file at `path`. `actor` None means the system (CLI)."""
    if actor is not None and not can(actor, "import_registry"):
        raise PermissionDenied(_("Hanya Admin dan Manajer yang dapat mengimpor data registri."))
    if source not in Source.values:
        choices = ", ".join(Source.values)
        raise ValidationError(_("Sumber data harus salah satu dari: %(choices)s.") % {"choices": choices})
    if period and not _PERIOD.fullmatch(period):
        raise ValidationError(_("Periode harus berformat YYYY-MM (mis. 2026-07)."))
    path = Path(path)
    if not path.is_file():
        raise ValidationError(_("Berkas tidak ditemukan."))
    return ImportJob.objects.create(
        file_path=str(path.resolve()),
        original_name=(original_name or path.name)[:255],
        source=source,
        period=period or "",
        started_by=actor if actor is not None else None,
        region_code=(actor.region_id or "") if actor is not None else "",
        bytes_total=path.stat().st_size,
    )


def store_upload(uploaded_file) -> Path:
    """Stream an uploaded file to disk (never held in memory): into the shared storage's folder
    `imports/uploads/` when it has local paths (SLRT_MEDIA_ROOT, one volume every server mounts), so
    the queue worker that runs the import finds it on any machine; else (S3) under
    VAR_DIR/imports/uploads of this machine (README "Files on several machines")."""
    suffix = Path(uploaded_file.name or "").suffix.lower()
    suffix = suffix if suffix in _UPLOAD_SUFFIXES else ".dat"
    folder = shared_imports_dir("uploads")
    target = folder / f"{uuid.uuid4().hex}{suffix}"
    # Personal data of a whole district: readable by the service's user only.
    with os.fdopen(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
        for chunk in uploaded_file.chunks():
            out.write(chunk)
    return target


# Multipart framing and the form's other fields around the file.
_MULTIPART_SLACK = 64 * 1024


@dataclass(frozen=True)
class UploadRefusal:
    message: str
    status: int  # 413 too large, 503 busy
    retry_after: int = 0


def upload_limits() -> dict:
    """What the upload page tells about the limits."""
    lim = limits()
    return {"upload_mb": megabytes(lim.upload_bytes), "concurrent": lim.concurrent,
            "xlsx_rows": thousands(lim.xlsx_rows), "columns": thousands(lim.columns),
            "cell_chars": thousands(lim.cell_chars)}


def _too_large(limit: int) -> UploadRefusal:
    return UploadRefusal(
        _("Berkas terlalu besar; batas unggah di web %(limit)s MB. Bagi berkas per kecamatan, atau minta admin "
          "mengimpornya dengan perintah import_registry di server.") % {"limit": megabytes(limit)}, 413)


def upload_refusal(request, *, after_upload: bool = False) -> UploadRefusal | None:
    """Why an upload is refused before its file is stored: larger than the limit (by its
    Content-Length before the body is read; by what UploadLimit counted after), or every import
    slot of this server taken (a glance: the import itself takes its slot when it starts)."""
    lim = limits()
    if after_upload:
        request.FILES  # noqa: B018 - parses the body (through UploadLimit) if the CSRF check did not
        return _too_large(lim.upload_bytes) if getattr(request, "_slrt_upload_too_large", False) else None
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > lim.upload_bytes + _MULTIPART_SLACK:
        return _too_large(lim.upload_bytes)
    if free_slots() == 0:
        return UploadRefusal(busy_message(lim.concurrent), 503, retry_after=120)
    return None


class UploadLimit(FileUploadHandler):
    """Stops an upload once its file passes the limit; the page then says so (upload_refusal)."""

    def __init__(self, request):
        super().__init__(request)
        self.limit = limits().upload_bytes
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            self.request._slrt_upload_too_large = True
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size):
        return None


def run_import(job: ImportJob, *, progress=None, worker: str = "", wait_for_slot: bool = False) -> ImportJob:
    """Run the import of `job` in this process; returns the finished job.

    `progress` is called with the progress state (a dict) as it changes. Raises ImportFileError
    when the file cannot be imported (the job is then `failed` with the reason as message), and
    ImportJobError when the job is done or a live attempt runs it. Every import slot taken:
    the job fails with "try again later", or with `wait_for_slot` (the queue's task, which
    retries later) ImportsBusy is raised and the job is left as it was. `worker` names the
    queue worker running the attempt ("" for the command line).
    """
    refuse_inside_worker()
    job.refresh_from_db()
    if job.status == ImportStatus.DONE:
        raise ImportJobError(_("Impor ini sudah selesai; jalankan impor baru untuk berkas ini."))
    with runlock.holding(job.pk) as held:
        job.refresh_from_db()  # as it is now that no other attempt can claim it
        if not held or (job.status == ImportStatus.RUNNING and not is_stale(job)):
            raise ImportJobError(_("Impor ini sedang berjalan di proses lain."))
        if job.status == ImportStatus.DONE:
            raise ImportJobError(_("Impor ini sudah selesai; jalankan impor baru untuk berkas ini."))
        # A slot of the per-server cap on imports running at once, held until the import ends.
        try:
            with import_slot():
                return _run_claimed(job, progress, worker)
        except ImportsBusy as e:
            if wait_for_slot:
                raise
            ImportJob.objects.filter(pk=job.pk).exclude(status=ImportStatus.RUNNING).update(
                status=ImportStatus.FAILED, finished_at=timezone.now(), message=e.message)
            ProgressFile(job.pk, callback=progress).write(phase="failed", message=e.message)
            raise ImportJobError(e.message) from e


def _run_claimed(job: ImportJob, progress, worker: str) -> ImportJob:
    tracker = ProgressFile(job.pk, callback=progress)
    now = timezone.now()
    # Claimed only if nobody claimed it since we looked (two processes taking over one job).
    claimed = ImportJob.objects.filter(pk=job.pk, status=job.status, pid=job.pid).update(
        status=ImportStatus.RUNNING, pid=os.getpid(), host=socket.gethostname(), worker=worker[:255],
        attempts=F("attempts") + 1, started_at=now,
        finished_at=None, message="", release=None, rows_read=0, bytes_read=0, created=0, updated=0,
        unchanged=0, rejected=0, moved=0, warnings=0,
    )
    if not claimed:
        raise ImportJobError(_("Impor ini sedang berjalan di proses lain."))
    job.refresh_from_db()
    tracker.write(phase="queued", bytes_total=job.bytes_total, rows_read=0, bytes_read=0)
    try:
        with transaction.atomic():
            # A stale or failed run left no rows (its transaction never committed); this is
            # only for jobs re-run after a failure that was recorded.
            ImportRowError.objects.filter(job=job).delete()
            ImportJobRegion.objects.filter(job=job).delete()
            counts = pipeline.load(job, tracker)
            _finish(job, counts)
            record(job.started_by, "registry.import", job, region_code=job.region_code,
                   detail={k: counts[k] for k in ("rows_read", "created", "updated", "unchanged", "moved", "rejected",
                                                  "warnings", "households_created", "households_updated")}
                   | {"release_id": counts["release"].pk})
    except ImportFileError as e:
        _fail(job, tracker, e.message)
        raise
    except BaseException as e:
        # Exception texts from the database may quote values (a NIK); log the type only.
        logger.error("registry import job %s failed: %s", job.pk, type(e).__name__)
        _fail(job, tracker, _("Impor gagal karena kesalahan sistem; tidak ada data yang berubah. Hubungi admin "
                              "(pekerjaan impor #%(id)s).") % {"id": job.pk})
        raise
    job.refresh_from_db()
    tracker.write(phase="done", **_summary(job), households_created=counts["households_created"],
                  households_updated=counts["households_updated"])
    logger.info("registry import job %s done: %s", job.pk, _summary(job))
    return job


def _finish(job: ImportJob, counts: dict) -> None:
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.DONE, release=counts["release"], finished_at=timezone.now(),
        rows_read=counts["rows_read"], bytes_read=counts["bytes_total"], bytes_total=counts["bytes_total"],
        created=counts["created"], updated=counts["updated"], unchanged=counts["unchanged"],
        rejected=counts["rejected"], moved=counts["moved"], warnings=counts["warnings"],
    )


def _fail(job: ImportJob, tracker: ProgressFile, message: str) -> None:
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.FAILED, finished_at=timezone.now(),
                                               message=message[:2000])
    tracker.write(phase="failed", message=message)


def _summary(job: ImportJob) -> dict:
    return {k: getattr(job, k) for k in ("rows_read", "created", "updated", "unchanged", "moved", "rejected",
                                         "warnings")}


def enqueue_import(job: ImportJob) -> str:
    """Hand `job` to the task queue once the caller's transaction commits (the worker must find
    the job row); returns the task id, recorded on the job as its owner."""
    task_id = uuid.uuid4().hex
    ImportJob.objects.filter(pk=job.pk).update(task_id=task_id)
    job.task_id = task_id
    # Imported by name: the tasks module imports this one (no import cycle between them).
    task = importlib.import_module("slrt.registry.tasks").run_import_job
    transaction.on_commit(lambda: task.apply_async(args=[job.pk], task_id=task_id))
    return task_id


def mark_stale_jobs() -> int:
    """Mark running jobs of the command line whose process is gone as failed (their transaction
    rolled back). Jobs of the queue are left running: the queue delivers their task again, and
    that attempt takes them over."""
    n = 0
    for job in ImportJob.objects.filter(status=ImportStatus.RUNNING, task_id=""):
        if is_stale(job):
            ImportJob.objects.filter(pk=job.pk, status=ImportStatus.RUNNING).update(
                status=ImportStatus.FAILED, finished_at=timezone.now(),
                message=_("Proses impor terhenti sebelum selesai; tidak ada data yang berubah. Jalankan ulang impor."),
            )
            n += 1
    return n
