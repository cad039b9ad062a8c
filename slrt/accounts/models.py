import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device

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
    # Set when an Admin or Manajer resets the password (they saw it): the next sign-in leads to
    # the change page and nothing else until the account chose its own (sessions.py).
    must_change_password = models.BooleanField(_("wajib ganti kata sandi"), default=False)

    class Meta:
        verbose_name = _("pengguna")
        verbose_name_plural = _("pengguna")

    def set_password(self, raw_password):
        super().set_password(raw_password)
        self.digest_ha1 = digest_ha1(self.username, raw_password) if raw_password else ""

    @property
    def scope_code(self) -> str | None:
        return self.region_id

    def delete(self, *args, **kwargs):
        # Audit rows name their actor (AuditEvent.actor PROTECT); a database trigger refuses a
        # queryset's or raw DELETE as well (slrt/audit/triggers.py).
        raise AccountDeletionRefused(
            "Accounts are never deleted, so audit rows keep their actor: use accounts.services.deactivate_user."
        )


class AccountDeletionRefused(Exception):
    pass


def digest_ha1(username: str, password: str) -> str:
    """HA1 of RFC 7616 (MD5, the algorithm ODK Collect speaks) for the OpenRosa realm."""
    realm = settings.SLRT_OPENROSA_REALM
    return hashlib.md5(f"{username}:{realm}:{password}".encode(), usedforsecurity=False).hexdigest()


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


# "Last used" is for the account page, not an access log: written at most once a minute so a
# busy tablet does not turn every API read into a write.
LAST_USED_EVERY = timezone.timedelta(minutes=1)


class ApiTokenQuerySet(models.QuerySet):
    def issue(self, user, ttl_hours: int, *, label: str = "") -> tuple["ApiToken", str]:
        raw = secrets.token_urlsafe(32)
        token = self.create(
            user=user, key_hash=_hash(raw), expires_at=timezone.now() + timezone.timedelta(hours=ttl_hours),
            label=label[:ApiToken.LABEL_LENGTH],
        )
        return token, raw

    def active(self):
        return self.filter(expires_at__gt=timezone.now())

    def find(self, raw: str):
        """The valid token `raw` stands for (unexpired, of an active account), or None."""
        token = (
            self.select_related("user", "user__region")
            .filter(key_hash=_hash(raw), expires_at__gt=timezone.now(), user__is_active=True)
            .first()
        )
        if token is not None:
            now = timezone.now()
            if token.last_used_at is None or now - token.last_used_at > LAST_USED_EVERY:
                self.filter(pk=token.pk).update(last_used_at=now)
                token.last_used_at = now
        return token

    def authenticate(self, raw: str):
        token = self.find(raw)
        return token.user if token else None


class ApiToken(models.Model):
    """Bearer token for the REST API. Only a hash is stored, so a database leak reveals no token."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    # What asked for it (the client's User-Agent, shortened), so the account page can tell the
    # tablet's token from a script's; never the token itself.
    label = models.CharField(max_length=120, blank=True)

    LABEL_LENGTH = 120

    objects = ApiTokenQuerySet.as_manager()


class SignedInSession(models.Model):
    """One signed-in browser session of an account, for the account page's list and for ending it.

    Django's session store cannot be searched by account, so sign-in adds a row here and sign-out
    removes it (sessions.py). The session key is kept only as a SHA-256 hash: this table names
    no key that could be replayed as a cookie."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="signed_in_sessions")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField()
    user_agent = models.CharField(max_length=120, blank=True)
    client_ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "-last_seen_at"], name="signed_in_session_user_seen")]


# --- Two-factor sign-in: recovery codes --------------------------------------------------------
# django-otp's own static device keeps its codes in plain text; a leaked database would then hand
# out a second factor for every account. This device keeps only SHA-256 hashes: each code has
# 16 characters of a 31-letter alphabet (about 79 bits), too many to guess or to reverse.

RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i, 8: easy to read off paper
RECOVERY_LENGTH = 16


def new_recovery_code() -> str:
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _i in range(RECOVERY_LENGTH))
    return "-".join(raw[i:i + 4] for i in range(0, RECOVERY_LENGTH, 4))


def normalize_recovery_code(typed: str) -> str:
    """The code as stored (hash input), or "" for anything that cannot be one."""
    code = "".join((typed or "")[:64].split()).replace("-", "").lower()
    if len(code) != RECOVERY_LENGTH or any(c not in RECOVERY_ALPHABET for c in code):
        return ""
    return code


class RecoveryCodeDevice(Device):
    """An account's recovery codes as one django-otp device: each code signs in once."""

    class Meta(Device.Meta):
        verbose_name = _("kode pemulihan")

    def verify_token(self, token):
        code = normalize_recovery_code(token)
        if not code:
            return False
        # Callers verify inside a transaction; the row lock makes a code good for one sign-in
        # even when two arrive at once.
        hit = self.codes.select_for_update().filter(code_hash=_hash(code), used_at__isnull=True).first()
        if hit is None:
            return False
        hit.used_at = timezone.now()
        hit.save(update_fields=["used_at"])
        return True

    def remaining(self) -> int:
        return self.codes.filter(used_at__isnull=True).count()


class RecoveryCode(models.Model):
    device = models.ForeignKey(RecoveryCodeDevice, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["device", "code_hash"], name="recovery_code_once_per_device")]

    @staticmethod
    def hash_of(code: str) -> str:
        return _hash(normalize_recovery_code(code))
