"""Reads for regions. Regions are public reference data, so they are not scoped."""

from .models import Region, normalize_code


def get_region(code: str) -> Region | None:
    return Region.objects.filter(code=normalize_code(code)).select_related("parent").first()


def children_of(region: Region):
    return Region.objects.filter(parent=region).order_by("code")
