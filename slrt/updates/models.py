"""Registry proposals (*usulan pemutakhiran*) to the registry owner.

Issue 3 creates drafts (a resident served who is not in the registry); the workflow through
verification, musdes and export is the field-work issue's.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from slrt.accounts.scoping import ScopedModel


class ProposalKind(models.TextChoices):
    NEW_HOUSEHOLD = "kk_baru", _("Rumah tangga baru")
    ADD_MEMBER = "tambah_anggota", _("Tambah anggota")
    CHANGE = "perubahan", _("Perubahan data")
    REMOVAL = "penghapusan", _("Penghapusan (meninggal, pindah)")
    DESIL_REVIEW = "tinjau_desil", _("Peninjauan desil")


class ProposalStatus(models.TextChoices):
    DRAFT = "draf", _("Draf")


class Proposal(ScopedModel):
    scope_capability = "view_registry"

    kind = models.CharField(_("jenis usulan"), max_length=16, choices=ProposalKind.choices)
    status = models.CharField(_("status"), max_length=16, choices=ProposalStatus.choices, default=ProposalStatus.DRAFT)
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="proposals")
    household = models.ForeignKey(
        "registry.Household", null=True, blank=True, on_delete=models.SET_NULL, related_name="proposals"
    )
    person = models.ForeignKey(
        "registry.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="proposals"
    )
    # The proposed data in exchange-file column names (nik, nama, nomor_kk, kode_wilayah, ...).
    data = models.JSONField(default=dict)
    reason = models.TextField(_("alasan"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(ScopedModel.Meta):
        ordering = ["-created_at"]
        verbose_name = _("usulan pemutakhiran")
