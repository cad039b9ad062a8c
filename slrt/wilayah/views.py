from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from slrt.accounts.scoping import region_safe
from slrt.core.http import capability_required

from .models import NATION_CODE, Level
from .names import suggest_regions
from .selectors import children_of, get_region


@region_safe  # regions are public reference data
@login_required
@capability_required("view_regions")  # staff only, like its menu entry
def region_detail(request, code=NATION_CODE):
    region = get_region(code)
    if region is None:
        raise Http404
    ancestors = []
    node = region.parent
    while node is not None:
        ancestors.insert(0, node)
        node = node.parent
    return render(
        request, "wilayah/region_detail.html",
        {"region": region, "ancestors": ancestors, "children": children_of(region)},
    )


@region_safe  # suggestions are limited to the user's own scope (names of public reference data)
@login_required
@require_GET
def region_suggest(request):
    """Names for a region box as the user types: `q` (or the box's own field), optional `tingkat` levels."""
    field = request.GET.get("field", "")
    q = (request.GET.get("q") or (request.GET.get(field, "") if field and field not in ("tingkat", "field") else ""))
    levels = []
    for part in request.GET.get("tingkat", "").split(","):
        if part.strip().isdigit() and int(part) in Level.values and int(part) != Level.NATION:
            levels.append(int(part))
    suggestions = suggest_regions(request.user, q[:80], levels=levels or None)
    return render(request, "wilayah/_suggestions.html", {"suggestions": suggestions, "q": q.strip()})
