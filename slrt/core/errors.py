"""Error pages: the app's own 404/403/500 (and the CSRF refusal), JSON under /api/.

Django's defaults already use templates/404.html etc. once DEBUG is off; these handlers add the
API's JSON shape (`{"code", "detail"}` like every other API error) for paths no route matched,
and a 403 page for a refused CSRF token instead of Django's English text.
"""

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def _json(status: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse({"code": code, "detail": detail}, status=status)


def not_found(request, exception=None):
    if _is_api(request):
        return _json(404, "not_found", _("Data tidak ditemukan."))
    return defaults.page_not_found(request, exception)


def forbidden(request, exception=None):
    if _is_api(request):
        return _json(403, "forbidden", _("Akses ditolak."))
    return defaults.permission_denied(request, exception)


def server_error(request):
    if _is_api(request):
        return _json(500, "server_error", _("Terjadi kesalahan pada sistem. Coba lagi sebentar lagi."))
    return defaults.server_error(request)


def csrf_failure(request, reason=""):
    if _is_api(request):
        return _json(403, "csrf_failed", _("Token CSRF tidak valid. Muat ulang halaman lalu coba lagi."))
    return defaults.permission_denied(request, None, template_name="403_csrf.html")
