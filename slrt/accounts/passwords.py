from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class MixedCharacterValidator:
    """Passwords must mix letters and digits: the policy most district IT units ask for."""

    def validate(self, password, user=None):
        if not (any(c.isalpha() for c in password) and any(c.isdigit() for c in password)):
            raise ValidationError(_("Kata sandi harus memuat huruf dan angka."), code="password_no_mix")

    def get_help_text(self):
        return _("Kata sandi harus memuat huruf dan angka.")
