"""Reads for registry imports: which jobs a user may see, their progress, their error report."""

import io
import time
from collections.abc import Iterator

from django.db.models import BooleanField, ExpressionWrapper, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value

from slrt.accounts.roles import can
from slrt.core import sheets
from slrt.registry.imports import runlock
from slrt.registry.imports.progress import STALE_AFTER_SECONDS, process_alive, read_progress
from slrt.registry.models import ImportJob, ImportJobRegion, ImportRowError, ImportStatus
from slrt.wilayah.models import NATION_CODE

REPORT_HEADER = ("baris", "kolom", "nilai", "alasan", "jenis")
KIND_ERROR, KIND_WARNING = "galat", "peringatan"


def _kab_in_scope(code: str) -> Q | None:
    """The ImportJobRegion rows (kab/kota) inside a region scope; None below the kab/kota level,
    where a job's rows are not placed finely enough to say they touch the scope."""
    depth = code.count(".")
    if depth == 0:
        return Q(kab_code__startswith=f"{code}.")
    if depth == 1:
        return Q(kab_code=code)
    return None


def jobs_for_user(user) -> QuerySet[ImportJob]:
    """Jobs the user may watch (Admin, Manajer, Dinsos), each annotated with `full_view` and
    `region_rows`.

    Visible: at the nation level every job; below it, jobs started by the user or from inside
    the user's region (`full_view`: totals and error report, since every row of such a job was
    the starter's to import), and jobs from the CLI or a wider scope whose accepted rows touch
    the user's kab/kota (ImportJobRegion). Of those the user sees only `region_rows`, the
    accepted rows in their region: the file's other rows, and its rejected rows (which cannot
    always be placed in a region — a bad village code belongs to nobody), are another office's.
    """
    if not can(user, "view_imports") or not user.region_id:
        return ImportJob.objects.none()
    jobs = ImportJob.objects.select_related("release", "started_by")
    if user.region_id == NATION_CODE:
        return jobs.annotate(full_view=Value(True, output_field=BooleanField()),
                             region_rows=Value(None, output_field=IntegerField()))
    code = user.region_id
    own = Q(started_by=user) | Q(region_code=code) | Q(region_code__startswith=f"{code}.")
    kabs = _kab_in_scope(code)
    jobs = jobs.annotate(full_view=ExpressionWrapper(own, output_field=BooleanField()))
    if kabs is None:
        return jobs.filter(own).annotate(region_rows=Value(None, output_field=IntegerField()))
    touched = ImportJobRegion.objects.filter(kabs)
    rows_here = (
        touched.filter(job=OuterRef("pk")).order_by().values("job").annotate(n=Sum("rows")).values("n")
    )
    return jobs.filter(own | Q(pk__in=touched.values("job"))).annotate(region_rows=Subquery(rows_here))


def job_for_user(user, job_id) -> ImportJob | None:
    return jobs_for_user(user).filter(pk=job_id).first()


def _progress_of_this_run(job: ImportJob) -> dict:
    """The progress file, if it was written by the process now running the job (not by an
    earlier run, or by a job of the same number in a database since recreated)."""
    state = read_progress(job.pk) or {}
    return state if state.get("pid") == job.pid else {}


def is_stale(job: ImportJob, state: dict | None = None) -> bool:
    """A job marked running whose attempt is gone (worker killed, crashed, machine restarted).

    PostgreSQL: nobody holds the job's run lock (`imports.runlock`; any machine). SQLite: the
    recorded process is not alive on this host, or its heartbeat is old."""
    if job.status != ImportStatus.RUNNING:
        return False
    elsewhere = runlock.held_elsewhere(job.pk)
    if elsewhere is not None:
        return not elsewhere
    if not process_alive(job.pid, job.host):
        return True
    state = state if state is not None else _progress_of_this_run(job)
    heartbeat = state.get("heartbeat")
    return bool(heartbeat) and time.time() - heartbeat > STALE_AFTER_SECONDS


def import_progress(job: ImportJob) -> dict:
    """The state of a job for the progress view (also while its transaction is still open)."""
    state = _progress_of_this_run(job)
    running = job.status == ImportStatus.RUNNING
    stale = is_stale(job, state)
    if running and not stale:
        rows_read = state.get("rows_read", 0)
        bytes_read = state.get("bytes_read", 0)
        bytes_total = state.get("bytes_total") or job.bytes_total
        phase = state.get("phase", "queued")
    else:
        rows_read, bytes_read, bytes_total = job.rows_read, job.bytes_read, job.bytes_total
        phase = {"done": "done", "failed": "failed", "pending": "queued"}.get(job.status, state.get("phase", ""))
    if job.status == ImportStatus.DONE:
        percent = 100
    elif bytes_total:
        # Reading is most of the work; merging is shown as the last stretch.
        percent = min(99, int(90 * bytes_read / bytes_total) + (9 if phase == "merging" else 0))
    else:
        percent = 0
    return {
        "id": job.pk,
        "status": job.status,
        "status_label": str(ImportStatus(job.status).label),
        "phase": phase,
        "stale": stale,
        "finished": job.status in (ImportStatus.DONE, ImportStatus.FAILED),
        "rows_read": rows_read,
        "bytes_read": bytes_read,
        "bytes_total": bytes_total,
        "percent": percent,
        "accepted": job.accepted,
        "created": job.created,
        "updated": job.updated,
        "unchanged": job.unchanged,
        "moved": job.moved,
        "rejected": job.rejected if job.status == ImportStatus.DONE else state.get("rejected", job.rejected),
        "warnings": job.warnings,
        "message": job.message,
        "attempts": job.attempts,
        "queued": bool(job.task_id),
        "release": str(job.release) if job.release_id else "",
    }


def error_report_rows(job: ImportJob) -> Iterator[tuple[int, str, str, str, str]]:
    """(baris, kolom, nilai, alasan, jenis) in file order, streamed from the database."""
    rows = (
        ImportRowError.objects.filter(job=job)
        .order_by("line", "id")
        .values_list("line", "column", "value", "reason", "is_warning")
    )
    for line, column, value, reason, is_warning in rows.iterator(chunk_size=2000):
        yield line, column, value, reason, KIND_WARNING if is_warning else KIND_ERROR


def write_error_report(job: ImportJob, out) -> int:
    """Write the CSV error report to a text file; returns the number of rows written."""
    writer = sheets.CsvWriter(out)
    writer.writerow(REPORT_HEADER)
    n = 0
    for row in error_report_rows(job):
        writer.writerow(row)
        n += 1
    return n


def error_report_csv_chunks(job: ImportJob, rows_per_chunk: int = 1000) -> Iterator[str]:
    """The CSV report as text chunks for a StreamingHttpResponse (with a BOM so Excel reads UTF-8)."""
    buf = io.StringIO()
    writer = sheets.CsvWriter(buf)
    buf.write("\ufeff")
    writer.writerow(REPORT_HEADER)
    for i, row in enumerate(error_report_rows(job), 1):
        writer.writerow(row)
        if not i % rows_per_chunk:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()
