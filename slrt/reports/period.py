"""The period of every figure, the same everywhere (dashboards, the report API, monthly reports).

Rules (issue 13, point 6): a case counts in the period it was created in, a referral in the period
it was sent; `end` is inclusive; a day is the day of the record's own province (WIB, WITA or WIT,
`wilayah.timezones`), so a national figure bounds each zone's provinces by that zone's midnight.
"""

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from slrt.wilayah.models import NATION_CODE, Level, Region
from slrt.wilayah.timezones import zone_of, zones_by_province

MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")
QUARTER = re.compile(r"(\d{4})-Q([1-4])")
YEAR = re.compile(r"\d{4}")
MAX_DAYS = 3 * 366 + 1  # a custom period of at most about three years


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # inclusive
    kind: str = "custom"  # month, quarter, year or custom

    @property
    def label(self) -> str:
        from django.utils.formats import date_format

        if self.kind == "month":
            return date_format(self.start, "F Y")
        if self.kind == "quarter":
            return _("Triwulan %(q)s %(y)s") % {"q": (self.start.month - 1) // 3 + 1, "y": self.start.year}
        if self.kind == "year":
            return str(self.start.year)
        return f"{date_format(self.start, 'j M Y')} – {date_format(self.end, 'j M Y')}"

    @property
    def month(self) -> str:
        """YYYY-MM of a month period (the key of a stored monthly report)."""
        return f"{self.start:%Y-%m}"

    def bounds(self, zone) -> tuple[dt.datetime, dt.datetime]:
        """[start, end + 1 day) as aware datetimes at midnight in `zone`."""
        after = self.end + dt.timedelta(days=1)
        return (dt.datetime.combine(self.start, dt.time(), zone), dt.datetime.combine(after, dt.time(), zone))

    def q(self, field: str, region_code: str, prov_field: str = "prov_code") -> Q:
        """Rows whose `field` (a datetime) falls in the period, each by its own province's day.

        `region_code` is the scope being counted: inside one province one zone serves; above it the
        provinces are grouped by zone and each group bounded by its own midnight."""
        if region_code and region_code != NATION_CODE:
            start, after = self.bounds(zone_of(region_code))
            return Q(**{f"{field}__gte": start, f"{field}__lt": after})
        provinces = Region.objects.filter(level=Level.PROVINSI).values_list("code", flat=True)
        q = Q(pk__in=[])
        for zone, codes in zones_by_province(provinces).items():
            start, after = self.bounds(zone)
            q |= Q(**{f"{prov_field}__in": codes, f"{field}__gte": start, f"{field}__lt": after})
        return q

    def contains(self, moment: dt.datetime, region_code: str) -> bool:
        """The same rule for one datetime in Python (tests, frozen reports)."""
        day = timezone.localtime(moment, zone_of(region_code)).date()
        return self.start <= day <= self.end

    def previous(self) -> "Period":
        """The period of the same length just before this one (for comparisons)."""
        if self.kind == "month":
            return month_period(_shift_month(self.start, -1))
        length = self.end - self.start
        end = self.start - dt.timedelta(days=1)
        return Period(end - length, end, "custom")


def _shift_month(day: dt.date, months: int) -> str:
    index = day.year * 12 + day.month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_period(text: str) -> Period:
    m = MONTH.fullmatch(text or "")
    if not m:
        raise ValueError(_("Bulan harus berformat YYYY-MM (mis. 2026-11)."))
    year, month = int(m[1]), int(m[2])
    return Period(dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1]), "month")


def quarter_period(text: str) -> Period:
    m = QUARTER.fullmatch(text or "")
    if not m:
        raise ValueError(_("Triwulan harus berformat YYYY-Qn (mis. 2026-Q3)."))
    year, q = int(m[1]), int(m[2])
    last = 3 * q
    return Period(dt.date(year, last - 2, 1), dt.date(year, last, calendar.monthrange(year, last)[1]), "quarter")


def year_period(text: str) -> Period:
    if not YEAR.fullmatch(text or ""):
        raise ValueError(_("Tahun harus berformat YYYY (mis. 2026)."))
    return Period(dt.date(int(text), 1, 1), dt.date(int(text), 12, 31), "year")


def custom_period(start: str | dt.date, end: str | dt.date) -> Period:
    try:
        start = start if isinstance(start, dt.date) else dt.date.fromisoformat(start)
        end = end if isinstance(end, dt.date) else dt.date.fromisoformat(end)
    except (TypeError, ValueError):
        raise ValueError(_("Tanggal harus berformat YYYY-MM-DD (mis. 2026-11-30).")) from None
    if end < start:
        raise ValueError(_("Tanggal akhir tidak boleh sebelum tanggal awal."))
    if (end - start).days > MAX_DAYS:
        raise ValueError(_("Periode paling panjang tiga tahun."))
    return Period(start, end, "custom")


def current_month(region_code: str = "") -> Period:
    return month_period(f"{timezone.localtime(timezone.now(), zone_of(region_code)):%Y-%m}")


def period_from_params(params, region_code: str = "") -> Period:
    """The period asked for by a page or API query: `bulan=YYYY-MM`, `triwulan=YYYY-Qn`,
    `tahun=YYYY`, or `dari`/`sampai` (also SPEC's `from`/`to`); none means the current month.
    ValueError names what is wrong."""
    if params.get("from") or params.get("to") or params.get("dari") or params.get("sampai"):
        start = params.get("from") or params.get("dari") or ""
        return custom_period(start, params.get("to") or params.get("sampai") or "")
    if params.get("bulan"):
        return month_period(params["bulan"])
    if params.get("triwulan"):
        return quarter_period(params["triwulan"])
    if params.get("tahun"):
        return year_period(params["tahun"])
    return current_month(region_code)
