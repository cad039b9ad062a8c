from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from slrt.accounts.scoping import region_safe
from slrt.registry.selectors.dashboard import dashboard
from slrt.reports.selectors import case_summary, home_queues


@region_safe
@require_GET
def healthz(request):
    """Liveness plus the database engine; touches the database so a dead one answers 503."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        ok = True
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        ok = False
    return JsonResponse(
        {
            "status": "ok" if ok else "error",
            "database": connection.vendor,
            "engine": connection.settings_dict["ENGINE"],
        },
        status=200 if ok else 503,
    )


@region_safe  # the dashboard selector counts through Model.objects.for_user
@login_required
def home(request):
    user = request.user
    return render(request, "core/home.html", {
        **dashboard(user), "queues": home_queues(user), "summary": case_summary(user),
    })
