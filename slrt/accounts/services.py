"""Writes for accounts."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from slrt.audit.services import record
from slrt.wilayah.models import Level, Region, normalize_code

from .models import ApiToken, User
from .roles import ALLOWED_LEVELS, Role, can


@transaction.atomic
def create_user(
    *, username: str, role: str, region_code: str, password: str, agency_code: str = "",
    full_name: str = "", actor=None, check_password: bool = True,
) -> User:
    """Create (or, for an existing username, reset) a staff or Mitra account."""
    errors = {}
    if role not in Role.values:
        errors["role"] = _("Peran '%(role)s' tidak dikenal. Pilihan: %(choices)s.") % {
            "role": role, "choices": ", ".join(Role.values)
        }
    code = normalize_code(region_code)
    region = Region.objects.filter(code=code).first()
    if region is None:
        errors["region"] = _("Kode wilayah '%(code)s' tidak ada di data Kemendagri.") % {"code": region_code}
    elif role in Role.values and region.level not in ALLOWED_LEVELS[role]:
        errors["region"] = _("Peran %(role)s tidak dapat ditugaskan di tingkat %(level)s.") % {
            "role": role, "level": Level(region.level).label
        }
    if role == Role.MITRA and not agency_code:
        errors["agency"] = _("Pengguna Mitra harus terhubung ke lembaga (--agency).")
    if role != Role.MITRA and agency_code:
        errors["agency"] = _("Hanya pengguna Mitra yang terhubung ke lembaga.")
    user = User.objects.filter(username=username).first() or User(username=username)
    user.role, user.region, user.agency_code = role, region, agency_code
    if full_name:
        user.first_name = full_name
    if check_password and not errors:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            errors["password"] = " ".join(exc.messages)
    if errors:
        raise ValidationError(errors)
    user.set_password(password)
    user.is_active = True
    user.save()
    record(actor, "user.create", user, region_code=region.code, detail={"role": role})
    return user


# --- Accounts are deactivated, never deleted -----------------------------------------------------


@transaction.atomic
def deactivate_user(actor, user: User) -> User:
    """Close an account for good: no sign-in, its API tokens revoked; the row stays.

    Accounts are never deleted (User.delete refuses, and a database trigger refuses any DELETE),
    so every audit row keeps its actor. `actor` None is the command line (deactivate_user).
    """
    if actor is not None and not can(actor, "manage_users"):
        raise PermissionDenied
    user = User.objects.select_for_update().get(pk=user.pk)
    was_active = user.is_active
    user.is_active = False
    user.save(update_fields=["is_active"])
    # An inactive account's sessions already answer as signed out (ModelBackend.get_user); its
    # tokens already fail (ApiToken.authenticate); they are removed so no later reactivation revives them.
    revoked, _kinds = ApiToken.objects.filter(user=user).delete()
    record(actor, "user.deactivate", user, region_code=user.region_id or "",
           detail={"was_active": was_active, "tokens_revoked": revoked})
    return user


# --- Password, API tokens and signed-in sessions (the account page) -----------------------------
# A password change or reset revokes every API token of the account and ends its other sessions:
# whoever held the old password may have taken a token or a session with it.

TEMPORARY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # read aloud over the phone without 0/o, 1/l


def _account_region(user) -> str:
    return user.region_id or ""


def _revoke_tokens(user) -> int:
    count, _kinds = ApiToken.objects.filter(user=user).delete()
    return count


def _password_errors(password: str, user) -> list[str]:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        return list(exc.messages)
    return []


def change_password(user, *, current: str, new: str, request=None, keep_session_key: str = "") -> dict:
    """The account chooses a new password. `current` is checked through the sign-in backends
    when `request` is given, so wrong guesses count towards the lock-out like a failed sign-in
    (outside the transaction: a refusal must not roll the count back). Ends the account's
    sessions except `keep_session_key` (the caller's own) and revokes its tokens; the caller keeps
    its session with update_session_auth_hash."""
    from django.contrib.auth import authenticate

    from . import sessions

    if request is not None:
        ok = authenticate(request, username=user.get_username(), password=current or "") is not None
        if getattr(request, "axes_locked_out", False):
            raise ValidationError({"current_password": _(
                "Terlalu banyak percobaan gagal. Akun dikunci sementara.")}, code="locked_out")
    else:
        ok = user.check_password(current or "")
    if not ok:
        raise ValidationError({"current_password": _("Kata sandi saat ini salah.")})
    if new == current:
        raise ValidationError({"new_password1": _("Kata sandi baru harus berbeda dari kata sandi saat ini.")})
    problems = _password_errors(new, user)
    if problems:
        raise ValidationError({"new_password1": problems})
    with transaction.atomic():
        user.set_password(new)  # digest_ha1 for ODK Collect follows (User.set_password)
        user.must_change_password = False
        user.save(update_fields=["password", "digest_ha1", "must_change_password"])
        detail = {"tokens": _revoke_tokens(user), "sessions": sessions.end_sessions(user, keep_key=keep_session_key)}
        record(user, "user.password_change", user, region_code=_account_region(user), detail=detail)
    return detail


def temporary_password(user) -> str:
    """A one-time password that passes the policy: 12 letters and digits in groups of four."""
    import secrets

    while True:
        raw = "".join(secrets.choice(TEMPORARY_ALPHABET) for _i in range(12))
        candidate = "-".join(raw[i:i + 4] for i in range(0, 12, 4))
        if not _password_errors(candidate, user):
            return candidate


@transaction.atomic
def reset_password(actor, target) -> tuple[str, dict]:
    """Admin or Manajer gives an account in their scope a temporary password (selectors.
    may_reset_password): shown once to the actor, to be changed at the next sign-in. The account's
    tokens and sessions end and its sign-in lock-out is lifted (a locked-out user is the usual
    caller). Returns the password and what ended; the audit detail holds counts only."""
    from . import selectors, sessions
    from .lockout import reset_account

    if not selectors.may_reset_password(actor, target):
        raise PermissionDenied(_("Anda tidak dapat mereset kata sandi akun ini."))
    password = temporary_password(target)
    target.set_password(password)
    target.must_change_password = True
    target.save(update_fields=["password", "digest_ha1", "must_change_password"])
    detail = {"tokens": _revoke_tokens(target), "sessions": sessions.end_sessions(target)}
    reset_account(target.get_username())
    record(actor, "user.password_reset", target, region_code=_account_region(target), detail=detail)
    return password, detail


@transaction.atomic
def logout_token(token: ApiToken) -> None:
    """`POST /api/v1/auth/logout`: the token that made the call stops working."""
    record(token.user, "auth.logout", token, region_code=_account_region(token.user))
    token.delete()


@transaction.atomic
def revoke_token(user, token_id: int) -> bool:
    """The account revokes one of its own tokens (account page); False if it has no such token."""
    token = ApiToken.objects.filter(user=user, pk=token_id).first()
    if token is None:
        return False
    record(user, "auth.token_revoke", token, region_code=_account_region(user))
    token.delete()
    return True


@transaction.atomic
def revoke_all_tokens(user) -> int:
    count = _revoke_tokens(user)
    record(user, "auth.token_revoke_all", user, region_code=_account_region(user), detail={"tokens": count})
    return count


@transaction.atomic
def end_session(user, session_id: int, *, current_key: str = "") -> bool:
    """End one of the account's own signed-in sessions, not the caller's (that is "Keluar")."""
    from . import sessions
    from .models import SignedInSession

    row = SignedInSession.objects.filter(user=user, pk=session_id).first()
    if row is None:
        return False
    if current_key and row.key_hash == sessions.key_hash(current_key):
        raise ValidationError(_("Ini sesi yang sedang Anda pakai; gunakan Keluar untuk mengakhirinya."))
    record(user, "auth.session_end", row, region_code=_account_region(user))
    sessions.end_one(row)
    return True


@transaction.atomic
def end_other_sessions(user, *, current_key: str) -> int:
    from . import sessions

    count = sessions.end_sessions(user, keep_key=current_key)
    record(user, "auth.session_end_others", user, region_code=_account_region(user), detail={"sessions": count})
    return count
