"""The sign-in lock-out (django-axes), one for the web login, the API token endpoint and ODK
Collect: failures count per account and per client address (settings: AXES_LOCKOUT_PARAMETERS);
either reaching AXES_FAILURE_LIMIT within the cool-off refuses sign-in on all three."""

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


def reset_account(username: str) -> int:
    """A successful sign-in clears the account's own failures, not those of the address it came
    from: an address that sprayed other usernames stays locked (axes' AXES_RESET_ON_SUCCESS
    would delete both, so it is off)."""
    from axes.utils import reset

    return reset(username=username)


def reset_on_login(sender, request, user, **kwargs):
    reset_account(user.get_username())


def count_failure(request, username: str) -> bool:
    """Count a failed second step (wrong or replayed code) like a wrong password; True if the
    account or address is now locked. Without this a stolen password would allow endless guesses
    of the six digits."""
    from axes.handlers.proxy import AxesProxyHandler

    AxesProxyHandler.user_login_failed(__name__, {"username": username}, request)
    return bool(getattr(request, "axes_locked_out", False))


def is_locked(request, username: str) -> bool:
    from axes.handlers.proxy import AxesProxyHandler

    return AxesProxyHandler.is_locked(request, {"username": username})
