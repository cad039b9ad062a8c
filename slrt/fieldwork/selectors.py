"""Reads of field work: task lists, the per-visit snapshot a tablet downloads, the review queue.

Everything goes through `for_user` (out of scope is 404, as if absent).
"""

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, fields

from django.db.models import F, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _lazy

from slrt.accounts.models import User
from slrt.accounts.roles import can
from slrt.accounts.scoping import region_q
from slrt.audit.services import record, record_shown, shown_ids
from slrt.core.queues import Queue, by_name
from slrt.wilayah.days import days_q

from .formdefs import VERIFICATION_BASE
from .models import Submission, SubmissionStatus, Visit, VisitKind, VisitStatus
from .webforms import SubmissionFilterForm, VisitFilterForm
from .workflow import AWAITING_REVIEW, OPEN_VISIT


def open_visits_for(user, kind):
    """The user's own open visits of one kind (planned, or returned to fix), earliest due first."""
    return (
        Visit.objects.for_user(user)
        .filter(assigned_to=user, kind=kind, status__in=OPEN_VISIT)
        .select_related("household", "person", "proposal", "referral", "case")
        .order_by("due_date", "pk")
    )


def visits_of_proposal(user, proposal):
    """The visits that verify a registry proposal, newest first (the proposal page's panel)."""
    return Visit.objects.for_user(user).filter(proposal=proposal).order_by("-pk")


def _household_of(visit):
    if visit.household_id:
        return visit.household
    if visit.person_id:
        return visit.person.household
    return None


def visit_snapshot(visit) -> dict:
    """The household columns of VERIFICATION_BASE as the server holds them now, plus `versi`
    (a short hash of them): from the registry household, or from the draft proposal of a
    household not yet in the registry."""
    household = _household_of(visit)
    if household is not None:
        values = {c: str(getattr(household, c) or "") for c in VERIFICATION_BASE}
    elif visit.proposal_id:
        data = visit.proposal.data or {}
        values = {c: str(data.get(c) or "") for c in VERIFICATION_BASE}
    else:
        values = {c: "" for c in VERIFICATION_BASE}
    digest = hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:10]
    return {**values, "versi": digest}


def is_overdue(visit) -> bool:
    return bool(visit.due_date and visit.status in OPEN_VISIT and visit.due_date < timezone.localdate())


def task_list(user):
    """'Kunjungan saya': open visits first (returned ones with their reason), then those sent
    and waiting for the supervisor."""
    return (
        Visit.objects.for_user(user)
        .filter(assigned_to=user, status__in=[*OPEN_VISIT, VisitStatus.SUBMITTED])
        .select_related("household", "person", "proposal", "referral", "case")
        .order_by("status", "due_date", "pk")
    )


def sees_area_visits(user) -> bool:
    """Visits are tasks: those who assign them see every visit of their area; anyone else only
    the visits assigned to them (tests/test_scope_matrix.py)."""
    return can(user, "assign_visits")


def visits_for(user, *, mine=False, status=None, kind=None, region=None, queue=None, facilitator=None,
               overdue=False, assigned_from=None, assigned_to=None):
    """Visits in scope (supervisors: their area; facilitators: their own), optionally in one region.
    A work queue (VISIT_QUEUES) is the starting set and keeps its own order (overdue first)."""
    base = queue.rows(user) if queue is not None else Visit.objects.for_user(user)
    qs = base.select_related("assigned_to", "household", "proposal", "referral", "case")
    if mine or not sees_area_visits(user):
        qs = qs.filter(assigned_to=user)
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if region:
        qs = qs.filter(region_q(region))
    if facilitator:
        qs = qs.filter(assigned_to_id=facilitator)
    if overdue:
        qs = qs.filter(overdue_visit_q())
    if assigned_from or assigned_to:
        qs = qs.filter(days_q("created_at", assigned_from, assigned_to, region or user.region_id))
    return qs if queue is not None else qs.order_by("-updated_at", "-pk")


def overdue_visit_q() -> Q:
    """Open (planned or returned) and past its due date: the rule of `is_overdue`."""
    return Q(status__in=OPEN_VISIT, due_date__lt=timezone.localdate())


@dataclass(frozen=True)
class VisitFilters:
    """What the visit list is narrowed to (every field optional); `visits_for` reads it."""

    queue: Queue | None = None
    status: str = ""
    kind: str = ""
    region: str = ""
    facilitator: int | None = None  # the account the visits are assigned to
    overdue: bool = False
    assigned_from: dt.date | None = None  # assigned (created) on these days, the region's own day
    assigned_to: dt.date | None = None

    def as_kwargs(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}


def field_staff_choices(user):
    """The accounts that visits in the user's scope are assigned to (the facilitator filter)."""
    ids = Visit.objects.for_user(user).exclude(assigned_to=None).order_by().values("assigned_to").distinct()
    return list(User.objects.filter(pk__in=ids).order_by("first_name", "last_name", "username"))


def visit_form(params, user):
    queues = [q for q in VISIT_QUEUES.values() if can(user, q.capability)]
    staff = field_staff_choices(user) if sees_area_visits(user) else []
    return VisitFilterForm(params, user=user, queues=queues, staff=staff)


def visit_filters_from(params, user) -> VisitFilters:
    """The visit list's filters from request parameters; ValueError (Indonesian, naming the
    parameter) on a bad one. The list page and its export both read it."""
    form = visit_form(params, user)
    if not form.is_valid():
        raise ValueError(form.first_error())
    c = form.cleaned_data
    return VisitFilters(
        queue=VISIT_QUEUES.get(c.get("antrian") or ""), status=c.get("status") or "", kind=c.get("kind") or "",
        region=c.get("wilayah") or "", facilitator=c.get("facilitator"), overdue=bool(c.get("overdue")),
        assigned_from=c.get("assigned_from"), assigned_to=c.get("assigned_to"),
    )


def list_visits(user, f: VisitFilters):
    return visits_for(user, **f.as_kwargs())


def get_visit(user, pk, *, audit=True) -> Visit:
    """One visit (its page shows the household's KK and address: the read is audited)."""
    visit = visits_for(user).filter(pk=pk).first()
    if visit is None:
        raise Http404
    if audit:
        record(user, "visit.view", visit, detail={"kind": visit.kind, "status": visit.status})
    return visit


def review_queue(user, queue=None, *, region=None, submitted_by=None):
    """Submissions waiting for the supervisor (review and conflicts) inside the user's scope;
    one of SUBMISSION_QUEUES narrows it to plain reviews or conflicts."""
    qs = (queue.rows(user) if queue is not None else Submission.objects.for_user(user)).filter(
        status__in=AWAITING_REVIEW
    )
    if region:
        qs = qs.filter(region_q(region))
    if submitted_by:
        qs = qs.filter(submitted_by_id=submitted_by)
    return qs.select_related("submitted_by", "visit").order_by("received_at", "pk")


@dataclass(frozen=True)
class SubmissionFilters:
    """What the review queue (submissions waiting) is narrowed to; `review_queue` reads it."""

    queue: Queue | None = None  # waiting for review, or in conflict
    region: str = ""
    submitted_by: int | None = None


def submitter_choices(user):
    ids = (Submission.objects.for_user(user).filter(status__in=AWAITING_REVIEW).exclude(submitted_by=None)
           .order_by().values("submitted_by").distinct())
    return list(User.objects.filter(pk__in=ids).order_by("first_name", "last_name", "username"))


def submission_form(params, user):
    return SubmissionFilterForm(params, user=user, queues=list(SUBMISSION_QUEUES.values()),
                                staff=submitter_choices(user))


def submission_filters_from(params, user) -> SubmissionFilters:
    """The review queue's filters from request parameters; ValueError (Indonesian, naming the
    parameter) on a bad one. The page and its export both read it."""
    form = submission_form(params, user)
    if not form.is_valid():
        raise ValueError(form.first_error())
    c = form.cleaned_data
    return SubmissionFilters(queue=SUBMISSION_QUEUES.get(c.get("antrian") or ""), region=c.get("wilayah") or "",
                             submitted_by=c.get("submitted_by"))


def list_submissions(user, f: SubmissionFilters):
    return review_queue(user, f.queue, region=f.region or None, submitted_by=f.submitted_by)


# --- work queues (home cards and ?antrian= on the visit list and the review queue) --------------


def my_open_visits(user):
    """'Kunjungan saya': open visits assigned to the user, overdue (earliest due) first."""
    return (
        Visit.objects.for_user(user)
        .filter(assigned_to=user, status__in=OPEN_VISIT)
        .order_by(F("due_date").asc(nulls_last=True), "pk")
    )


def my_overdue_visits(user):
    return my_open_visits(user).filter(due_date__lt=timezone.localdate())


def submissions_to_review(user):
    return Submission.objects.for_user(user).filter(status=SubmissionStatus.REVIEW)


def submissions_in_conflict(user):
    return Submission.objects.for_user(user).filter(status=SubmissionStatus.CONFLICT)


VISIT_QUEUES = by_name(
    Queue("saya", _lazy("Kunjungan saya"), my_open_visits, "fieldwork:visits", "use_field_forms",
          hint=_lazy("belum dikirim, tenggat terdekat dulu")),
    Queue("terlambat", _lazy("Kunjungan lewat tenggat"), my_overdue_visits, "fieldwork:visits",
          "use_field_forms", hint=_lazy("segera kunjungi"), warn=True),
)
SUBMISSION_QUEUES = by_name(
    Queue("menunggu_tinjauan", _lazy("Kiriman menunggu tinjauan"), submissions_to_review,
          "fieldwork:review_queue", "review_submissions", hint=_lazy("setujui atau kembalikan")),
    Queue("konflik", _lazy("Kiriman dengan konflik data"), submissions_in_conflict, "fieldwork:review_queue",
          "review_submissions", hint=_lazy("pilih nilai yang berlaku"), warn=True),
)


def submissions_for(user):
    qs = Submission.objects.for_user(user).select_related("submitted_by", "visit")
    if not can(user, "review_submissions"):
        qs = qs.filter(submitted_by=user)
    return qs


def get_submission(user, pk, *, audit=True) -> Submission:
    """One submission (its values are personal data: the read is audited)."""
    sub = submissions_for(user).filter(pk=pk).first()
    if sub is None:
        raise Http404
    if audit:
        record(user, "submission.view", sub, detail={"form": sub.form_id, "status": sub.status})
    return sub


def mask_name(name: str) -> str:
    """'Siti Aminah' -> 'Si** Am***': enough for the facilitator to recognise, not to identify."""
    return " ".join(w[:2] + "*" * max(len(w) - 2, 0) for w in (name or "").split())


def visit_label(visit) -> str:
    """Short label without personal identifiers beyond a masked name or the KK number."""
    household = _household_of(visit)
    if visit.person_id:
        who = mask_name(visit.person.nama)
    elif household is not None:
        who = household.nomor_kk
    elif visit.proposal_id:
        who = mask_name((visit.proposal.data or {}).get("nama", "")) or "-"
    elif visit.case_id:
        who = visit.case.ticket
    else:
        who = "-"
    return who


def sync_filter(qs, position):
    """Rows after a (updated_at, id) position, in that order."""
    if position is not None:
        ts, pk = position
        qs = qs.filter(Q(updated_at__gt=ts) | Q(updated_at=ts, pk__gt=pk))
    return qs.order_by("updated_at", "pk")


def pull_querysets(user):
    """What the sync API hands a device: visits (assigned, or in a supervisor's scope),
    proposals in scope, and the caller's own submissions (all in scope, for a reviewer)."""
    from slrt.updates.models import Proposal

    visits = Visit.objects.for_user(user)
    if not can(user, "assign_visits"):
        visits = visits.filter(assigned_to=user)
    return {
        "visits": visits.select_related("household", "person", "proposal"),
        "proposals": Proposal.objects.for_user(user),
        "submissions": submissions_for(user),
    }


__all__ = [
    "SubmissionStatus",
    "VisitKind",
    "get_submission",
    "get_visit",
    "open_visits_for",
    "review_queue",
    "task_list",
    "visit_snapshot",
]


def record_visits_shown(user, visits, *, action: str = "visit.list"):
    """One audit row for a page of visits: the visits and whom they are about (ids only)."""
    visits = list(visits)
    return record_shown(user, action, count=len(visits), visits=shown_ids(visits),
                        people=shown_ids(visits, "person_id"), households=shown_ids(visits, "household_id"),
                        cases=shown_ids(visits, "case_id"))
