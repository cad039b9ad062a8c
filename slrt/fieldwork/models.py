"""Home visits by village facilitators. Issue 3 creates verification visits for residents not
in the registry; assignment, ODK forms and review are the field-work issue's."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from slrt.accounts.scoping import ScopedModel


class VisitKind(models.TextChoices):
    VERIFICATION = "verifikasi", _("Verifikasi rumah tangga")
    FOLLOW_UP = "tindak_lanjut", _("Tindak lanjut rujukan")


class VisitStatus(models.TextChoices):
    PLANNED = "direncanakan", _("Direncanakan")
    DONE = "selesai", _("Selesai")
    CANCELLED = "dibatalkan", _("Dibatalkan")


class Visit(ScopedModel):
    scope_capability = "view_registry"

    kind = models.CharField(_("jenis kunjungan"), max_length=16, choices=VisitKind.choices)
    status = models.CharField(_("status"), max_length=16, choices=VisitStatus.choices, default=VisitStatus.PLANNED)
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="visits")
    proposal = models.ForeignKey(
        "updates.Proposal", null=True, blank=True, on_delete=models.SET_NULL, related_name="visits"
    )
    household = models.ForeignKey(
        "registry.Household", null=True, blank=True, on_delete=models.SET_NULL, related_name="visits"
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="visits"
    )
    due_date = models.DateField(_("tenggat"), null=True, blank=True)
    note = models.TextField(_("catatan"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(ScopedModel.Meta):
        ordering = ["-created_at"]
        verbose_name = _("kunjungan")
