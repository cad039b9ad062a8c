"""What the dashboard page makes of the figures (issue 13, point 1): the sections that are there,
each table prepared for its template and chart, the breadcrumb up to the user's own region, the
child regions to drill down to, and the period carried along every link.

Sections are rendered from their shape alone (`figures/base.py`), so a section added to
`figures.SECTIONS` shows without a change here. Reads no personal data itself: every count comes
from the section functions, which count through `Model.objects.for_user`.
"""

from importlib import import_module
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from slrt.wilayah.models import NATION_CODE, Level, Region, ancestor_codes, level_of

from .figures import SECTIONS
from .figures.base import Scope
from .period import Period

CHART_KINDS = {"bar", "line"}
LISTED = "cases"  # a column (or figure key) holding the number of records the row's list shows


def _section_function(target: str):
    """The section's function, or None while its module is not written yet (another helper's
    module lands later). Only the module's own absence is forgiven: an import error inside a present
    module, or a missing function in it, is a real error and raises."""
    module_name, name = target.split(":")
    try:
        module = import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            return None
        raise
    return getattr(module, name)


def sections(scope: Scope, period_query: str) -> list[dict]:
    """Every present section in dashboard order, prepared for the page."""
    shown = []
    for _key, target in SECTIONS:
        function = _section_function(target)
        if function is not None:
            shown.append(present_section(function(scope), period_query))
    return shown


# --- one section ----------------------------------------------------------------------------------


def is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_count(value, unit: str = "") -> bool:
    """A count of records (the rows of the list behind it), as opposed to days, shares, rupiah."""
    return isinstance(value, int) and not isinstance(value, bool) and not unit


def show_number(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("ya") if value else _("tidak")
    if isinstance(value, int):
        return number_format(value, force_grouping=True)
    if isinstance(value, float):
        return number_format(round(value, 1), decimal_pos=0 if value == int(value) else 1, force_grouping=True)
    return str(value)


def present_section(section: dict, period_query: str) -> dict:
    key = section["key"]
    return {
        "key": key,
        "title": section.get("title") or key,
        "figures": [present_figure(f) for f in section.get("figures") or []],
        "tables": [present_table(key, t, period_query) for t in section.get("tables") or []],
    }


def present_figure(figure: dict) -> dict:
    """A figure card. Its link's number (`listed`) is the count of the list it opens: the value
    itself, or `cases` where the value counts something else (needs, days, a share) and the list
    holds the cases behind it; that number is then shown on the card too."""
    value, unit = figure.get("value"), figure.get("unit") or ""
    listed = figure.get("cases") if is_count(figure.get("cases")) else (value if is_count(value, unit) else None)
    return {
        **figure,
        "shown": show_number(value),
        "unit": unit,
        "url": figure.get("url") or "",
        "listed": listed,
        "listed_shown": show_number(listed) if "cases" in figure and listed is not None else "",
    }


def charted_column(table: dict) -> str | None:
    """The first column after `label` holding a number in some row (base.py: the one charted)."""
    for col in table.get("columns") or []:
        if col["key"] != "label" and any(is_number(row.get(col["key"])) for row in table.get("rows") or []):
            return col["key"]
    return None


def present_table(section_key: str, table: dict, period_query: str) -> dict:
    columns = [c for c in table.get("columns") or [] if c["key"] != "label"]
    label_title = next((c["title"] for c in table.get("columns") or [] if c["key"] == "label"), "")
    charted = charted_column(table)
    drills = table["key"] == "by_region"
    rows = []
    for row in table.get("rows") or []:
        # A row's `url` lists the records of its charted number; a row may name the list of any
        # other column in `urls` ({column key: url}). A number without a list stays plain text:
        # linking it to another column's list would show the wrong records.
        # A `cases` column, where a table has one, counts the rows of that list (the charted number
        # may count needs or recommendations of those cases): the url goes with it.
        urls = {**(row.get("urls") or {})}
        listed = LISTED if any(c["key"] == LISTED for c in columns) else charted
        if listed and row.get("url"):
            urls.setdefault(listed, row["url"])
        cells = []
        for col in columns:
            value = row.get(col["key"])
            cells.append({
                "key": col["key"], "value": value, "shown": show_number(value), "numeric": is_number(value),
                "url": urls.get(col["key"], "") if value is not None else "",
                "count": is_count(value), "charted": col["key"] == charted,
            })
        child = ""
        if drills and row.get("code"):
            child = f"{reverse('dashboard:region', args=[row['code']])}?{period_query}#s-{section_key}"
        chart_value = row.get(charted) if charted else None
        rows.append({
            "key": row.get("key") or row.get("code") or "", "label": str(row.get("label") or row.get("key") or ""),
            "cells": cells, "url": row.get("url") or "", "child_url": child,
            "chart_value": chart_value if is_number(chart_value) else "",
        })
    # A chart of nothing but zeros says nothing the table does not: it is left out.
    drawable = charted and any(r["chart_value"] not in ("", 0) for r in rows)
    chart = table.get("chart") if table.get("chart") in CHART_KINDS and drawable else None
    presented = {
        "key": table["key"], "id": f"t-{section_key}-{table['key']}", "title": table.get("title") or "",
        "label_title": label_title or _("Uraian"), "columns": columns, "rows": rows, "chart": chart,
        "charted": charted, "charted_title": next((c["title"] for c in columns if c["key"] == charted), ""),
        "drills": drills,
        # More than two numbers a row: the table takes the full width, its chart goes below it.
        "wide": len(columns) > 2,
    }
    presented["summary"] = chart_summary(presented) if chart else ""
    return presented


def chart_summary(table: dict) -> str:
    """The chart's text alternative: what it shows and its main numbers, in one sentence or two."""
    points = [(r["label"], r["chart_value"]) for r in table["rows"] if r["chart_value"] != ""]
    if not points:
        return _("Grafik %(title)s: belum ada angka.") % {"title": table["title"]}
    what = {"title": table["title"], "column": table["charted_title"], "n": len(points)}
    if table["chart"] == "line":
        first, last = points[0], points[-1]
        high = max(points, key=lambda p: p[1])
        return _(
            "Grafik garis %(title)s (%(column)s), %(n)s titik: dari %(first)s (%(first_v)s) sampai %(last)s "
            "(%(last_v)s); tertinggi %(high)s (%(high_v)s). Angka lengkap ada di tabel."
        ) % {**what, "first": first[0], "first_v": show_number(first[1]), "last": last[0],
             "last_v": show_number(last[1]), "high": high[0], "high_v": show_number(high[1])}
    ranked = sorted(points, key=lambda p: p[1], reverse=True)
    top = "; ".join(f"{label} {show_number(value)}" for label, value in ranked[:3])
    return _(
        "Grafik batang %(title)s (%(column)s), %(n)s batang, terbesar: %(top)s. Angka lengkap ada di tabel."
    ) % {**what, "top": top}


# --- regions and the period ------------------------------------------------------------------------


def period_params(period: Period) -> dict:
    """The query that asks for `period` again (slrt.reports.period.period_from_params)."""
    if period.kind == "month":
        return {"bulan": period.month}
    if period.kind == "quarter":
        return {"triwulan": f"{period.start.year}-Q{(period.start.month - 1) // 3 + 1}"}
    if period.kind == "year":
        return {"tahun": str(period.start.year)}
    return {"dari": period.start.isoformat(), "sampai": period.end.isoformat()}


def period_query(period: Period) -> str:
    return urlencode(period_params(period))


def region_url(user, code: str, query: str = "") -> str:
    """The dashboard of `code`: the plain /dasbor/ for the user's own region."""
    url = reverse("dashboard:index") if code == user.region_id else reverse("dashboard:region", args=[code])
    return f"{url}?{query}" if query else url


def crumbs(user, region: Region, query: str) -> list[dict]:
    """From the user's own region down to `region` (the last one is the page itself)."""
    own = user.region_id
    chain = [NATION_CODE] if region.code == NATION_CODE else ancestor_codes(region.code)
    if own == NATION_CODE and region.code != NATION_CODE:
        chain = [NATION_CODE, *chain]
    chain = chain[chain.index(own):] if own in chain else [region.code]
    names = dict(Region.objects.filter(code__in=chain).values_list("code", "name"))
    names.setdefault(NATION_CODE, _("Indonesia"))
    return [
        {"code": code, "name": names.get(code, code), "url": region_url(user, code, query),
         "current": code == region.code}
        for code in chain
    ]


def children(region: Region, query: str) -> list[dict]:
    """The regions one level down (provinces under the nation), each with its dashboard link."""
    if region.code == NATION_CODE:
        qs = Region.objects.filter(level=Level.PROVINSI)
    elif level_of(region.code) >= Level.DESA:
        return []
    else:
        qs = Region.objects.filter(parent_id=region.code)
    return [
        {"code": code, "name": name, "url": f"{reverse('dashboard:region', args=[code])}?{query}"}
        for code, name in qs.order_by("name", "code").values_list("code", "name")
    ]


def level_name(region: Region) -> str:
    return str(Level(level_of(region.code)).label)


def child_level_name(region: Region) -> str:
    level = level_of(region.code)
    return str(Level(level + 1).label) if level < Level.DESA else ""
