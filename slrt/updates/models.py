"""Registry proposals (*usulan pemutakhiran*) sent to the registry owner (DTKS/DTSEN).

The district does not own the registry: it proposes. A proposal moves through verification
(a facilitator's visit), the supervisor's check, the village meeting (musdes/muskel), Dinas
Sosial approval, a monthly batch export, submission, and reconciliation against the next
registry release. The allowed moves are data in `updates.workflow`; `services` interprets them.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from slrt.accounts.scoping import ScopedModel
from slrt.core.locking import Versioned


class ProposalKind(models.TextChoices):
    NEW_HOUSEHOLD = "kk_baru", _("Rumah tangga baru")
    ADD_MEMBER = "tambah_anggota", _("Tambah anggota")
    CHANGE = "perubahan", _("Perubahan data")
    REMOVAL = "penghapusan", _("Penghapusan (meninggal, pindah)")
    DESIL_REVIEW = "tinjau_desil", _("Peninjauan desil")


class ProposalStatus(models.TextChoices):
    DRAFT = "draf", _("Draf")
    VERIFIED = "terverifikasi", _("Terverifikasi fasilitator")
    CHECKED = "diperiksa", _("Diperiksa supervisor")
    AGREED = "disepakati", _("Disepakati musdes/muskel")
    APPROVED = "disetujui", _("Disetujui Dinas Sosial")
    EXPORTED = "diekspor", _("Masuk berkas usulan bulanan")
    SUBMITTED = "diajukan", _("Diajukan ke pengelola registri")
    ACCEPTED = "diterima", _("Diterima (ada di rilis registri)")
    REJECTED = "ditolak", _("Ditolak")
    CANCELLED = "dibatalkan", _("Dibatalkan")


class RemovalReason(models.TextChoices):
    DIED = "meninggal", _("Meninggal dunia")
    MOVED = "pindah", _("Pindah domisili")


class ProposalOrigin(models.TextChoices):
    CASE = "kasus", _("Dari kasus layanan")
    VISIT = "kunjungan", _("Dari kunjungan lapangan")
    MANUAL = "manual", _("Dibuat petugas")


class Proposal(ScopedModel, Versioned):
    scope_capability = "view_registry"

    kind = models.CharField(_("jenis usulan"), max_length=16, choices=ProposalKind.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=ProposalStatus.choices, default=ProposalStatus.DRAFT, db_index=True
    )
    origin = models.CharField(_("asal usulan"), max_length=10, choices=ProposalOrigin.choices,
                              default=ProposalOrigin.MANUAL)
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="proposals")
    household = models.ForeignKey(
        "registry.Household", null=True, blank=True, on_delete=models.SET_NULL, related_name="proposals"
    )
    person = models.ForeignKey(
        "registry.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="proposals"
    )
    # The proposed data in exchange-file column names (nik, nama, nomor_kk, kode_wilayah, ...):
    # one person row; a new household lists its other members under "anggota" (rows alike).
    # A change carries `nik` plus only the columns that change.
    data = models.JSONField(default=dict)
    # The registry's values of the changed columns when the proposal was made, so reconciliation
    # and the reviewer can tell what the proposal changes (and a desil review, from what).
    base = models.JSONField(default=dict, blank=True)
    removal_reason = models.CharField(_("alasan penghapusan"), max_length=10, choices=RemovalReason.choices,
                                      blank=True)
    reason = models.TextField(_("alasan"), blank=True)
    meeting = models.ForeignKey("VillageMeeting", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="proposals")
    batch = models.ForeignKey("ProposalBatch", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="proposals")
    # Reconciliation: the release that settled it, and how many releases were checked without it.
    outcome_release = models.ForeignKey("registry.Release", null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="+")
    outcome_note = models.CharField(_("catatan hasil"), max_length=255, blank=True)
    releases_checked = models.PositiveSmallIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta(ScopedModel.Meta):
        ordering = ["-created_at"]
        verbose_name = _("usulan pemutakhiran")
        verbose_name_plural = _("usulan pemutakhiran")


class ProposalTransition(models.Model):
    """One move of a proposal through its workflow: who, when, from, to, and why."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="transitions")
    action = models.CharField(max_length=24)
    from_status = models.CharField(max_length=16, choices=ProposalStatus.choices)
    to_status = models.CharField(max_length=16, choices=ProposalStatus.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]


class MeetingKind(models.TextChoices):
    MUSDES = "musdes", _("Musyawarah desa")
    MUSKEL = "muskel", _("Musyawarah kelurahan")


class VillageMeeting(ScopedModel):
    """A musdes/muskel that agreed on a village's proposals; its minutes are kept as a file."""

    scope_capability = "view_registry"

    kind = models.CharField(_("jenis musyawarah"), max_length=8, choices=MeetingKind.choices)
    held_on = models.DateField(_("tanggal musyawarah"))
    attendance = models.PositiveIntegerField(_("jumlah hadir"))
    minutes = models.FileField(_("berita acara"), upload_to="musdes/%Y/%m/")
    minutes_name = models.CharField(max_length=255, blank=True)
    notes = models.TextField(_("catatan"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(ScopedModel.Meta):
        ordering = ["-held_on", "-pk"]
        verbose_name = _("musyawarah desa/kelurahan")


class BatchStatus(models.TextChoices):
    EXPORTED = "diekspor", _("Diekspor")
    SUBMITTED = "diajukan", _("Diajukan")


class ProposalBatch(models.Model):
    """The monthly proposal file of one kabupaten/kota: approved proposals, exported together."""

    region = models.ForeignKey("wilayah.Region", on_delete=models.PROTECT, related_name="+")
    period = models.CharField(_("periode"), max_length=7)  # YYYY-MM
    status = models.CharField(max_length=10, choices=BatchStatus.choices, default=BatchStatus.EXPORTED)
    row_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    submitted_at = models.DateTimeField(null=True, blank=True)
    submission_note = models.CharField(_("catatan pengajuan"), max_length=255, blank=True)

    class Meta:
        ordering = ["-period", "-pk"]
        constraints = [models.UniqueConstraint(fields=["region", "period"], name="one_batch_per_kab_month")]


class Reconciliation(models.Model):
    """What one registry release settled of the submitted proposals, with counts per village."""

    release = models.ForeignKey("registry.Release", on_delete=models.CASCADE, related_name="+")
    import_job = models.ForeignKey("registry.ImportJob", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    region_code = models.CharField(max_length=13, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    accepted = models.PositiveIntegerField(default=0)
    pending = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    # {desa_code: {"accepted": n, "pending": n, "rejected": n}}
    by_village = models.JSONField(default=dict)

    class Meta:
        ordering = ["-created_at"]
