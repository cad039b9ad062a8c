"""A case (*keluhan*): who came, what they need, what was decided, and what happened.

A case lives in the resident's desa (region columns) so the desk of that kabupaten, the
Puskesos of that desa and the oversight above them see it and nobody else does. Status is not
typed in by hand: `cases.workflow` derives it from the needs, and each need's status from its
recommendations and referrals.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from slrt.accounts.scoping import ScopedModel
from slrt.core.locking import Versioned
from slrt.programs.models import Sector


class ComplaintType(models.TextChoices):
    PERTANYAAN = "pertanyaan", _("Pertanyaan")
    SARAN = "saran", _("Saran")
    PENGADUAN = "pengaduan", _("Pengaduan")


class Channel(models.TextChoices):
    SECRETARIAT = "sekretariat", _("Datang ke sekretariat")
    PUSKESOS = "puskesos", _("Datang ke Puskesos")
    HOME_VISIT = "kunjungan", _("Kunjungan rumah")
    PHONE = "telepon", _("Telepon")
    WHATSAPP = "whatsapp", _("WhatsApp")
    WEB = "web", _("Web")


class Urgency(models.TextChoices):
    NORMAL = "biasa", _("Biasa")
    URGENT = "mendesak", _("Mendesak")
    EMERGENCY = "darurat", _("Darurat")


class CaseStatus(models.TextChoices):
    NEW = "baru", _("Baru")
    IN_PROGRESS = "diproses", _("Diproses")
    CLOSED = "selesai", _("Selesai")


class Case(ScopedModel, Versioned):
    scope_capability = "view_cases"

    ticket = models.CharField(_("nomor tiket"), max_length=32, unique=True)  # SLRT-3201-2026-000123
    # Second factor for the public status page; only its hash is kept (a reprint issues a new one).
    status_code_hash = models.CharField(max_length=128)
    person = models.ForeignKey("registry.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="cases")
    household = models.ForeignKey(
        "registry.Household", null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    in_registry = models.BooleanField(_("terdaftar di registri"), default=True)
    # What the desk recorded about the resident, also for people not in the registry.
    applicant_name = models.CharField(_("nama pemohon"), max_length=150)
    applicant_nik = models.CharField(_("NIK pemohon"), max_length=16, blank=True)
    applicant_phone = models.CharField(_("nomor telepon/WA"), max_length=20, blank=True)
    applicant_email = models.EmailField(_("email"), blank=True)
    applicant_address = models.CharField(_("alamat"), max_length=255, blank=True)

    complaint_type = models.CharField(_("jenis keluhan"), max_length=10, choices=ComplaintType.choices)
    channel = models.CharField(_("saluran"), max_length=12, choices=Channel.choices)
    urgency = models.CharField(_("tingkat urgensi"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    summary = models.TextField(_("uraian keluhan"), blank=True)
    secretariat = models.ForeignKey(
        "wilayah.Secretariat", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    puskesos = models.ForeignKey("wilayah.Puskesos", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    # UU PDP consent, taken at intake.
    consent_given = models.BooleanField(_("persetujuan diberikan"), default=False)
    consent_purpose = models.CharField(_("tujuan pemrosesan data"), max_length=255, blank=True)
    consent_share_agencies = models.BooleanField(_("boleh dibagikan ke lembaga rujukan"), default=False)
    consent_at = models.DateTimeField(null=True, blank=True)
    # Consent to share can be withdrawn later (UU PDP): unsent referrals are cancelled, sent ones flagged.
    consent_share_withdrawn_at = models.DateTimeField(null=True, blank=True)
    consent_withdrawal_reason = models.TextField(_("alasan penarikan persetujuan"), blank=True)

    status = models.CharField(_("status"), max_length=10, choices=CaseStatus.choices, default=CaseStatus.NEW)
    close_reason = models.TextField(_("alasan penutupan"), blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    reopen_reason = models.TextField(_("alasan dibuka kembali"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Set by the retention rules (cases.retention): personal fields and free text are gone.
    anonymised_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta(ScopedModel.Meta):
        ordering = ["-created_at"]
        verbose_name = _("kasus")
        verbose_name_plural = _("kasus")
        # The figures count a region's cases by the day they were created (bench/office.py).
        indexes = [
            models.Index(fields=["kab_code", "created_at"], name="case_kab_created_idx"),
            models.Index(fields=["prov_code", "created_at"], name="case_prov_created_idx"),
        ]

    def __str__(self):
        return self.ticket


class NeedStatus(models.TextChoices):
    OPEN = "terbuka", _("Terbuka")
    IN_PROGRESS = "diproses", _("Diproses")
    HANDLED = "tertangani", _("Tertangani")
    CLOSED = "ditutup", _("Ditutup dengan alasan")


class Need(Versioned):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="needs")
    sector = models.CharField(_("sektor"), max_length=16, choices=Sector.choices)
    description = models.TextField(_("uraian kebutuhan"))
    status = models.CharField(_("status"), max_length=10, choices=NeedStatus.choices, default=NeedStatus.OPEN)
    outcome = models.TextField(_("hasil/alasan penutupan"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("kebutuhan")


class RecommendationKind(models.TextChoices):
    PROGRAM = "program", _("Program bantuan")
    AGENCY = "lembaga", _("Layanan lembaga")
    PUSKESOS = "puskesos", _("Ditangani Puskesos")


class RecommendationStatus(models.TextChoices):
    DRAFT = "draf", _("Draf")
    APPROVED = "disetujui", _("Disetujui")
    REJECTED = "ditolak", _("Ditolak")


class Recommendation(Versioned):
    """A proposed service for one need (*penetapan layanan*); approved by someone else (four eyes)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="recommendations")
    need = models.ForeignKey(Need, on_delete=models.CASCADE, related_name="recommendations")
    kind = models.CharField(_("jenis"), max_length=10, choices=RecommendationKind.choices)
    program = models.ForeignKey("programs.Program", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    service = models.ForeignKey(
        "programs.AgencyService", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(_("pertimbangan"), blank=True)
    status = models.CharField(max_length=10, choices=RecommendationStatus.choices, default=RecommendationStatus.DRAFT)
    drafted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    drafted_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(_("catatan keputusan"), blank=True)
    # Approving a programme the matching marks not eligible is an explicit override with a reason;
    # the failing criteria as the approver saw them are kept with it (an inclusion error in the making).
    eligibility_override = models.BooleanField(_("menyimpangi hasil pencocokan"), default=False)
    override_reason = models.TextField(_("alasan penyimpangan"), blank=True)
    failed_criteria = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("rekomendasi")


class LetterKind(models.TextChoices):
    REKOMENDASI = "rekomendasi", _("Surat Rekomendasi")
    KETERANGAN = "keterangan", _("Surat Keterangan")
    RUJUKAN = "rujukan", _("Surat Rujukan")


class Letter(models.Model):
    """An issued letter. The PDF is rendered from these fields; `token` is in its QR code and
    opens the public verification page, which shows nothing personal beyond initials."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="letters")
    kind = models.CharField(max_length=12, choices=LetterKind.choices)
    number = models.CharField(_("nomor surat"), max_length=60, unique=True)
    token = models.CharField(max_length=32, unique=True)
    recommendation = models.ForeignKey(
        Recommendation, null=True, blank=True, on_delete=models.PROTECT, related_name="letters"
    )
    referral = models.ForeignKey(
        "referrals.Referral", null=True, blank=True, on_delete=models.PROTECT, related_name="letters"
    )
    signer_name = models.CharField(max_length=150)
    signer_title = models.CharField(max_length=150)
    signer_nip = models.CharField(max_length=30, blank=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    issued_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]


class FollowUpTask(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="tasks")
    need = models.ForeignKey(Need, null=True, blank=True, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(_("tindak lanjut"), max_length=255)
    due_date = models.DateField(_("tenggat"))
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    result = models.TextField(_("hasil"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["done_at", "due_date"]


class CaseEvent(models.Model):
    """The case timeline: one row per thing that happened, rendered from `kind` + `params`.

    Params hold ids, codes and statuses, never names or NIKs, so the timeline can be shown
    to any role that may see the case.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=40)  # case.created, need.added, referral.accepted, ...
    params = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]


class CounterKind(models.TextChoices):
    TICKET = "ticket", "ticket"
    REFERRAL = "referral", "referral"
    LETTER = "letter", "letter"


class Counter(models.Model):
    """The last sequence issued per kind of number, kabupaten/kota and year.

    One row is locked per issue (`tickets.next_number`), so tickets, referral numbers and letter
    numbers stay unique and consecutive under concurrent desks without retries.
    """

    kind = models.CharField(max_length=10, choices=CounterKind.choices)
    kab_code = models.CharField(max_length=5)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "kab_code", "year"], name="cases_counter_unique")]
