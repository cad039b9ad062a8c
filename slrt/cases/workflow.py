"""How a case's and a need's status follow from what happened to them: the one place for it.

Status is derived, not typed: a need is in progress once someone proposed or started a service
for it and handled once a service for it was given, e.g. its referral is done (or a worker
marks it handled with an outcome); a case is new until any need moves, and closes only by an
explicit close that `close_allowed` permits. Reopening puts a closed case back to in progress.

The services themselves belong to apps above cases (referrals); they tell cases about them
through `hooks.need_services`.
"""

from django.db.models import F

from .hooks import NeedService, need_services
from .models import Case, CaseStatus, NeedStatus, RecommendationStatus

# Case transitions as data: action -> (allowed from, to). Close and reopen are explicit;
# "progress" is what `refresh_status` applies when a need moves.
CASE_TRANSITIONS = {
    "progress": ({CaseStatus.NEW}, CaseStatus.IN_PROGRESS),
    "close": ({CaseStatus.NEW, CaseStatus.IN_PROGRESS}, CaseStatus.CLOSED),
    "reopen": ({CaseStatus.CLOSED}, CaseStatus.IN_PROGRESS),
}
FINAL_NEED = {NeedStatus.HANDLED, NeedStatus.CLOSED}


def derived_need_status(need, services: list[NeedService]) -> str:
    """The status a need should have given its services (referrals) and recommendations."""
    if need.status in FINAL_NEED:
        return need.status
    if any(s.done for s in services):
        return NeedStatus.HANDLED
    if any(s.open for s in services) or any(
        r.status != RecommendationStatus.REJECTED for r in need.recommendations.all()
    ):
        return NeedStatus.IN_PROGRESS
    return NeedStatus.OPEN


def refresh_status(case: Case) -> list[tuple[int, str, str]]:
    """Recompute need statuses and move a new case to in progress; returns the needs that changed.

    Call inside the transaction of any write that touches a need's recommendations or referrals.
    Does not close a case: closing needs a person and, for unhandled needs, a reason.

    Writes are conditional on the status read and bump `version` in the database (`F`), so a
    stale `case` object can neither move a version backwards nor reopen a case someone else
    just closed; `case` is refreshed from the database afterwards.
    """
    changed = []
    needs = list(case.needs.prefetch_related("recommendations"))
    services = {}
    for service in need_services(case) if needs else ():  # no needs, nothing to ask
        services.setdefault(service.need_id, []).append(service)
    for need in needs:
        status = derived_need_status(need, services.get(need.pk, []))
        if status != need.status:
            moved = (
                type(need)
                .objects.filter(pk=need.pk, status=need.status)
                .update(status=status, version=F("version") + 1)
            )
            if moved:
                changed.append((need.pk, need.status, status))
    if changed or case.needs.exclude(status=NeedStatus.OPEN).exists():
        Case.unscoped.filter(pk=case.pk, status=CaseStatus.NEW).update(
            status=CaseStatus.IN_PROGRESS, version=F("version") + 1
        )
    case.status, case.version, case.closed_at = (
        Case.unscoped.filter(pk=case.pk).values_list("status", "version", "closed_at").get()
    )
    return changed


def open_referrals(case: Case, need=None) -> list[str]:
    """Numbers of the case's (or one need's) services still open: referrals drafted or at the agency."""
    return [s.number for s in need_services(case) if s.open and (need is None or s.need_id == need.pk)]


def close_allowed(case: Case) -> bool:
    """A case closes only when every need is handled or closed with a reason and no referral is open."""
    return (
        case.status in CASE_TRANSITIONS["close"][0]
        and not case.needs.exclude(status__in=FINAL_NEED).exists()
        and not open_referrals(case)
    )
