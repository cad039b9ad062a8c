from django.http import Http404
from ninja import Router, Schema

from slrt.accounts.scoping import region_safe
from slrt.wilayah.selectors import children_of, get_region

router = Router(tags=["wilayah"])


class RegionRef(Schema):
    code: str
    name: str
    level: int
    kind: str


class RegionOut(RegionRef):
    parent: RegionRef | None
    postal_code: str
    children: list[RegionRef]


@router.get("/{code}", response=RegionOut)
@region_safe  # regions are public reference data
def region_detail(request, code: str):
    region = get_region(code)
    if region is None:
        raise Http404
    return {
        "code": region.code, "name": region.name, "level": region.level, "kind": region.kind,
        "postal_code": region.postal_code, "parent": region.parent,
        "children": list(children_of(region)),
    }
