"""The stored monthly reports (laporan bulanan, issue 13 point 2).

A report is the figures of one region for one month, frozen as JSON when it was generated (the
section dicts of `figures.base`, exactly as the writers read them), and the XLSX and PDF written
from those frozen figures into the default storage (`reports/monthly/…`, which the backup
command archives with every other stored file).

Versions: a report is never changed once someone may have downloaded it. The scheduler makes
version 1 of each (region, month) once (`automatic`, unique); a regeneration on demand is a new
version with its own files, and every earlier version stays listed and downloadable.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ReportStatus(models.TextChoices):
    QUEUED = "queued", _("dalam antrean")
    RUNNING = "running", _("berjalan")
    DONE = "done", _("selesai")
    FAILED = "failed", _("gagal")


class MonthlyReport(models.Model):
    # A kab/kota (the secretariat's report), a desa (its Puskesos), a province or the nation
    # (Dinas Sosial's roll-ups).
    region = models.ForeignKey("wilayah.Region", on_delete=models.PROTECT, related_name="+")
    month = models.CharField(_("bulan"), max_length=7)  # YYYY-MM
    version = models.PositiveSmallIntegerField(default=1)
    # Made by the scheduled job (one per region and month), not asked for by a person.
    automatic = models.BooleanField(default=False)
    status = models.CharField(max_length=8, choices=ReportStatus.choices, default=ReportStatus.QUEUED)
    message = models.TextField(blank=True)  # why it failed, in words for the page (no data)
    attempts = models.PositiveSmallIntegerField(default=0)
    # The figures as they were when generated: a list of section dicts (figures.base).
    figures = models.JSONField(default=list)
    xlsx = models.FileField(upload_to="reports/monthly/", blank=True, max_length=200)
    pdf = models.FileField(upload_to="reports/monthly/", blank=True, max_length=200)
    requested_at = models.DateTimeField(auto_now_add=True)
    generated_at = models.DateTimeField(null=True)
    # Who asked for it; null means the scheduler.
    generated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-month", "-version"]
        verbose_name = _("laporan bulanan")
        verbose_name_plural = _("laporan bulanan")
        constraints = [
            models.UniqueConstraint(fields=["region", "month", "version"], name="monthly_report_version"),
            # Two schedulers (or the job on two days) make the automatic report of a month once.
            models.UniqueConstraint(fields=["region", "month"], condition=Q(automatic=True),
                                    name="monthly_report_automatic_once"),
        ]
        indexes = [models.Index(fields=["region", "month"], name="monthly_report_region_month")]

    def __str__(self):
        return f"{self.region_id} {self.month} v{self.version}"
