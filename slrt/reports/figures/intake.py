"""The case side of the dashboards (issue 13, point 1): Intake, Handling and Decisions.

Period rule (SPEC): a case counts in the period it was created in, by the day of its own
province (`Period.q`); its needs and recommendations are counted with it, whatever their own
dates. Every count starts from `Case.objects.for_user(scope.user)` inside the scope's region, so
nothing outside the user's scope is ever counted.

Every figure and row carries `url`: the case list (`cases:list`) with the filters that select
exactly the cases counted (`cases.selectors.case_list_url`, parsed back by `case_filters_from`).
Where a row counts needs or recommendations, the list shows the cases having them; such a row
(or figure) also carries `cases`, the number of cases its list shows, and its table a column
saying so.
"""

import datetime as dt
import math

from django.db import connection
from django.db.models import Aggregate, Count, DurationField, ExpressionWrapper, F, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from slrt.accounts.scoping import COLUMN_FOR_LEVEL, region_q
from slrt.cases.models import (
    Case,
    CaseStatus,
    Channel,
    ComplaintType,
    FollowUpTask,
    Need,
    NeedStatus,
    Recommendation,
    RecommendationStatus,
    Urgency,
)
from slrt.cases.selectors import (
    DESK_PUSKESOS,
    DESK_SECRETARIAT,
    OPEN_GROUP,
    case_list_url,
    desk_label,
)
from slrt.programs.models import Sector
from slrt.wilayah.models import Level, Region, level_of
from slrt.wilayah.names import region_labels

from ..period import Period
from .base import Scope, column, figure, section, table

# "Handled" (share of needs handled): a need whose status is `tertangani` — a service for it was
# given (its referral done) or a worker marked it handled with an outcome. A need closed with a
# reason (`ditutup`) was not served and does not count as handled; open and in-progress neither.
HANDLED = NeedStatus.HANDLED


def cases_in(scope: Scope):
    """The cases of the scope's region created in the scope's period, through the user's scope."""
    return (
        Case.objects.for_user(scope.user)
        .filter(region_q(scope.code))
        .filter(scope.period.q("created_at", scope.code))
    )


def _url(scope: Scope, **filters) -> str:
    """The case list of exactly these cases: the scope's region and period, plus `filters`."""
    filters.update(date_from=scope.period.start, date_to=scope.period.end)
    return case_list_url(desa=scope.code, **filters)


def _count_rows(scope: Scope, counts: dict, choices, param: str) -> list[dict]:
    """One row per choice (zeros too, so every month's table has the same rows)."""
    return [
        {"key": value, "label": str(label), "n": counts.get(value, 0), "url": _url(scope, **{param: value})}
        for value, label in choices
    ]


def _by(qs, field: str) -> dict:
    return dict(qs.order_by().values_list(field).annotate(n=Count("pk")).values_list(field, "n"))


def _choice_counts(field: str, choices) -> dict:
    """Conditional counts of every value of a choice column, for one aggregate over the cases
    (one scan instead of one GROUP BY per column)."""
    return {f"{field}__{value}": Count("pk", filter=Q(**{field: value})) for value in choices.values}


def _split(totals: dict, field: str, choices) -> dict:
    return {value: totals[f"{field}__{value}"] for value in choices.values}


def _months(period: Period) -> list[Period]:
    """The calendar months the period touches, each clipped to the period."""
    out, day = [], period.start.replace(day=1)
    while day <= period.end:
        nxt = (day + dt.timedelta(days=32)).replace(day=1)
        out.append(Period(max(day, period.start), min(nxt - dt.timedelta(days=1), period.end), "custom"))
        day = nxt
    return out


def _child_column(region_code: str) -> str | None:
    level = level_of(region_code)
    if level == Level.NATION:
        return COLUMN_FOR_LEVEL[Level.PROVINSI]
    return COLUMN_FOR_LEVEL.get(level + 1)


# --- counts shared with the report API ------------------------------------------------------------


def sector_counts(cases) -> dict:
    """Cases per sector of their needs: a case with needs in two sectors counts once in each."""
    return dict(
        Need.objects.filter(case__in=cases.values("pk"))
        .order_by()
        .values_list("sector")
        .annotate(n=Count("case", distinct=True))
        .values_list("sector", "n")
    )


def case_summary(scope: Scope) -> dict:
    """SPEC's `cases` part of `/api/v1/reports/summary`: total, closed, by_sector/type/channel
    (every code, zeros included)."""
    cases = cases_in(scope)
    totals = cases.aggregate(
        total=Count("pk"), closed=Count("pk", filter=Q(status=CaseStatus.CLOSED)),
        **_choice_counts("complaint_type", ComplaintType), **_choice_counts("channel", Channel),
    )
    sectors = sector_counts(cases)
    return {
        "total": totals["total"],
        "closed": totals["closed"],
        "by_sector": {s: sectors.get(s, 0) for s in Sector.values},
        "by_type": _split(totals, "complaint_type", ComplaintType),
        "by_channel": _split(totals, "channel", Channel),
    }


# --- Intake ---------------------------------------------------------------------------------------


def intake(scope: Scope) -> dict:
    cases = cases_in(scope)
    n_cols = [column("label", _("Uraian")), column("n", _("Kasus"))]
    totals = cases.aggregate(
        total=Count("pk"),
        unregistered=Count("pk", filter=Q(in_registry=False)),
        **_choice_counts("complaint_type", ComplaintType),
        **_choice_counts("channel", Channel),
        **_choice_counts("urgency", Urgency),
        **{f"m{i}": Count("pk", filter=m.q("created_at", scope.code)) for i, m in enumerate(_months(scope.period))},
    )
    months = [
        {
            "key": f"{m.start:%Y-%m}",
            "label": date_format(m.start, "F Y"),
            "n": totals[f"m{i}"],
            "url": case_list_url(desa=scope.code, date_from=m.start, date_to=m.end),
        }
        for i, m in enumerate(_months(scope.period))
    ]
    sectors = sector_counts(cases)
    sector_rows = _count_rows(scope, sectors, Sector.choices, "sector")
    tables = [
        table("by_month", _("Kasus per bulan"), [column("label", _("Bulan")), column("n", _("Kasus"))], months,
              chart="line"),
        table("by_type", _("Menurut jenis keluhan"), n_cols,
              _count_rows(scope, _split(totals, "complaint_type", ComplaintType), ComplaintType.choices,
                          "complaint_type"), chart="bar"),
        table("by_sector", _("Menurut sektor kebutuhan (kasus dengan kebutuhan di sektor itu; satu kasus dapat "
                             "terhitung di beberapa sektor)"), n_cols, sector_rows, chart="bar"),
        table("by_channel", _("Menurut saluran"), n_cols,
              _count_rows(scope, _split(totals, "channel", Channel), Channel.choices, "channel"), chart="bar"),
        table("by_urgency", _("Menurut tingkat urgensi"), n_cols,
              _count_rows(scope, _split(totals, "urgency", Urgency), Urgency.choices, "urgency"), chart="bar"),
        table("by_desk", _("Menurut loket (sekretariat dan setiap Puskesos)"), n_cols, _desk_rows(scope, cases),
              chart="bar"),
    ]
    regions = _region_rows(scope, cases)
    if regions is not None:
        tables.append(table("by_region", _("Menurut wilayah"), [column("label", _("Wilayah")), column("n", _("Kasus"))],
                            regions, chart="bar"))
    return section(
        "intake",
        _("Pengaduan masuk"),
        figures=[
            figure("total", _("Kasus baru"), totals["total"], url=_url(scope)),
            figure("not_in_registry", _("Warga belum terdaftar di registri yang dilayani"), totals["unregistered"],
                   url=_url(scope, in_registry=False)),
        ],
        tables=tables,
    )


def _desk_rows(scope: Scope, cases) -> list[dict]:
    """The secretariat(s) and each Puskesos post that took cases in, most cases first (names
    read in the same grouped query: a province has hundreds of posts)."""
    rows = []
    grouped = (
        cases.order_by()
        .values("secretariat_id", "secretariat__name", "puskesos_id", "puskesos__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "secretariat_id", "puskesos_id")
    )
    for r in grouped:
        if r["puskesos_id"]:
            desk, name = f"{DESK_PUSKESOS}:{r['puskesos_id']}", r["puskesos__name"]
        elif r["secretariat_id"]:
            desk, name = f"{DESK_SECRETARIAT}:{r['secretariat_id']}", r["secretariat__name"]
        else:
            desk = f"{DESK_SECRETARIAT}:0"
            name = desk_label(desk)
        rows.append({"key": desk, "label": name, "n": r["n"], "url": _url(scope, desk=desk)})
    return rows


def _region_rows(scope: Scope, cases) -> list[dict] | None:
    """Cases per child region (down to the desa), every child listed; None below the desa."""
    col = _child_column(scope.code)
    if col is None:
        return None
    counts = _by(cases, col)
    children = list(Region.objects.filter(parent_id=scope.code).order_by("code").values_list("code", flat=True))
    names = region_labels(children)
    return [
        {"key": code, "code": code, "label": names.get(code, code), "n": counts.get(code, 0),
         "url": case_list_url(desa=code, date_from=scope.period.start, date_to=scope.period.end)}
        for code in children
    ]


# --- Handling -------------------------------------------------------------------------------------


class PercentileCont(Aggregate):
    """PostgreSQL's `percentile_cont(p) WITHIN GROUP (ORDER BY expr)` (linear interpolation)."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


def _duration():
    return ExpressionWrapper(F("closed_at") - F("created_at"), output_field=DurationField())


def duration_percentiles(closed, fractions=(0.5, 0.9)) -> list[float | None]:
    """Days from created to closed at each fraction (percentile_cont: linear between neighbours),
    None without closed cases. PostgreSQL aggregates in one query; elsewhere (SQLite) the two
    neighbouring durations are fetched by rank (ORDER BY … LIMIT 2 OFFSET k), so memory stays
    bounded whatever the number of cases."""
    if connection.vendor == "postgresql":
        values = closed.aggregate(
            **{f"p{i}": PercentileCont(_duration(), f, output_field=DurationField()) for i, f in enumerate(fractions)}
        )
        return [_days(values[f"p{i}"]) for i in range(len(fractions))]
    n = closed.count()
    if not n:
        return [None for _f in fractions]
    ordered = closed.annotate(d=_duration()).order_by("d", "pk").values_list("d", flat=True)
    out = []
    for f in fractions:
        rank = f * (n - 1)
        low = math.floor(rank)
        pair = list(ordered[low : low + 2])
        lo = pair[0].total_seconds()
        hi = pair[-1].total_seconds()
        out.append(round((lo + (hi - lo) * (rank - low)) / 86400, 1))
    return out


def _days(value) -> float | None:
    return None if value is None else round(value.total_seconds() / 86400, 1)


def handling(scope: Scope) -> dict:
    cases = cases_in(scope)
    totals = cases.aggregate(
        open=Count("pk", filter=~Q(status=CaseStatus.CLOSED)), closed=Count("pk", filter=Q(status=CaseStatus.CLOSED))
    )
    closed = cases.filter(status=CaseStatus.CLOSED, closed_at__isnull=False)
    median, p90 = duration_percentiles(closed)
    n_closed_dated = closed.count()
    needs = Need.objects.filter(case__in=cases.values("pk"))
    by_status = needs.order_by().values("status").annotate(n=Count("pk"), cases=Count("case", distinct=True))
    need_counts = {r["status"]: r["n"] for r in by_status}
    need_cases = {r["status"]: r["cases"] for r in by_status}
    n_needs = sum(need_counts.values())
    handled = need_counts.get(HANDLED, 0)
    share = round(100 * handled / n_needs, 1) if n_needs else None
    handled_url = _url(scope, need_status=HANDLED)
    # Overdue now: an open follow-up past its due date (the case list's `overdue` rule,
    # cases.selectors.overdue_tasks_q), on any case of the region, not only the period's. Counted
    # from the tasks side: the open overdue ones are few, the region's cases many.
    overdue = (
        FollowUpTask.objects.filter(
            done_at__isnull=True,
            due_date__lt=timezone.localdate(),
            case__in=Case.objects.for_user(scope.user).filter(region_q(scope.code)).values("pk"),
        )
        .values("case")
        .distinct()
        .count()
    )
    closed_url = _url(scope, status=CaseStatus.CLOSED)
    return section(
        "handling",
        _("Penanganan"),
        figures=[
            figure("open", _("Belum selesai (baru atau diproses)"), totals["open"], url=_url(scope, status=OPEN_GROUP)),
            figure("closed", _("Selesai"), totals["closed"], url=closed_url),
            {**figure("median_days", _("Median hari sampai selesai"), median, unit=_("hari"), url=closed_url),
             "cases": n_closed_dated},
            {**figure("p90_days", _("Persentil ke-90 hari sampai selesai"), p90, unit=_("hari"), url=closed_url),
             "cases": n_closed_dated},
            {**figure("needs_handled", _("Kebutuhan tertangani (daftar: kasus yang memilikinya)"), handled,
                      url=handled_url), "cases": need_cases.get(HANDLED, 0)},
            {**figure("needs_handled_share", _("Bagian kebutuhan yang tertangani"), share, unit="%", url=handled_url),
             "cases": need_cases.get(HANDLED, 0)},
            figure("overdue_followups", _("Kasus dengan tindak lanjut terlambat (saat ini)"), overdue,
                   url=case_list_url(desa=scope.code, overdue=True)),
        ],
        tables=[
            table(
                "needs_by_status",
                _("Kebutuhan menurut status"),
                [column("label", _("Status")), column("n", _("Kebutuhan")), column("cases", _("Kasus (daftar)"))],
                [
                    {"key": value, "label": str(label), "n": need_counts.get(value, 0),
                     "cases": need_cases.get(value, 0), "url": _url(scope, need_status=value)}
                    for value, label in NeedStatus.choices
                ],
                chart="bar",
            )
        ],
    )


# --- Decisions ------------------------------------------------------------------------------------

APPROVED = Q(status=RecommendationStatus.APPROVED)
REJECTED = Q(status=RecommendationStatus.REJECTED)
OVERRIDE = Q(status=RecommendationStatus.APPROVED, eligibility_override=True)


def _rec_counts() -> dict:
    return {
        "n": Count("pk"),
        "approved": Count("pk", filter=APPROVED),
        "rejected": Count("pk", filter=REJECTED),
        "overrides": Count("pk", filter=OVERRIDE),
        "cases": Count("case", distinct=True),
    }


def decisions(scope: Scope) -> dict:
    """Recommendations of the cases created in the period (whenever they were decided)."""
    cases = cases_in(scope)
    recs = Recommendation.objects.filter(case__in=cases.values("pk"))
    counts = recs.aggregate(
        **_rec_counts(),
        approved_cases=Count("case", distinct=True, filter=APPROVED),
        rejected_cases=Count("case", distinct=True, filter=REJECTED),
        override_cases=Count("case", distinct=True, filter=OVERRIDE),
    )

    columns = [
        column("label", _("Nama")),
        column("n", _("Rekomendasi")),
        column("approved", _("Disetujui")),
        column("rejected", _("Ditolak")),
        column("overrides", _("Menyimpangi \"tidak layak\"")),
        column("cases", _("Kasus (daftar)")),
    ]
    programs = (
        recs.filter(program__isnull=False)
        .order_by()
        .values("program__code", "program__name")
        .annotate(**_rec_counts())
        .order_by("-n", "program__name")
    )
    agencies = (
        recs.filter(service__isnull=False)
        .order_by()
        .values("service__agency__code", "service__agency__name")
        .annotate(**_rec_counts())
        .order_by("-n", "service__agency__name")
    )
    keep = ("n", "approved", "rejected", "overrides", "cases")
    program_rows = [
        {"key": r["program__code"], "label": r["program__name"], **{k: r[k] for k in keep},
         "url": _url(scope, rec_program=r["program__code"])}
        for r in programs
    ]
    agency_rows = [
        {"key": r["service__agency__code"], "label": r["service__agency__name"], **{k: r[k] for k in keep},
         "url": _url(scope, rec_agency=r["service__agency__code"])}
        for r in agencies
    ]
    return section(
        "decisions",
        _("Keputusan layanan"),
        figures=[
            {**figure("recommendations", _("Rekomendasi (daftar: kasus yang memilikinya)"), counts["n"],
                      url=_url(scope, has_recommendation=True)), "cases": counts["cases"]},
            {**figure("approved", _("Rekomendasi disetujui"), counts["approved"],
                      url=_url(scope, rec_status=RecommendationStatus.APPROVED)), "cases": counts["approved_cases"]},
            {**figure("rejected", _("Rekomendasi ditolak"), counts["rejected"],
                      url=_url(scope, rec_status=RecommendationStatus.REJECTED)), "cases": counts["rejected_cases"]},
            {**figure("overrides", _("Persetujuan yang menyimpangi hasil \"tidak layak\""), counts["overrides"],
                      url=_url(scope, rec_status=RecommendationStatus.APPROVED, rec_override=True)),
             "cases": counts["override_cases"]},
        ],
        tables=[
            table("by_program", _("Rekomendasi per program"), columns, program_rows, chart="bar"),
            table("by_agency", _("Rekomendasi per lembaga (layanan lembaga)"), columns, agency_rows, chart="bar"),
        ],
    )
