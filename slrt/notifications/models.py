"""The outbox: every message is a row first and is sent afterwards, with retries.

A gateway that is down delays a message, it never loses it. Rows hold the recipient address
(needed to send) but logs never do. Each row carries the region of the case or referral it is
about, so the outbox page shows a Manajer only the messages of their own kabupaten.
"""

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
