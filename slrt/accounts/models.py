import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from slrt.wilayah.models import Region

from .roles import Role


class User(AbstractUser):
    """A staff or partner-agency account: one role, one region scope."""

    role = models.CharField(_("peran"), max_length=24, choices=Role.choices)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("wilayah tugas"), null=True
    )
    # The partner agency of a Mitra user; the agency directory arrives with referrals.
    agency_code = models.CharField(_("kode lembaga"), max_length=40, blank=True)
    # HTTP digest authentication (ODK Collect) needs MD5(username:realm:password); it is kept
    # only for that, set with the password, and useless for logging in to the web UI.
    digest_ha1 = models.CharField(max_length=32, blank=True, editable=False)

    class Meta:
        verbose_name = _("pengguna")
        verbose_name_plural = _("pengguna")

    def set_password(self, raw_password):
        super().set_password(raw_password)
        self.digest_ha1 = digest_ha1(self.username, raw_password) if raw_password else ""

    @property
    def scope_code(self) -> str | None:
        return self.region_id


def digest_ha1(username: str, password: str) -> str:
    """HA1 of RFC 7616 (MD5, the algorithm ODK Collect speaks) for the OpenRosa realm."""
    realm = settings.SLRT_OPENROSA_REALM
    return hashlib.md5(f"{username}:{realm}:{password}".encode(), usedforsecurity=False).hexdigest()


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def issue(self, user, ttl_hours: int) -> tuple["ApiToken", str]:
        raw = secrets.token_urlsafe(32)
        token = self.create(
            user=user, key_hash=_hash(raw), expires_at=timezone.now() + timezone.timedelta(hours=ttl_hours)
        )
        return token, raw

    def authenticate(self, raw: str):
        token = (
            self.select_related("user", "user__region")
            .filter(key_hash=_hash(raw), expires_at__gt=timezone.now(), user__is_active=True)
            .first()
        )
        return token.user if token else None


class ApiToken(models.Model):
    """Bearer token for the REST API. Only a hash is stored, so a database leak reveals no token."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    objects = ApiTokenQuerySet.as_manager()
