from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from slrt.accounts.scoping import region_safe
from slrt.core.dbrouter import replica_reads
from slrt.core.http import capability_required
from slrt.registry.selectors.dashboard import dashboard as registry_dashboard
from slrt.reports import dashboard_page as page
from slrt.reports.figures.base import Scope, resolve_region
from slrt.reports.forms import PeriodForm, error_messages, quarter_choices, year_choices
from slrt.reports.selectors import case_summary, home_queues


@region_safe  # the dashboard selector counts through Model.objects.for_user
@login_required
@replica_reads  # figures and queue counts: the read replica may serve them (read-your-writes)
def home(request):
    """The home page: the registry's figures, the user's work queues and the case summary."""
    user = request.user
    return render(request, "core/home.html", {
        **registry_dashboard(user), "queues": home_queues(user), "summary": case_summary(user),
    })


@region_safe  # every section counts through Model.objects.for_user; regions are not personal
@login_required
@capability_required("view_dashboard")
@require_GET
@replica_reads  # aggregate figures: the read replica may serve them (read-your-writes)
def dashboard(request, code=""):
    """The dashboard of the user's own region, or of a region inside it (else 404), for a period."""
    user = request.user
    region = resolve_region(user, code)
    form = PeriodForm(request.GET, region_code=region.code)
    context = {"region": region, "level": page.level_name(region), "child_level": page.child_level_name(region),
               "form": form, "quarters": quarter_choices(), "years": year_choices()}
    if not form.is_valid():
        # The page still stands (breadcrumb, filter) with the message; no figures for a bad period.
        context.update(errors=error_messages(form), crumbs=page.crumbs(user, region, ""),
                       children=page.children(region, ""), sections=None)
        return render(request, "reports/dashboard.html", context, status=400)
    period = form.cleaned_data["period"]
    query = page.period_query(period)
    context.update(
        period=period, shown=page.period_params(period), query=query,
        crumbs=page.crumbs(user, region, query), children=page.children(region, query),
        sections=page.sections(Scope(user=user, region=region, period=period), query),
    )
    return render(request, "reports/dashboard.html", context)
