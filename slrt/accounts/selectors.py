"""Reads of staff accounts (no resident data): who may be given a task or a visit in a desa, whose
password an Admin or Manajer may reset, and an account's own API tokens."""

from slrt.wilayah.models import NATION_CODE, ancestor_codes

from .models import ApiToken, User
from .roles import STAFF_ROLES, Role, can
from .scoping import in_scope

# Who may ask: those who assign follow-up tasks (case desk) or home visits (field work).
ASSIGNER_CAPABILITIES = ("intake_case", "assess_case", "close_case", "assign_visits")


def may_list_staff(user) -> bool:
    return any(can(user, c) for c in ASSIGNER_CAPABILITIES)


def staff_covering(user, region_code: str, *, role: str = ""):
    """Active staff whose scope contains `region_code` (a region inside the caller's scope).

    The same rule the task and visit services check for an assignee, so every id listed here is
    one those writes accept for that region (visits further need a field role)."""
    if not in_scope(user, region_code):
        return User.objects.none()
    qs = User.objects.filter(
        is_active=True, role__in=STAFF_ROLES, region_id__in=[NATION_CODE, *ancestor_codes(region_code)]
    )
    if role:
        qs = qs.filter(role=role)
    return qs.select_related("region").order_by("role", "username")


# --- The account page: one's own tokens and sessions, and whose password one may reset ---------

# A Manajer runs the district's desk and may reset its staff and partner agencies, never an
# account with the same or a wider reach (Admin, Dinsos, another Manajer): one district officer
# must not be able to take over such an account. An Admin may reset anyone inside its scope.
RESETTABLE_BY = {
    Role.ADMIN: set(Role),
    Role.MANAJER: set(Role) - {Role.ADMIN, Role.DINSOS, Role.MANAJER},
}


def may_reset_others(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.role in RESETTABLE_BY)


def account_named(username: str):
    """The account a reset form names, or None; may_reset_password then decides."""
    return User.objects.filter(username=username.strip()).first()


def may_reset_password(actor, target) -> bool:
    """Deny unless: the actor is an active Admin or Manajer, the target another active account of
    a role the actor may reset, whose region lies inside the actor's scope."""
    if not may_reset_others(actor) or target is None or not target.is_active or actor.pk == target.pk:
        return False
    if target.role not in RESETTABLE_BY[actor.role] or not target.region_id:
        return False
    return in_scope(actor, target.region_id)


def active_tokens(user):
    """The account's unexpired API tokens, newest first (only hashes are stored: no token shown)."""
    return ApiToken.objects.active().filter(user=user).order_by("-created_at")
