"""Programme catalogue, partner agencies and their services, eligibility rules.

Programmes are owned by others (Kemensos, Pemda, BAZNAS, companies): SLRT only matches people
to them and refers. Rules are data (`EligibilityRule.criteria`), versioned: editing a rule saves a
new version, so an old evaluation can always be explained with the rule it used.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Sector(models.TextChoices):
    """Sectors of need (SPEC)."""

    KESEHATAN = "kesehatan", _("Kesehatan")
    PENDIDIKAN = "pendidikan", _("Pendidikan")
    SOSIAL_EKONOMI = "sosial_ekonomi", _("Sosial-ekonomi")
    PANGAN = "pangan", _("Pangan")
    ENERGI = "energi", _("Energi (listrik/LPG)")
    PERTANIAN = "pertanian", _("Pertanian")
    PERIKANAN = "perikanan", _("Perikanan")
    PERUMAHAN = "perumahan", _("Perumahan")
    ADMINDUK = "adminduk", _("Administrasi kependudukan")


class AgencyKind(models.TextChoices):
    DINKES = "dinkes", _("Dinas Kesehatan")
    RSUD = "rsud", _("Rumah sakit daerah")
    PUSKESMAS = "puskesmas", _("Puskesmas")
    DUKCAPIL = "dukcapil", _("Dukcapil")
    DISDIK = "disdik", _("Dinas Pendidikan")
    PERUMAHAN = "perumahan", _("Dinas Perumahan")
    DINSOS = "dinsos", _("Dinas Sosial")
    BAZNAS = "baznas", _("BAZNAS")
    CSR = "csr", _("CSR perusahaan")
    OTHER = "lainnya", _("Lainnya")


class Agency(models.Model):
    """A partner agency that receives referrals. Its Mitra users carry `agency_code` = `code`."""

    code = models.CharField(_("kode"), max_length=40, unique=True)
    name = models.CharField(_("nama"), max_length=200)
    kind = models.CharField(_("jenis"), max_length=12, choices=AgencyKind.choices)
    # The area it serves: a resident's data goes only to agencies of their kabupaten/kota, its
    # province or the nation (cases.decisions.agency_allowed), never to another district's.
    region = models.ForeignKey("wilayah.Region", on_delete=models.PROTECT, related_name="+")
    address = models.CharField(_("alamat"), max_length=255, blank=True)
    phone = models.CharField(_("telepon"), max_length=40, blank=True)
    email = models.EmailField(_("email"), blank=True)
    active = models.BooleanField(_("aktif"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("lembaga")
        verbose_name_plural = _("lembaga")

    def __str__(self):
        return self.name


class AgencyService(models.Model):
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="services")
    code = models.CharField(_("kode"), max_length=40)
    name = models.CharField(_("nama layanan"), max_length=200)
    sector = models.CharField(_("sektor"), max_length=16, choices=Sector.choices)
    sla_days = models.PositiveSmallIntegerField(_("batas waktu layanan (hari)"), default=7)
    active = models.BooleanField(_("aktif"), default=True)

    class Meta:
        ordering = ["agency__name", "name"]
        constraints = [models.UniqueConstraint(fields=["agency", "code"], name="agency_service_code_unique")]
        verbose_name = _("layanan lembaga")

    def __str__(self):
        return f"{self.agency.name}: {self.name}"


class TargetUnit(models.TextChoices):
    PERSON = "person", _("Perorangan")
    FAMILY = "family", _("Keluarga")
    HOUSEHOLD = "household", _("Rumah tangga")
    GROUP = "group", _("Kelompok")


class Program(models.Model):
    code = models.CharField(_("kode"), max_length=40, unique=True)
    name = models.CharField(_("nama"), max_length=200)
    # What explanations call it ("PKH Ibu Hamil mensyaratkan desil 1–4").
    short_name = models.CharField(_("nama singkat"), max_length=60, blank=True)
    owner = models.CharField(_("pemilik program"), max_length=120)
    target_unit = models.CharField(_("sasaran"), max_length=10, choices=TargetUnit.choices)
    benefit = models.TextField(_("manfaat"), blank=True)
    sector = models.CharField(_("sektor"), max_length=16, choices=Sector.choices)
    # Programme flag in registry releases (`program_<code>` column, upper-cased), e.g. all PKH
    # components share "PKH". Empty: the registry does not record it.
    registry_code = models.CharField(_("kode di registri"), max_length=40, blank=True, db_index=True)
    agency = models.ForeignKey(
        Agency,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="programs",
        verbose_name=_("lembaga rujukan"),
    )
    # Kind of agency a referral for this programme goes to, in the household's own kab/kota
    # (programmes are national, agencies local); `agency` pins one agency when it is the only one.
    agency_kind = models.CharField(_("jenis lembaga rujukan"), max_length=12, choices=AgencyKind.choices, blank=True)
    # Cash transfers: two for one household is an overlap the desk should see.
    cash = models.BooleanField(_("bantuan tunai"), default=False)
    quota = models.PositiveIntegerField(_("kuota"), null=True, blank=True)
    # Null: national. Otherwise the programme exists only inside this region (BLT Dana Desa, CSR).
    region = models.ForeignKey("wilayah.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    active = models.BooleanField(_("aktif"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("program")

    def __str__(self):
        return self.name

    @property
    def label(self) -> str:
        return self.short_name or self.code


class EligibilityRule(models.Model):
    """One version of a programme's rule: all `criteria` must hold.

    `criteria` is a list of `{"field": ..., "op": ..., "value": ...}` over the vocabulary in
    `programs.rules`; it is validated there before it is saved, never at evaluation time.
    """

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="rules")
    version = models.PositiveIntegerField()
    criteria = models.JSONField(default=list)
    note = models.CharField(_("catatan perubahan"), max_length=255, blank=True)
    is_current = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["program", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["program", "version"], name="rule_version_unique"),
            models.UniqueConstraint(
                fields=["program"], condition=models.Q(is_current=True), name="one_current_rule_per_program"
            ),
        ]
        verbose_name = _("aturan kelayakan")

    def __str__(self):
        return f"{self.program.code} v{self.version}"


class BenefitPeriod(models.TextChoices):
    MONTH = "month", _("per bulan")
    YEAR = "year", _("per tahun")
    ONCE = "once", _("sekali")


# Rp1 miliar: above any per-unit social benefit; a typo of extra zeros is refused, not budgeted.
MAX_BENEFIT = 1_000_000_000
PERIODS_PER_YEAR = {BenefitPeriod.MONTH: 12, BenefitPeriod.YEAR: 1, BenefitPeriod.ONCE: 1}


class Benefit(models.Model):
    """One version of a programme's benefit as an amount: `amount` rupiah per `unit` per `period`
    (PKH: one per component, each component being its own programme). Versioned like the rules:
    an edit saves a new version (`services.benefits.save_benefit`), so a budget figure can always
    be explained with the amount it used. `Program.benefit` stays the description for people.
    """

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="benefits")
    version = models.PositiveIntegerField()
    amount = models.PositiveBigIntegerField(_("besaran (rupiah)"))
    unit = models.CharField(_("per"), max_length=10, choices=TargetUnit.choices)
    period = models.CharField(_("periode"), max_length=5, choices=BenefitPeriod.choices)
    note = models.CharField(_("catatan perubahan / sumber"), max_length=255, blank=True)
    is_current = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["program", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["program", "version"], name="benefit_version_unique"),
            models.UniqueConstraint(
                fields=["program"], condition=models.Q(is_current=True), name="one_current_benefit_per_program"
            ),
            models.CheckConstraint(condition=models.Q(amount__lte=MAX_BENEFIT), name="benefit_amount_bounded"),
        ]
        verbose_name = _("besaran manfaat")

    def __str__(self):
        return f"{self.program.code} v{self.version}"

    @property
    def per_year(self) -> int:
        """Rupiah per unit in a year (a one-off benefit counts once)."""
        return self.amount * PERIODS_PER_YEAR.get(self.period, 1)


class TargetingStatus(models.TextChoices):
    QUEUED = "queued", _("dalam antrean")
    RUNNING = "running", _("berjalan")
    DONE = "done", _("selesai")
    FAILED = "failed", _("gagal")


class TargetingRun(models.Model):
    """A batch evaluation of every household of a region against every active programme."""

    region = models.ForeignKey("wilayah.Region", on_delete=models.PROTECT, related_name="+")
    # Started from the web or the API the run waits on the task queue (services.targeting.start_targeting);
    # its figures are written with "done", in one transaction. Runs from before the queue were done.
    status = models.CharField(max_length=8, choices=TargetingStatus.choices, default=TargetingStatus.DONE)
    message = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True)
    households = models.PositiveIntegerField(default=0)
    # {"ref_date": "2026-11-22", "programs": {"PKH-BUMIL": {"rule_version": 3, "eligible": .., "receiving": ..,
    #  "exclusion": .., "inclusion": .., "group": "PKH", "group_lead": false}}} (see services.targeting)
    summary = models.JSONField(default=dict)

    class Meta:
        ordering = ["-started_at"]


class TargetingError(models.Model):
    """One household of a run: eligible but not receiving (exclusion) or the reverse (inclusion)."""

    class Kind(models.TextChoices):
        EXCLUSION = "exclusion", _("Layak tetapi tidak menerima")
        INCLUSION = "inclusion", _("Menerima tetapi tidak layak")

    # Written only by the batch run, set-based, from rows it has just read in the same
    # transaction, so neither database FK constraints (a deferred trigger per row and key, which
    # cost a 250,000-household run more time than evaluating the rules) nor single-column
    # indexes (one composite index serves every read) earn their keep here. Deletes still
    # cascade: Django's collector does that, not the database.
    run = models.ForeignKey(
        TargetingRun, on_delete=models.CASCADE, related_name="errors", db_index=False, db_constraint=False
    )
    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    household = models.ForeignKey(
        "registry.Household", on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    desa_code = models.CharField(max_length=13)

    class Meta:
        indexes = [models.Index(fields=["run", "program", "kind"])]
