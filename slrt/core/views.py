from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from slrt.accounts.scoping import region_safe

from .menu import admin_for


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



@region_safe  # links only; each page behind them checks its own capability and scope
@login_required
@require_GET
def admin_hub(request):
    """The administration pages the user may open, behind the menu's one "Pengelolaan" entry."""
    links = admin_for(request.user)
    if not links:
        raise Http404
    return render(request, "core/admin_hub.html", {"links": links})
