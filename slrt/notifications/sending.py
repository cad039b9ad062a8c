"""Delivering the outbox: email through Django's mail, SMS/WhatsApp through one HTTP gateway.

Run by the scheduled job `outbox` (a Celery task, `notifications.tasks`). Each run claims the due
rows first (a short transaction that moves their `next_attempt_at` a lease ahead), then sends
outside any transaction, then writes each row's result. Two workers never claim the same row:
PostgreSQL skips rows another worker holds locked (`SKIP LOCKED`); elsewhere each claim
is a conditional UPDATE that only one worker can
win. A worker that dies mid-send leaves its rows to be picked up when the lease runs out, so a
message may in the worst case go out twice but is never lost: every attempt of a row carries the
same key (the row's `idempotency_key`: the gateway's `Idempotency-Key` header, the e-mail's
Message-ID), so a gateway or mail client can drop the repeat.

A failed attempt is retried with growing delays; after `SLRT_NOTIFY_MAX_ATTEMPTS` the row is
marked failed and audited, and the outbox page can queue it again. Errors are recorded as a
code and a status or exception class only: no recipient, no text.
"""

import json
import logging
import smtplib
import socket
import urllib.error
import urllib.request
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.utils import timezone

from slrt.audit.services import record

from .models import ChannelKind, Notification, OutboxStatus

logger = logging.getLogger(__name__)

# A missing gateway is a configuration gap, not the message's fault: check again this often
# without spending its attempts.
NO_GATEWAY_RECHECK = timedelta(minutes=5)


class GatewayNotConfigured(Exception):
    pass


class GatewayMisconfigured(Exception):
    pass


class GatewayRefused(Exception):
    def __init__(self, status: int):
        self.status = status
        super().__init__(f"HTTP {status}")


def _max_attempts() -> int:
    return settings.SLRT_NOTIFY_MAX_ATTEMPTS


def backoff(attempts: int) -> timedelta:
    """Delay before the next try after `attempts` failed ones (attempts >= 1)."""
    steps = settings.SLRT_NOTIFY_BACKOFF_MINUTES
    return timedelta(minutes=steps[min(attempts, len(steps)) - 1])


def _lease() -> timedelta:
    timeout = settings.SLRT_SMS_GATEWAY_TIMEOUT
    # Long enough that a batch still being sent is not claimed again by the next run.
    return timedelta(seconds=max(300, timeout * 20))


def claim(now, limit: int) -> list[Notification]:
    """Take up to `limit` due rows for this worker; no other worker gets them until the lease ends."""
    lease_until = now + _lease()
    due = Notification.objects.due(now).order_by("next_attempt_at", "id")
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            ids = list(due.select_for_update(skip_locked=True).values_list("id", flat=True)[:limit])
            Notification.objects.filter(id__in=ids).update(next_attempt_at=lease_until)
        else:
            ids = []
            for pk, at in due.values_list("id", "next_attempt_at")[:limit]:
                won = Notification.objects.filter(pk=pk, status=OutboxStatus.PENDING, next_attempt_at=at).update(
                    next_attempt_at=lease_until
                )
                if won:
                    ids.append(pk)
    return list(Notification.objects.filter(id__in=ids).order_by("id"))


def message_id(row: Notification) -> str:
    """The e-mail's Message-ID: the same for every attempt of one row, nothing personal in it."""
    sender = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)
    domain = sender[1].strip(" >") if len(sender) == 2 else "slrt.invalid"
    return f"<{row.idempotency_key}@{domain or 'slrt.invalid'}>"


def send_email(row: Notification) -> None:
    EmailMessage(
        row.subject, row.body, settings.DEFAULT_FROM_EMAIL, [row.recipient],
        headers={"Message-ID": message_id(row)},
    ).send(fail_silently=False)


def send_gateway(row: Notification) -> None:
    url = settings.SLRT_SMS_GATEWAY_URL
    if not url:
        raise GatewayNotConfigured
    if not url.startswith(("http://", "https://")):
        raise GatewayMisconfigured  # a file: or ftp: URL is never opened
    headers = {
        "Content-Type": "application/json", "Accept": "application/json",
        # A resend of this row (a retry, a worker lost after the gateway answered) carries the same key.
        "Idempotency-Key": str(row.idempotency_key),
    }
    token = settings.SLRT_SMS_GATEWAY_TOKEN
    if token:
        headers["Authorization"] = f"Bearer {token}"
    payload = json.dumps({"to": row.recipient, "channel": row.channel, "message": row.body}).encode()
    request = urllib.request.Request(url, data=payload, headers=headers, method="POST")  # noqa: S310 (checked above)
    timeout = settings.SLRT_SMS_GATEWAY_TIMEOUT
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (checked above)
        if not 200 <= response.status < 300:
            raise GatewayRefused(response.status)


def describe_error(exc: BaseException) -> str:
    """`code: detail` with nothing personal (the gateway's body may echo the number, so it is dropped)."""
    if isinstance(exc, GatewayMisconfigured):
        return "config: SLRT_SMS_GATEWAY_URL bukan http(s)"
    if isinstance(exc, urllib.error.HTTPError):
        return f"http_error: HTTP {exc.code}"
    if isinstance(exc, GatewayRefused):
        return f"http_error: HTTP {exc.status}"
    if isinstance(exc, urllib.error.URLError):
        reason = exc.reason
        if isinstance(reason, (TimeoutError, socket.timeout)):
            return "timeout: TimeoutError"
        return f"connection: {type(reason).__name__}"
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return "timeout: TimeoutError"
    if isinstance(exc, smtplib.SMTPException):
        return f"smtp: {type(exc).__name__}"
    if isinstance(exc, OSError):
        return f"connection: {type(exc).__name__}"
    return f"error: {type(exc).__name__}"


def _failed_attempt(row: Notification, now, error: str) -> str:
    attempts = row.attempts + 1
    if attempts >= _max_attempts():
        Notification.objects.filter(pk=row.pk).update(
            attempts=attempts, status=OutboxStatus.FAILED, last_error=error[:255]
        )
        row.attempts, row.status, row.last_error = attempts, OutboxStatus.FAILED, error[:255]
        record(
            None,
            "notification.failed",
            row,
            region_code=row.desa_code,
            detail={"reason": row.error_code, "attempts": attempts, "channel": row.channel},
        )
        return "failed"
    Notification.objects.filter(pk=row.pk).update(
        attempts=attempts, next_attempt_at=now + backoff(attempts), last_error=error[:255]
    )
    return "retry"


def deliver(row: Notification, now) -> str:
    """Send one claimed row; returns sent, retry, failed or waiting."""
    try:
        if row.channel == ChannelKind.EMAIL:
            send_email(row)
        else:
            send_gateway(row)
    except GatewayNotConfigured:
        Notification.objects.filter(pk=row.pk).update(
            next_attempt_at=now + NO_GATEWAY_RECHECK,
            last_error="no_gateway: SLRT_SMS_GATEWAY_URL belum diatur; pesan menunggu",
        )
        return "waiting"
    except Exception as exc:  # noqa: BLE001 (whatever the outside world raised: count it, retry later)
        return _failed_attempt(row, now, describe_error(exc))
    Notification.objects.filter(pk=row.pk).update(
        status=OutboxStatus.SENT, sent_at=now, attempts=row.attempts + 1, last_error=""
    )
    return "sent"


def process_outbox(now=None, limit: int = 200) -> dict[str, int]:
    """Send what is due. Returns counts per outcome (the only thing logged)."""
    now = now or timezone.now()
    counts = {"sent": 0, "retry": 0, "failed": 0, "waiting": 0}
    for row in claim(now, limit):
        counts[deliver(row, now)] += 1
    if any(counts.values()):
        logger.info(
            "outbox: %(sent)d sent, %(retry)d to retry, %(failed)d failed, %(waiting)d waiting for a gateway", counts
        )
    return counts
