"""Write side of notifications: `notify` puts messages in the outbox inside the caller's transaction.

Sending (email through Django's mail, SMS/WhatsApp through the HTTP gateway) and retries live in
`notifications.sending`, run by the scheduled job, so a request never waits on a gateway and a
rolled-back action sends nothing.
"""

from django.db import transaction
from django.utils import timezone

from slrt.audit.services import record

from .models import Notification, OutboxStatus
from .recipients import InvalidRecipient, normalise

EVENTS = ("case.created", "referral.accepted", "referral.done", "referral.overdue", "referral.consent_withdrawn",
          "data_request.due", "monthly_report.ready")


class RetryRefused(Exception):
    """The row is not a failed message that another attempt could deliver."""


def enqueue(event: str, channel: str, recipient: str, subject: str, body: str, obj=None) -> Notification:
    """One outbox row. An address that can never be reached is stored as failed with its reason,
    so the outbox page shows it instead of it retrying forever."""
    if event not in EVENTS:
        raise ValueError(f"unknown notification event {event!r}")
    now = timezone.now()
    row = Notification(
        event=event,
        channel=channel,
        subject=subject[:200],
        body=body,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        next_attempt_at=now,
    )
    desa_code = getattr(obj, "desa_code", "")
    if desa_code:
        row.set_region(desa_code)
    try:
        row.recipient = normalise(channel, recipient)
    except InvalidRecipient as exc:
        row.recipient = (recipient or "")[:254]
        row.status = OutboxStatus.FAILED
        row.last_error = f"invalid_recipient: {exc}"
    row.save()
    if row.status == OutboxStatus.FAILED:
        record(None, "notification.failed", row, region_code=row.desa_code, detail={"reason": row.error_code})
    return row


def notify(event: str, obj, **context) -> list[Notification]:
    """Queue the messages of one event. `obj` is the Case (case.created) or the Referral (others).

    Recipients and wording live in `notifications.messages`; this only fans out and enqueues.
    """
    from .messages import messages_for

    return [
        enqueue(event, channel, to, subject, body, obj)
        for channel, to, subject, body in messages_for(event, obj, context)
    ]


def retry_now(user, notification: Notification) -> Notification:
    """Put a permanently failed message back in the queue for an immediate new round of attempts."""
    if notification.error_code == "invalid_recipient":
        raise RetryRefused("invalid_recipient")
    with transaction.atomic():
        # Conditional so that two clicks (or a click racing the worker) re-queue it once.
        updated = Notification.objects.filter(pk=notification.pk, status=OutboxStatus.FAILED).update(
            status=OutboxStatus.PENDING, attempts=0, next_attempt_at=timezone.now()
        )
        if updated != 1:
            raise RetryRefused("not_failed")
        record(user, "notification.retry", notification, region_code=notification.desa_code)
    notification.refresh_from_db()
    return notification
