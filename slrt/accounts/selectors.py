"""Reads of staff accounts (no resident data): who may be given a task or a visit in a desa."""

from slrt.wilayah.models import NATION_CODE, ancestor_codes

from .models import User
from .roles import STAFF_ROLES, can
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
