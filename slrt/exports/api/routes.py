"""Exports API: `GET /api/v1/exports/{list}?format=csv|xlsx&<the list's filters>` (SPEC).

A CSV of up to SLRT_EXPORT_API_CSV_MAX rows (default 1,000,000) and an XLSX of up to
SLRT_EXPORT_SYNC_MAX rows (default 5,000) stream in the answer (200). A bigger export is started
as a background job instead: 202 with the job (its `id`, `status_url`; `download_url` once done).
The rows are the list's own for the caller (its filter function and selector); the list names and
their filters are in the operation's description.
"""

from typing import Annotated

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from ninja import Query, Router

from slrt.accounts.scoping import region_safe
from slrt.audit.services import record
from slrt.core.api import ApiError, ValidationErrorOut, documented_choices

from .. import selectors, services
from ..conf import limit
from ..lists import LISTS
from ..models import ExportFormat
from ..views import CONTENT_TYPES, file_response
from .schemas import ExportJobOut, job_out

router = Router(tags=["ekspor"])

FILE_RESPONSES = {
    200: {
        "description": "Berkas ekspor (CSV UTF-8 dengan BOM, atau XLSX); header X-Export-Rows: jumlah baris",
        "content": {CONTENT_TYPES[ExportFormat.CSV]: {"schema": {"type": "string"}},
                    CONTENT_TYPES[ExportFormat.XLSX]: {"schema": {"type": "string", "format": "binary"}}},
    }
}

FILTERS = {
    "cases": "status, sector, urgency, channel, desa, date_from, date_to, overdue, tiket, antrian",
    "referrals": "penyaring daftar rujukan (status, agency, sector, overdue, date_from, date_to, region, antrian); "
                 "bagi akun Mitra: kotak masuknya",
    "people": "nik, kk, q (nama), region, birth_year (minimal satu dari nik, kk, q)",
    "households": "region, desil, kk",
    "visits": "penyaring daftar kunjungan (status, wilayah, antrian)",
    "submissions": "penyaring antrean tinjauan (antrian)",
    "proposals": "penyaring daftar usulan (q, status, kind, desa, batch)",
    "targeting-errors": "run (wajib), program, kind, desa",
    "notifications": "status (bawaan: gagal; semua: seluruhnya)",
    "audit": "penyaring log audit (nik, actor, action, date_from, date_to, region)",
}
DESCRIPTION = (
    "Baris yang sama dengan yang ditampilkan daftar itu kepada pemanggil, dengan penyaring daftar itu sendiri. "
    "NIK disamarkan bagi peran tanpa hak melihat NIK lengkap; teks yang dapat dibaca sebagai rumus diawali '. "
    "Setiap ekspor dicatat di log audit. Daftar dan penyaringnya: "
    + "; ".join(f"`{k}`: {v}" for k, v in FILTERS.items())
    + ". Ekspor besar (CSV lebih dari SLRT_EXPORT_API_CSV_MAX baris, XLSX lebih dari SLRT_EXPORT_SYNC_MAX baris) "
    "dijalankan di latar belakang: jawaban 202 dengan id tugas dan status_url."
)


def _refusal(exc: services.ExportError):
    return 422, {"code": exc.code, "detail": exc.message, "errors": {exc.field: [exc.message]}}


@router.get("/jobs", response=list[ExportJobOut], url_name="export_jobs", summary="Ekspor latar belakang saya")
@region_safe  # jobs_for: only the caller's own jobs
def export_jobs(request):
    return [job_out(job, selectors.downloadable(job)) for job in selectors.jobs_for(request.auth)]


@router.get("/jobs/{job_id}", response=ExportJobOut, url_name="export_job",
            summary="Status satu ekspor latar belakang")
@region_safe  # job_for: only the requester's own job; any other is 404
def export_job(request, job_id: int):
    job = selectors.job_for(request.auth, job_id)
    return job_out(job, selectors.downloadable(job))


@router.get("/jobs/{job_id}/file", url_name="export_job_file", summary="Berkas satu ekspor latar belakang",
            openapi_extra={"responses": FILE_RESPONSES})
@region_safe  # job_for: only the requester's own job; any other is 404
def export_job_file(request, job_id: int):
    job = selectors.job_for(request.auth, job_id)
    if not selectors.downloadable(job):
        raise Http404
    record(request.auth, "export.download", job, detail={"list": job.list_name, "rows": job.rows_done})
    name = job.file.name.rsplit("/", 1)[-1].split("-", 1)[-1]
    return FileResponse(job.file.open("rb"), as_attachment=True, filename=name,
                        content_type=CONTENT_TYPES[job.format])


@router.get(
    "/{list_name}",
    response={202: ExportJobOut, 422: ValidationErrorOut},
    url_name="export_list",
    summary="Ekspor satu daftar (CSV atau XLSX)",
    description=DESCRIPTION,
    openapi_extra={"responses": FILE_RESPONSES},
)
@region_safe  # rows come from each list's own selector, which reads through Model.objects.for_user
def export_list(
    request,
    list_name: Annotated[str, documented_choices(LISTS)],
    format: Annotated[str | None, documented_choices(ExportFormat.values)] = Query(None, description="csv atau xlsx"),
):
    user = request.auth
    try:
        entry = services.entry_for(user, list_name)
    except PermissionDenied as exc:
        raise ApiError(403, "forbidden", str(exc)) from None
    try:
        p = services.prepare(user, entry.name, request.GET, format or "")
        total = services.count_rows(p, user)
        bound = limit("SLRT_EXPORT_API_CSV_MAX" if p.fmt == ExportFormat.CSV else "SLRT_EXPORT_SYNC_MAX")
        if total > bound:
            job = services.start_job(user, p, total)
            return 202, job_out(job, False)
    except services.ExportError as exc:
        return _refusal(exc)
    return file_response(p, user, total)
