"""Template helpers: capability checks and NIK display, so templates never name roles."""

from django import template

from slrt.accounts.roles import can as _can
from slrt.registry.nik import mask_nik

register = template.Library()


@register.filter
def can(user, capability: str) -> bool:
    """`{% if user|can:"import_registry" %}`: the same rule the views enforce."""
    return _can(user, capability)


@register.simple_tag(takes_context=True)
def show_nik(context, nik: str) -> str:
    """The NIK as the current user may see it: full for roles with `see_full_nik`, masked otherwise."""
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    return nik if _can(user, "see_full_nik") else mask_nik(nik)


@register.filter
def get_item(mapping, key):
    """Dictionary lookup with a variable key (`row|get_item:field`)."""
    if mapping is None:
        return None
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.simple_tag(takes_context=True)
def query_with(context, **kwargs) -> str:
    """The current query string with some parameters replaced (for pagination links)."""
    params = context["request"].GET.copy()
    for key, value in kwargs.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    return params.urlencode()
