"""Exports: a list's rows for its caller, written as CSV or XLSX, audited; big ones as a background job.

One way for every caller: `prepare` finds the list (unknown: 404; a role that may not open the
list: 403), checks the format and reads the filters with the list's own function (a bad filter is
refused with that function's message); `write_export` writes the rows into a file object (the
bench, the command line and the jobs use it); `csv_stream` yields the CSV for a streamed answer;
`start_job` queues a job whose worker runs `run_job`. Each finished export writes one audit row
(`record_export`): who, which list, which filters (a personal term only as "used"), the format and
the row count, plus the ids of the records shown when there are at most `SHOWN_LIMIT` of them (a
million-row export cannot list a million ids in one row: its filters and count say what it held,
and the same filters read the same rows again).
"""

import datetime as dt
import importlib
import io
import logging
import tempfile
import time
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.http import Http404, QueryDict
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from slrt.accounts.roles import Role
from slrt.audit.services import SHOWN_LIMIT, record, record_shown
from slrt.core.sheets import CsvWriter, XlsxStreamWriter

from .conf import limit
from .lists import LISTS, ExportList
from .models import ExportFormat, ExportJob, ExportStatus

log = logging.getLogger(__name__)

FORMATS = tuple(ExportFormat.values)
# Query parameters that are the export's own, not the list's filters.
CONTROL_PARAMS = {"format", "hal", "s", "csrfmiddlewaretoken", "limit", "offset"}
MAX_PARAMS = 20
MAX_VALUE = 200
PROGRESS_EVERY = 5000  # rows between two progress writes of a job
CSV_FLUSH_BYTES = 64 * 1024


class ExportError(Exception):
    """A refusal with the field it names (API: 422 `invalid_format` / `invalid_filter`)."""

    def __init__(self, code: str, field: str, message: str):
        super().__init__(message)
        self.code, self.field, self.message = code, field, message


@dataclass
class Prepared:
    entry: ExportList
    fmt: str
    params: QueryDict
    filters: object


def entry_for(user, name: str) -> ExportList:
    """The list `name` as this user may export it; SPEC's `referrals` of a Mitra is its inbox."""
    if name == "referrals" and getattr(user, "role", None) == Role.MITRA:
        name = "inbox"
    entry = LISTS.get(name)
    if entry is None or not entry.available():
        raise Http404
    if not entry.allowed(user):
        raise PermissionDenied(_("Peran Anda tidak memiliki akses ke daftar ini."))
    return entry


def clean_params(params) -> QueryDict:
    """The list's filters of a query (the export's own parameters left out), bounded."""
    out = QueryDict(mutable=True)
    for key in list(params.keys())[: MAX_PARAMS + len(CONTROL_PARAMS)]:
        if key in CONTROL_PARAMS:
            continue
        values = params.getlist(key) if hasattr(params, "getlist") else _as_list(params[key])
        out.setlist(key[:40], [str(v)[:MAX_VALUE] for v in values[:10]])
        if len(out) >= MAX_PARAMS:
            break
    return out


def _as_list(value) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def prepare(user, name: str, params, fmt: str) -> Prepared:
    entry = entry_for(user, name)
    fmt = (fmt or "").strip().lower()
    if fmt not in FORMATS:
        raise ExportError("invalid_format", "format", _("Format harus csv atau xlsx."))
    cleaned = clean_params(params)
    try:
        filters = entry.parse(cleaned, user)
    except ValidationError as exc:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        field = next(iter(errors))
        raise ExportError("invalid_filter", field, " ".join(errors[field])) from None
    except ValueError as exc:  # the case and referral lists' parsers: a ValueError naming the parameter
        raise ExportError("invalid_filter", getattr(exc, "param", "") or "__all__", str(exc)) from None
    return Prepared(entry, fmt, cleaned, filters)


def count_rows(p: Prepared, user) -> int:
    return p.entry.count(user, p.filters)


def audit_filters(entry: ExportList, params: QueryDict) -> dict:
    """The filters for the audit row: values as given, a personal term only as used (True)."""
    out = {}
    for key in params.keys():
        values = [v for v in params.getlist(key) if v != ""]
        if not values:
            continue
        out[key] = True if key in entry.personal else (values[0] if len(values) == 1 else values)
    return out


def record_export(user, p: Prepared, count: int, ids: dict | None, *, job: ExportJob | None = None,
                  complete: bool = True):
    detail = {"list": p.entry.name, "format": p.fmt, "filters": audit_filters(p.entry, p.params)}
    if job is not None:
        detail["job"] = job.pk
    if not complete:
        detail["complete"] = False  # the download stopped before the last row
    region = ""
    if p.entry.region_param:
        region = str(p.params.get(p.entry.region_param) or "")[:13]
        region = region if region.replace(".", "").isdigit() else ""
    shown = {k: list(v) for k, v in (ids or {}).items()} if count <= SHOWN_LIMIT and ids is not None else {}
    return record_shown(user, f"export.{p.entry.name}", count=count, region_code=region, detail=detail, **shown)


class _IdCollector:
    """The ids of the rows written, per kind, kept only while there are at most SHOWN_LIMIT rows."""

    def __init__(self, kinds):
        self.kinds = list(kinds)
        self.ids: list[dict] | None = [{} for _ in self.kinds]
        self.count = 0

    def add(self, row_ids: tuple):
        self.count += 1
        if self.ids is None:
            return
        if self.count > SHOWN_LIMIT:
            self.ids = None
            return
        for seen, value in zip(self.ids, row_ids, strict=True):
            if value is not None and value != "":
                seen.setdefault(value, None)

    def result(self) -> dict | None:
        if self.ids is None:
            return None
        return {kind: list(seen) for kind, seen in zip(self.kinds, self.ids, strict=True) if seen}


def _rows(p: Prepared, user, seen: _IdCollector, max_rows: int | None = None):
    for values, ids in p.entry.rows_with_ids(user, p.filters):
        if max_rows is not None and seen.count >= max_rows:
            return
        seen.add(ids)
        yield values


def file_name(p: Prepared) -> str:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return f"{slugify(str(p.entry.label)) or p.entry.name}-{stamp}.{p.fmt}"


def _write(p: Prepared, user, out, seen: _IdCollector, on_progress=None, max_rows=None) -> int:
    rows = _rows(p, user, seen, max_rows)
    if on_progress is not None:
        rows = _reporting(rows, seen, on_progress)
    if p.fmt == ExportFormat.CSV:
        text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=False)
        writer = CsvWriter(text)
        writer.writerow(p.entry.headers)
        writer.writerows(rows)
        text.flush()
        text.detach()
    else:
        with XlsxStreamWriter(out, sheet_title=str(p.entry.label)) as writer:
            writer.writerow(p.entry.headers, bold=True)
            writer.writerows(rows)
    return seen.count


def _reporting(rows, seen: _IdCollector, on_progress):
    last = time.monotonic()
    for row in rows:
        yield row
        if seen.count % PROGRESS_EVERY == 0 and time.monotonic() - last > 0.5:
            on_progress(seen.count)
            last = time.monotonic()


def write_export(list_name: str, user, params, out, fmt: str) -> int:
    """Write the export of `list_name` for `user` with the list's filters `params` into `out` (a
    binary file object) as `fmt` ("csv" or "xlsx"); audited; returns the number of rows.

    No row limit here: this is what the bench, `manage.py export_list` and the background jobs run."""
    p = prepare(user, list_name, params, fmt)
    seen = _IdCollector(p.entry.shown)
    count = _write(p, user, out, seen)
    record_export(user, p, count, seen.result())
    return count


def csv_stream(p: Prepared, user):
    """The CSV of a prepared export as chunks of bytes for a streamed answer, audited at its end
    (also when the client stops reading: the row then says how far it got)."""
    seen = _IdCollector(p.entry.shown)
    buffer = io.StringIO()
    writer = CsvWriter(buffer)
    complete = False
    try:
        buffer.write("\ufeff")  # Excel opens UTF-8 with a byte-order mark as UTF-8
        writer.writerow(p.entry.headers)
        for values in _rows(p, user, seen):
            writer.writerow(values)
            if buffer.tell() >= CSV_FLUSH_BYTES:
                yield buffer.getvalue().encode("utf-8")
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue().encode("utf-8")
        complete = True
    finally:
        record_export(user, p, seen.count, seen.result(), complete=complete)


def xlsx_file(p: Prepared, user):
    """The XLSX of a small prepared export in a temporary file (rewound), audited."""
    out = tempfile.TemporaryFile()
    seen = _IdCollector(p.entry.shown)
    _write(p, user, out, seen)
    record_export(user, p, seen.count, seen.result())
    out.seek(0)
    return out


# --- background jobs -----------------------------------------------------------------------------


def too_many(total: int) -> ExportError | None:
    most = limit("SLRT_EXPORT_MAX_ROWS")
    if total > most:
        return ExportError("too_many_rows", "__all__", _(
            "Ekspor ini memuat %(n)s baris, lebih dari batas %(max)s baris. Persempit penyaringnya."
        ) % {"n": f"{total:,}".replace(",", "."), "max": f"{most:,}".replace(",", ".")})
    return None


def start_job(user, p: Prepared, total: int) -> ExportJob:
    """A queued job for `user`; the worker (tasks.run_export_job) starts once this commits."""
    refusal = too_many(total)
    if refusal is not None:
        raise refusal
    params = {k: p.params.getlist(k) for k in p.params.keys()}
    job = ExportJob.objects.create(
        requested_by=user, list_name=p.entry.name, format=p.fmt, params=params, rows_total=total,
        expires_at=timezone.now() + dt.timedelta(days=limit("SLRT_EXPORT_KEEP_DAYS")),
    )
    record(user, "export.job_started", job, detail={"list": p.entry.name, "format": p.fmt, "rows": total,
                                                    "filters": audit_filters(p.entry, p.params)})
    # Imported by name: the tasks module imports this one (no import cycle between them).
    task = importlib.import_module("slrt.exports.tasks").run_export_job
    transaction.on_commit(lambda: task.delay(job.pk))
    return job


def _forget_personal(job: ExportJob, entry: ExportList) -> dict:
    return {k: v for k, v in job.params.items() if k not in entry.personal}


def run_job(job_id: int) -> ExportJob | None:
    """The worker's part, idempotent: a finished job is left alone; a job left running by a killed
    worker is written again from the start (its file is only saved at the end)."""
    with transaction.atomic():
        job = ExportJob.objects.select_for_update().filter(pk=job_id).select_related("requested_by").first()
        if job is None or job.finished:
            return job
        job.status, job.attempts, job.rows_done = ExportStatus.RUNNING, job.attempts + 1, 0
        job.save(update_fields=["status", "attempts", "rows_done"])
    user = job.requested_by
    entry = LISTS.get(job.list_name)
    params = QueryDict(mutable=True)
    for key, values in job.params.items():
        params.setlist(key, values)
    try:
        if not user.is_active:
            raise PermissionDenied(_("Akun peminta tidak aktif lagi."))
        p = prepare(user, job.list_name, params, job.format)  # the role and scope as they are now
        seen = _IdCollector(p.entry.shown)

        def progress(n):
            ExportJob.objects.filter(pk=job.pk).update(rows_done=n)

        with tempfile.TemporaryFile() as out:
            count = _write(p, user, out, seen, on_progress=progress, max_rows=limit("SLRT_EXPORT_MAX_ROWS"))
            size = out.tell()
            out.seek(0)
            job.file.save(f"{job.pk}-{file_name(p)}", File(out), save=False)
        job.status, job.rows_done, job.size, job.finished_at = ExportStatus.DONE, count, size, timezone.now()
        job.rows_total = max(job.rows_total, count) if count else 0
        job.params = _forget_personal(job, entry) if entry else {}
        job.save(update_fields=["status", "rows_done", "rows_total", "size", "file", "finished_at", "params"])
        record_export(user, p, count, seen.result(), job=job)
    except (ExportError, PermissionDenied, Http404) as exc:
        message = getattr(exc, "message", None) or str(exc) or _("Daftar ini tidak tersedia lagi bagi akun Anda.")
        _fail(job, entry, str(message))
    except Exception:
        log.exception("export job %s failed", job.pk)
        _fail(job, entry, _("Ekspor gagal karena galat di server; coba lagi atau hubungi admin."))
        raise
    return job


def _fail(job: ExportJob, entry, message: str) -> None:
    job.status, job.message, job.finished_at = ExportStatus.FAILED, message, timezone.now()
    job.params = _forget_personal(job, entry) if entry else {}
    job.save(update_fields=["status", "message", "finished_at", "params"])


def cleanup_expired() -> int:
    """Delete the files of jobs past `expires_at` (the scheduled job `export_cleanup`); the job
    rows stay, marked expired, so the requester's list still says what was exported."""
    done = 0
    for job in ExportJob.objects.filter(expires_at__lte=timezone.now()).exclude(status=ExportStatus.EXPIRED):
        if job.file:
            job.file.delete(save=False)
        job.status, job.file = ExportStatus.EXPIRED, ""
        job.save(update_fields=["status", "file"])
        done += 1
    return done

