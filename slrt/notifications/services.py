"""Write side of notifications: `notify` puts messages in the outbox inside the caller's transaction.

Sending (email through Django's mail, SMS/WhatsApp through the HTTP gateway) and retries live in
`notifications.sending`, run by the scheduled job, so a request never waits on a gateway and a
rolled-back action sends nothing.
"""

from django.utils import timezone

from .models import Notification

EVENTS = ("case.created", "referral.accepted", "referral.done", "referral.overdue")


def enqueue(event: str, channel: str, recipient: str, subject: str, body: str, obj=None) -> Notification:
    if event not in EVENTS:
        raise ValueError(f"unknown notification event {event!r}")
    return Notification.objects.create(
        event=event,
        channel=channel,
        recipient=recipient,
        subject=subject,
        body=body,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        next_attempt_at=timezone.now(),
    )


def notify(event: str, obj, **context) -> list[Notification]:
    """Queue the messages of one event. `obj` is the Case (case.created) or the Referral (others).

    Recipients and wording live in `notifications.messages`; this only fans out and enqueues.
    """
    from .messages import messages_for

    return [
        enqueue(event, channel, to, subject, body, obj)
        for channel, to, subject, body in messages_for(event, obj, context)
    ]
