from django.contrib import messages
from django.contrib.auth import logout
from django.http import JsonResponse
from django.shortcuts import redirect
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from . import twofactor


class RegionSafeViewMiddleware:
    """Refuse to serve any view that has not declared itself region-safe (see scoping.py)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if getattr(view_func, "region_safe", False):
            return None
        return JsonResponse(
            {"code": "view_not_region_safe", "detail": _("Halaman ini belum dinyatakan aman-wilayah.")},
            status=403,
        )


# What an account that must first enrol (or pass the second step) may still reach. The password
# change is open too: an account whose password was reset changes it first (sessions.py holds it
# there), then enrols; without it the two rules would send each other's pages back and forth.
TWO_FACTOR_OPEN = {
    "accounts:login", "accounts:logout", "accounts:otp_verify", "accounts:otp_recover",
    "accounts:otp_enrol", "accounts:password_change", "set_language",
}


class TwoFactorMiddleware:
    """The second factor, for every signed-in session (after django-otp's OTPMiddleware):

    * an account with an authenticator whose session has not passed the second step (signed in
      before enrolling elsewhere, or its authenticator was replaced) is signed out and asked again;
    * an account of a role in settings.SLRT_2FA_ROLES without an authenticator reaches only the
      enrolment page (and signing out) until it has one; the API answers 403 otp_enrolment_required.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated:
            return None
        match = request.resolver_match
        name = f"{match.namespace}:{match.url_name}" if match and match.namespace else (match.url_name if match else "")
        if name in TWO_FACTOR_OPEN:
            return None
        if twofactor.is_enrolled(user):
            if user.is_verified():
                return None
            logout(request)
            if request.path.startswith("/api/"):
                return JsonResponse({"code": "otp_required",
                                     "detail": _("Masuk lagi dengan kode verifikasi dua langkah.")}, status=401)
            return redirect(f"{_url('accounts:login')}?{urlencode({'next': request.get_full_path()})}")
        if twofactor.required_for(user):
            if request.path.startswith("/api/"):
                return JsonResponse({"code": "otp_enrolment_required", "detail": twofactor.enrol_first_message()},
                                    status=403)
            messages.info(request, twofactor.enrol_first_message())
            return redirect("accounts:otp_enrol")
        return None


def _url(name: str) -> str:
    from django.urls import reverse

    return reverse(name)
