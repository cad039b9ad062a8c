"""Field work: home visits assigned to village facilitators, and what comes back from the field
(ODK Collect submissions over OpenRosa, or batches pushed to the sync API).

A submission is stored before anything is applied, keyed by its instance ID, so a resubmission
creates nothing new and nothing a tablet sent is ever lost; one that would overwrite a value
changed on the server since the tablet downloaded it waits for the supervisor (`conflicts`).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from slrt.accounts.scoping import ScopedModel


class VisitKind(models.TextChoices):
    VERIFICATION = "verifikasi", _("Verifikasi rumah tangga")
    FOLLOW_UP = "tindak_lanjut", _("Tindak lanjut rujukan")


class VisitStatus(models.TextChoices):
    PLANNED = "direncanakan", _("Direncanakan")
    SUBMITTED = "dikirim", _("Dikirim, menunggu tinjauan")
    RETURNED = "dikembalikan", _("Dikembalikan untuk diperbaiki")
    DONE = "selesai", _("Selesai")
    CANCELLED = "dibatalkan", _("Dibatalkan")


class Visit(ScopedModel):
    scope_capability = "view_registry"

    kind = models.CharField(_("jenis kunjungan"), max_length=16, choices=VisitKind.choices)
    status = models.CharField(_("status"), max_length=16, choices=VisitStatus.choices, default=VisitStatus.PLANNED,
                              db_index=True)
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="visits")
    proposal = models.ForeignKey(
        "updates.Proposal", null=True, blank=True, on_delete=models.SET_NULL, related_name="visits"
    )
    household = models.ForeignKey(
        "registry.Household", null=True, blank=True, on_delete=models.SET_NULL, related_name="visits"
    )
    person = models.ForeignKey("registry.Person", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="visits")
    referral = models.ForeignKey("referrals.Referral", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="visits")
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="visits"
    )
    due_date = models.DateField(_("tenggat"), null=True, blank=True)
    note = models.TextField(_("catatan"), blank=True)
    return_reason = models.TextField(_("alasan dikembalikan"), blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta(ScopedModel.Meta):
        ordering = ["-created_at"]
        verbose_name = _("kunjungan")


class SubmissionSource(models.TextChoices):
    ODK = "odk", _("ODK Collect")
    API = "api", _("API sinkronisasi")


class SubmissionStatus(models.TextChoices):
    REVIEW = "menunggu_tinjauan", _("Menunggu tinjauan supervisor")
    CONFLICT = "konflik", _("Konflik data: supervisor memilih")
    INVALID = "tidak_valid", _("Tidak valid")
    APPROVED = "disetujui", _("Disetujui")
    RETURNED = "dikembalikan", _("Dikembalikan")


class Submission(ScopedModel):
    """One filled form from the field, stored verbatim before it is applied."""

    scope_capability = "view_registry"

    # ODK's `meta/instanceID` (uuid:…) or the sync API's idempotency key, per submitting user's
    # device; unique, so a retry after a lost response finds the first one.
    instance_id = models.CharField(max_length=100, unique=True)
    form_id = models.CharField(_("formulir"), max_length=40)
    form_version = models.CharField(max_length=40, blank=True)
    source = models.CharField(max_length=4, choices=SubmissionSource.choices, default=SubmissionSource.ODK)
    status = models.CharField(_("status"), max_length=20, choices=SubmissionStatus.choices, db_index=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                     related_name="submissions")
    visit = models.ForeignKey(Visit, null=True, blank=True, on_delete=models.SET_NULL, related_name="submissions")
    xml = models.TextField(blank=True)  # the instance as received (ODK); empty for the sync API
    values = models.JSONField(default=dict)  # field name → value, parsed from the instance
    # Values the device held when it downloaded the data (for the conflict rule).
    base = models.JSONField(default=dict, blank=True)
    # [{"target", "field", "label", "base", "server", "submitted", "choice"}]; choice is
    # "server" or "submitted" once the supervisor has chosen.
    conflicts = models.JSONField(default=list, blank=True)
    errors = models.JSONField(default=dict, blank=True)  # field → [messages] when invalid
    result = models.JSONField(default=dict, blank=True)  # what applying created: {"case": id, ...}
    review_note = models.TextField(_("catatan tinjauan"), blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta(ScopedModel.Meta):
        ordering = ["-received_at"]
        verbose_name = _("kiriman formulir")


class SubmissionAttachment(models.Model):
    """A photo, signature or other file sent with a submission."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="attachments")
    name = models.CharField(max_length=255)  # the file name as referenced in the instance XML
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    file = models.FileField(upload_to="submissions/%Y/%m/")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["submission", "name"], name="one_attachment_per_name")]
