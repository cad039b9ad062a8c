"""Web exports: the "Unduh" buttons of every list, the background jobs' pages and their files.

`/ekspor/<list>/?format=csv|xlsx&<the list's filters>` answers the file at once up to
SLRT_EXPORT_SYNC_MAX rows, else queues a job and sends the browser to its page (progress bar,
then the link). A search list's terms (a NIK, a name) never come in the URL: the buttons carry the
search page's session key (`?s=<key>`, core.search_terms) and the terms are read from the session;
such terms in the URL itself are ignored.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from slrt.accounts.scoping import region_safe
from slrt.audit.services import record
from slrt.core.http import is_htmx
from slrt.core.search_terms import recall

from . import selectors, services
from .conf import limit
from .models import ExportFormat

CONTENT_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def web_params(request, entry) -> QueryDict:
    """The list's filters as its page has them (core.search_terms.Search): a search page's kept
    terms from the session under `?s=<key>`, then the URL's filters over them; a search term itself
    (`entry.session_fields`) only ever from the session."""
    params = QueryDict(mutable=True)
    kept = recall(request) if entry.session_fields else None
    for key in (kept or {}).keys():
        params.setlist(key, kept.getlist(key))
    for key in request.GET.keys():
        if key not in entry.session_fields:
            params.setlist(key, request.GET.getlist(key))
    return params


def _refused(request, exc, status=422):
    return render(request, "exports/refused.html", {"message": exc.message, "field": exc.field}, status=status)


def file_response(p, user, total: int):
    name = services.file_name(p)
    if p.fmt == ExportFormat.CSV:
        response = StreamingHttpResponse(services.csv_stream(p, user), content_type=CONTENT_TYPES[p.fmt])
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["X-Export-Rows"] = str(total)
        return response
    response = FileResponse(services.xlsx_file(p, user), as_attachment=True, filename=name,
                            content_type=CONTENT_TYPES[p.fmt])
    response["X-Export-Rows"] = str(total)
    return response


@region_safe  # rows come from each list's own selector (Model.objects.for_user); jobs are the requester's
@login_required
@require_GET
def export(request, name):
    user = request.user
    entry = services.entry_for(user, name)  # 404 unknown, 403 for a role the list refuses
    try:
        p = services.prepare(user, entry.name, web_params(request, entry), request.GET.get("format", ""))
        total = services.count_rows(p, user)
        if total > limit("SLRT_EXPORT_SYNC_MAX"):
            job = services.start_job(user, p, total)
            return redirect("exports:job", pk=job.pk)
    except services.ExportError as exc:
        return _refused(request, exc)
    return file_response(p, user, total)


@region_safe  # the requester's own jobs only
@login_required
@require_GET
def job_list(request):
    return render(request, "exports/job_list.html", {"jobs": selectors.jobs_for(request.user)})


def _job_context(job):
    return {"job": job, "downloadable": selectors.downloadable(job)}


@region_safe  # job_for: another user's job is 404
@login_required
@require_GET
def job_detail(request, pk):
    job = selectors.job_for(request.user, pk)
    return render(request, "exports/job_detail.html", _job_context(job))


@region_safe  # job_for: another user's job is 404
@login_required
@require_GET
def job_status(request, pk):
    """The progress fragment the job page polls until the job has finished."""
    job = selectors.job_for(request.user, pk)
    if not is_htmx(request):
        return redirect("exports:job", pk=job.pk)
    return render(request, "exports/_job_status.html", _job_context(job))


@region_safe  # job_for: another user's job is 404
@login_required
@require_GET
def job_download(request, pk):
    job = selectors.job_for(request.user, pk)
    if not selectors.downloadable(job):
        raise Http404
    if not job.requested_by.is_active:
        raise PermissionDenied
    record(request.user, "export.download", job, detail={"list": job.list_name, "rows": job.rows_done})
    name = job.file.name.rsplit("/", 1)[-1].split("-", 1)[-1]
    return FileResponse(job.file.open("rb"), as_attachment=True, filename=name,
                        content_type=CONTENT_TYPES.get(job.format, "application/octet-stream"))
