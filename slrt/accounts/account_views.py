"""The account page (/akun/): who one is, the password, the signed-in sessions and API tokens,
and for an Admin or Manajer the password reset of another account. Reads in selectors and
sessions, writes in services; these views only move between them. No resident data here."""

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View

from . import selectors, services, sessions
from .forms import PasswordChangeForm, ResetPasswordForm
from .lockout import lockout_response
from .scoping import region_safe


def _two_factor_url():
    # The two-factor pages are their own part of the app; link them when they are installed.
    try:
        return reverse("accounts:two_factor")
    except NoReverseMatch:
        return ""


def _account_page(request, *, reset_form=None, status=200):
    user = request.user
    current = sessions.key_hash(request.session.session_key or "")
    rows = list(sessions.active(user))
    for row in rows:
        row.is_current = row.key_hash == current
    return render(request, "accounts/account.html", {
        "sessions": rows, "tokens": list(selectors.active_tokens(user)),
        "may_reset": selectors.may_reset_others(user), "reset_form": reset_form or ResetPasswordForm(),
        "two_factor_url": _two_factor_url(),
    }, status=status)


@region_safe  # the signed-in account's own data only
class AccountView(LoginRequiredMixin, View):
    def get(self, request):
        return _account_page(request)


@region_safe  # the signed-in account's own password
class PasswordChangeView(LoginRequiredMixin, View):
    template_name = "accounts/password_change.html"

    def _page(self, request, form, status=200):
        return render(request, self.template_name, {"form": form, "forced": request.user.must_change_password},
                      status=status)

    def get(self, request):
        return self._page(request, PasswordChangeForm())

    def post(self, request):
        form = PasswordChangeForm(request.POST)
        if not form.is_valid():
            return self._page(request, form, status=422)
        try:
            done = services.change_password(
                request.user, current=form.cleaned_data["current_password"], new=form.cleaned_data["new_password1"],
                request=request, keep_session_key=request.session.session_key or "",
            )
        except ValidationError as exc:
            if getattr(request, "axes_locked_out", False):
                return lockout_response(request)
            form.add_error(None, exc)
            return self._page(request, form, status=422)
        update_session_auth_hash(request, request.user)  # this session stays signed in
        messages.success(request, _(
            "Kata sandi diganti. Sesi lain yang diakhiri: %(sessions)d; token API yang dicabut: %(tokens)d. "
            "Perangkat lain perlu masuk lagi dengan kata sandi baru.") % done)
        return redirect("accounts:account")


@region_safe  # the target must lie in the actor's scope (selectors.may_reset_password)
class PasswordResetView(LoginRequiredMixin, View):
    """Admin or Manajer: a temporary password for another account. The username comes in the POST
    body, not the address; an account outside scope gets the same answer as one that does not
    exist. The password is shown once on this answer (no-store), never stored in a message."""

    def post(self, request):
        if not selectors.may_reset_others(request.user):
            raise PermissionDenied
        form = ResetPasswordForm(request.POST)
        if form.is_valid():
            target = selectors.account_named(form.cleaned_data["username"])
            try:
                password, done = services.reset_password(request.user, target)
            except PermissionDenied:
                form.add_error("username", _("Tidak ada akun dengan nama itu di wilayah Anda yang dapat Anda reset."))
            else:
                return render(request, "accounts/password_reset_done.html",
                              {"target": target, "password": password, **done})
        return _account_page(request, reset_form=form, status=422)


@region_safe  # the signed-in account's own sessions
class EndSessionView(LoginRequiredMixin, View):
    def post(self, request, pk):
        try:
            ended = services.end_session(request.user, pk, current_key=request.session.session_key or "")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            if ended:
                messages.success(request, _("Sesi diakhiri; perangkat itu harus masuk lagi."))
            else:
                messages.error(request, _("Sesi itu sudah berakhir."))
        return redirect("accounts:account")


@region_safe  # the signed-in account's own sessions
class EndOtherSessionsView(LoginRequiredMixin, View):
    def post(self, request):
        count = services.end_other_sessions(request.user, current_key=request.session.session_key or "")
        messages.success(request, ngettext("%(n)d sesi lain diakhiri.", "%(n)d sesi lain diakhiri.", count)
                         % {"n": count})
        return redirect("accounts:account")


@region_safe  # the signed-in account's own tokens
class RevokeTokenView(LoginRequiredMixin, View):
    def post(self, request, pk):
        if services.revoke_token(request.user, pk):
            messages.success(request, _("Token API dicabut; aplikasi yang memakainya harus meminta token baru."))
        else:
            messages.error(request, _("Token itu sudah tidak berlaku."))
        return redirect("accounts:account")


@region_safe  # the signed-in account's own tokens
class RevokeAllTokensView(LoginRequiredMixin, View):
    def post(self, request):
        count = services.revoke_all_tokens(request.user)
        messages.success(request, ngettext("%(n)d token API dicabut.", "%(n)d token API dicabut.", count)
                         % {"n": count})
        return redirect("accounts:account")
