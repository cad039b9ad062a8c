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
