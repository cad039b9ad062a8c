"""Web pages of registry proposals (/usulan/): list, detail with actions, create, village meetings,
monthly batches with their downloads, and the reconciliation report per village.

Thin by design: reads go through `selectors` (for_user; outside the scope is 404), writes through
`services`. A refused or stale action re-renders the page with the reason and what was typed.
"""

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from slrt.accounts.roles import can
from slrt.accounts.scoping import region_safe
from slrt.audit.services import record
from slrt.cases.forms import apply_errors
from slrt.core.exceptions import DeskError, FourEyes
from slrt.core.http import capability_required, parse_pk
from slrt.core.locking import ConflictError
from slrt.core.search_terms import Search
from slrt.registry.models import Household, Person
from slrt.registry.nik import mask_nik
from slrt.wilayah.names import region_labels as region_names  # "Desa X, Kec. Y", one query per page

from . import export, selectors, services
from .models import ProposalKind, ProposalOrigin, ProposalStatus
from .rows import ROW_COLUMNS
from .webforms import COLUMN_LABELS, BatchForm, MeetingForm, ProposalEditForm, ProposalFilterForm, ProposalForm
from .workflow import EDITABLE, FIELD_LABELS, TRANSITIONS

PAGE_SIZE = 25
log = logging.getLogger(__name__)


PROPOSAL_SEARCH_FIELDS = ("q", "status", "kind", "desa", "batch", "release", "created_from", "created_to",
                          "accepted_from", "accepted_to")


@region_safe  # proposals_for reads through Proposal.objects.for_user
@login_required
@capability_required("view_registry")
@require_http_methods(["GET", "POST"])
def proposal_list(request):
    # The text box may hold a NIK or a name: posted and kept under a session key
    # (slrt.core.search_terms); status, kind, region and batch may stay in the URL.
    found = Search(request, PROPOSAL_SEARCH_FIELDS, reverse("updates:list"), get_fields=PROPOSAL_SEARCH_FIELDS[1:])
    if found.redirect:
        return found.redirect
    user = request.user
    form = ProposalFilterForm(found.data, user=user, releases=selectors.release_choices())
    try:
        f = selectors.proposal_filters_from(found.data or {}, user)
    except ValueError as exc:
        form.is_valid()  # the field errors show beside the fields; nothing is listed
        page = Paginator(selectors.proposals_for(user).none(), PAGE_SIZE).get_page(1)
        return render(request, "updates/proposal_list.html", {
            "form": form, "page": page, "status_rows": [], "desa_names": {}, "filter_error": str(exc),
        }, status=400)
    filters = f.as_kwargs()
    page = Paginator(selectors.list_proposals(user, f), PAGE_SIZE).get_page(request.GET.get("hal"))
    selectors.audit_shown(user, page, total=page.paginator.count, searched=bool(f.q))
    counts = selectors.status_counts(user, **filters)
    status_rows = [(value, label, counts[value]) for value, label in ProposalStatus.choices]
    return render(request, "updates/proposal_list.html", {
        "form": form, "page": page, "status_rows": status_rows,
        "desa_names": region_names(p.desa_code for p in page), "batch": f.batch,
    })


def _detail_context(request, proposal, *, typed=None, errors=None, message=""):
    user = request.user
    return {
        "proposal": proposal,
        "rows": selectors.compare_rows(proposal),
        "members": (proposal.data or {}).get("anggota", []),
        "actions": [(name, TRANSITIONS[name]) for name in selectors.actions_for(user, proposal)],
        "own_draft": proposal.created_by_id == user.pk,
        "transitions": proposal.transitions.select_related("actor"),
        "typed": typed or {},
        "errors": errors or {},
        "message": message,
        "field_labels": FIELD_LABELS,
        "column_labels": COLUMN_LABELS,
        "desa_names": region_names([proposal.desa_code]),
        "editable": proposal.status in EDITABLE,
    }


@region_safe  # get_proposal reads through for_user; outside the scope is 404
@login_required
@capability_required("view_registry")
@require_GET
def proposal_detail(request, pk):
    proposal = selectors.get_proposal(request.user, pk)  # audits the read
    return render(request, "updates/proposal_detail.html", _detail_context(request, proposal))


@region_safe  # get_proposal reads through for_user; the service checks the scope again under lock
@login_required
@capability_required("view_registry")
@require_POST
def proposal_transition(request, pk):
    proposal = selectors.get_proposal(request.user, pk, audit=False)
    action = request.POST.get("action", "")
    typed = {"action": action, "reason": request.POST.get("reason", "")}
    try:
        services.transition(request.user, proposal, action, request.POST.get("version"), reason=typed["reason"])
    except ConflictError as exc:
        fresh = selectors.get_proposal(request.user, pk, audit=False)
        return render(request, "updates/proposal_detail.html",
                      _detail_context(request, fresh, typed=typed, message=exc.message), status=409)
    except ValidationError as exc:
        return render(request, "updates/proposal_detail.html",
                      _detail_context(request, proposal, typed=typed, errors=exc.message_dict), status=422)
    except DeskError as exc:
        if exc.status == 403 and not isinstance(exc, FourEyes):
            raise PermissionDenied(exc.message)
        fresh = selectors.get_proposal(request.user, pk, audit=False)
        return render(request, "updates/proposal_detail.html",
                      _detail_context(request, fresh, typed=typed, message=exc.message), status=exc.status)
    target = TRANSITIONS[action].target
    messages.success(request, _("Usulan #%(id)s (%(kind)s) kini berstatus “%(status)s”.") % {
        "id": pk, "kind": proposal.get_kind_display(),
        "status": ProposalStatus(target).label if target in ProposalStatus.values else target,
    })
    return redirect(reverse("updates:detail", args=[pk]))


def _prefill(request):
    """Initial values from a registry household or person page (?kk=<id> / ?orang=<id>), scoped."""
    initial = {}
    person = household = None
    if pk := parse_pk(request.GET.get("orang")):
        person = Person.objects.for_user(request.user).select_related("household").filter(pk=pk).first()
        if person is not None:
            household = person.household
            initial.update(kind=ProposalKind.CHANGE, col_nik=person.nik)
    if pk := parse_pk(request.GET.get("kk")):
        household = Household.objects.for_user(request.user).filter(pk=pk).first()
        if household is not None:
            initial.update(kind=request.GET.get("jenis") or ProposalKind.ADD_MEMBER, col_nomor_kk=household.nomor_kk)
    if household is not None:
        initial["col_kode_wilayah"] = household.desa_code
    return initial


# The service names exchange columns ("nik"); the form holds them as "col_nik".
_COLUMN_FIELDS = {c: f"col_{c}" for c in ROW_COLUMNS}


@region_safe  # prefill reads through for_user; the service checks scope of everything it touches
@login_required
@capability_required("draft_proposal")
@require_http_methods(["GET", "POST"])
def proposal_create(request):
    message, errors = "", {}
    if request.method == "POST":
        form = ProposalForm(request.POST)
        if form.is_valid():
            cd = form.cleaned_data
            try:
                proposal = services.draft_proposal(
                    request.user, kind=cd["kind"], data=form.data_dict(), origin=ProposalOrigin.MANUAL,
                    reason=cd["reason"], removal_reason=cd["removal_reason"],
                )
            except ValidationError as exc:
                errors = exc.message_dict
                apply_errors(form, exc, _COLUMN_FIELDS)  # each message beside the column at fault
            except DeskError as exc:
                message = exc.message
            else:
                messages.success(request, _("Usulan #%(id)s dibuat sebagai draf.") % {"id": proposal.pk})
                return redirect(reverse("updates:detail", args=[proposal.pk]))
    else:
        form = ProposalForm(initial=_prefill(request))
    status = 422 if errors else (409 if message else 200)
    return render(request, "updates/proposal_form.html",
                  {"form": form, "errors": errors, "message": message}, status=status)


@region_safe  # get_proposal reads through for_user; the service checks scope again under lock
@login_required
@capability_required("draft_proposal")
@require_http_methods(["GET", "POST"])
def proposal_edit(request, pk):
    """Edit the data of a proposal still at home (draf, terverifikasi). A stale version comes back
    with what was typed, the conflict message and the current version, so a deliberate second
    submit (after looking at the newer data) goes through."""
    proposal = selectors.get_proposal(request.user, pk)  # the form shows the person's data: audited
    message, errors, status = "", {}, 200
    if request.method == "POST":
        form = ProposalEditForm(request.POST)
        status = 422
        if form.is_valid():
            cd = form.cleaned_data
            try:
                services.update_data(request.user, proposal, cd["version"], data=form.data_dict(proposal.data),
                                     reason=cd["reason"])
            except ConflictError as exc:
                status, message = 409, exc.message
                proposal = selectors.get_proposal(request.user, pk, audit=False)
                data = form.data.copy()
                data["version"] = str(proposal.version)
                form.data = data
            except ValidationError as exc:
                errors = exc.message_dict
                apply_errors(form, exc, _COLUMN_FIELDS)
            except DeskError as exc:
                if exc.status == 403:
                    raise PermissionDenied(exc.message)
                status, message = exc.status, exc.message
            else:
                messages.success(request, _("Data usulan #%(id)s disimpan.") % {"id": pk})
                return redirect(reverse("updates:detail", args=[pk]))
    elif proposal.status not in EDITABLE:
        status = 409
        message = _("Usulan berstatus %(status)s; datanya tidak dapat diubah lagi.") % {
            "status": proposal.get_status_display()}
        form = ProposalEditForm(initial=ProposalEditForm.initial_for(proposal))
    else:
        form = ProposalEditForm(initial=ProposalEditForm.initial_for(proposal))
    return render(request, "updates/proposal_edit.html",
                  {"form": form, "proposal": proposal, "errors": errors, "message": message,
                   "conflict": status == 409 and request.method == "POST", "editable": proposal.status in EDITABLE},
                  status=status)


def _choice_label(user, p) -> str:
    data = p.data or {}
    who = data.get("nama") or (p.person.nama if p.person_id else "")
    number = data.get("nik") or data.get("nomor_kk") or ""
    if number and not can(user, "see_full_nik"):
        number = mask_nik(number)
    return f"#{p.pk} {p.get_kind_display()} — {who} {number}".strip()


@region_safe  # desa choices and proposals are read through for_user
@login_required
@capability_required("record_meeting")
@require_http_methods(["GET", "POST"])
def meeting_create(request):
    user = request.user
    desa = request.POST.get("desa_code") or request.GET.get("desa") or ""
    proposals = list(selectors.checked_in_desa(user, desa)) if desa else []
    choices = [(str(p.pk), _choice_label(user, p)) for p in proposals]
    kwargs = {"desa_choices": selectors.desa_choices(user), "proposal_choices": choices}
    errors, message = {}, ""
    if request.method == "POST":
        form = MeetingForm(request.POST, request.FILES, **kwargs)
        if form.is_valid():
            cd = form.cleaned_data
            try:
                meeting = services.record_meeting(
                    user, desa_code=cd["desa_code"], kind=cd["kind"], held_on=cd["held_on"],
                    attendance=cd["attendance"], minutes=cd["minutes"], notes=cd["notes"],
                    proposals=[int(x) for x in cd["proposals"]],
                )
            except ValidationError as exc:
                errors = exc.message_dict
                apply_errors(form, exc)
            except DeskError as exc:
                message = exc.message
            else:
                messages.success(request, _("Musyawarah dicatat; %(n)d usulan disepakati.")
                                 % {"n": meeting.proposals.count()})
                return redirect(reverse("updates:meeting", args=[meeting.pk]))
    else:
        form = MeetingForm(initial={"desa_code": desa, "proposals": [c for c, _label in choices]}, **kwargs)
    return render(request, "updates/meeting_form.html",
                  {"form": form, "errors": errors, "message": message, "desa": desa},
                  status=422 if errors or form.errors else (409 if message else 200))


@region_safe  # get_meeting reads through VillageMeeting.objects.for_user
@login_required
@capability_required("view_registry")
@require_GET
def meeting_detail(request, pk):
    meeting = selectors.get_meeting(request.user, pk)
    proposals = selectors.proposals_for(request.user).filter(meeting=meeting)
    return render(request, "updates/meeting_detail.html", {
        "meeting": meeting, "proposals": proposals, "desa_names": region_names([meeting.desa_code]),
    })


@region_safe  # get_meeting reads through VillageMeeting.objects.for_user; another region's minutes are 404
@login_required
@capability_required("view_registry")
@require_GET
def meeting_minutes(request, pk):
    meeting = selectors.get_meeting(request.user, pk)
    try:
        handle = meeting.minutes.open("rb")
    except (FileNotFoundError, ValueError):
        # The record is there but its file is gone (restored database, cleaned disk): absent.
        log.warning("meeting id=%s: minutes file missing", meeting.pk)
        raise Http404 from None
    record(request.user, "meeting.minutes_download", meeting)
    return FileResponse(handle, as_attachment=True,
                        filename=meeting.minutes_name or meeting.minutes.name.rsplit("/", 1)[-1])


@region_safe  # batches_for limits batches to the user's kabupaten/kota (or province/nation)
@login_required
@capability_required("export_proposals")
@require_http_methods(["GET", "POST"])
def batch_list(request):
    user = request.user
    kabs = selectors.kab_choices(user)
    errors = {}
    if request.method == "POST":
        form = BatchForm(request.POST, kab_choices=kabs)
        if form.is_valid():
            try:
                batch = services.create_batch(user, kab_code=form.cleaned_data["kab_code"],
                                              period=form.cleaned_data["period"])
            except ValidationError as exc:
                # The message beside its field (kab_code, period); the rest stays in the summary.
                errors = {k: v for k, v in exc.message_dict.items() if k not in form.fields}
                apply_errors(form, ValidationError({k: v for k, v in exc.message_dict.items() if k in form.fields}))
            except DeskError as exc:
                errors = {"__all__": [exc.message]}
            else:
                messages.success(request, _("Berkas usulan %(period)s dibuat: %(n)d baris.")
                                 % {"period": batch.period, "n": batch.row_count})
                return redirect(reverse("updates:batches"))
    else:
        form = BatchForm(initial={"period": services.current_period(), "kab_code": kabs[0][0] if kabs else ""},
                         kab_choices=kabs)
    approved = selectors.proposals_for(user, status=ProposalStatus.APPROVED).count()
    return render(request, "updates/batch_list.html",
                  {"form": form, "errors": errors, "batches": selectors.batches_for(user), "approved": approved},
                  status=422 if errors or form.errors else 200)


DOWNLOADS = {
    "csv": ("text/csv; charset=utf-8", "usulan-{kab}-{period}.csv", export.exchange_csv),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "usulan-{kab}-{period}.xlsx",
             export.exchange_xlsx),
    "siks": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             "usulan-siksng-{kab}-{period}.xlsx", export.siks_xlsx),
}


@region_safe  # get_batch limits batches to the user's kabupaten/kota
@login_required
@capability_required("export_proposals")
@require_GET
def batch_download(request, pk, fmt):
    batch = selectors.get_batch(request.user, pk)
    if fmt not in DOWNLOADS:
        raise PermissionDenied
    content_type, name, build = DOWNLOADS[fmt]
    record(request.user, "proposal_batch.download", batch, region_code=batch.region_id, detail={"format": fmt})
    response = HttpResponse(build(batch), content_type=content_type)
    filename = name.format(kab=batch.region_id.replace(".", ""), period=batch.period)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@region_safe  # get_batch limits batches to the user's kabupaten/kota
@login_required
@capability_required("export_proposals")
@require_POST
def batch_submit(request, pk):
    batch = selectors.get_batch(request.user, pk)
    try:
        services.submit_batch(request.user, batch, note=request.POST.get("note", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(m for ms in exc.message_dict.values() for m in ms))
    except DeskError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Berkas usulan %(period)s ditandai sudah diajukan.") % {"period": batch.period})
    return redirect(reverse("updates:batches"))


@region_safe  # reconciliations_for keeps those overlapping the user's scope; village rows are filtered
@login_required
@capability_required("view_registry")
@require_GET
def reconciliation_list(request):
    recons = list(selectors.reconciliations_for(request.user)[:50])
    # The stored totals span the whole import; the list shows the villages in the user's scope only.
    rows = [(r, selectors.scoped_totals(request.user, r)) for r in recons]
    return render(request, "updates/reconciliation_list.html", {"recons": rows})


@region_safe  # get_reconciliation is scoped; village_rows keeps only villages in the user's scope
@login_required
@capability_required("view_registry")
@require_GET
def reconciliation_detail(request, pk):
    recon = selectors.get_reconciliation(request.user, pk)
    rows = selectors.village_rows(request.user, recon)
    totals = selectors.scoped_totals(request.user, recon, rows)
    return render(request, "updates/reconciliation_detail.html",
                  {"recon": recon, "rows": rows, "totals": totals,
                   "can_list": can(request.user, "view_registry")})
