"""Web pages of the registry: search, person, household profile, imports, duplicate review.

Thin by design: each view checks the request (forms), asks a selector or a service, renders.
Region scope lives in the selectors (`for_user`); capability checks here say which roles may
open a page at all (403 otherwise), and out-of-scope records are 404 like missing ones.
"""

from itertools import islice

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from slrt.accounts.roles import can
from slrt.accounts.scoping import region_safe
from slrt.audit.services import record, record_shown, shown_ids
from slrt.core.http import capability_required, is_htmx, reads_own_body
from slrt.core.search_terms import Search
from slrt.wilayah.selectors import get_region

from . import dedup, tables
from .forms import ImportUploadForm, MergeForm, SearchForm
from .models import CandidateStatus
from .selectors import dedup as dedup_selectors
from .selectors import imports as import_selectors
from .selectors.people import get_person, household_profile, search_page
from .services import dedup as dedup_services
from .services import imports as import_services

PAGE_SIZE = 25
ERROR_PREVIEW = 20  # rows of the error report shown on the job page; the rest is in the CSV


def _page(request) -> int:
    try:
        return max(1, min(int(request.GET.get("hal", "1")), 400))
    except ValueError:
        return 1


# --- search ----------------------------------------------------------------------------------


SEARCH_FIELDS = ("q", "region", "birth_year")  # the first one is the text a search needs


@region_safe  # search_people reads through Person.objects.for_user
@login_required
@require_http_methods(["GET", "POST"])
def search(request):
    """One box for NIK, KK number or name; live results through HTMX, full page otherwise.

    The terms are posted and kept in the session under a key (slrt.core.search_terms): the page's
    address, its paging links and the access log carry `?s=<key>`, never a NIK or a name.
    Open to every signed-in user so that the answer never tells a role without registry access
    more than "nothing found"; such a user sees a notice and no results.
    """
    found = Search(request, SEARCH_FIELDS, reverse("registry:search"), results_target="results")
    if found.redirect:
        return found.redirect
    form = SearchForm(found.data, user=request.user)
    page = found.page
    people, searched, has_more = [], False, False
    if form.is_bound and form.is_valid() and form.has_query and can(request.user, "view_registry"):
        c = form.cleaned_data
        region = c["region"].code if c["region"] else None
        people, has_more, by = search_page(request.user, c, page=page, page_size=PAGE_SIZE)
        searched = True
        # The access log says how the search was made and whom it showed (ids), never the terms.
        record_shown(request.user, "person.search", count=len(people), region_code=region or "",
                     detail={"by": by}, people=shown_ids(people), households=shown_ids(people, "household_id"))
    context = {
        "form": form,
        "rows": tables.person_rows(request.user, people),
        "searched": searched,
        "page": page,
        "has_more": has_more,
        "may_search": can(request.user, "view_registry"),
        "search_key": found.key,
    }
    if is_htmx(request) and request.headers.get("HX-Target") == "results":
        return found.finish(render(request, "registry/_search_results.html", context))
    return found.finish(render(request, "registry/search.html", context))


@region_safe  # regions are public reference data
@login_required
@require_GET
def region_options(request):
    """The region cascade of the search form, re-rendered below the level the user changed."""
    parent = get_region(request.GET.get("parent", ""))
    if parent is None or not tables.region_visible(request.user, parent.code):
        raise Http404
    chosen = None
    codes = [c for c in request.GET.getlist("region") if tables.is_under(c, parent)]
    if codes:
        chosen = get_region(max(codes, key=len))
    levels = tables.region_levels(request.user, chosen, start=parent)
    return render(request, "registry/_region_select.html", {"region_levels": levels})


# --- person and household ----------------------------------------------------------------------


@region_safe  # get_person reads through Person.objects.for_user; outside scope is 404
@login_required
@require_GET
def person_detail(request, pk):
    person = get_person(request.user, pk)
    return render(request, "registry/person_detail.html", tables.person_context(request.user, person))


@region_safe  # household_profile reads through for_user; outside scope is 404
@login_required
@require_GET
def household_detail(request, pk):
    profile = household_profile(request.user, pk)
    return render(request, "registry/household_detail.html", tables.household_context(request.user, profile))


# --- imports -----------------------------------------------------------------------------------


@region_safe  # import jobs hold counts, not personal data; the list is scoped by the selector
@login_required
@capability_required("view_imports")
@require_http_methods(["GET", "POST"])
@reads_own_body  # an upload is refused before its body is read (size, busy server); the form refuses NUL
@csrf_exempt  # the CSRF check runs in _import_list, once the upload limit is in place
def import_list(request):
    refusal = None
    if request.method == "POST" and can(request.user, "import_registry"):
        refusal = import_services.upload_refusal(request)
        if not refusal:
            # Counts the file's bytes as they arrive and stops the upload past the limit, even
            # when the client sent no Content-Length.
            request.upload_handlers.insert(0, import_services.UploadLimit(request))
    return _import_list(request, refusal)


@csrf_protect
def _import_list(request, refusal):
    can_import = can(request.user, "import_registry")
    if request.method == "POST" and not can_import:
        raise PermissionDenied
    form = ImportUploadForm() if can_import else None
    if request.method == "POST" and not refusal:
        refusal = import_services.upload_refusal(request, after_upload=True)
    if request.method == "POST" and not refusal:
        form = ImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            path = import_services.store_upload(upload)
            try:
                job = import_services.create_import_job(
                    path=str(path), original_name=upload.name[:255], source=form.cleaned_data["source"],
                    period=form.cleaned_data["period"] or None, actor=request.user,
                )
            except ValidationError as exc:
                path.unlink(missing_ok=True)
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                import_services.enqueue_import(job)
                messages.success(request, _("Berkas diterima; impor masuk antrean dan berjalan sebentar lagi."))
                return redirect("registry:import_detail", pk=job.pk)
    jobs = import_selectors.jobs_for_user(request.user)[:50]
    context = {"form": form, "jobs": jobs, "refusal": refusal, "limits": import_services.upload_limits()}
    response = render(request, "registry/import_list.html", context, status=refusal.status if refusal else 200)
    if refusal and refusal.retry_after:
        response["Retry-After"] = str(refusal.retry_after)
    return response


def _job(request, pk):
    job = import_selectors.job_for_user(request.user, pk)
    if job is None:
        raise Http404
    return job


@region_safe  # the job is fetched through the selector's scope
@login_required
@capability_required("view_imports")
@require_GET
def import_detail(request, pk):
    job = _job(request, pk)
    progress = import_selectors.import_progress(job)
    finished = progress["finished"] and job.full_view
    preview = list(islice(import_selectors.error_report_rows(job), ERROR_PREVIEW)) if finished else []
    context = {"job": job, "progress": progress, "error_preview": preview}
    return render(request, "registry/import_detail.html", context)


@region_safe  # the job is fetched through the selector's scope
@login_required
@capability_required("view_imports")
@require_GET
def import_progress(request, pk):
    """The progress fragment that the job page polls every second while the job runs."""
    job = _job(request, pk)
    progress = import_selectors.import_progress(job)
    response = render(request, "registry/_import_progress.html", {"job": job, "progress": progress})
    if progress.get("finished"):
        # Tell the page to reload once, so the summary and the error list appear without polling.
        response["HX-Refresh"] = "true"
    return response


@region_safe  # the job is fetched through the selector's scope; the report holds row numbers and reasons
@login_required
@capability_required("view_imports")
@require_GET
def import_errors(request, pk):
    job = _job(request, pk)
    if not job.full_view:
        raise Http404  # rows of other regions (see selectors.imports.jobs_for_user)
    chunks = import_selectors.error_report_csv_chunks(job)
    response = StreamingHttpResponse(chunks, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="laporan-galat-impor-{job.pk}.csv"'
    record(request.user, "import.error_report", job)
    return response


# --- duplicates --------------------------------------------------------------------------------


@region_safe  # candidates_for_user keeps pairs whose two people both lie in the scope
@login_required
@capability_required("review_duplicates")
@require_GET
def duplicate_list(request):
    status = request.GET.get("status", CandidateStatus.OPEN)
    if status not in CandidateStatus.values:
        status = CandidateStatus.OPEN
    page = _page(request)
    qs = dedup_selectors.candidates_for_user(request.user, status=status)
    start = (page - 1) * PAGE_SIZE
    candidates = list(qs[start : start + PAGE_SIZE + 1])
    context = {
        "rows": tables.candidate_rows(request.user, candidates[:PAGE_SIZE]),
        "status": status,
        "statuses": CandidateStatus.choices,
        "page": page,
        "has_more": len(candidates) > PAGE_SIZE,
        "open_count": dedup_selectors.candidates_for_user(request.user).count(),
    }
    return render(request, "registry/duplicate_list.html", context)


def _merge_form(comparison, data=None):
    fields = [row.field for row in comparison.rows if row.differs and row.choosable]
    form = MergeForm(data, fields=fields)
    if data is None:
        initial = dedup_selectors.default_choices(comparison.person_a, comparison.person_b)
        for name in fields:
            form.fields[f"pick_{name}"].initial = "b" if initial.get(name) == dedup.MERGED else "a"
    return form


@region_safe  # get_candidate is scoped; compare_people audits both reads
@login_required
@capability_required("review_duplicates")
@require_GET
def duplicate_detail(request, pk):
    candidate = dedup_selectors.get_candidate(request.user, pk)
    comparison = dedup_selectors.compare_candidate(request.user, candidate)
    return render(request, "registry/duplicate_detail.html", _duplicate_context(request, candidate, comparison))


def _duplicate_context(request, candidate, comparison, form=None, keep="a"):
    merge = dedup_selectors.latest_merge(candidate)
    return {
        "candidate": candidate,
        "comparison": comparison,
        "rows": tables.comparison_rows(comparison, form or _merge_form(comparison)),
        "form": form or _merge_form(comparison),
        "keep": keep,
        "merge": merge,
        "decisions": dedup_selectors.merge_decisions(request.user, merge) if merge else [],
    }


@region_safe  # the service re-reads both people through the actor's scope
@login_required
@capability_required("review_duplicates")
@require_POST
def duplicate_merge(request, pk):
    candidate = dedup_selectors.get_candidate(request.user, pk)
    comparison = dedup_selectors.compare_candidate(request.user, candidate)
    form = _merge_form(comparison, request.POST)
    keep = request.POST.get("keep", "a")
    if keep not in ("a", "b"):
        keep = "a"
    if form.is_valid():
        survivor, merged = (comparison.person_a, comparison.person_b)
        if keep == "b":
            survivor, merged = merged, survivor
        # A pick names a record (A or B); the service wants the survivor's or the merged one's value.
        choices = {
            name: dedup.SURVIVOR if pick == keep else dedup.MERGED
            for name, pick in form.picks().items()
        }
        try:
            dedup_services.merge_people(
                candidate_or_pair=candidate, survivor=survivor, merged=merged, choices=choices, actor=request.user
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Kedua data telah digabung. Penggabungan dapat dibatalkan dari halaman ini."))
            return redirect("registry:duplicate_detail", pk=candidate.pk)
    context = _duplicate_context(request, candidate, comparison, form=form, keep=keep)
    return render(request, "registry/duplicate_detail.html", context, status=422)


@region_safe  # the service fetches the candidate through the actor's scope
@login_required
@capability_required("review_duplicates")
@require_POST
def duplicate_dismiss(request, pk):
    candidate = dedup_selectors.get_candidate(request.user, pk)
    try:
        dedup_services.dismiss_candidate(candidate=candidate, actor=request.user, reason=request.POST.get("note", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("registry:duplicate_detail", pk=candidate.pk)
    messages.success(request, _("Pasangan ditandai bukan duplikat."))
    return redirect(reverse("registry:duplicates"))


@region_safe  # get_merge and the service are scoped to the actor
@login_required
@capability_required("review_duplicates")
@require_POST
def duplicate_undo(request, pk):
    candidate = dedup_selectors.get_candidate(request.user, pk)
    merge = dedup_selectors.latest_merge(candidate)
    if merge is None:
        messages.error(request, _("Pasangan ini tidak sedang dalam keadaan digabung."))
        return redirect("registry:duplicate_detail", pk=candidate.pk)
    try:
        dedup_services.undo_merge(merge=dedup_selectors.get_merge(request.user, merge.pk), actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Penggabungan dibatalkan; kedua data kembali seperti semula."))
    return redirect("registry:duplicate_detail", pk=candidate.pk)


@region_safe  # get_candidate is scoped
@login_required
@capability_required("review_duplicates")
@require_POST
def duplicate_reopen(request, pk):
    candidate = dedup_selectors.get_candidate(request.user, pk)
    try:
        dedup_services.reopen_candidate(candidate=candidate, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Pasangan dikembalikan ke antrean tinjauan."))
    return redirect("registry:duplicate_detail", pk=candidate.pk)
