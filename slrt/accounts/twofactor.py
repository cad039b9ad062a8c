"""Two-factor sign-in: who must use it, who has it, and what the authenticator app is shown.

A second factor is a TOTP authenticator app (django-otp's TOTPDevice, RFC 6238, 30-second
steps, one step of drift either way, a code accepted once: django-otp keeps the last step used)
plus ten recovery codes (models.RecoveryCodeDevice). Every account may enrol; the roles in
settings.SLRT_2FA_ROLES must, before they can do anything else (middleware.TwoFactorMiddleware,
the API token endpoint). ODK Collect's Digest sign-in cannot carry a code, so it is refused for
those roles (fieldwork.openrosa.auth).

Reads only; the writes (enrol, verify, reset) are in services.py.
"""

from base64 import b32encode

import segno
from django.conf import settings
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import RecoveryCodeDevice
from .roles import Role

RECOVERY_CODE_COUNT = 10
TOTP_NAME = "authenticator"
RECOVERY_NAME = "recovery"


def required_for(user) -> bool:
    return bool(user and user.is_authenticated and user.role in settings.SLRT_2FA_ROLES)


def enrol_first_message() -> str:
    return _("Peran Anda wajib memakai verifikasi dua langkah. Daftarkan aplikasi autentikator di "
             "halaman Verifikasi dua langkah (web SLRT) sebelum memakai fungsi lain.")


def totp_device(user, *, confirmed: bool = True) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("-id").first()


def is_enrolled(user) -> bool:
    """Signed-in accounts with a confirmed authenticator app must pass the second step."""
    return bool(user and user.is_authenticated and TOTPDevice.objects.filter(user=user, confirmed=True).exists())


def recovery_device(user) -> RecoveryCodeDevice | None:
    return RecoveryCodeDevice.objects.filter(user=user, confirmed=True).first()


def recovery_codes_left(user) -> int:
    device = recovery_device(user)
    return device.remaining() if device else 0


def secret_text(device: TOTPDevice) -> str:
    """The key as authenticator apps take it when typed: base32, in groups of four."""
    key = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i:i + 4] for i in range(0, len(key), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// address as an inline SVG QR code (CSP: no inline script or style in it)."""
    return segno.make(device.config_url, error="m", micro=False).svg_inline(scale=4, border=4)


def check_roles_setting(app_configs=None, **kwargs):
    """System check: a misspelt role in SLRT_2FA_ROLES would silently require nothing of it."""
    from django.core import checks

    unknown = [r for r in settings.SLRT_2FA_ROLES if r not in Role.values]
    if unknown:
        return [checks.Error(f"SLRT_2FA_ROLES names unknown role(s) {', '.join(unknown)}; "
                             f"known: {', '.join(Role.values)}.", id="slrt.E2FA")]
    return []
