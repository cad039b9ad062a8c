"""Two-factor sign-in pages: the second step after the password, recovery, enrolment, the
account's own two-factor page and the Admin/Manajer reset. Rules in twofactor.py, writes in
services.py; these views only move between them."""

import time

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View
from django_otp import login as otp_login

from . import lockout, selectors, services, twofactor
from .forms import LoginForm, OtpCodeForm, RecoveryCodeForm, ResetTwoFactorForm
from .models import RecoveryCodeDevice, User
from .scoping import region_safe

# The password step passed, the code not yet: kept in the (not yet signed-in) session for a while.
PENDING = "slrt_2fa_pending"
PENDING_SECONDS = 300


@region_safe  # the sign-in form; reads no personal data
class SignInView(auth_views.LoginView):
    """Django's login, plus: an account with an authenticator is not signed in after the password
    but asked for a code first. The lock-out's reset on success (user_logged_in) therefore comes
    only after the code, so guessing codes counts towards the same five failures."""

    template_name = "accounts/login.html"
    authentication_form = LoginForm

    def form_valid(self, form):
        user = form.get_user()
        if not twofactor.is_enrolled(user):
            return super().form_valid(form)
        self.request.session[PENDING] = {
            "user": user.pk, "backend": user.backend, "at": int(time.time()), "next": self.get_success_url(),
        }
        return redirect("accounts:otp_verify")


@region_safe  # the second sign-in step; reads no personal data
class SecondStepView(View):
    kind = "totp"
    form_class = OtpCodeForm
    template_name = "accounts/otp_verify.html"

    def _pending(self):
        pending = self.request.session.get(PENDING)
        if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
            return None, None
        user = User.objects.filter(pk=pending.get("user"), is_active=True).first()
        return (user, pending) if user is not None else (None, None)

    def _again(self):
        self.request.session.pop(PENDING, None)
        messages.info(self.request, _("Masuk lagi dengan nama pengguna dan kata sandi."))
        return redirect("accounts:login")

    def get(self, request):
        user, _pending = self._pending()
        if user is None:
            return self._again()
        return render(request, self.template_name, {"form": self.form_class(), "kind": self.kind})

    def post(self, request):
        user, pending = self._pending()
        if user is None:
            return self._again()
        if lockout.is_locked(request, user.get_username()):
            request.session.pop(PENDING, None)
            return lockout.lockout_response(request)
        form = self.form_class(request.POST)
        device = None
        if form.is_valid():
            device = services.verify_second_factor(user, form.cleaned_data["code"], kind=self.kind)
            if device is None:
                if lockout.count_failure(request, user.get_username()):
                    request.session.pop(PENDING, None)  # axes' middleware answers with the lock-out page
                form.add_error("code", _("Kode salah atau sudah dipakai.") if self.kind == "totp"
                               else _("Kode pemulihan salah atau sudah dipakai."))
        if device is None:
            return render(request, self.template_name, {"form": form, "kind": self.kind})
        request.session.pop(PENDING, None)
        login(request, user, backend=pending["backend"])
        otp_login(request, device)
        if isinstance(device, RecoveryCodeDevice):
            messages.warning(request, _(
                "Anda masuk dengan kode pemulihan; sisa %(n)d kode. Bila ponsel Anda hilang atau diganti, "
                "daftarkan ulang aplikasi autentikator sekarang.") % {"n": device.remaining()})
            return redirect("accounts:two_factor")
        return redirect(pending["next"])


@region_safe
class RecoveryStepView(SecondStepView):
    kind = "recovery"
    form_class = RecoveryCodeForm


def _show_codes(request, codes, *, first: bool):
    return render(request, "accounts/recovery_codes.html", {"codes": codes, "first": first})


@region_safe  # the signed-in account's own authenticator; no personal data of others
class EnrolView(LoginRequiredMixin, View):
    def _page(self, request, form, device):
        return render(request, "accounts/otp_enrol.html", {
            "form": form, "qr": twofactor.qr_svg(device), "secret": twofactor.secret_text(device),
            "replacing": twofactor.is_enrolled(request.user), "required": twofactor.required_for(request.user),
        })

    def get(self, request):
        return self._page(request, OtpCodeForm(), services.start_totp_enrolment(request.user))

    def post(self, request):
        form = OtpCodeForm(request.POST)
        if form.is_valid():
            done = services.confirm_totp_enrolment(request.user, form.cleaned_data["code"])
            if done is not None:
                device, codes = done
                otp_login(request, device)  # this session has just shown the code
                return _show_codes(request, codes, first=True)
            form.add_error("code", _("Kode salah atau kedaluwarsa. Masukkan kode yang tampil di aplikasi sekarang."))
        return self._page(request, form, services.start_totp_enrolment(request.user))


@region_safe  # the account's own two-factor state; resets go through selectors.may_reset_password
class TwoFactorView(LoginRequiredMixin, View):
    def _page(self, request, disable_form=None, reset_form=None):
        user = request.user
        return render(request, "accounts/two_factor.html", {
            "enrolled": twofactor.is_enrolled(user), "required": twofactor.required_for(user),
            "codes_left": twofactor.recovery_codes_left(user),
            "disable_form": disable_form or OtpCodeForm(),
            "may_reset": selectors.may_reset_others(user), "reset_form": reset_form or ResetTwoFactorForm(),
        })

    def get(self, request):
        return self._page(request)

    def post(self, request):
        action = request.POST.get("action")
        if action == "recovery_codes":
            try:
                device, codes = services.regenerate_recovery_codes(request.user)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
                return redirect("accounts:two_factor")
            if isinstance(getattr(request.user, "otp_device", None), RecoveryCodeDevice):
                otp_login(request, device)  # the session's own device was just replaced
            return _show_codes(request, codes, first=False)
        if action == "disable":
            form = OtpCodeForm(request.POST)
            if form.is_valid():
                try:
                    services.disable_two_factor(request.user, form.cleaned_data["code"])
                except ValidationError as exc:
                    if hasattr(exc, "error_dict"):
                        form.add_error(None, exc)
                    else:
                        form.add_error(None, " ".join(exc.messages))
                else:
                    messages.success(request, _("Verifikasi dua langkah dimatikan."))
                    return redirect("accounts:two_factor")
            return self._page(request, disable_form=form)
        return redirect("accounts:two_factor")


@region_safe  # the target must lie in the actor's scope (selectors.may_reset_password); no resident data
class ResetTwoFactorView(LoginRequiredMixin, View):
    """Admin or Manajer: clear another account's second factor. The username comes in the POST
    body, not the address; an account outside scope gets the same answer as one that does not exist."""

    def post(self, request):
        if not selectors.may_reset_others(request.user):
            raise PermissionDenied
        form = ResetTwoFactorForm(request.POST)
        if form.is_valid():
            target = selectors.account_named(form.cleaned_data["username"])
            try:
                done = services.reset_two_factor(request.user, target)
            except PermissionDenied:
                form.add_error("username", _("Tidak ada akun dengan nama itu di wilayah Anda yang dapat Anda reset."))
            else:
                messages.success(request, _(
                    "Verifikasi dua langkah akun %(user)s direset: %(devices)d perangkat dihapus, %(tokens)d token "
                    "API dan %(sessions)d sesi diakhiri. Akun masuk dengan kata sandi lalu mendaftar ulang.") % {
                    "user": target.username, **done})
                return redirect("accounts:two_factor")
        return TwoFactorView()._page(request, reset_form=form)
