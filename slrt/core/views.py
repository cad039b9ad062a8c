from django.db import connection
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from slrt.accounts.scoping import region_safe


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

