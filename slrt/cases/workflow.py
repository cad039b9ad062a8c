"""How a case's and a need's status follow from what happened to them: the one place for it.

Status is derived, not typed: a need is in progress once someone proposed or started a service
for it and handled once a referral for it is done (or a worker marks it handled with an
outcome); a case is new until any need moves, and closes only by an explicit close that
`close_allowed` permits. Reopening puts a closed case back to in progress.
"""

from slrt.referrals.models import ReferralStatus

from .models import Case, CaseStatus, NeedStatus, RecommendationStatus

OPEN_REFERRAL = {ReferralStatus.DRAFT, ReferralStatus.SENT, ReferralStatus.ACCEPTED, ReferralStatus.IN_SERVICE}

# Case transitions as data: action -> (allowed from, to). Close and reopen are explicit;
# "progress" is what `refresh_status` applies when a need moves.
CASE_TRANSITIONS = {
    "progress": ({CaseStatus.NEW}, CaseStatus.IN_PROGRESS),
    "close": ({CaseStatus.NEW, CaseStatus.IN_PROGRESS}, CaseStatus.CLOSED),
    "reopen": ({CaseStatus.CLOSED}, CaseStatus.IN_PROGRESS),
}
FINAL_NEED = {NeedStatus.HANDLED, NeedStatus.CLOSED}


def derived_need_status(need) -> str:
    """The status a need should have given its referrals and recommendations."""
    if need.status in FINAL_NEED:
        return need.status
    referrals = [r.status for r in need.referrals.all()]
    if ReferralStatus.DONE in referrals:
        return NeedStatus.HANDLED
    if any(s in OPEN_REFERRAL for s in referrals) or any(
        r.status != RecommendationStatus.REJECTED for r in need.recommendations.all()
    ):
        return NeedStatus.IN_PROGRESS
    return NeedStatus.OPEN


def refresh_status(case: Case) -> list[tuple[int, str, str]]:
    """Recompute need statuses and move a new case to in progress; returns the needs that changed.

    Call inside the transaction of any write that touches a need's recommendations or referrals.
    Does not close a case: closing needs a person and, for unhandled needs, a reason.
    """
    changed = []
    for need in case.needs.prefetch_related("referrals", "recommendations"):
        status = derived_need_status(need)
        if status != need.status:
            changed.append((need.pk, need.status, status))
            type(need).objects.filter(pk=need.pk).update(status=status, version=need.version + 1)
    if case.status == CaseStatus.NEW and (changed or case.needs.exclude(status=NeedStatus.OPEN).exists()):
        Case.unscoped.filter(pk=case.pk).update(status=CaseStatus.IN_PROGRESS, version=case.version + 1)
        case.status, case.version = CaseStatus.IN_PROGRESS, case.version + 1
    return changed


def close_allowed(case: Case) -> bool:
    """A case closes only when every need is handled or closed with a reason."""
    return case.status in CASE_TRANSITIONS["close"][0] and not case.needs.exclude(status__in=FINAL_NEED).exists()
