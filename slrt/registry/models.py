"""The welfare registry mirror: households (KK), people (NIK), releases, history, imports, duplicates.

The district does not own DTKS/DTSEN; it receives releases and proposes corrections. So every
record remembers the release it last came from, and every change is kept in `RegistryChange`.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from slrt.accounts.scoping import ScopedModel as BaseScopedModel


class Source(models.TextChoices):
    DTKS = "DTKS", "DTKS"
    DTSEN = "DTSEN", "DTSEN"


class Release(models.Model):
    """One registry export received by the district (e.g. DTSEN 2026-07)."""

    source = models.CharField(_("sumber"), max_length=8, choices=Source.choices)
    period = models.CharField(_("periode"), max_length=7)  # YYYY-MM
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-period", "source"]
        constraints = [models.UniqueConstraint(fields=["source", "period"], name="release_source_period_uniq")]
        verbose_name = _("rilis data")

    def __str__(self):
        return f"{self.source} {self.period}"


class Sex(models.TextChoices):
    L = "L", _("Laki-laki")
    P = "P", _("Perempuan")


class ScopedModel(BaseScopedModel):
    """A region-scoped record of the welfare registry (see slrt.accounts.scoping)."""

    scope_capability = "view_registry"

    class Meta(BaseScopedModel.Meta):
        abstract = True


class Household(ScopedModel):
    nomor_kk = models.CharField(_("nomor KK"), max_length=16, unique=True)
    alamat = models.CharField(_("alamat"), max_length=255, blank=True)
    dusun = models.CharField(_("dusun"), max_length=100, blank=True)
    rt = models.CharField(_("RT"), max_length=3, blank=True)
    rw = models.CharField(_("RW"), max_length=3, blank=True)
    desil = models.PositiveSmallIntegerField(_("desil"), null=True, blank=True)
    # Housing and assets (from the registry or from a verification visit).
    lantai = models.CharField(_("jenis lantai"), max_length=60, blank=True)
    dinding = models.CharField(_("jenis dinding"), max_length=60, blank=True)
    atap = models.CharField(_("jenis atap"), max_length=60, blank=True)
    sumber_air = models.CharField(_("sumber air minum"), max_length=60, blank=True)
    penerangan = models.CharField(_("sumber penerangan"), max_length=60, blank=True)
    jamban = models.CharField(_("fasilitas BAB"), max_length=60, blank=True)
    bahan_bakar = models.CharField(_("bahan bakar memasak"), max_length=60, blank=True)
    status_bangunan = models.CharField(_("status kepemilikan bangunan"), max_length=60, blank=True)
    luas_lantai = models.PositiveIntegerField(_("luas lantai (m²)"), null=True, blank=True)
    aset = models.JSONField(_("aset"), default=dict, blank=True)
    first_release = models.ForeignKey(Release, null=True, on_delete=models.PROTECT, related_name="+")
    last_release = models.ForeignKey(Release, null=True, on_delete=models.PROTECT, related_name="+")
    row_hash = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(ScopedModel.Meta):
        verbose_name = _("keluarga")
        verbose_name_plural = _("keluarga")

    def __str__(self):
        return f"KK {self.pk}"


class Person(ScopedModel):
    nik = models.CharField(_("NIK"), max_length=16, unique=True)
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="members")
    id_dtks = models.CharField(_("ID DTKS"), max_length=40, blank=True)
    nama = models.CharField(_("nama"), max_length=150)
    # Normalised spelling of `nama` for typo-tolerant search (see registry.search).
    name_key = models.CharField(max_length=150, db_index=True, editable=False)
    tempat_lahir = models.CharField(_("tempat lahir"), max_length=80, blank=True)
    tanggal_lahir = models.DateField(_("tanggal lahir"), null=True, blank=True, db_index=True)
    jenis_kelamin = models.CharField(_("jenis kelamin"), max_length=1, choices=Sex.choices, blank=True)
    hubungan_keluarga = models.CharField(_("hubungan keluarga"), max_length=40, blank=True)
    nama_ibu_kandung = models.CharField(_("nama ibu kandung"), max_length=150, blank=True)
    pekerjaan = models.CharField(_("pekerjaan"), max_length=80, blank=True)
    pendidikan = models.CharField(_("pendidikan"), max_length=60, blank=True)
    status_kawin = models.CharField(_("status perkawinan"), max_length=30, blank=True)
    disabilitas = models.CharField(_("disabilitas"), max_length=80, blank=True)
    penyakit_kronis = models.CharField(_("penyakit kronis"), max_length=80, blank=True)
    hamil = models.BooleanField(_("sedang hamil"), null=True, blank=True)
    jenis_ppks = models.CharField(_("jenis PPKS"), max_length=80, blank=True)
    # Columns of the exchange file that SLRT does not model, kept as they came.
    extra = models.JSONField(default=dict, blank=True)
    # Warning codes from NIK validation (e.g. kecamatan code unknown after pemekaran).
    nik_warnings = models.JSONField(default=list, blank=True)
    first_release = models.ForeignKey(Release, null=True, on_delete=models.PROTECT, related_name="+")
    last_release = models.ForeignKey(Release, null=True, on_delete=models.PROTECT, related_name="+")
    row_hash = models.CharField(max_length=32, blank=True)
    is_active = models.BooleanField(default=True)
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(ScopedModel.Meta):
        verbose_name = _("anggota keluarga")
        verbose_name_plural = _("anggota keluarga")

    def __str__(self):
        return f"Person {self.pk}"


class ProgramParticipation(models.Model):
    """A person's participation in an aid programme, as the registry reports it."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="programs")
    program_code = models.CharField(_("program"), max_length=40)
    since_period = models.CharField(_("sejak"), max_length=7)
    until_period = models.CharField(_("sampai"), max_length=7, blank=True)
    source_release = models.ForeignKey(Release, null=True, on_delete=models.PROTECT, related_name="+")
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "program_code"], name="participation_person_program_uniq")
        ]


class HouseholdAppearance(models.Model):
    """The releases a household appeared in."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="appearances")
    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["household", "release"], name="appearance_household_release_uniq")
        ]


class ChangeKind(models.TextChoices):
    CREATED = "created", _("dibuat")
    UPDATED = "updated", _("diubah")
    MOVED = "moved", _("pindah KK")
    MERGED = "merged", _("digabung")
    UNMERGED = "unmerged", _("penggabungan dibatalkan")


class RegistryChange(models.Model):
    """History: one change of a person or household, with old and new values."""

    person = models.ForeignKey(Person, null=True, on_delete=models.CASCADE, related_name="changes")
    household = models.ForeignKey(Household, null=True, on_delete=models.CASCADE, related_name="changes")
    release = models.ForeignKey(Release, null=True, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=ChangeKind.choices)
    # {"field": [old, new]}; for MOVED also {"household": [old_kk_id, new_kk_id]}.
    changes = models.JSONField(default=dict)
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-at", "-id"]


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("menunggu")
    RUNNING = "running", _("berjalan")
    DONE = "done", _("selesai")
    FAILED = "failed", _("gagal")


class ImportJob(models.Model):
    """One run of `import_registry`, from the CLI or the web UI."""

    file_path = models.CharField(max_length=500)
    original_name = models.CharField(max_length=255)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.DTSEN)
    release = models.ForeignKey(Release, null=True, on_delete=models.PROTECT, related_name="imports")
    status = models.CharField(max_length=10, choices=ImportStatus.choices, default=ImportStatus.PENDING)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    # The starter's region scope when the job was created: rows outside it are rejected, and the
    # job list is scoped by it. Empty for the CLI, which acts for the whole installation.
    region_code = models.CharField(max_length=13, blank=True, db_index=True)
    # `--period`: overrides the `periode` column of the file.
    period = models.CharField(max_length=7, blank=True)
    # The process running the job, so a job whose process died (SIGKILL) is recognised as stale.
    pid = models.PositiveIntegerField(null=True, blank=True)
    host = models.CharField(max_length=255, blank=True)
    # Started from the web: the queue's task that owns the job (empty for the CLI), the worker of
    # its latest attempt and how many attempts took it (a redelivery after a killed worker: 2).
    task_id = models.CharField(max_length=64, blank=True)
    worker = models.CharField(max_length=255, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    bytes_total = models.BigIntegerField(default=0)
    bytes_read = models.BigIntegerField(default=0)
    rows_read = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    moved = models.PositiveIntegerField(default=0)
    warnings = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True)
    finished_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ["-created_at"]

    @property
    def accepted(self) -> int:
        return self.created + self.updated + self.unchanged


class ImportJobRegion(models.Model):
    """How many accepted rows of an import lie in one kabupaten/kota, so the job is visible to
    the offices whose residents it touched (a CLI import of a whole province included)."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="regions")
    kab_code = models.CharField(max_length=13, db_index=True)
    rows = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "kab_code"], name="registry_importjobregion_unique")]


class ImportRowError(models.Model):
    """A rejected row (or a warning on an accepted one) of an import, for the error report."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="row_errors")
    line = models.PositiveIntegerField()
    column = models.CharField(max_length=60, blank=True)
    value = models.CharField(max_length=255, blank=True)
    reason = models.CharField(max_length=255)
    is_warning = models.BooleanField(default=False)

    class Meta:
        ordering = ["line", "id"]


class CandidateStatus(models.TextChoices):
    OPEN = "open", _("perlu ditinjau")
    MERGED = "merged", _("digabung")
    DISMISSED = "dismissed", _("bukan duplikat")


class DuplicateCandidate(models.Model):
    """A pair of person records that are probably the same human, with why we think so."""

    person_a = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    person_b = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()
    reasons = models.JSONField(default=list)  # reason codes, e.g. ["nik_one_digit", "same_birth_date"]
    status = models.CharField(max_length=10, choices=CandidateStatus.choices, default=CandidateStatus.OPEN)
    # Region columns of person_a, so the review queue can be scoped like people are.
    kab_code = models.CharField(max_length=5, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True)
    # The reviewer's note when dismissing ("bukan duplikat: kakak-adik").
    note = models.TextField(_("catatan"), blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person_a", "person_b"], name="candidate_pair_uniq")]
        indexes = [models.Index(fields=["kab_code", "status"], name="candidate_kab_status_idx")]
        ordering = ["-score", "id"]


class Merge(models.Model):
    """A merge of `merged` into `survivor`: which values won, the losing values, and undo."""

    candidate = models.ForeignKey(DuplicateCandidate, null=True, on_delete=models.SET_NULL, related_name="merges")
    survivor = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    merged = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    # {"field": {"won": value, "lost": value, "from": "survivor"|"merged"}}
    decisions = models.JSONField(default=dict)
    # Full snapshots before the merge, so undo restores both records exactly.
    survivor_before = models.JSONField(default=dict)
    merged_before = models.JSONField(default=dict)
    # Both records right after the merge: undo refuses if either changed since (e.g. a newer
    # release updated the survivor), because restoring the snapshots would silently drop that.
    survivor_after = models.JSONField(default=dict)
    merged_after = models.JSONField(default=dict)
    # ProgramParticipation ids moved from `merged` to `survivor`, moved back by undo.
    moved_participations = models.JSONField(default=list)
    merged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    merged_at = models.DateTimeField(auto_now_add=True)
    undone_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    undone_at = models.DateTimeField(null=True)
