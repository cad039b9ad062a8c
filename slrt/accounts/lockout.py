from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def lockout_response(request, response=None, credentials=None, *args, **kwargs):
    """django-axes lockout: JSON with a code for the API, the Indonesian page for browsers."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"code": "locked_out", "detail": _("Terlalu banyak percobaan gagal. Akun dikunci sementara.")},
            status=429,
        )
    return render(request, "accounts/locked_out.html", status=429)
