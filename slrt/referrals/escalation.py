"""Overdue referrals escalate to the Manajer SLRT of their kabupaten/kota (scheduled job).

A referral still sent, accepted or in service after its `due_at` is escalated once: stamped
`escalated_at`, written to the case timeline and the audit log, and the Manajer (and the agency)
are emailed through the outbox. The stamp is a conditional UPDATE, so two runs at once or one
after the other escalate each referral exactly once. It is not a versioned edit: staff editing
the referral at the same moment are not told of a conflict they did not cause.
"""

import logging

from django.db import transaction
from django.utils import timezone

from slrt.audit.services import record
from slrt.cases.events import log_event
from slrt.cases.models import Case
from slrt.notifications.services import notify

from .models import Referral
from .workflow import AT_AGENCY

logger = logging.getLogger(__name__)


def overdue_referrals(now):
    return (
        Referral.objects.system()
        .filter(status__in=AT_AGENCY, due_at__lt=now, escalated_at__isnull=True)
        .select_related("case", "agency")
    )


def escalate_overdue(now=None) -> int:
    """Escalate every overdue referral not yet escalated; returns how many were."""
    now = now or timezone.now()
    escalated = 0
    for referral in overdue_referrals(now).order_by("due_at", "id"):
        with transaction.atomic():
            # Same lock order as every other writer: the case row, then the referral.
            list(Case.unscoped.select_for_update().filter(pk=referral.case_id).values_list("pk", flat=True))
            won = (
                Referral.objects.system()
                .filter(pk=referral.pk, escalated_at__isnull=True, status__in=AT_AGENCY)
                .update(escalated_at=now)
            )
            if not won:
                continue  # another run escalated it, or it moved on meanwhile
            referral.escalated_at = now
            log_event(
                referral.case,
                None,
                "referral.overdue",
                referral=referral.pk,
                number=referral.number,
                status=referral.status,
                due=timezone.localtime(referral.due_at).strftime("%d-%m-%Y"),
            )
            record(
                None,
                "referral.escalate",
                referral,
                region_code=referral.desa_code,
                detail={"status": referral.status, "agency": referral.agency.code},
            )
            notify("referral.overdue", referral)
        escalated += 1
    if escalated:
        logger.info("escalation: %d overdue referrals escalated", escalated)
    return escalated
