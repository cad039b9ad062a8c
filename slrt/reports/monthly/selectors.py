"""Read side of the monthly reports: which reports a user may see (those of regions inside their
scope, never above it: a Koordinator sees the desa's reports, not the kab/kota's)."""

from django.db.models import F, Q
from django.db.models.functions import Substr
from django.http import Http404

from slrt.accounts.roles import can
from slrt.accounts.scoping import in_scope
from slrt.wilayah.models import NATION_CODE
from slrt.wilayah.names import region_labels

from ..models import MonthlyReport, ReportStatus
from .document import table_cells, text_value


def _scope_q(user) -> Q:
    if not can(user, "view_monthly_report") or not user.region_id:
        return Q(pk__in=[])
    code = user.region_id
    if code == NATION_CODE:
        return Q()
    return Q(region_id=code) | Q(region__code__startswith=f"{code}.")


def reports_for_user(user):
    return MonthlyReport.objects.filter(_scope_q(user)).select_related("region", "generated_by")


def reports_of_region(user, region_code: str):
    """Every version of every month of one region (newest month first), if the region is in scope."""
    if not in_scope(user, region_code):
        return MonthlyReport.objects.none()
    return reports_for_user(user).filter(region_id=region_code)


def get_report(user, pk) -> MonthlyReport:
    """The report, or 404 exactly as if it did not exist when it lies outside the user's scope."""
    report = reports_for_user(user).filter(pk=pk).first()
    if report is None:
        raise Http404
    return report


def get_done_report(user, pk) -> MonthlyReport:
    report = get_report(user, pk)
    if report.status != ReportStatus.DONE:
        raise Http404
    return report


def regions_with_reports(user, under: str, limit: int = 500) -> list[dict]:
    """The regions one step below `under` (inside the user's scope) that have reports at or below
    them: nation → provinces, province → kab/kota, kab/kota → desa (a kecamatan has none)."""
    qs = reports_for_user(user)
    if under == NATION_CODE:
        qs, width = qs.exclude(region_id=NATION_CODE), 2
    else:
        qs = qs.filter(region__code__startswith=f"{under}.")
        width = 5 if len(under) == 2 else 0  # below a kab/kota or a kecamatan: the desa itself
    if width:
        qs = qs.annotate(child=Substr("region_id", 1, width))
    else:
        qs = qs.annotate(child=F("region_id"))
    codes = list(qs.order_by("child").values_list("child", flat=True).distinct()[:limit])
    labels = region_labels(codes)
    return [{"code": c, "label": labels.get(c, c)} for c in codes]


def frozen_sections(report: MonthlyReport) -> list[dict]:
    """The stored figures as the page prints them: values in words, table rows in column order."""
    out = []
    for section in report.figures or []:
        figures = [{**f, "text": text_value(f.get("value"), f.get("unit", ""))} for f in section.get("figures") or []]
        tables = []
        for tbl in section.get("tables") or []:
            titles, rows = table_cells(tbl)
            tables.append({"key": tbl.get("key", ""), "title": tbl.get("title", ""), "titles": titles,
                           "cells": [[v if isinstance(v, str) else text_value(v) for v in row] for row in rows]})
        out.append({"key": section.get("key", ""), "title": section.get("title", ""), "figures": figures,
                    "tables": tables})
    return out
