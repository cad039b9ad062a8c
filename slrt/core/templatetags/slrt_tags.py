"""Template helpers: capability checks, badges, region names and the menu, so templates never name roles.

NIK and resident names are the registry's (`{% load registry_tags %}`: show_nik, show_name)."""

from django import template

from slrt.accounts.roles import can as _can

register = template.Library()


@register.filter
def can(user, capability: str) -> bool:
    """`{% if user|can:"import_registry" %}`: the same rule the views enforce."""
    return _can(user, capability)


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


@register.simple_tag
def status_badge(machine_or_obj, state=None):
    """`{% status_badge referral %}` or `{% status_badge "referral" row.status %}`: the state's
    words with its tone and icon (slrt.core.status), the same for every page."""
    from django.utils.html import format_html

    from slrt.core.status import badge, machine_of

    if isinstance(machine_or_obj, str):
        machine = machine_or_obj
    else:
        machine = machine_of(machine_or_obj)
        state = getattr(machine_or_obj, "status", "") if state is None else state
    tone, icon, label = badge(machine, state or "")
    if not tone:
        return format_html('<span class="badge" data-state="{}">{}</span>', state or "", label)
    return format_html(
        '<span class="badge st-{}" data-state="{}"><span class="st-icon" aria-hidden="true">{}</span> {}</span>',
        tone, state, icon, label,
    )


@register.simple_tag
def region_labels(rows, attr="desa_code"):
    """`{% region_labels page "desa_code" as labels %}` then `{{ labels|get_item:row.desa_code }}`:
    "Desa Sukamaju, Kec. Soreang" for every row of a page in one query (never one per row)."""
    from slrt.wilayah.names import region_labels as labels

    return labels((r.get(attr) if isinstance(r, dict) else getattr(r, attr, None)) for r in rows)


@register.filter
def region_label(code: str) -> str:
    """One region's name on a detail page (`{{ case.desa_code|region_label }}`); lists use `region_labels`."""
    from slrt.wilayah.names import region_label as label

    return label(code) if code else "—"


@register.simple_tag
def main_menu(user, ns="", url_name=""):
    """The menu entries this user can use (slrt.core.menu), with the current one marked."""
    from slrt.core.menu import menu_for

    return menu_for(user, ns or "", url_name or "")
