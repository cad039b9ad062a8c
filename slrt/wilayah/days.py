"""Rows whose moment falls on given days, each by its own province's day (WIB, WITA, WIT).

The same rule as `reports.period.Period.q`, for the list filters of lower apps (referrals,
updates, fieldwork) that a dashboard figure links to: the figure and the list it opens must bound
a day at the same midnight, or a row sent at 23:30 WIB would be counted in one and not the other.
"""

import datetime as dt

from django.db.models import Q

from .models import NATION_CODE, Level, Region
from .timezones import zone_of, zones_by_province

EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(9999, 12, 30)


def days_q(field: str, start: dt.date | None, end: dt.date | None, region_code: str, prov_field: str = "prov_code"):
    """`field` (a datetime) on a day from `start` to `end` (both inclusive; None is open) in the
    time zone of the row's province; `region_code` is the region being listed (inside one province
    one zone serves, above it each province by its own)."""
    start, after = start or EARLIEST, (end or LATEST) + dt.timedelta(days=1)

    def bounds(zone):
        return {f"{field}__gte": dt.datetime.combine(start, dt.time(), zone),
                f"{field}__lt": dt.datetime.combine(after, dt.time(), zone)}

    if region_code and region_code != NATION_CODE:
        return Q(**bounds(zone_of(region_code)))
    q = Q(pk__in=[])
    provinces = Region.objects.filter(level=Level.PROVINSI).values_list("code", flat=True)
    for zone, codes in zones_by_province(provinces).items():
        q |= Q(**{f"{prov_field}__in": codes}, **bounds(zone))
    return q
