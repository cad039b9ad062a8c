"""Reads of the service desk. Everything starts from `Case.objects.for_user(user)`, so a case
outside the caller's region (or any case for a Mitra user) is a 404 like a missing one.

The public status page is the one read without a user: it answers only for the exact ticket
plus status code, and returns steps and dates, nothing personal.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _lazy

from slrt.accounts.scoping import COLUMN_FOR_LEVEL, in_scope
from slrt.audit.services import record
from slrt.core.queues import Queue, by_name
from slrt.wilayah.models import NATION_CODE, Region, level_of, normalize_code

from . import tickets
from .hooks import need_services
from .models import Case, CaseStatus, FollowUpTask, Need, NeedStatus, Recommendation, RecommendationStatus


def cases_for(user):
    return Case.objects.for_user(user)


def get_case(user, pk, *, audit: bool = True) -> Case:
    """One case in the user's scope, audited as a read of personal data; 404 otherwise."""
    try:
        case = cases_for(user).select_related("person", "household", "secretariat", "puskesos", "created_by").get(pk=pk)
    except (Case.DoesNotExist, ValueError, TypeError):
        raise Http404
    if audit:
        record(user, "case.view", case)
    return case


def get_need(user, case_pk, need_pk) -> Need:
    case = get_case(user, case_pk, audit=False)
    try:
        need = case.needs.get(pk=need_pk)
    except (Need.DoesNotExist, ValueError, TypeError):
        raise Http404
    need.case = case
    return need


def get_task(user, case_pk, task_pk) -> FollowUpTask:
    case = get_case(user, case_pk, audit=False)
    try:
        task = case.tasks.get(pk=task_pk)
    except (FollowUpTask.DoesNotExist, ValueError, TypeError):
        raise Http404
    task.case = case
    return task


@dataclass
class CaseFilters:
    status: str = ""
    sector: str = ""
    urgency: str = ""
    channel: str = ""
    desa: str = ""  # a region code of any level inside the scope
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    overdue: bool = False
    ticket: str = ""
    antrian: str = ""  # a queue of CASE_QUEUES; the view checks the user may have it


def region_filter(user, raw: str) -> str:
    """A region code asked for as a filter, normalised; ValueError unless it is a known region
    (or the nation) inside the user's scope, so a typo never silently lists nothing."""
    code = normalize_code(raw)
    if code != NATION_CODE and not Region.objects.filter(code=code).exists():
        raise ValueError("unknown")
    if not in_scope(user, code):
        raise ValueError("outside")
    return code


def overdue_tasks_q():
    return FollowUpTask.objects.filter(case=OuterRef("pk"), done_at__isnull=True, due_date__lt=timezone.localdate())


def list_cases(user, f: CaseFilters):
    """The scoped case list with filters, newest first, annotated with `has_overdue`."""
    from slrt.accounts.scoping import region_q

    base = CASE_QUEUES[f.antrian].rows(user) if f.antrian in CASE_QUEUES else cases_for(user)
    qs = base.annotate(has_overdue=Exists(overdue_tasks_q()))
    if f.status:
        qs = qs.filter(status=f.status)
    if f.sector:
        qs = qs.filter(Exists(Need.objects.filter(case=OuterRef("pk"), sector=f.sector)))
    if f.urgency:
        qs = qs.filter(urgency=f.urgency)
    if f.channel:
        qs = qs.filter(channel=f.channel)
    if f.desa:
        # A filter that is not a region code matches nothing (callers validate with region_filter).
        if f.desa != NATION_CODE and level_of(f.desa) not in COLUMN_FOR_LEVEL:
            return qs.none()
        qs = qs.filter(region_q(f.desa))
    if f.date_from:
        qs = qs.filter(created_at__date__gte=f.date_from)
    if f.date_to:
        qs = qs.filter(created_at__date__lte=f.date_to)
    if f.overdue:
        qs = qs.filter(has_overdue=True)
    if f.ticket:
        qs = qs.filter(ticket__icontains=f.ticket.strip())
    return qs.order_by("-created_at", "-pk")


# --- work queues (home cards and ?antrian= on the case list) -----------------------------------


def cases_today(user):
    """Cases the desk recorded today (local date) in the user's scope."""
    return cases_for(user).filter(created_at__date=timezone.localdate())


def cases_awaiting_assessment(user):
    """New cases: nobody has moved a need yet (workflow keeps them `baru` until then)."""
    return cases_for(user).filter(status=CaseStatus.NEW)


def cases_with_tasks_due(user):
    """Cases with an open follow-up due today or earlier."""
    due = FollowUpTask.objects.filter(case=OuterRef("pk"), done_at__isnull=True, due_date__lte=timezone.localdate())
    return cases_for(user).filter(Exists(due))


def cases_awaiting_decision(user):
    """Cases holding a recommendation drafted by someone else that waits for this decider
    (four eyes: one's own drafts are decided by another)."""
    drafts = Recommendation.objects.filter(case=OuterRef("pk"), status=RecommendationStatus.DRAFT).exclude(
        drafted_by=user
    )
    return cases_for(user).filter(Exists(drafts))


CASE_QUEUES = by_name(
    Queue("hari_ini", _lazy("Kasus masuk hari ini"), cases_today, "cases:list", "view_cases",
          hint=_lazy("dicatat di wilayah Anda hari ini")),
    Queue("menunggu_asesmen", _lazy("Kasus menunggu asesmen"), cases_awaiting_assessment, "cases:list",
          "view_cases", hint=_lazy("belum ada kebutuhan yang ditangani")),
    Queue("tindak_lanjut", _lazy("Kasus dengan tindak lanjut jatuh tempo"), cases_with_tasks_due, "cases:list",
          "view_cases", hint=_lazy("tenggat hari ini atau sudah lewat"), warn=True),
    Queue("menunggu_keputusan", _lazy("Kasus dengan rekomendasi menunggu keputusan Anda"),
          cases_awaiting_decision, "cases:list", "approve_recommendation",
          hint=_lazy("disusun petugas lain"), warn=True),
)


# --- public status -----------------------------------------------------------------------------

# A ticket that does not exist is compared against this, so both wrong answers take as long.
_DUMMY_HASH = tickets.hash_status_code("SLRT-0000-0000-000000", "X")


ASSESSMENT_EVENTS = {
    "need.status",
    "need.edited",
    "recommendation.drafted",
    "referral.drafted",
    "task.added",
    "assessment.recorded",
}


@dataclass
class Step:
    key: str
    label: str
    done: bool
    at: dt.datetime | None


def public_status(ticket: str, code: str) -> list[Step] | None:
    """The steps of a case for the resident holding its ticket and status code; None otherwise.

    None both for an unknown ticket and for a wrong code (no hint which), compared in
    constant time. Only steps and dates come back: no names, NIKs, addresses or staff.
    """
    from django.utils.translation import gettext as _

    ticket = (ticket or "").strip().upper()
    case = Case.objects.system().filter(ticket=ticket).first() if 0 < len(ticket) <= 32 else None
    stored = case.status_code_hash if case is not None else _DUMMY_HASH
    ok = tickets.status_code_matches(ticket if case is not None else "SLRT-0000-0000-000000", code, stored)
    if case is None or not ok:
        return None
    events = {}
    for kind, at in case.events.order_by("at").values_list("kind", "at"):
        events.setdefault(kind, at)
    needs = list(case.needs.all())
    recs = list(case.recommendations.all())
    services = need_services(case)  # the referrals of its needs
    # Verified/assessed: the first sign that someone worked on the needs after intake.
    verified = [at for kind, at in events.items() if kind in ASSESSMENT_EVENTS]
    if not verified and case.status != CaseStatus.NEW:
        verified = [case.updated_at]
    decided = [r.decided_at for r in recs if r.status == RecommendationStatus.APPROVED and r.decided_at]
    referred = [s.sent_at for s in services if s.sent_at]
    served = [s.served_at for s in services if s.served_at] + (
        [events["need.status"]]
        if any(n.status == NeedStatus.HANDLED for n in needs) and "need.status" in events
        else []
    )
    closed = case.closed_at if case.status == CaseStatus.CLOSED else None
    return [
        Step("diterima", _("Diterima"), True, case.created_at),
        Step(
            "asesmen",
            _("Diverifikasi/asesmen"),
            bool(verified) or bool(decided) or bool(closed),
            min(verified) if verified else None,
        ),
        Step("ditetapkan", _("Ditetapkan"), bool(decided), min(decided) if decided else None),
        Step("dirujuk", _("Dirujuk"), bool(referred), min(referred) if referred else None),
        Step("dilayani", _("Dilayani"), bool(served), min(served) if served else None),
        Step("selesai", _("Selesai"), closed is not None, closed),
    ]
