"""Writes for accounts."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from slrt.audit.services import record
from slrt.wilayah.models import Level, Region, normalize_code

from . import twofactor
from .models import ApiToken, RecoveryCode, RecoveryCodeDevice, User, new_recovery_code
from .roles import ALLOWED_LEVELS, Role
from .scoping import in_scope


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
    from . import selectors

    if actor is not None and not selectors.may_manage_account(actor, user):
        # Also one's own account: nobody deactivates themselves (an Admin would lock itself out).
        raise PermissionDenied(_("Anda tidak dapat menonaktifkan akun ini."))
    user = User.objects.select_for_update().get(pk=user.pk)
    was_active = user.is_active
    user.is_active = False
    user.save(update_fields=["is_active"])
    # An inactive account's sessions already answer as signed out (ModelBackend.get_user); its
    # tokens already fail (ApiToken.authenticate); they are removed so no later reactivation revives them.
    revoked, _kinds = ApiToken.objects.filter(user=user).delete()
    from . import sessions

    ended = sessions.end_sessions(user)
    record(actor, "user.deactivate", user, region_code=user.region_id or "",
           detail={"was_active": was_active, "tokens_revoked": revoked, "sessions": ended})
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


# --- Two-factor sign-in (twofactor.py has the rules and reads) -----------------------------------


def _scope(user) -> str:
    return user.region_id or ""


@transaction.atomic
def start_totp_enrolment(user) -> TOTPDevice:
    """The authenticator being set up: a new secret, or the same one again on a reload."""
    device = twofactor.totp_device(user, confirmed=False)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=twofactor.TOTP_NAME, confirmed=False, tolerance=1)
        record(user, "otp.enrol_start", device, region_code=_scope(user))
    return device


def _new_recovery_codes(user) -> tuple[RecoveryCodeDevice, list[str]]:
    """Replace the account's recovery codes; the plain codes exist only in the answer shown once."""
    RecoveryCodeDevice.objects.filter(user=user).delete()
    device = RecoveryCodeDevice.objects.create(user=user, name=twofactor.RECOVERY_NAME, confirmed=True)
    codes: set[str] = set()
    while len(codes) < twofactor.RECOVERY_CODE_COUNT:
        codes.add(new_recovery_code())
    RecoveryCode.objects.bulk_create([RecoveryCode(device=device, code_hash=RecoveryCode.hash_of(c)) for c in codes])
    return device, sorted(codes)


def confirm_totp_enrolment(user, code: str) -> tuple[TOTPDevice, list[str]] | None:
    """Confirm the authenticator being set up with its first code; None if the code is wrong.

    On success the account's earlier authenticator (re-enrolment after a lost phone) and
    recovery codes are replaced, and the new recovery codes are returned to be shown once."""
    with transaction.atomic():
        device = (TOTPDevice.objects.select_for_update()
                  .filter(user=user, confirmed=False).order_by("-id").first())
        if device is None or not device.verify_token(code):
            return None  # committed: django-otp's failure throttle stays counted
        replaced, _kinds = TOTPDevice.objects.filter(user=user, confirmed=True).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        _recovery, codes = _new_recovery_codes(user)
        record(user, "otp.enrol", device, region_code=_scope(user),
               detail={"replaced": replaced, "recovery_codes": len(codes)})
    return device, codes


def verify_second_factor(user, code: str, *, kind: str):
    """The device that accepts `code` at sign-in (kind "totp" or "recovery"), or None.

    Each code counts once: django-otp remembers the TOTP step last accepted (a replay in the
    same 30 seconds is refused), a recovery code is marked used. The device row is locked, so
    two requests with the same code cannot both pass. Failures are counted by the caller
    (lockout.count_failure), as for a wrong password."""
    model = TOTPDevice if kind == "totp" else RecoveryCodeDevice
    with transaction.atomic():
        device = model.objects.select_for_update().filter(user=user, confirmed=True).order_by("-id").first()
        if device is None or not device.verify_token(code):
            return None
        detail = {"kind": kind}
        if kind == "recovery":
            detail["left"] = device.remaining()
        record(user, "otp.verify", device, region_code=_scope(user), detail=detail)
    return device


@transaction.atomic
def regenerate_recovery_codes(user) -> tuple[RecoveryCodeDevice, list[str]]:
    if not twofactor.is_enrolled(user):
        raise ValidationError(_("Aktifkan verifikasi dua langkah dulu."))
    device, codes = _new_recovery_codes(user)
    record(user, "otp.recovery_codes", device, region_code=_scope(user), detail={"count": len(codes)})
    return device, codes


def _clear_devices(user) -> int:
    """Remove the account's authenticator(s) and recovery codes; the number of devices removed."""
    devices = [TOTPDevice.objects.filter(user=user), RecoveryCodeDevice.objects.filter(user=user)]
    count = sum(qs.count() for qs in devices)
    for qs in devices:
        qs.delete()
    return count


def disable_two_factor(user, code: str) -> None:
    """Turn the second factor off (only for roles that need not use it), confirmed by a current code."""
    if twofactor.required_for(user):
        raise ValidationError(_("Peran Anda wajib memakai verifikasi dua langkah; tidak dapat dimatikan."))
    if verify_second_factor(user, code, kind="totp") is None:
        raise ValidationError({"code": _("Kode salah atau sudah dipakai. Masukkan kode yang tampil sekarang.")})
    with transaction.atomic():
        removed = _clear_devices(user)
        record(user, "otp.disable", user, region_code=_scope(user), detail={"devices": removed})


@transaction.atomic
def reset_two_factor(actor, target) -> dict:
    """Admin or Manajer clears another account's second factor (a lost phone), under the rule of a password
    reset (selectors.may_reset_password), so a Manajer cannot take over an account with more reach.

    The phone may hold a signed-in session or an API token: both end, so whoever has it must sign
    in again with the password, and an account of a required role has to enrol anew first."""
    from . import selectors, sessions

    if not selectors.may_reset_password(actor, target):
        raise PermissionDenied(_("Anda tidak dapat mereset verifikasi dua langkah akun ini."))
    removed = _clear_devices(target)
    detail = {"devices": removed, "tokens": _revoke_tokens(target), "sessions": sessions.end_sessions(target)}
    record(actor, "otp.reset", target, region_code=_scope(target), detail=detail)
    return detail


# --- Account management (/pengelolaan/) ----------------------------------------------------------
# Who may do what is selectors.may_manage_account / may_assign (one place); every write here
# checks it again, validates, runs in one transaction and leaves one audit row naming the fields
# changed and the role/region codes, never a name or a password.

NAME_MAX = 150


def _assignment(actor, role: str, region_code: str, agency_code: str) -> tuple[dict, "Region | None"]:
    """Errors (by field) of giving an account this role, region and agency, and the region."""
    from . import hooks, selectors

    errors: dict[str, str] = {}
    region = None
    if role not in Role.values:
        errors["role"] = _("Pilih peran dari daftar.")
    elif role not in selectors.manageable_roles(actor):
        errors["role"] = _("Hanya Admin yang membuat atau mengubah akun %(role)s.") % {"role": Role(role).label}
    code = normalize_code(region_code or "")
    if not code:
        errors["region"] = _("Isi wilayah tugas.")
    else:
        region = Region.objects.filter(code=code).first()
        if region is None:
            errors["region"] = _("Wilayah tugas tidak ada di data Kemendagri.")
        elif not in_scope(actor, code):
            errors["region"] = _("Wilayah tugas berada di luar wilayah Anda.")
        elif role in Role.values and region.level not in ALLOWED_LEVELS[role]:
            errors["region"] = _("Peran %(role)s ditugaskan di tingkat %(levels)s, bukan %(level)s.") % {
                "role": Role(role).label,
                "levels": ", ".join(str(Level(lv).label) for lv in sorted(ALLOWED_LEVELS[role])),
                "level": Level(region.level).label,
            }
    agency_code = (agency_code or "").strip()
    if role == Role.MITRA:
        if not agency_code:
            errors["agency"] = _("Akun Mitra harus terhubung ke satu lembaga; pilih lembaganya.")
        elif hooks.has_agency_directory() and agency_code not in {a.code for a in selectors.agency_choices(actor)}:
            errors["agency"] = _("Lembaga itu tidak ada, tidak aktif, atau di luar wilayah Anda.")
    elif agency_code:
        errors["agency"] = _("Hanya akun Mitra yang terhubung ke lembaga.")
    return errors, region


def _clean_name(full_name: str, errors: dict) -> str:
    name = " ".join((full_name or "").split())
    if len(name) > NAME_MAX:
        errors["full_name"] = _("Nama paling panjang %(n)d karakter.") % {"n": NAME_MAX}
    return name


def create_account(actor, *, username: str, role: str, region_code: str, agency_code: str = "",
                   full_name: str = "", email: str = "", password: str = "") -> tuple[User, str]:
    """A new account made by an Admin or Manajer. Without `password` a one-time password is made;
    either way the owner must change it at the first sign-in (the actor knows it). Returns the
    account and the password to hand over in person (shown once, never stored or sent)."""
    from django.core.validators import validate_email

    from . import selectors

    if not selectors.may_manage_users(actor):
        raise PermissionDenied(_("Peran Anda tidak dapat membuat akun."))
    username = (username or "").strip()
    errors, region = _assignment(actor, role, region_code, agency_code)
    if not username:
        errors["username"] = _("Isi nama pengguna.")
    else:
        try:
            User.username_validator(username)
        except ValidationError:
            errors["username"] = _("Nama pengguna hanya huruf, angka dan tanda . _ - (tanpa spasi).")
        if len(username) > 150:
            errors["username"] = _("Nama pengguna paling panjang 150 karakter.")
        elif User.objects.filter(username__iexact=username).exists():
            errors["username"] = _("Nama pengguna itu sudah dipakai akun lain (juga akun nonaktif).")
    name = _clean_name(full_name, errors)
    email = (email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = _("Alamat email tidak valid.")
    user = User(username=username, role=role, region=region, agency_code=(agency_code or "").strip(),
                first_name=name, email=email)
    if password and not errors:
        problems = _password_errors(password, user)
        if problems:
            errors["password"] = " ".join(problems)
    if errors:
        raise ValidationError(errors)
    given = bool(password)
    password = password or temporary_password(user)
    with transaction.atomic():
        user.set_password(password)
        user.must_change_password = True
        user.is_active = True
        user.save()
        record(actor, "user.create", user, region_code=region.code,
               detail={"role": role, "agency": user.agency_code, "password": "given" if given else "one_time"})
    return user, password


ACCOUNT_FIELDS = ("role", "region", "agency_code", "first_name", "email")


def change_account(actor, target: User, *, role: str, region_code: str, agency_code: str = "",
                   full_name: str = "", email: str = "") -> list[str]:
    """Change another account's role, region, agency, name or email; the fields changed."""
    from django.core.validators import validate_email

    from . import selectors

    if not selectors.may_manage_account(actor, target):
        raise PermissionDenied(_("Anda tidak dapat mengubah akun ini."))
    errors, region = _assignment(actor, role, region_code, agency_code)
    name = _clean_name(full_name, errors)
    email = (email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = _("Alamat email tidak valid.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=target.pk)
        before = {"role": user.role, "region": user.region_id}
        new = {"role": role, "region": region, "agency_code": (agency_code or "").strip(), "first_name": name,
               "email": email}
        changed = [f for f in ACCOUNT_FIELDS if getattr(user, f) != new[f]]
        if not changed:
            return []
        for f in changed:
            setattr(user, f, new[f])
        user.save(update_fields=changed)
        detail = {"fields": changed}
        if "role" in changed:
            detail["role"] = [before["role"], role]
        if "region" in changed:
            detail["region"] = [before["region"], region.code]
        if "agency_code" in changed:
            detail["agency"] = user.agency_code
        # A new role or region changes what the account may reach: its tokens are revoked so an
        # app holding one signs in again and sees the new scope from then on.
        if {"role", "region", "agency_code"} & set(changed):
            detail["tokens_revoked"] = _revoke_tokens(user)
        record(actor, "user.update", user, region_code=region.code, detail=detail)
    target.refresh_from_db()
    return changed


@transaction.atomic
def reactivate_user(actor, target: User) -> User:
    """Open a deactivated account again. It signs in with the password it had (tokens were
    revoked at deactivation); a reset gives it a new one when that was the reason."""
    from . import selectors

    if not selectors.may_manage_account(actor, target):
        raise PermissionDenied(_("Anda tidak dapat mengaktifkan akun ini."))
    user = User.objects.select_for_update().get(pk=target.pk)
    if user.is_active:
        return user
    errors, _region = _assignment(actor, user.role, user.region_id or "", user.agency_code)
    if errors:  # e.g. its agency was closed meanwhile: change the account first
        raise ValidationError(errors)
    user.is_active = True
    user.save(update_fields=["is_active"])
    record(actor, "user.reactivate", user, region_code=user.region_id or "")
    return user


@transaction.atomic
def unlock_account(actor, target: User) -> int:
    """Lift the sign-in lock-out of the account (its failures at every address); a lock of an
    address that tried many usernames stays. The number of failure records cleared."""
    from . import selectors
    from .lockout import reset_account

    if not selectors.may_manage_account(actor, target):
        raise PermissionDenied(_("Anda tidak dapat membuka kunci akun ini."))
    cleared = reset_account(target.get_username())
    record(actor, "user.unlock", target, region_code=target.region_id or "", detail={"cleared": cleared})
    return cleared
