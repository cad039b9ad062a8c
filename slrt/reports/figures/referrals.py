"""Referrals per agency, the registry loop and field work (issue 13, point 1).

Period rule (SPEC): a referral counts in the period it was SENT (`sent_at`, by its province's
day); whatever happened to it later (accepted, rejected, done) is counted with it, so last
month's table answers "what became of what we sent last month". The SLA clock starts when it is
sent: `due_at` is `sent_at` plus the agency service's SLA days, fixed at sending.
"""

from django.db.models import Count, F, OuterRef, Q, Subquery

from slrt.accounts.scoping import region_q
from slrt.referrals.models import Referral, ReferralStatus, ReferralTransition

from .base import Scope


def _transition_at(status: str):
    """When the referral first reached `status` (None if never)."""
    return Subquery(
        ReferralTransition.objects.filter(referral=OuterRef("pk"), to_status=status)
        .order_by("at", "id")
        .values("at")[:1]
    )


def sent_referrals(scope: Scope):
    """The referrals of the scope's region sent in the scope's period, through the user's scope."""
    return (
        Referral.objects.for_user(scope.user)
        .filter(region_q(scope.code))
        .filter(sent_at__isnull=False)
        .filter(scope.period.q("sent_at", scope.code, prov_field="prov_code"))
    )


def with_milestones(qs):
    """Annotate `accepted_at` and `done_at` (first transition to the state)."""
    return qs.annotate(accepted_at=_transition_at(ReferralStatus.ACCEPTED), done_at=_transition_at(ReferralStatus.DONE))


ON_TIME = Q(status=ReferralStatus.DONE, done_at__lte=F("due_at"))


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
            done_on_time=Count("pk", filter=ON_TIME),
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
