"""Reads for the service-desk part of the home dashboard: work waiting and SLAs, per scope.

Each figure is one aggregate over a scoped queryset (`for_user`), so a Manajer sees the
kabupaten, a Koordinator the desa, a Mitra user only its agency's referrals.
"""

from django.db.models import Count, F, OuterRef, Q, Subquery
from django.utils import timezone

from slrt.accounts.roles import Role, can
from slrt.cases.models import Case, CaseStatus, FollowUpTask, Recommendation, RecommendationStatus
from slrt.cases.selectors import CASE_QUEUES, CaseFilters, list_cases
from slrt.fieldwork.selectors import SUBMISSION_QUEUES, VISIT_QUEUES
from slrt.notifications.selectors import NOTIFICATION_QUEUES
from slrt.referrals.models import Referral, ReferralStatus, ReferralTransition
from slrt.referrals.selectors import INBOX_QUEUES, REFERRAL_QUEUES
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


# Each role's home starts with its own work: (queue registry, queue name), in the order shown.
# The registries live in each app's selectors; the card's number is `queue.count(user)` and its
# link opens the list with `?antrian=`, which starts from the very same queryset.
HOME_QUEUES: dict[str, list[tuple[dict, str]]] = {
    Role.FRONT_OFFICE: [(CASE_QUEUES, "hari_ini"), (CASE_QUEUES, "menunggu_asesmen")],
    Role.BACK_OFFICE: [(CASE_QUEUES, "menunggu_asesmen"), (CASE_QUEUES, "tindak_lanjut"),
                       (REFERRAL_QUEUES, "terlambat")],
    Role.MANAJER: [(CASE_QUEUES, "menunggu_keputusan"), (REFERRAL_QUEUES, "draf_langsung"),
                   (REFERRAL_QUEUES, "terlambat"), (SUBMISSION_QUEUES, "konflik"), (NOTIFICATION_QUEUES, "gagal")],
    Role.KOORDINATOR_PUSKESOS: [(CASE_QUEUES, "menunggu_keputusan"), (REFERRAL_QUEUES, "draf_langsung"),
                                (REFERRAL_QUEUES, "terlambat"), (CASE_QUEUES, "tindak_lanjut")],
    Role.FASILITATOR: [(VISIT_QUEUES, "terlambat"), (VISIT_QUEUES, "saya"), (CASE_QUEUES, "hari_ini")],
    Role.SUPERVISOR: [(SUBMISSION_QUEUES, "menunggu_tinjauan"), (SUBMISSION_QUEUES, "konflik")],
    Role.MITRA: [(INBOX_QUEUES, "baru"), (INBOX_QUEUES, "terlambat")],
    Role.DINSOS: [(REFERRAL_QUEUES, "terlambat")],
    Role.ADMIN: [(NOTIFICATION_QUEUES, "gagal")],
}
# Roles whose home also shows the region's cases per status (a read-only summary).
SUMMARY_ROLES = {Role.DINSOS, Role.MANAJER, Role.ADMIN}


def home_queues(user) -> list[dict]:
    """The cards at the top of the user's home: label, number, link, warn flag."""
    cards = []
    for registry, name in HOME_QUEUES.get(user.role, []):
        queue = registry[name]
        if queue.capability and not can(user, queue.capability):
            continue
        n = queue.count(user)
        cards.append({"key": name, "label": queue.label, "hint": queue.hint, "n": n, "url": queue.url(),
                      "warn": queue.warn and n > 0})
    return cards


def case_summary(user) -> list[dict]:
    """Cases per status for the summary roles; each count is the case list's own query."""
    from django.urls import reverse

    if user.role not in SUMMARY_ROLES or not can(user, "view_cases"):
        return []
    return [
        {"label": label, "n": list_cases(user, CaseFilters(status=status)).count(),
         "url": f"{reverse('cases:list')}?status={status}"}
        for status, label in CaseStatus.choices
    ]
