"""The login form: Django's, with the desk's own labels and an error that names the field."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from slrt.wilayah.forms import ALL_LEVELS, RegionField, bind_user
from slrt.wilayah.models import NATION_CODE


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


# --- Account management (/pengelolaan/) -------------------------------------------------------
# These forms parse and bound the input; who may give which role where, and whether the agency
# exists, is checked by services (create_account, change_account) against selectors' rules.

NATION_WORDS = {NATION_CODE, "indonesia", "nasional"}


class AssignmentRegionField(RegionField):
    """A region inside the actor's scope; the nation too ("Indonesia"), for an Admin there."""

    def clean(self, value):
        text = " ".join((value or "").split())
        if text.lower() in NATION_WORDS:
            if self.user is None or self.user.region_id != NATION_CODE:
                raise forms.ValidationError(_("Tingkat nasional berada di luar wilayah tugas Anda."))
            return NATION_CODE
        return super().clean(value)


class AccountFilterForm(forms.Form):
    q = forms.CharField(label=_("Nama atau nama pengguna"), required=False, max_length=80)
    peran = forms.ChoiceField(label=_("Peran"), required=False)
    wilayah = RegionField(label=_("Wilayah"), required=False, levels=ALL_LEVELS)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[
        ("", _("Semua")), ("aktif", _("Aktif")), ("nonaktif", _("Nonaktif"))])

    def __init__(self, *args, user=None, roles=(), **kwargs):
        super().__init__(*args, **kwargs)
        from .roles import Role

        self.fields["peran"].choices = [("", _("Semua peran"))] + [(r, Role(r).label) for r in roles]
        bind_user(self, user)


class AccountForm(forms.Form):
    """Role, region, agency, name and email of an account; the username and the first password
    too when it is made."""

    username = forms.CharField(label=_("Nama pengguna"), max_length=150,
                               help_text=_("Untuk masuk; huruf, angka dan . _ - tanpa spasi, mis. fo.soreang"),
                               error_messages={"required": _("Isi nama pengguna.")})
    full_name = forms.CharField(label=_("Nama lengkap"), max_length=150, required=False)
    email = forms.CharField(label=_("Email"), max_length=254, required=False,
                            help_text=_("Untuk pemberitahuan; kata sandi tidak pernah dikirim lewat email."))
    role = forms.ChoiceField(label=_("Peran"), error_messages={
        "required": _("Pilih peran."),
        "invalid_choice": _("Peran itu tidak dapat Anda berikan: akun Admin, Dinsos dan Manajer hanya dibuat "
                            "dan diubah oleh Admin. Pilih peran dari daftar.")})
    region = AssignmentRegionField(label=_("Wilayah tugas"), levels=ALL_LEVELS,
                                   error_messages={"required": _("Isi wilayah tugas.")})
    agency = forms.ChoiceField(label=_("Lembaga (khusus Mitra)"), required=False, error_messages={
        "invalid_choice": _("Lembaga itu tidak ada, tidak aktif, atau di luar wilayah Anda.")})
    first_login = forms.ChoiceField(
        label=_("Kata sandi pertama"), widget=forms.RadioSelect, initial="one_time",
        choices=[("one_time", _("Buat kata sandi sekali pakai (ditampilkan sekali untuk diserahkan)")),
                 ("set", _("Saya tentukan sendiri"))])
    password1 = _password_field(_("Kata sandi"), "new-password", _("Isi kata sandi."))
    password2 = _password_field(_("Ulangi kata sandi"), "new-password", _("Ulangi kata sandi."))

    def __init__(self, *args, user=None, roles=(), agencies=(), creating=True, **kwargs):
        super().__init__(*args, **kwargs)
        from .roles import Role

        self.fields["role"].choices = [("", _("— pilih peran —"))] + [(r, Role(r).label) for r in roles]
        self.fields["agency"].choices = [("", _("— tanpa lembaga —"))] + [(a.code, a.name) for a in agencies]
        self.fields["password1"].required = self.fields["password2"].required = False
        if not creating:
            for name in ("username", "first_login", "password1", "password2"):
                del self.fields[name]
        bind_user(self, user)

    def clean(self):
        data = super().clean()
        if data.get("first_login") == "set":
            if not data.get("password1"):
                self.add_error("password1", _("Isi kata sandi, atau pilih kata sandi sekali pakai."))
            elif data.get("password1") != data.get("password2"):
                self.add_error("password2", _("Kedua isian kata sandi tidak sama."))
        return data


class ConfirmForm(forms.Form):
    """The confirmation box of deactivation (a consequential click)."""

    confirm = forms.BooleanField(label=_("Ya, nonaktifkan akun ini"),
                                 error_messages={"required": _("Centang konfirmasi untuk menonaktifkan akun.")})
