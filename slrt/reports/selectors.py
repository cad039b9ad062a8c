"""Reads for the service-desk part of the home dashboard: work waiting and SLAs, per scope.

Each figure is one aggregate over a scoped queryset (`for_user`), so a Manajer sees the
kabupaten, a Koordinator the desa, a Mitra user only its agency's referrals.
"""

from django.db.models import Count, F, OuterRef, Q, Subquery
from django.utils import timezone

from slrt.accounts.roles import can
from slrt.cases.models import Case, CaseStatus, FollowUpTask, Recommendation, RecommendationStatus
from slrt.referrals.models import Referral, ReferralStatus, ReferralTransition
from slrt.referrals.workflow import AT_AGENCY


def desk_overview(user) -> dict:
    now = timezone.now()
    data: dict = {"sees_cases": can(user, "view_cases"), "sees_referrals": can(user, "view_referrals")}
    if data["sees_cases"]:
        cases = Case.objects.for_user(user)
        by_status = dict(cases.order_by().values_list("status").annotate(n=Count("id")))
        data["cases"] = [
            {"status": status, "label": label, "n": by_status.get(status, 0)} for status, label in CaseStatus.choices
        ]
        data["cases_today"] = cases.filter(created_at__date=timezone.localdate()).count()
        data["tasks_overdue"] = FollowUpTask.objects.filter(
            case__in=cases, done_at__isnull=True, due_date__lt=timezone.localdate()
        ).count()
        if can(user, "approve_recommendation"):
            data["approvals_waiting"] = (
                Recommendation.objects.filter(case__in=cases, status=RecommendationStatus.DRAFT)
                .exclude(drafted_by=user)
                .count()
            )
    if data["sees_referrals"]:
        done_at = ReferralTransition.objects.filter(referral=OuterRef("pk"), to_status=ReferralStatus.DONE)
        referrals = Referral.objects.for_user(user).annotate(done_at=Subquery(done_at.values("at")[:1]))
        figures = referrals.aggregate(
            waiting=Count("id", filter=Q(status__in=AT_AGENCY)),
            new=Count("id", filter=Q(status=ReferralStatus.SENT)),
            overdue=Count("id", filter=Q(status__in=AT_AGENCY, due_at__lt=now)),
            done=Count("id", filter=Q(status=ReferralStatus.DONE)),
            done_on_time=Count("id", filter=Q(status=ReferralStatus.DONE, done_at__lte=F("due_at"))),
        )
        figures["on_time_share"] = round(100 * figures["done_on_time"] / figures["done"]) if figures["done"] else None
        data["referrals"] = figures
    return data
