"""Reads of data-subject requests and of everything held about their person.

Everything starts from `Model.objects.for_user(user)`: a request outside the caller's region is a
404 like a missing one, and the copy holds what the desk serving it may see (the registry record,
cases, referrals and proposals in its region) plus every audit event about those records.
"""

from django.db import connection
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy

from slrt.audit.models import AuditEvent
from slrt.audit.services import record, record_shown, shown_ids
from slrt.cases.models import Case
from slrt.core.queues import Queue, by_name
from slrt.referrals.models import Referral
from slrt.registry.models import Household, HouseholdAppearance, Person, RegistryChange
from slrt.updates.models import Proposal

from .models import DataRequest
from .workflow import OPEN_STATES, allowed_actions


def requests_for(user, *, status=None, kind=None, person=None, queue=None):
    base = queue.rows(user) if queue is not None else DataRequest.objects.for_user(user)
    qs = base.select_related("person", "received_by")
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if person is not None:
        qs = qs.filter(person=person)
    return qs.order_by("deadline_at", "pk")


def record_requests_shown(user, requests) -> None:
    """One audit row for a page of requests: the requests and their people (ids)."""
    requests = list(requests)
    record_shown(user, "data_request.list", count=len(requests), data_requests=shown_ids(requests),
                 people=shown_ids(requests, "person_id"))


def get_request(user, pk, *, audit=True) -> DataRequest:
    r = (DataRequest.objects.for_user(user)
         .select_related("person", "person__household", "received_by", "verified_by", "closed_by", "proposal", "case")
         .filter(pk=pk).first()) if str(pk).isdigit() else None
    if r is None:
        raise Http404
    if audit:
        record(user, "data_request.view", r, detail={"kind": r.kind, "status": r.status})
    return r


def is_overdue(r: DataRequest, now=None) -> bool:
    return r.status in OPEN_STATES and r.deadline_at < (now or timezone.now())


def actions_for(user, r: DataRequest) -> list[str]:
    return allowed_actions(user.role, r.status, r.kind)


# --- work queues (home cards and ?antrian= on the list) -----------------------------------------


def open_requests(user):
    """Received or verified, not yet fulfilled, refused or withdrawn."""
    return DataRequest.objects.for_user(user).filter(status__in=OPEN_STATES)


def overdue_requests(user):
    """Open past the 3×24-hour deadline (UU PDP art. 32)."""
    return open_requests(user).filter(deadline_at__lt=timezone.now())


PRIVACY_QUEUES = by_name(
    Queue("terbuka", gettext_lazy("Permintaan data pribadi terbuka"), open_requests, "privacy:list",
          "serve_data_requests", hint=gettext_lazy("dijawab dalam 3×24 jam")),
    Queue("lewat_tenggat", gettext_lazy("Permintaan data lewat tenggat"), overdue_requests, "privacy:list",
          "view_data_requests", hint=gettext_lazy("lebih dari 3×24 jam, belum dipenuhi"), warn=True),
)


# --- everything held about a person ---------------------------------------------------------------


def person_cases(user, person):
    """The cases of the person: linked to their registry record, or recorded with their NIK."""
    return (Case.objects.for_user(user).filter(Q(person=person) | Q(applicant_nik=person.nik))
            .select_related("created_by").order_by("created_at", "pk"))


def person_records(user, person, household=None) -> dict:
    """The records about a person that the caller's scope holds, as querysets: their cases, the
    referrals of those cases, the proposals about them and their data requests. The copy and the
    audit log page (`audit_log`) both find "who saw or changed this" from these."""
    household_id = household.pk if household is not None else person.household_id
    cases = person_cases(user, person)
    return {
        "cases": cases,
        "referrals": Referral.objects.for_user(user).filter(case__in=cases).order_by("created_at", "pk"),
        "proposals": Proposal.objects.for_user(user)
        .filter(Q(person=person) | Q(household_id=household_id) | Q(case__in=cases))
        .order_by("created_at", "pk"),
        "requests": DataRequest.objects.for_user(user).filter(person=person).order_by("received_at", "pk"),
    }


def subject_data(user, r: DataRequest) -> dict:
    """What the copy of a request holds, read through the caller's scope."""
    person = Person.objects.for_user(user).select_related("household", "first_release", "last_release").filter(
        pk=r.person_id).first()
    if person is None:
        raise Http404
    household = person.household
    members = list(Person.objects.for_user(user).filter(household=household, is_active=True).order_by("pk"))
    programs = list(person.programs.select_related("source_release").order_by("-active", "program_code"))
    history = list(RegistryChange.objects.filter(Q(person=person) | Q(household=household))
                   .select_related("release", "actor").order_by("at", "id"))
    releases = list(HouseholdAppearance.objects.filter(household=household).select_related("release")
                    .order_by("release__period", "release__source"))
    held = person_records(user, person, household)
    cases = list(held["cases"].prefetch_related("needs", "events"))
    referrals = list(held["referrals"].select_related("case", "need", "agency", "service")
                     .prefetch_related("transitions"))
    proposals = list(held["proposals"])
    requests = list(held["requests"])
    return {
        "person": person, "household": household, "members": members, "programs": programs,
        "history": history, "releases": releases, "cases": cases, "referrals": referrals,
        "proposals": proposals, "requests": requests,
        "access_log": access_log(person, cases=cases, referrals=referrals, proposals=proposals, requests=requests),
    }


def _objects_q(label: str, objs) -> Q:
    ids = [str(o.pk) for o in objs]
    return Q(object_type=label, object_id__in=ids) if ids else Q(pk__in=[])


# Lists and searches audit the ids of what each page showed (`audit.services.record_shown`:
# detail {"people": [...], "cases": [...], ...}); such a page is an access to each of those
# records, so the person's copy lists the pages that showed them or their records.
SHOWN_KEYS = ("people", "households", "cases", "referrals", "proposals")


def _shown_q(shown: dict) -> Q:
    shown = {k: [int(i) for i in ids] for k, ids in shown.items() if ids and k in SHOWN_KEYS}
    if connection.vendor == "postgresql":  # jsonb containment, one id at a time
        q = Q(pk__in=[])
        for key, ids in shown.items():
            for i in ids:
                q |= Q(**{f"detail__{key}__contains": [i]})
        return q
    # SQLite has no JSON containment lookup: read the shown ids of such events (a data request is a
    # rare read; PostgreSQL, the production database, filters in the query).
    any_key = Q(pk__in=[])
    for key in shown:
        any_key |= Q(detail__has_key=key)
    hits = [pk for pk, detail in AuditEvent.objects.filter(any_key).values_list("pk", "detail").iterator()
            if any(set(shown[k]) & set(detail.get(k) or ()) for k in shown if isinstance(detail.get(k), list))]
    return Q(pk__in=hits)


def access_q(person, *, cases=(), referrals=(), proposals=(), requests=()) -> Q:
    """The audit events about the person and their records (the filter of `access_log`)."""
    shown = {"people": [person.pk], "households": [person.household_id], "cases": [c.pk for c in cases],
             "referrals": [x.pk for x in referrals], "proposals": [p.pk for p in proposals]}
    return (_shown_q(shown)
            | _objects_q(Person._meta.label_lower, [person])
            | _objects_q(Household._meta.label_lower, [Household(pk=person.household_id)])
            | _objects_q(Case._meta.label_lower, cases)
            | _objects_q(Referral._meta.label_lower, referrals)
            | _objects_q(Proposal._meta.label_lower, proposals)
            | _objects_q(DataRequest._meta.label_lower, requests))


def access_log(person, *, cases=(), referrals=(), proposals=(), requests=()):
    """Every audit event about the person and their records, oldest first: who saw or changed what,
    including the lists and searches that showed the person."""
    q = access_q(person, cases=cases, referrals=referrals, proposals=proposals, requests=requests)
    return list(AuditEvent.objects.filter(q).select_related("actor").order_by("at", "pk"))
