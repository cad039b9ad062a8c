"""The login form: Django's, with the desk's own labels and an error that names the field."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("Nama pengguna")
        self.fields["password"].label = _("Kata sandi")
        self.fields["username"].error_messages["required"] = _("Isi nama pengguna.")
        self.fields["password"].error_messages["required"] = _("Isi kata sandi.")
        # Django's PasswordInput drops the typed value; the username stays as typed.
        self.fields["password"].widget = forms.PasswordInput(attrs={"autocomplete": "current-password"})


# --- The account page: password change and the Admin/Manajer reset -------------------------------

PASSWORD_MAX = 256  # long passphrases fit; an unbounded field would let one request hash megabytes


def _password_field(label, autocomplete, required_message, help_text=""):
    return forms.CharField(
        label=label, max_length=PASSWORD_MAX, strip=False, help_text=help_text,
        error_messages={"required": required_message,
                        "max_length": _("Kata sandi paling banyak %(limit_value)d karakter.")},
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}),
    )


class PasswordChangeForm(forms.Form):
    """Current password, then the new one twice; the policy itself is checked by
    services.change_password (AUTH_PASSWORD_VALIDATORS)."""

    current_password = _password_field(_("Kata sandi saat ini"), "current-password", _("Isi kata sandi saat ini."))
    new_password1 = _password_field(_("Kata sandi baru"), "new-password", _("Isi kata sandi baru."))
    new_password2 = _password_field(_("Ulangi kata sandi baru"), "new-password", _("Ulangi kata sandi baru."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from django.contrib.auth.password_validation import password_validators_help_texts

        self.policy = password_validators_help_texts()

    def clean(self):
        data = super().clean()
        if data.get("new_password1") and data.get("new_password2") and data["new_password1"] != data["new_password2"]:
            self.add_error("new_password2", _("Kedua isian kata sandi baru tidak sama."))
        return data


class ResetPasswordForm(forms.Form):
    """Admin or Manajer: give an account in scope a temporary password."""

    username = forms.CharField(label=_("Nama pengguna"), max_length=150,
                               error_messages={"required": _("Isi nama pengguna akun yang kata sandinya direset.")})


class OtpCodeForm(forms.Form):
    """The six digits an authenticator app shows (second sign-in step, enrolment, turning off)."""

    code = forms.CharField(
        label=_("Kode dari aplikasi autentikator"), max_length=12,
        error_messages={"required": _("Isi kode 6 angka dari aplikasi autentikator.")},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )

    def clean_code(self):
        code = "".join(self.cleaned_data["code"].split())
        if len(code) != 6 or not code.isascii() or not code.isdigit():
            raise forms.ValidationError(_("Kode terdiri atas 6 angka."))
        return code


class RecoveryCodeForm(forms.Form):
    """One of the recovery codes shown at enrolment (xxxx-xxxx-xxxx-xxxx)."""

    code = forms.CharField(
        label=_("Kode pemulihan"), max_length=40,
        error_messages={"required": _("Isi salah satu kode pemulihan Anda.")},
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True, "spellcheck": "false"}),
    )

    def clean_code(self):
        from .models import normalize_recovery_code

        if not normalize_recovery_code(self.cleaned_data["code"]):
            raise forms.ValidationError(_("Kode pemulihan terdiri atas 16 huruf dan angka, mis. abcd-efgh-jkmn-pqrs."))
        return self.cleaned_data["code"]


class ResetTwoFactorForm(forms.Form):
    """Admin or Manajer: clear the second factor of an account in scope (a lost phone)."""

    username = forms.CharField(label=_("Nama pengguna"), max_length=150,
                               error_messages={"required": _("Isi nama pengguna akun yang akan direset.")})
