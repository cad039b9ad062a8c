"""A resident's request about their own data (UU PDP 27/2022): to see it (art. 7, served within
3×24 hours, art. 32) or to correct it (art. 6).

A request belongs to the resident's desa (region columns copied from the registry person when it
is received), so only the desk and the oversight of that region see it. Its states and who moves
it are data in `privacy.workflow`; each step keeps who took it and when on the request itself.
Identity is recorded as how it was checked and the last four digits of the document shown, never
the whole number a second time: the person is linked, their NIK is in the registry.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from slrt.accounts.scoping import ScopedModel
from slrt.core.locking import Versioned


class RequestKind(models.TextChoices):
    ACCESS = "akses", _("Salinan data pribadi")
    CORRECTION = "koreksi", _("Perbaikan data pribadi")


class RequestStatus(models.TextChoices):
    RECEIVED = "diterima", _("Diterima, identitas belum diperiksa")
    VERIFIED = "terverifikasi", _("Identitas terverifikasi")
    FULFILLED = "dipenuhi", _("Dipenuhi")
    REFUSED = "ditolak", _("Ditolak")
    WITHDRAWN = "dicabut", _("Dicabut pemohon")


class RequestChannel(models.TextChoices):
    DESK = "loket", _("Datang ke loket")
    LETTER = "surat", _("Surat")
    EMAIL = "email", _("Email")


class IdentityMethod(models.TextChoices):
    KTP = "ktp", _("KTP asli diperlihatkan di loket")
    KK = "kk", _("Kartu Keluarga asli diperlihatkan di loket")
    PROXY = "kuasa", _("Surat kuasa dan KTP penerima kuasa")


class Resolution(models.TextChoices):
    COPY = "salinan", _("Salinan diserahkan")
    PROPOSAL = "usulan", _("Usulan perbaikan ke registri")
    CASE_EDIT = "ubah_kasus", _("Data kasus diperbaiki")


class DataRequest(ScopedModel, Versioned):
    scope_capability = "view_data_requests"

    kind = models.CharField(_("jenis permintaan"), max_length=10, choices=RequestKind.choices)
    status = models.CharField(_("status"), max_length=14, choices=RequestStatus.choices,
                              default=RequestStatus.RECEIVED, db_index=True)
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="data_requests")
    channel = models.CharField(_("diterima melalui"), max_length=8, choices=RequestChannel.choices,
                               default=RequestChannel.DESK)
    # What the resident asks for (for a correction: what is wrong and what is right).
    details = models.TextField(_("uraian permintaan"), blank=True)
    received_at = models.DateTimeField(_("diterima pada"), db_index=True)
    # received_at + 72 hours (UU PDP art. 32), fixed when received.
    deadline_at = models.DateTimeField(_("tenggat"), db_index=True)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    identity_method = models.CharField(_("cara pemeriksaan identitas"), max_length=8,
                                       choices=IdentityMethod.choices, blank=True)
    # The last four digits of the document shown, enough to tell later which document it was.
    identity_digits = models.CharField(_("empat digit terakhir nomor dokumen"), max_length=4, blank=True)
    identity_note = models.CharField(_("catatan identitas"), max_length=255, blank=True)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    verified_at = models.DateTimeField(null=True, blank=True)

    # Fulfilled, refused or withdrawn: when, by whom, and what was done (or why not).
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    resolution = models.CharField(_("penyelesaian"), max_length=10, choices=Resolution.choices, blank=True)
    outcome = models.TextField(_("hasil/alasan"), blank=True)
    proposal = models.ForeignKey("updates.Proposal", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # SHA-256 of the copy handed over, so a copy shown later can be matched to what was issued
    # (the PDF itself is not kept: it would be one more store of everything about the person).
    copy_sha256 = models.CharField(max_length=64, blank=True)
    copies_issued = models.PositiveSmallIntegerField(default=0)
    # When the Manajer was told the deadline is near (privacy.reminders), so it is said once.
    due_warned_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(ScopedModel.Meta):
        ordering = ["deadline_at", "pk"]
        verbose_name = _("permintaan data pribadi")
        verbose_name_plural = _("permintaan data pribadi")

    def __str__(self):
        return self.reference

    @property
    def reference(self) -> str:
        """What the resident is told to quote: PDP-<kab/kota>-<year>-<id>."""
        year = self.received_at.year if self.received_at else 0
        return f"PDP-{self.kab_code.replace('.', '')}-{year}-{self.pk or 0:06d}"
