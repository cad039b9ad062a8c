"""The report API (SPEC): `GET /api/v1/reports/summary`, the live figures of the dashboard for a
region and a period (a stored monthly report stays frozen; this one is counted now)."""

import datetime as dt

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Query, Router

from slrt.accounts.scoping import region_safe
from slrt.core.api import ErrorOut, ValidationErrorOut, require_capability
from slrt.wilayah.models import normalize_code

from ..figures import Scope, resolve_region
from ..figures.intake import case_summary
from ..figures.referrals import by_agency
from ..period import MAX_DAYS, current_month, custom_period
from .schemas import ReportSummaryOut

router = Router(tags=["reports"])

MAX_DATE = 10  # YYYY-MM-DD


def _invalid(field: str, message: str):
    return 422, {"code": "invalid_date", "detail": message, "errors": {field: [message]}}


@router.get(
    "/summary",
    response={200: ReportSummaryOut, 404: ErrorOut, 422: ValidationErrorOut},
    by_alias=True,
    summary="Ringkasan angka wilayah untuk satu periode",
    description=(
        "Angka langsung (bukan laporan bulanan yang dibekukan) untuk wilayah `region` di dalam wilayah tugas "
        "pemanggil (di luar itu, atau tidak dikenal: 404 seperti tidak ada). Periode `from`..`to` termasuk "
        f"kedua ujungnya (YYYY-MM-DD), paling panjang {MAX_DAYS + 1} hari; tanpa keduanya: bulan berjalan di zona "
        "waktu wilayah itu; salah satu saja: 422. Kasus dihitung pada hari ia dibuat, rujukan pada hari ia "
        "dikirim, masing-masing menurut hari provinsinya (WIB, WITA, WIT). Tanpa `region`: wilayah tugas "
        "pemanggil. Hak: lihat dasbor (view_dashboard)."
    ),
)
@region_safe  # every count goes through Model.objects.for_user; resolve_region 404s outside the scope
def summary(
    request,
    region: str | None = Query(None, max_length=20, description="Kode wilayah, mis. 32.01 atau 3201"),
    date_from: str | None = Query(None, alias="from", max_length=MAX_DATE, description="YYYY-MM-DD"),
    date_to: str | None = Query(None, alias="to", max_length=MAX_DATE, description="YYYY-MM-DD, termasuk"),
):
    user = request.auth
    require_capability(user, "view_dashboard")
    code = normalize_code(region) if region else ""
    if region and not code:  # not a region code at all: as unknown as a code that does not exist
        raise Http404
    place = resolve_region(user, code)
    dates = {}
    for field, raw in (("from", date_from), ("to", date_to)):
        if raw:
            try:
                dates[field] = dt.date.fromisoformat(raw)
            except ValueError:
                return _invalid(field, _("%(field)s harus tanggal YYYY-MM-DD (mis. 2026-11-30).") % {"field": field})
    if len(dates) == 1:
        missing = "to" if "from" in dates else "from"
        return _invalid(missing, _("%(field)s wajib diisi bersama %(other)s (YYYY-MM-DD).")
                        % {"field": missing, "other": "from" if missing == "to" else "to"})
    if dates:
        try:
            period = custom_period(dates["from"], dates["to"])
        except ValueError as exc:
            return _invalid("to", f"to: {exc}")
    else:
        period = current_month(place.code)
    scope = Scope(user, place, period)
    return {
        "region": place.code,
        "from": period.start,
        "to": period.end,
        "cases": case_summary(scope),
        "referrals": {"by_agency": by_agency(scope)},
    }
