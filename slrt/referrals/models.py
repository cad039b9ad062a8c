"""A referral (*rujukan*) of one need of a case to one partner agency.

Its states and who may move it between them are data in `referrals.workflow`; every move is
stamped in `ReferralTransition`. Staff see referrals by region like cases; a Mitra user sees
only those actually sent to its own agency (never drafts, nor drafts cancelled unsent).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from slrt.accounts.roles import Role, can
from slrt.accounts.scoping import ScopedModel, region_q
from slrt.core.locking import Versioned


class ReferralStatus(models.TextChoices):
    DRAFT = "draf", _("Draf")
    SENT = "terkirim", _("Terkirim")
    ACCEPTED = "diterima", _("Diterima")
    REJECTED = "ditolak", _("Ditolak")
    IN_SERVICE = "dilayani", _("Dalam layanan")
    DONE = "selesai", _("Selesai")
    RETURNED = "dikembalikan", _("Dikembalikan")
    CANCELLED = "dibatalkan", _("Dibatalkan")


class Referral(ScopedModel, Versioned):
    scope_capability = "view_referrals"

    number = models.CharField(_("nomor rujukan"), max_length=40, unique=True)
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="referrals")
    need = models.ForeignKey("cases.Need", on_delete=models.PROTECT, related_name="referrals")
    recommendation = models.ForeignKey(
        "cases.Recommendation", null=True, blank=True, on_delete=models.PROTECT, related_name="referrals"
    )
    agency = models.ForeignKey("programs.Agency", on_delete=models.PROTECT, related_name="referrals")
    service = models.ForeignKey(
        "programs.AgencyService", null=True, blank=True, on_delete=models.PROTECT, related_name="referrals"
    )
    note = models.TextField(_("catatan untuk lembaga"), blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=ReferralStatus.choices, default=ReferralStatus.DRAFT, db_index=True
    )
    reason = models.TextField(_("alasan"), blank=True)  # of a rejection, return or cancellation
    service_given = models.TextField(_("layanan yang diberikan"), blank=True)
    outcome = models.TextField(_("hasil layanan"), blank=True)
    service_date = models.DateField(_("tanggal layanan"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(_("batas waktu"), null=True, blank=True, db_index=True)  # sent_at + SLA
    escalated_at = models.DateTimeField(null=True, blank=True)
    # The resident withdrew consent to share after this referral reached the agency: flagged to it.
    consent_withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta(ScopedModel.Meta):
        ordering = ["-created_at"]
        verbose_name = _("rujukan")
        verbose_name_plural = _("rujukan")
        # The figures count a region's referrals by the day they were sent (bench/office.py).
        indexes = [
            models.Index(fields=["kab_code", "sent_at"], name="referral_kab_sent_idx"),
            models.Index(fields=["prov_code", "sent_at"], name="referral_prov_sent_idx"),
        ]

    def __str__(self):
        return self.number

    @classmethod
    def scope_q(cls, user) -> Q:
        if user.role == Role.MITRA:
            if not user.agency_code:
                return Q(pk__in=[])
            # Only what was actually sent: a draft cancelled before sending never reached the
            # agency (and may lack the resident's consent to share), so it stays invisible.
            return Q(agency__code=user.agency_code, sent_at__isnull=False)
        if not can(user, "view_cases"):
            return Q(pk__in=[])
        return region_q(user.region_id)


class ReferralTransition(models.Model):
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=12, choices=ReferralStatus.choices)
    to_status = models.CharField(max_length=12, choices=ReferralStatus.choices)
    action = models.CharField(max_length=20)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]
        # When a referral first reached a state (accepted, done): one index probe per referral.
        indexes = [models.Index(fields=["referral", "to_status", "at"], name="referral_transition_status_idx")]
