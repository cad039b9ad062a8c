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


# --- Account management (/pengelolaan/): who may manage whom ----------------------------------
# The one place for these rules; services check them again on every write, pages only show what
# they allow. A Manajer runs the desk of its kab/kota: its front and back office, supervisors,
# facilitators, Puskesos coordinators and the partner agencies' Mitra accounts, inside the
# kab/kota. Admin, Dinsos and Manajer accounts have the same or a wider reach than a Manajer and
# are made and changed by an Admin only. Nobody manages their own account here (own role, own
# region, own deactivation): the account page (/akun/) is for one's own password.

MANAGEABLE_BY: dict[str, set[str]] = RESETTABLE_BY


def may_manage_users(user) -> bool:
    return can(user, "manage_users") and bool(user.region_id)


def manageable_roles(actor) -> list[str]:
    """The roles the actor may give an account, in the order of Role."""
    if not may_manage_users(actor):
        return []
    allowed = MANAGEABLE_BY.get(actor.role, set())
    return [r for r in Role.values if r in allowed]


def region_inside_q(code: str):
    """Accounts whose region lies inside `code` (itself or below it); the nation: every region."""
    from django.db.models import Q

    if code == NATION_CODE:
        return Q()
    return Q(region_id=code) | Q(region__code__startswith=f"{code}.")


def manageable_accounts(actor):
    """The accounts the actor may manage (active or not), the actor's own excluded: deny by default."""
    if not may_manage_users(actor):
        return User.objects.none()
    qs = User.objects.filter(role__in=MANAGEABLE_BY.get(actor.role, set()))
    if actor.region_id != NATION_CODE:
        qs = qs.filter(region_inside_q(actor.region_id))
    return qs.exclude(pk=actor.pk)


def may_manage_account(actor, target) -> bool:
    """The target exists, is not the actor, has a role the actor manages and lies in its scope."""
    if target is None or not may_manage_users(actor) or actor.pk == target.pk:
        return False
    if target.role not in MANAGEABLE_BY.get(actor.role, set()):
        return False
    if actor.region_id == NATION_CODE:
        return True
    return bool(target.region_id) and in_scope(actor, target.region_id)


def may_assign(actor, role: str, region_code: str) -> bool:
    """Whether the actor may give an account this role in this region (ALLOWED_LEVELS aside)."""
    if role not in manageable_roles(actor) or not region_code:
        return False
    return actor.region_id == NATION_CODE or in_scope(actor, region_code)


def managed_account(actor, pk):
    """An account of the management pages, or None (the page answers 404 exactly as for no account)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return manageable_accounts(actor).select_related("region").filter(pk=pk).first()


def agency_choices(actor) -> list:
    """The active agencies the actor may link a Mitra account to: those whose region lies inside
    the actor's scope (an Admin at the nation: every one), by name."""
    from . import hooks

    if not may_manage_users(actor):
        return []
    rows = [a for a in hooks.agency_directory().values() if a.active and (
        actor.region_id == NATION_CODE or in_scope(actor, a.region_code))]
    return sorted(rows, key=lambda a: (a.name.lower(), a.code))


def locked_usernames(usernames) -> set[str]:
    """Which of these accounts the sign-in lock-out refuses now: their failures (django-axes, summed
    over addresses) within the cool-off reach the limit. A lock of an address is not an account's."""
    import datetime as dt

    from axes.models import AccessAttempt
    from django.conf import settings
    from django.db.models import Sum
    from django.utils import timezone

    names = [u for u in usernames if u]
    if not names:
        return set()
    since = timezone.now() - dt.timedelta(hours=settings.AXES_COOLOFF_TIME)
    rows = (AccessAttempt.objects.filter(username__in=names, attempt_time__gte=since)
            .values("username").annotate(failures=Sum("failures_since_start"))
            .filter(failures__gte=settings.AXES_FAILURE_LIMIT))
    return {r["username"] for r in rows}


def account_list(actor, *, role: str = "", region_code: str = "", active: bool | None = None, q: str = ""):
    """The management list, filtered; `region_code` must already lie inside the actor's scope."""
    qs = manageable_accounts(actor).select_related("region")
    if role:
        qs = qs.filter(role=role)
    if region_code:
        qs = qs.filter(region_inside_q(region_code))
    if active is not None:
        qs = qs.filter(is_active=active)
    if q:
        from django.db.models import Q

        qs = qs.filter(Q(username__icontains=q) | Q(first_name__icontains=q) | Q(last_name__icontains=q))
    return qs.order_by("region_id", "role", "username")
