"""Read side of the outbox page; every query starts from `Notification.objects.for_user`."""

from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from slrt.core.queues import Queue

from .errors import error_text
from .models import Notification, OutboxStatus
from .recipients import masked

PAGE_SIZE = 50
LAST_ERRORS = 5


def failed_messages(user):
    """Messages that gave up after their retries: the Admin's queue (retry or fix the contact)."""
    return Notification.objects.for_user(user).filter(status=OutboxStatus.FAILED)


NOTIFICATION_QUEUES = {
    "gagal": Queue("gagal", _lazy("Notifikasi gagal terkirim"), failed_messages, "notifications:outbox",
                   "view_outbox", hint=_lazy("kirim ulang atau perbaiki kontak"), warn=True),
}


def outbox_summary(user) -> dict:
    rows = Notification.objects.for_user(user)
    counts = {s: 0 for s in OutboxStatus.values}
    for row in rows.values("status").annotate(n=Count("id")).order_by():
        counts[row["status"]] = row["n"]
    errors = (
        rows.exclude(last_error="")
        .exclude(status=OutboxStatus.SENT)
        .order_by("-next_attempt_at", "-id")
        .values_list("last_error", flat=True)[:50]
    )
    # Distinct recent errors, in words: enough to tell "gateway down" from "bad number" at a glance.
    recent = list(dict.fromkeys(error_text(e) for e in errors))[:LAST_ERRORS]
    return {"counts": counts, "recent_errors": recent}


ALL_STATUSES = "semua"


def outbox_filters_from(params, user) -> str | None:
    """The outbox page's one filter from its query (`status`): an `OutboxStatus` value, None for
    "semua" (every message), the failed messages when absent. A value the page does not offer is
    a ValidationError naming `status` (the page itself falls back to the failed messages)."""
    raw = (params.get("status") or "").strip()
    if not raw:
        return OutboxStatus.FAILED
    if raw == ALL_STATUSES:
        return None
    if raw not in OutboxStatus.values:
        choices = ", ".join([*OutboxStatus.values, ALL_STATUSES])
        message = _("Status tidak dikenal; pilih salah satu: %(choices)s.") % {"choices": choices}
        raise ValidationError({"status": message})
    return raw


def outbox_queryset(user, status: str | None):
    """The messages of the outbox page for `status` (None: all), newest first."""
    rows = Notification.objects.for_user(user)
    if status == OutboxStatus.FAILED:
        rows = failed_messages(user)  # the queue's own definition, so the home card matches
    elif status in OutboxStatus.values:
        rows = rows.filter(status=status)
    return rows.order_by("-created_at", "-id")


def outbox_rows(user, status: str | None, page: int = 1) -> tuple[list[dict], bool]:
    offset = (page - 1) * PAGE_SIZE
    found = list(outbox_queryset(user, status)[offset : offset + PAGE_SIZE + 1])
    return [row_view(n) for n in found[:PAGE_SIZE]], len(found) > PAGE_SIZE


def row_view(n: Notification) -> dict:
    """What the page shows of one message: the address masked, the text not at all."""
    return {
        "id": n.pk,
        "event": n.event,
        "channel": n.get_channel_display(),
        "recipient": masked(n.channel, n.recipient),
        "subject": n.subject,
        "status": n.status,
        "status_label": n.get_status_display(),
        "attempts": n.attempts,
        "next_attempt_at": n.next_attempt_at,
        "sent_at": n.sent_at,
        "created_at": n.created_at,
        "last_error": error_text(n.last_error),
        "retryable": n.status == OutboxStatus.FAILED and n.error_code != "invalid_recipient",
    }


def get_notification(user, pk) -> Notification:
    """One message in the user's scope; 404 if missing or outside, alike."""
    try:
        return Notification.objects.for_user(user).get(pk=pk)
    except (Notification.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
