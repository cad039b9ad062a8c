"""The monthly reports' pages: a list per region, one report (status while it is made, then its
frozen figures), its downloads, and the button that asks for a new one. Thin: reads through
`monthly.selectors` (scope: 404 outside it), writes through `monthly.services`."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from slrt.accounts.scoping import in_scope, region_safe
from slrt.audit.services import record
from slrt.core.http import capability_required
from slrt.wilayah.models import NATION_CODE

from .figures import resolve_region
from .models import ReportStatus
from .monthly import selectors, services
from .monthly.forms import RequestForm

CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


LIST_LIMIT = 240  # twenty years of months, a few versions each


def _labelled(report):
    report.month_label = services.month_label(report.month)  # "Oktober 2026", not "2026-10"
    return report


def _page(request, region, form, status=200):
    user = request.user
    code = region.code
    parent = code.rsplit(".", 1)[0] if "." in code else (NATION_CODE if code != NATION_CODE else "")
    return render(request, "reports/monthly_list.html", {
        "region": region,
        "region_name": services.region_name(region),
        "reports": [_labelled(r) for r in selectors.reports_of_region(user, region.code)[:LIST_LIMIT]],
        "children": selectors.regions_with_reports(user, region.code),
        "parent": parent if parent and in_scope(user, parent) else "",
        "may_generate": services.may_generate(user, region.code),
        "form": form,
    }, status=status)


@region_safe  # reads monthly reports of regions inside the scope only (selectors); no personal data
@login_required
@capability_required("view_monthly_report")
@require_GET
def report_list(request):
    region = resolve_region(request.user, request.GET.get("wilayah", "")[:20])
    form = RequestForm(initial={"month": services.previous_month(region.code), "region": region.code})
    return _page(request, region, form)


@region_safe  # services.request_report checks the region against the user's scope and role
@login_required
@capability_required("view_monthly_report")
@require_POST
def report_request(request):
    form = RequestForm(request.POST)
    region = resolve_region(request.user, (request.POST.get("region") or "")[:20])
    if form.is_valid():
        try:
            report = services.request_report(request.user, region.code, form.cleaned_data["month"])
        except PermissionDenied:
            raise
        except ValidationError as exc:
            for field, errs in exc.message_dict.items() if hasattr(exc, "error_dict") else [(None, exc.messages)]:
                form.add_error(field if field in form.fields else None, errs)
        else:
            messages.success(request, _("Laporan masuk antrean; halaman ini menampilkan hasilnya setelah selesai."))
            return redirect("monthly_reports:detail", pk=report.pk)
    return _page(request, region, form, status=400)


@region_safe  # get_report: 404 outside the user's scope; the figures are aggregates
@login_required
@capability_required("view_monthly_report")
@require_GET
def report_detail(request, pk):
    report = selectors.get_report(request.user, pk)
    versions = selectors.reports_of_region(request.user, report.region_id).filter(month=report.month)
    return render(request, "reports/monthly_detail.html", {
        "report": report,
        "region_name": services.region_name(report.region),
        "month_label": services.month_label(report.month),
        "versions": versions,
        "sections": selectors.frozen_sections(report) if report.status == ReportStatus.DONE else [],
        "list_url": f"{reverse('monthly_reports:list')}?wilayah={report.region_id}",
    })


@region_safe  # get_report: 404 outside the user's scope; the fragment holds the status only
@login_required
@capability_required("view_monthly_report")
@require_GET
def report_status(request, pk):
    report = selectors.get_report(request.user, pk)
    response = render(request, "reports/monthly_status.html", {"report": report})
    if report.status == ReportStatus.DONE:
        response["HX-Refresh"] = "true"  # the page reloads once, with the figures and the downloads
    return response


@region_safe  # get_done_report: 404 outside the user's scope or before the files exist
@login_required
@capability_required("view_monthly_report")
@require_GET
def report_download(request, pk, fmt):
    if fmt not in services.FORMATS:
        raise Http404
    report = selectors.get_done_report(request.user, pk)
    stored = getattr(report, fmt)
    if not stored:
        raise Http404
    record(request.user, "monthly_report.download", report, region_code=report.region_id,
           detail={"format": fmt, "month": report.month, "version": report.version})
    response = FileResponse(stored.open("rb"), as_attachment=True, content_type=CONTENT_TYPES[fmt],
                            filename=f"laporan-bulanan-{report.region_id}-{report.month}-v{report.version}.{fmt}")
    response["Cache-Control"] = "no-store, private"
    return response
