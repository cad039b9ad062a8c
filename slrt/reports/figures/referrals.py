"""Referrals per agency, the registry loop and field work (issue 13, point 1).

Period rule (SPEC): a referral counts in the period it was SENT (`sent_at`, by its province's
day); whatever happened to it later (accepted, rejected, done) is counted with it, so last
month's table answers "what became of what we sent last month". The SLA clock starts when it is
sent: `due_at` is `sent_at` plus the agency service's SLA days, fixed at sending.
"""

import datetime as dt
import statistics
from urllib.parse import urlencode

from django.db import connection
from django.db.models import Aggregate, Count, DurationField, ExpressionWrapper, F, Min, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from slrt.accounts.models import User
from slrt.accounts.roles import can
from slrt.accounts.scoping import COLUMN_FOR_LEVEL, region_q
from slrt.fieldwork.models import Visit, VisitStatus
from slrt.fieldwork.selectors import SUBMISSION_QUEUES, overdue_visit_q, review_queue, sees_area_visits
from slrt.referrals.models import Referral, ReferralStatus
from slrt.referrals.selectors import DONE_ON_TIME, reason_key, with_milestones
from slrt.referrals.workflow import AT_AGENCY
from slrt.registry.models import Release
from slrt.updates.models import Proposal, ProposalBatch, ProposalStatus
from slrt.updates.selectors import accepted_at as proposal_accepted_at
from slrt.updates.webforms import release_name
from slrt.wilayah.models import NATION_CODE, Level, Region, level_of
from slrt.wilayah.names import region_labels
from slrt.wilayah.timezones import zone_of

from .base import Scope, column, figure, section, table

SETTLED = (ProposalStatus.ACCEPTED, ProposalStatus.REJECTED)


def sent_referrals(scope: Scope):
    """The referrals of the scope's region sent in the scope's period, through the user's scope."""
    return (
        Referral.objects.for_user(scope.user)
        .filter(region_q(scope.code))
        .filter(sent_at__isnull=False)
        .filter(scope.period.q("sent_at", scope.code, prov_field="prov_code"))
    )


def by_agency(scope: Scope) -> list[dict]:
    """Per receiving agency (by name): sent, accepted (ever), rejected, done, done within the SLA.

    SPEC's `/api/v1/reports/summary` answers this list as `referrals.by_agency`."""
    rows = (
        with_milestones(sent_referrals(scope))
        .values("agency__code", "agency__name")
        .annotate(
            sent=Count("pk"),
            accepted=Count("pk", filter=Q(accepted_at__isnull=False)),
            rejected=Count("pk", filter=Q(status=ReferralStatus.REJECTED)),
            done=Count("pk", filter=Q(status=ReferralStatus.DONE)),
            done_on_time=Count("pk", filter=DONE_ON_TIME),
        )
        .order_by("agency__name", "agency__code")
    )
    return [
        {
            "agency": r["agency__code"],
            "name": r["agency__name"],
            "sent": r["sent"],
            "accepted": r["accepted"],
            "rejected": r["rejected"],
            "done": r["done"],
            "done_on_time": r["done_on_time"],
        }
        for r in rows
    ]


# --- shared helpers -------------------------------------------------------------------------------


def _link(name: str, params: dict) -> str:
    query = urlencode({k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in params.items() if v})
    return f"{reverse(name)}?{query}" if query else reverse(name)


def _days(value) -> float | None:
    return round(value.total_seconds() / 86400, 1) if value is not None else None


def _median_days(durations) -> float | None:
    """The median of timedeltas in days (one decimal), None when there are none; the median of an
    even count is the mean of the two middle ones (as PostgreSQL's percentile_cont(0.5))."""
    values = [d for d in durations if d is not None]
    return _days(statistics.median(values)) if values else None


class PercentileCont(Aggregate):
    """PostgreSQL's `percentile_cont(p) WITHIN GROUP (ORDER BY expr)` (nulls are left out)."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


def median_days(qs, since: str, until: str, by: str = ""):
    """Median days from `since` to `until` over `qs`: one number, or {value of `by`: number}.

    PostgreSQL aggregates in the database (one row per group); elsewhere (SQLite) the pairs are
    fetched and the median taken in Python, the same value by the same rule."""
    if connection.vendor == "postgresql":
        wait = ExpressionWrapper(F(until) - F(since), output_field=DurationField())
        median = PercentileCont(wait, 0.5, output_field=DurationField())
        if by:
            return {r[by]: _days(r["m"]) for r in qs.order_by().values(by).annotate(m=median)}
        return _days(qs.order_by().aggregate(m=median)["m"])
    if by:
        groups: dict = {}
        for key, start, end in qs.values_list(by, since, until):
            groups.setdefault(key, []).append(end - start if start and end else None)
        return {key: _median_days(waits) for key, waits in groups.items()}
    return _median_days(end - start for start, end in qs.values_list(since, until) if start and end)


def _share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _region_param(scope: Scope) -> str:
    """The list's region filter for the scope (the nation is the whole scope: no filter)."""
    return "" if scope.code == NATION_CODE else scope.code


def _child_column(region_code: str) -> str | None:
    level = level_of(region_code)
    if level == Level.NATION:
        return COLUMN_FOR_LEVEL[Level.PROVINSI]
    return COLUMN_FOR_LEVEL.get(level + 1)


# --- Referrals per agency -------------------------------------------------------------------------


def referral_url(scope: Scope, **filters) -> str:
    """The referral list of exactly the referrals counted: the scope's region, sent in its period,
    plus `filters` (`referrals.selectors.referral_filters_from` reads them back)."""
    params = {"region": _region_param(scope), "sent_from": scope.period.start, "sent_to": scope.period.end}
    return _link("referrals:list", {**params, **filters})


def referrals(scope: Scope) -> dict:
    """The monthly table for the Bupati: per agency sent, accepted, rejected (and why), done, the
    share done within the SLA, median days to accept and to complete, overdue now, escalations."""
    now = timezone.now()
    overdue_q = Q(status__in=AT_AGENCY, due_at__lt=now)
    sent = with_milestones(sent_referrals(scope))
    grouped = (
        sent.values("agency__code", "agency__name")
        .annotate(
            sent=Count("pk"),
            accepted=Count("pk", filter=Q(accepted_at__isnull=False)),
            rejected=Count("pk", filter=Q(status=ReferralStatus.REJECTED)),
            done=Count("pk", filter=Q(status=ReferralStatus.DONE)),
            done_on_time=Count("pk", filter=DONE_ON_TIME),
            overdue=Count("pk", filter=overdue_q),
            escalated=Count("pk", filter=Q(escalated_at__isnull=False)),
        )
        .order_by("agency__name", "agency__code")
    )
    accept_by = median_days(sent, "sent_at", "accepted_at", by="agency__code")
    done_by = median_days(sent, "sent_at", "done_at", by="agency__code")
    totals = dict.fromkeys(("sent", "accepted", "rejected", "done", "done_on_time", "overdue", "escalated"), 0)
    rows = []
    for r in grouped:
        code = r["agency__code"]
        for k in totals:
            totals[k] += r[k]
        rows.append({
            "key": code, "label": r["agency__name"], "sent": r["sent"], "accepted": r["accepted"],
            "rejected": r["rejected"], "done": r["done"], "done_on_time": r["done_on_time"],
            "on_time_share": _share(r["done_on_time"], r["done"]),
            "median_accept_days": accept_by.get(code), "median_done_days": done_by.get(code),
            "overdue": r["overdue"], "escalated": r["escalated"],
            "url": referral_url(scope, agency=code),
            "urls": {
                "accepted": referral_url(scope, agency=code, accepted="1"),
                "rejected": referral_url(scope, agency=code, status=ReferralStatus.REJECTED),
                "done": referral_url(scope, agency=code, status=ReferralStatus.DONE),
                "done_on_time": referral_url(scope, agency=code, sla="tepat"),
                "overdue": referral_url(scope, agency=code, overdue="1"),
                "escalated": referral_url(scope, agency=code, escalated="1"),
            },
        })
    backlog = (
        Referral.objects.for_user(scope.user).filter(region_q(scope.code)).filter(overdue_q).count()
    )
    figures = [
        figure("sent", _("Rujukan dikirim"), totals["sent"], url=referral_url(scope)),
        figure("accepted", _("Diterima lembaga"), totals["accepted"], url=referral_url(scope, accepted="1")),
        figure("rejected", _("Ditolak lembaga"), totals["rejected"],
               url=referral_url(scope, status=ReferralStatus.REJECTED)),
        figure("done", _("Selesai dilayani"), totals["done"], url=referral_url(scope, status=ReferralStatus.DONE)),
        figure("done_on_time", _("Selesai dalam batas waktu"), totals["done_on_time"],
               url=referral_url(scope, sla="tepat")),
        figure("on_time_share", _("Bagian selesai dalam batas waktu"), _share(totals["done_on_time"], totals["done"]),
               unit="%"),
        figure("median_accept_days", _("Median hari sampai diterima"), median_days(sent, "sent_at", "accepted_at"),
               unit=_("hari")),
        figure("median_done_days", _("Median hari sampai selesai"), median_days(sent, "sent_at", "done_at"),
               unit=_("hari")),
        figure("escalated", _("Dieskalasi"), totals["escalated"], url=referral_url(scope, escalated="1")),
        # The backlog is a state of today, whenever the referral was sent.
        figure("overdue_now", _("Terlambat saat ini (semua periode)"), backlog,
               url=_link("referrals:list", {"region": _region_param(scope), "overdue": "1"})),
    ]
    columns = [
        column("label", _("Lembaga")), column("sent", _("Dikirim")), column("accepted", _("Diterima")),
        column("rejected", _("Ditolak")), column("done", _("Selesai")),
        column("done_on_time", _("Selesai tepat waktu")), column("on_time_share", _("% tepat waktu")),
        column("median_accept_days", _("Median hari sampai diterima")),
        column("median_done_days", _("Median hari sampai selesai")),
        column("overdue", _("Terlambat saat ini")), column("escalated", _("Dieskalasi")),
    ]
    tables = [
        table("by_agency", _("Rujukan per lembaga"), columns, rows, chart="bar"),
        table("rejections", _("Penolakan menurut alasan"),
              [column("label", _("Alasan")), column("n", _("Ditolak")), column("agency", _("Lembaga"))],
              _rejection_rows(scope, sent), chart="bar"),
    ]
    by_region = _referral_region_rows(scope, sent)
    if by_region is not None:
        tables.append(table("by_region", _("Rujukan menurut wilayah"),
                            [column("label", _("Wilayah")), column("sent", _("Dikirim")),
                             column("done", _("Selesai")), column("done_on_time", _("Selesai tepat waktu"))],
                            by_region, chart="bar"))
    return section("referrals", _("Rujukan per lembaga"), figures=figures, tables=tables)


REASON_LABEL_MAX = 80


def _rejection_rows(scope: Scope, sent) -> list[dict]:
    """Rejections per agency and reason (the same words are one reason), most frequent first."""
    grouped = (
        sent.filter(status=ReferralStatus.REJECTED)
        .annotate(reason_key=reason_key())
        .values("agency__code", "agency__name", "reason_key")
        .annotate(n=Count("pk"), words=Min("reason"))
        .order_by("-n", "agency__name", "reason_key")
    )
    rows = []
    for r in grouped:
        words = " ".join((r["words"] or "").split()) or _("(tanpa alasan)")
        if len(words) > REASON_LABEL_MAX:
            words = words[: REASON_LABEL_MAX - 1] + "…"
        rows.append({
            "key": f"{r['agency__code']}:{r['reason_key']}", "label": words, "n": r["n"], "agency": r["agency__name"],
            "url": referral_url(scope, agency=r["agency__code"], status=ReferralStatus.REJECTED,
                                reason=r["reason_key"]),
        })
    return rows


def _referral_region_rows(scope: Scope, sent) -> list[dict] | None:
    col = _child_column(scope.code)
    if col is None:
        return None
    counts = {
        r[col]: r
        for r in sent.values(col).annotate(
            sent=Count("pk"), done=Count("pk", filter=Q(status=ReferralStatus.DONE)),
            done_on_time=Count("pk", filter=DONE_ON_TIME),
        ).order_by(col)
    }
    children = list(Region.objects.filter(parent_id=scope.code).order_by("code").values_list("code", flat=True))
    names = region_labels(children)
    rows = []
    for code in children:
        r = counts.get(code) or {}
        child = Scope(scope.user, Region(code=code), scope.period)
        rows.append({
            "key": code, "code": code, "label": names.get(code, code), "sent": r.get("sent", 0),
            "done": r.get("done", 0), "done_on_time": r.get("done_on_time", 0),
            "url": referral_url(child),
            "urls": {"done": referral_url(child, status=ReferralStatus.DONE),
                     "done_on_time": referral_url(child, sla="tepat")},
        })
    return rows


# --- The registry loop ----------------------------------------------------------------------------

CUTOFF_DAY = 17  # DTSEN takes the month's proposals up to the 17th


def next_cutoff(day: dt.date) -> dt.date:
    """The coming DTSEN cut-off: the 17th of this month, the day itself included; after it, the
    17th of the next month."""
    if day.day <= CUTOFF_DAY:
        return day.replace(day=CUTOFF_DAY)
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return dt.date(year, month, CUTOFF_DAY)


def cutoffs_in(period) -> list[dt.date]:
    """The cut-off days falling inside the period (inclusive)."""
    out, day = [], next_cutoff(period.start)
    while day <= period.end:
        out.append(day)
        day = next_cutoff(day + dt.timedelta(days=1))
    return out


def proposal_url(scope: Scope, **filters) -> str:
    """The proposal list of exactly the proposals counted (`updates.selectors.proposal_filters_from`)."""
    return _link("updates:list", {"desa": _region_param(scope), **filters})


def _proposals(scope: Scope):
    return Proposal.objects.for_user(scope.user).filter(region_q(scope.code))


def registry_loop(scope: Scope) -> dict:
    """Proposals per stage (now), accepted and rejected per registry release of the period, days
    from proposal to acceptance, and the DTSEN calendar with what is due for the coming cut-off."""
    proposals = _proposals(scope)
    by_status = dict(proposals.order_by().values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    stages = [
        {"key": value, "label": str(label), "n": by_status.get(value, 0), "url": proposal_url(scope, status=value)}
        for value, label in ProposalStatus.choices
    ]
    period = scope.period
    created = proposals.filter(period.q("created_at", scope.code))
    accepted_in = (
        proposals.filter(status=ProposalStatus.ACCEPTED)
        .annotate(accepted_at=proposal_accepted_at())
        .filter(period.q("accepted_at", scope.code))
    )
    today = timezone.localtime(timezone.now(), zone_of(scope.code)).date()
    cutoff = next_cutoff(today)
    due = {s: by_status.get(s, 0) for s in (ProposalStatus.APPROVED, ProposalStatus.AGREED, ProposalStatus.EXPORTED)}
    figures = [
        figure("proposed", _("Usulan dibuat"), created.count(),
               url=proposal_url(scope, created_from=period.start, created_to=period.end)),
        figure("accepted", _("Diterima registri"), accepted_in.count(),
               url=proposal_url(scope, status=ProposalStatus.ACCEPTED, accepted_from=period.start,
                                accepted_to=period.end)),
        figure("median_accept_days", _("Median hari usulan sampai diterima"),
               median_days(accepted_in, "created_at", "accepted_at"), unit=_("hari")),
        figure("next_cutoff", _("Batas usulan DTSEN berikutnya"), date_format(cutoff, "j F Y")),
        figure("days_to_cutoff", _("Hari menuju batas"), (cutoff - today).days, unit=_("hari")),
        figure("due_approved", _("Siap masuk berkas bulan ini (disetujui Dinas Sosial)"),
               due[ProposalStatus.APPROVED], url=proposal_url(scope, status=ProposalStatus.APPROVED)),
        figure("due_agreed", _("Menunggu persetujuan Dinas Sosial"), due[ProposalStatus.AGREED],
               url=proposal_url(scope, status=ProposalStatus.AGREED)),
        figure("due_exported", _("Dalam berkas, belum diajukan"), due[ProposalStatus.EXPORTED],
               url=proposal_url(scope, status=ProposalStatus.EXPORTED)),
    ]
    tables = [
        table("by_stage", _("Usulan per tahap (saat ini)"),
              [column("label", _("Tahap")), column("n", _("Usulan"))], stages, chart="bar"),
        table("by_release", _("Hasil per rilis registri"),
              [column("label", _("Rilis")), column("accepted", _("Diterima")), column("rejected", _("Ditolak"))],
              _release_rows(scope, proposals), chart="bar"),
        table("calendar", _("Kalender DTSEN (batas tanggal 17)"),
              [column("label", _("Batas")), column("batch", _("Berkas bulanan")),
               column("n", _("Usulan dalam berkas"))],
              _calendar_rows(scope, proposals, today)),
    ]
    return section("registry_loop", _("Siklus pemutakhiran registri"), figures=figures, tables=tables)


def _release_rows(scope: Scope, proposals) -> list[dict]:
    """Releases of the period's months, with what each settled of the scope's proposals."""
    first, last = f"{scope.period.start:%Y-%m}", f"{scope.period.end:%Y-%m}"
    releases = Release.objects.filter(period__gte=first, period__lte=last).order_by("period", "source")
    settled = {
        (r["outcome_release_id"], r["status"]): r["n"]
        for r in proposals.filter(outcome_release__in=releases, status__in=SETTLED)
        .order_by().values("outcome_release_id", "status").annotate(n=Count("pk"))
    }
    return [
        {
            "key": str(rel.pk), "label": release_name(rel),
            "accepted": settled.get((rel.pk, ProposalStatus.ACCEPTED), 0),
            "rejected": settled.get((rel.pk, ProposalStatus.REJECTED), 0),
            "url": proposal_url(scope, release=rel.pk, status=ProposalStatus.ACCEPTED),
            "urls": {"rejected": proposal_url(scope, release=rel.pk, status=ProposalStatus.REJECTED)},
        }
        for rel in releases
    ]


def _calendar_rows(scope: Scope, proposals, today: dt.date) -> list[dict]:
    """Each cut-off of the period (and the coming one): the month's batch files of the scope's
    kabupaten/kota and how many of the scope's proposals they hold."""
    days = cutoffs_in(scope.period)
    coming = next_cutoff(today)
    if coming not in days and coming >= scope.period.start:
        days.append(coming)
    months = [f"{d:%Y-%m}" for d in days]
    batches: dict = {}
    for b in ProposalBatch.objects.filter(period__in=months).filter(_kab_q(scope.code)).order_by("region_id"):
        batches.setdefault(b.period, []).append(b)
    held = dict(
        proposals.filter(batch__period__in=months).order_by().values_list("batch__period")
        .annotate(n=Count("pk")).values_list("batch__period", "n")
    )
    rows = []
    for day, month in zip(days, months, strict=True):
        found = batches.get(month, [])
        if not found:
            state = _("belum ada berkas") if day >= today else _("tidak ada berkas")
        elif len(found) == 1:
            state = found[0].get_status_display()
        else:
            state = _("%(n)s berkas kab/kota") % {"n": len(found)}
        row = {"key": month, "label": date_format(day, "j F Y") + (f" ({_('berikutnya')})" if day == coming else ""),
               "batch": str(state), "n": held.get(month, 0)}
        if len(found) == 1:
            row["urls"] = {"n": proposal_url(scope, batch=found[0].pk)}
        rows.append(row)
    return rows


def _kab_q(code: str) -> Q:
    """Batches (one per kabupaten/kota) that hold proposals of region `code`."""
    if code == NATION_CODE:
        return Q()
    if level_of(code) == Level.PROVINSI:
        return Q(region__code__startswith=code + ".")
    return Q(region_id=code[:5])


# --- Field work ------------------------------------------------------------------------------------


def visit_url(scope: Scope, **filters) -> str:
    """The visit list of exactly the visits counted (`fieldwork.selectors.visit_filters_from`);
    none for a role whose visit list holds only its own tasks (it would show other records)."""
    if not sees_area_visits(scope.user):
        return ""
    return _link("fieldwork:visits", {"wilayah": _region_param(scope), **filters})


def person_name(user) -> str:
    """The account's full name; its username only when it has none."""
    return (user.get_full_name() or "").strip() or user.username


def fieldwork(scope: Scope) -> dict:
    """Visits assigned in the period, done and overdue, per facilitator; submissions and
    conflicts waiting for the supervisor (now)."""
    region = _region_param(scope) or None
    period = scope.period
    # Counted over the region's visits (a count names nobody); linked only where the list shows them.
    visits = Visit.objects.for_user(scope.user).filter(region_q(scope.code))
    assigned = visits.filter(period.q("created_at", scope.code))
    in_period = {"assigned_from": period.start, "assigned_to": period.end}
    grouped = (
        assigned.exclude(assigned_to=None).order_by().values("assigned_to")
        .annotate(n=Count("pk"), done=Count("pk", filter=Q(status=VisitStatus.DONE)),
                  overdue=Count("pk", filter=overdue_visit_q()))
    )
    counts = {r["assigned_to"]: r for r in grouped}
    staff = {u.pk: u for u in User.objects.filter(pk__in=counts)}
    rows = sorted(
        (
            {
                "key": str(pk), "label": person_name(staff[pk]), "n": r["n"], "done": r["done"],
                "overdue": r["overdue"], "url": visit_url(scope, facilitator=pk, **in_period),
                "urls": {"done": visit_url(scope, facilitator=pk, status=VisitStatus.DONE, **in_period),
                         "overdue": visit_url(scope, facilitator=pk, overdue="1", **in_period)},
            }
            for pk, r in counts.items()
        ),
        key=lambda row: (-row["n"], row["label"]),
    )
    reviewer = can(scope.user, "review_submissions")
    waiting = {
        name: review_queue(scope.user, SUBMISSION_QUEUES[name], region=region).count()
        for name in ("menunggu_tinjauan", "konflik")
    }

    def queue_url(name):
        return _link("fieldwork:review_queue", {"antrian": name, "wilayah": _region_param(scope)}) if reviewer else ""

    figures = [
        figure("assigned", _("Kunjungan ditugaskan"), assigned.count(), url=visit_url(scope, **in_period)),
        figure("done", _("Kunjungan selesai"), assigned.filter(status=VisitStatus.DONE).count(),
               url=visit_url(scope, status=VisitStatus.DONE, **in_period)),
        figure("overdue_now", _("Kunjungan lewat tenggat saat ini (semua periode)"),
               visits.filter(overdue_visit_q()).count(), url=visit_url(scope, overdue="1")),
        figure("submissions_waiting", _("Kiriman menunggu tinjauan"), waiting["menunggu_tinjauan"],
               url=queue_url("menunggu_tinjauan")),
        figure("conflicts_waiting", _("Kiriman dengan konflik data"), waiting["konflik"], url=queue_url("konflik")),
    ]
    columns = [column("label", _("Petugas")), column("n", _("Ditugaskan")), column("done", _("Selesai")),
               column("overdue", _("Lewat tenggat"))]
    return section("fieldwork", _("Kerja lapangan"), figures=figures,
                   tables=[table("by_facilitator", _("Kunjungan per petugas"), columns, rows, chart="bar")])
