"""A big export made on the task queue: its progress, its file and who may fetch it."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("dalam antrean")
    RUNNING = "running", _("berjalan")
    DONE = "done", _("selesai")
    FAILED = "failed", _("gagal")
    EXPIRED = "expired", _("kedaluwarsa")


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "XLSX"


class ExportJob(models.Model):
    """One export of one list for its requester, written in the background.

    `params` holds the list's filters as they were asked for, so the worker reads exactly those
    rows; filters that are personal (a NIK or name searched for) are dropped from it when the job
    ends (`services.PERSONAL_PARAMS`). The file lives in the default storage under `exports/` and
    only the requester may download it (`selectors.job_for`), until `expires_at`.
    """

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    list_name = models.CharField(max_length=32)
    format = models.CharField(max_length=4, choices=ExportFormat.choices)
    params = models.JSONField(default=dict)
    status = models.CharField(max_length=8, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    message = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to="exports/", max_length=200, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    @property
    def label(self) -> str:
        from .lists import LISTS  # the list's name as its page says it

        entry = LISTS.get(self.list_name)
        return str(entry.label) if entry else self.list_name

    @property
    def percent(self) -> int:
        if self.status == ExportStatus.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, self.rows_done * 100 // self.rows_total)

    @property
    def finished(self) -> bool:
        return self.status in (ExportStatus.DONE, ExportStatus.FAILED, ExportStatus.EXPIRED)
