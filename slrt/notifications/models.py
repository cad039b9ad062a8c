"""The outbox: every message is a row first and is sent afterwards, with retries.

A gateway that is down delays a message, it never loses it. Rows hold the recipient address
(needed to send) but logs never do. Each row carries the region of the case or referral it is
about, so the outbox page shows a Manajer only the messages of their own kabupaten.
"""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from slrt.accounts.roles import can
from slrt.accounts.scoping import RegionColumns, region_q


class ChannelKind(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")


class OutboxStatus(models.TextChoices):
    PENDING = "antre", _("Dalam antrean")
    SENT = "terkirim", _("Terkirim")
    FAILED = "gagal", _("Gagal permanen")


class NotificationQuerySet(models.QuerySet):
    def for_user(self, user):
        """Messages about cases and referrals inside the user's region, for roles that watch the outbox."""
        if not can(user, "view_outbox"):
            return self.none()
        return self.filter(region_q(user.region_id))

    def due(self, now):
        return self.filter(status=OutboxStatus.PENDING, next_attempt_at__lte=now)


class Notification(RegionColumns):
    event = models.CharField(max_length=40)  # case.created, referral.accepted, referral.done, referral.overdue
    channel = models.CharField(max_length=10, choices=ChannelKind.choices)
    recipient = models.CharField(max_length=254)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    # "<code>: <detail>" — a status code or exception class, never the recipient or the text.
    last_error = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Sent with every attempt (HTTP `Idempotency-Key`, the e-mail's Message-ID) so a gateway can drop
    # a repeat: delivery is at least once. Random per row: nothing personal, unique across installs.
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("notifikasi")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="notif_due_idx")]

    def __str__(self):
        return f"{self.event} #{self.pk}"

    @property
    def error_code(self) -> str:
        return self.last_error.split(":", 1)[0] if self.last_error else ""


class JobRun(models.Model):
    """One scheduled job's claim on one period: the unique pair is what makes it run once.

    Every scheduler (two `celery beat`s, by accident or for failover) sends each job each period;
    the first delivery to insert the row runs the job, the others see the row and stop. A run whose
    worker died leaves its row unfinished: after `lease_until` another delivery may take it over.
    """

    job = models.CharField(max_length=40)
    period_start = models.DateTimeField()
    task_id = models.CharField(max_length=64, blank=True)  # the delivery holding the claim
    attempts = models.PositiveSmallIntegerField(default=1)  # > 1: taken over after a lease ran out
    started_at = models.DateTimeField()
    lease_until = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=200, blank=True)  # "escalated=3", or "error: <class>"

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "period_start"], name="jobrun_once_per_period")]
        indexes = [models.Index(fields=["period_start"], name="jobrun_period_idx")]

    def __str__(self):
        return f"{self.job} @ {self.period_start:%Y-%m-%d %H:%M:%S}"
