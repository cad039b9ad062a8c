"""`{% export_links "cases" %}`: the list's export addresses carrying the page's current filters."""

from django import template
from django.urls import reverse
from django.utils.http import urlencode

from slrt.core.search_terms import KEY_PARAM

from ..lists import LISTS

register = template.Library()

# Paging and the export's own choices are not filters.
_DROP = {"hal", "format", KEY_PARAM}


@register.simple_tag(takes_context=True)
def export_links(context, name, key="", **fixed):
    """{"csv": url, "xlsx": url} for the list `name` as this page filters it, or {} when the user
    may not export it. `key` is a search page's session key (its terms stay in the session);
    `fixed` adds filters the page holds in its path (a targeting run's id)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    entry = LISTS.get("inbox" if name == "referrals" and getattr(user, "role", "") == "mitra" else name)
    if request is None or entry is None or not entry.available() or not entry.allowed(user):
        return {}
    pairs = [(k, v) for k in request.GET.keys() if k not in _DROP and k not in entry.session_fields
             for v in request.GET.getlist(k)]
    pairs += [(k, str(v)) for k, v in fixed.items() if v not in (None, "")]
    key = key or request.GET.get(KEY_PARAM, "")
    if key and entry.session_fields:
        pairs.append((KEY_PARAM, key))
    base = reverse("exports:export", args=[name])
    return {fmt: f"{base}?{urlencode([('format', fmt), *pairs])}" for fmt in ("csv", "xlsx")}
