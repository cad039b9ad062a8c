"""Web pages of programmes, rules, agencies, assessment and targeting. Thin: forms check input,
selectors read (scoped), services write (validated, audited)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from slrt.accounts.scoping import region_safe
from slrt.audit.services import record
from slrt.core.http import capability_required
from slrt.wilayah.forms import RegionInput
from slrt.wilayah.names import resolve_region

from . import forms as f
from . import hooks
from .models import AgencyKind, Sector, TargetingStatus
from .rules import OPS
from .selectors import assessment as assessment_selectors
from .selectors import catalogue as catalogue_selectors
from .selectors import targeting as targeting_selectors
from .services import catalogue as catalogue_services
from .services import export as export_services
from .services import targeting as targeting_services

ERRORS_PAGE = 100


# --- catalogue and rules (reference data, no personal data) ----------------------------------


@region_safe  # the catalogue is reference data, the same for every region
@login_required
@capability_required("view_cases")
@require_GET
def program_list(request):
    programs = catalogue_selectors.list_programs(active_only=False)
    for p in programs:
        rule = catalogue_selectors.current_rule(p)
        p.rule = rule
        p.requirements = f.rules_describe(rule.criteria) if rule else []
    return render(request, "programs/program_list.html", {"programs": programs})


@region_safe  # reference data
@login_required
@capability_required("view_cases")
@require_GET
def program_detail(request, code):
    program = catalogue_selectors.get_program(code)
    history = catalogue_selectors.rule_history(program)
    for rule in history:
        rule.requirements = f.rules_describe(rule.criteria)
    return render(
        request,
        "programs/program_detail.html",
        {
            "program": program,
            "history": history,
            "may_edit": catalogue_services.may_edit_rule(request.user, program),
            # What apps above programmes show of it, in the viewer's scope (cases: the approvals
            # against the matching).
            "sections": hooks.program_page(request.user, program),
        },
    )


def _editor(request, program, rows, meta, errors=(), status=200):
    return render(
        request,
        "programs/rule_edit.html",
        {
            "program": program,
            "rows": rows,
            "meta": meta,
            "errors": errors,
            "vocabulary": f.vocabulary(),
            "ops": list(OPS.items()),
        },
        status=status,
    )


@region_safe  # reference data
@login_required
@capability_required("edit_rules")
@require_http_methods(["GET", "POST"])
def rule_edit(request, code):
    program = catalogue_selectors.get_program(code)
    # The catalogue is visible to all staff, so a programme outside the editor's reach is 403
    # (not 404); save_rule checks the same rule again.
    if not catalogue_services.may_edit_rule(request.user, program):
        raise PermissionDenied(_("Anda tidak boleh mengubah aturan program ini."))
    current = catalogue_selectors.current_rule(program)
    if request.method == "GET":
        meta = f.RuleMetaForm(initial={"version": current.version if current else 0})
        rows = f.rows_from_criteria(current.criteria if current else []) or [{"field": "", "op": "", "text": ""}]
        return _editor(request, program, rows, meta)
    rows = f.rows_from_post(request.POST)
    meta = f.RuleMetaForm(request.POST)
    if not meta.is_valid():
        return _editor(request, program, rows, meta, status=400)
    try:
        rule = catalogue_services.save_rule(
            request.user,
            program,
            f.criteria_from_rows(rows),
            note=meta.cleaned_data["note"],
            based_on=meta.cleaned_data["version"] or None,
        )
    except ValidationError as exc:
        conflict = "version" in exc.message_dict
        errors = [m for messages_ in exc.message_dict.values() for m in messages_]
        # Mark the control at fault in its row; the list above keeps every message.
        for n, error in enumerate(exc.error_dict.get("criteria", []) if hasattr(exc, "error_dict") else []):
            part, _sep, number = (error.code or "").partition(":")
            if number.isdigit() and 0 < int(number) <= len(rows):
                rows[int(number) - 1].update(fault=part, error=exc.message_dict["criteria"][n],
                                             error_id=f"rule-row-{number}-error")
        # What the user typed is shown again in both cases; a conflict answers 409.
        return _editor(request, program, rows, meta, errors=errors, status=409 if conflict else 400)
    messages.success(request, _("Aturan %(p)s disimpan sebagai versi %(v)s.") % {"p": program.label, "v": rule.version})
    return redirect("programs:detail", code=program.code)


@region_safe  # an empty editor row; reads nothing
@login_required
@capability_required("edit_rules")
@require_GET
def rule_row(request):
    return render(
        request,
        "programs/_rule_row.html",
        {"row": {"field": "", "op": "", "text": ""}, "vocabulary": f.vocabulary(), "ops": list(OPS.items())},
    )


# --- agencies ------------------------------------------------------------------------------


@region_safe  # the directory is reference data for every staff user
@login_required
@capability_required("view_cases")
@require_GET
def agency_list(request):
    typed = request.GET.get("wilayah", "").strip()[:200]
    region, region_error = "", ""
    if typed:
        # A typed name or a code, like every region filter (the directory itself is not scoped).
        try:
            region = resolve_region(request.user, typed).code
        except ValidationError as exc:
            region_error = exc.messages[0]
    kind = request.GET.get("jenis", "")
    agencies = catalogue_selectors.list_agencies(
        region=region or None, kind=kind if kind in AgencyKind.values else None, q=request.GET.get("q", "")[:80] or None
    )
    return render(
        request,
        "programs/agency_list.html",
        {
            "agencies": agencies,
            "kinds": AgencyKind.choices,
            "region_box": RegionInput().render("wilayah", typed, {"id": "f-w"}),
            "region_error": region_error,
            "kind": kind,
            "q": request.GET.get("q", ""),
            "may_manage": catalogue_services.may_manage_agencies(request.user),
        },
    )


@region_safe  # reference data
@login_required
@capability_required("view_cases")
@require_GET
def agency_detail(request, pk):
    agency = catalogue_selectors.get_agency(pk)
    return render(
        request,
        "programs/agency_detail.html",
        {
            "agency": agency,
            # Admin of a region containing the agency's, or the Manajer of its kab/kota.
            "may_manage": catalogue_services.may_manage_agency(request.user, agency),
            "sectors": Sector.choices,
        },
    )


@region_safe  # reference data
@login_required
@capability_required("manage_agencies")
@require_http_methods(["GET", "POST"])
def agency_edit(request, pk=None):
    agency = catalogue_selectors.get_agency(pk) if pk else None
    # The directory is visible to all staff: an agency outside the manager's reach is 403, not 404.
    if agency is not None and not catalogue_services.may_manage_agency(request.user, agency):
        raise PermissionDenied(_("Lembaga ini di luar wilayah Anda; Admin wilayahnya yang mengubahnya."))
    form = f.AgencyForm(request.POST or None, instance=agency)
    if request.method == "POST" and form.is_valid():
        try:
            agency = catalogue_services.save_agency(request.user, form.cleaned_data, agency)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Lembaga disimpan."))
            return redirect("programs:agency", pk=agency.pk)
    return render(
        request, "programs/agency_form.html", {"form": form, "agency": agency}, status=400 if form.errors else 200
    )


@region_safe  # reference data
@login_required
@capability_required("manage_agencies")
@require_http_methods(["GET", "POST"])
def service_edit(request, pk, service_pk=None):
    agency = catalogue_selectors.get_agency(pk)
    if not catalogue_services.may_manage_agency(request.user, agency):
        raise PermissionDenied(_("Lembaga ini di luar wilayah Anda; Admin wilayahnya yang mengubahnya."))
    service = None
    if service_pk:
        service = next((s for s in agency.services.all() if s.pk == service_pk), None)
        if service is None:
            raise Http404
    form = f.AgencyServiceForm(request.POST or None, instance=service)
    if request.method == "POST" and form.is_valid():
        try:
            catalogue_services.save_service(request.user, agency, form.cleaned_data, service)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Layanan disimpan."))
            return redirect("programs:agency", pk=agency.pk)
    return render(
        request,
        "programs/service_form.html",
        {"form": form, "agency": agency, "service": service},
        status=400 if form.errors else 200,
    )


# --- assessment ------------------------------------------------------------------------------


@region_safe  # assess_household reads the household through for_user; outside scope is 404
@login_required
@capability_required("assess_case")
@require_GET
def household_assessment(request, pk):
    result = assessment_selectors.assess_household(request.user, pk)
    record(request.user, "household.assess", result.household)
    return render(request, "programs/household_assessment.html", {"assessment": result, "household": result.household})


# --- targeting -------------------------------------------------------------------------------


@region_safe  # runs are listed through targeting selectors, limited to the user's scope
@login_required
@capability_required("run_targeting")
@require_http_methods(["GET", "POST"])
def targeting_list(request):
    initial = {"region": request.user.region_id if len(request.user.region_id or "") == 5 else ""}
    form = f.TargetingStartForm(request.POST or None, initial=initial, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            run = targeting_services.start_targeting(request.user, form.cleaned_data["region"].strip())
        except ValidationError as exc:
            for field, errs in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errs)
        except PermissionDenied:
            raise
        else:
            # A long job: the queue runs it; its page shows the status until the results are in.
            messages.success(request, _("Penargetan masuk antrean; halaman ini menampilkan hasilnya setelah selesai."))
            return redirect("programs:run", pk=run.pk)
    return render(
        request,
        "programs/targeting_list.html",
        {
            "form": form,
            "runs": targeting_selectors.list_runs(request.user),
        },
        status=400 if form.errors else 200,
    )


@region_safe  # get_run: 404 outside the user's scope; households read through for_user
@login_required
@capability_required("run_targeting")
@require_GET
def targeting_detail(request, pk):
    run = targeting_selectors.get_run(request.user, pk)
    if run.status != TargetingStatus.DONE:
        return render(request, "programs/targeting_detail.html", {"run": run})
    filters = f.ErrorFilterForm(request.GET or None, user=request.user)
    filters.is_valid()  # the form shows its own errors; the list ignores filters that are wrong
    try:
        chosen = targeting_selectors.targeting_error_filters_from(request.GET, request.user, run)
    except ValidationError:
        chosen = targeting_selectors.ErrorFilters(run=run)
    program, kind, desa = chosen.program, chosen.kind, chosen.desa
    try:
        page = max(1, min(int(request.GET.get("hal", "1")), 10_000))
    except ValueError:
        page = 1
    # The list shows KK numbers: the access log says which run and page, nothing personal.
    record(request.user, "targeting.view", run, region_code=run.region_id, detail={"page": page})
    rows = list(
        targeting_selectors.error_rows(
            request.user,
            run,
            program=program,
            kind=kind,
            desa=desa,
            offset=(page - 1) * ERRORS_PAGE,
            limit=ERRORS_PAGE + 1,
        )
    )
    return render(
        request,
        "programs/targeting_detail.html",
        {
            "run": run,
            "programs": targeting_selectors.run_programs(run),
            "filters": filters,
            "by_desa": targeting_selectors.errors_by_desa(run, program=program, kind=kind),
            "rows": rows[:ERRORS_PAGE],
            "has_more": len(rows) > ERRORS_PAGE,
            "page": page,
            "program": program or "",
            "kind": kind or "",
            "desa": desa or "",
        },
    )


@region_safe  # get_run: 404 outside the user's scope; the fragment holds the status only
@login_required
@capability_required("run_targeting")
@require_GET
def targeting_status(request, pk):
    """The status fragment the page of a queued or running run polls."""
    run = targeting_selectors.get_run(request.user, pk)
    response = render(request, "programs/_targeting_status.html", {"run": run})
    if run.status == TargetingStatus.DONE:
        response["HX-Refresh"] = "true"  # the page reloads once, with the results
    return response


@region_safe  # get_run: 404 outside scope; KK masked by role in the selector
@login_required
@capability_required("run_targeting")
@require_GET
def targeting_export(request, pk):
    run = targeting_selectors.get_run(request.user, pk)
    if run.status != TargetingStatus.DONE:
        raise Http404
    out = export_services.export_run(request.user, run)
    return FileResponse(
        out,
        as_attachment=True,
        filename=f"penargetan-{run.region_id}-{run.pk}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
