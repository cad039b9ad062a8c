from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from slrt.accounts.scoping import region_safe

from .models import NATION_CODE
from .selectors import children_of, get_region


@region_safe  # regions are public reference data
@login_required
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
