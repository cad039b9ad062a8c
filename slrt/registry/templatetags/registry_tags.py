"""Template helpers for residents' personal data: NIK and names as the current user may see them (UU PDP)."""

from django import template

from slrt.accounts.roles import can
from slrt.registry.nik import mask_nik
from slrt.registry.tables import show_person_name

register = template.Library()


def _user(context):
    request = context.get("request")
    return getattr(request, "user", None) or context.get("user")


@register.simple_tag(takes_context=True)
def show_nik(context, nik: str) -> str:
    """The NIK as the current user may see it: full for roles with `see_full_nik`, masked otherwise."""
    return nik if can(_user(context), "see_full_nik") else mask_nik(nik)


@register.simple_tag(takes_context=True)
def show_name(context, name: str) -> str:
    """A resident's name as the current user may see it: in full for the desk roles that serve
    the resident (those who see the full NIK), initials for oversight roles (UU PDP)."""
    return show_person_name(_user(context), name)
