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
