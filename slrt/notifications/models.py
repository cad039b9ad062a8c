"""The outbox: every message is a row first and is sent afterwards, with retries.

A gateway that is down delays a message, it never loses it. Rows hold the recipient address
(needed to send) but logs never do.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ChannelKind(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")


class OutboxStatus(models.TextChoices):
    PENDING = "antre", _("Dalam antrean")
    SENT = "terkirim", _("Terkirim")
    FAILED = "gagal", _("Gagal permanen")


class Notification(models.Model):
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
    last_error = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
