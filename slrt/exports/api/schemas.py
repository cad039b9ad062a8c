import datetime as dt

from django.urls import reverse
from ninja import Field, Schema


class ExportJobOut(Schema):
    """A background export: its progress, then the address of its file (its requester's only)."""

    id: int
    list: str = Field(description="Nama daftar (SPEC), mis. cases")
    format: str = Field(description="csv atau xlsx")
    status: str = Field(description="queued, running, done, failed, expired")
    rows_total: int = Field(description="Jumlah baris saat ekspor dimulai")
    rows_done: int = Field(description="Baris yang sudah ditulis (selesai: jumlah baris berkas)")
    percent: int
    message: str = Field(description="Alasan bila gagal")
    created_at: dt.datetime
    finished_at: dt.datetime | None
    expires_at: dt.datetime = Field(description="Berkas dihapus setelah waktu ini")
    status_url: str = Field(description="GET: status ekspor ini")
    download_url: str | None = Field(description="GET: berkasnya, setelah status done")


def job_out(job, downloadable: bool) -> dict:
    return {
        "id": job.pk, "list": job.list_name, "format": job.format, "status": job.status,
        "rows_total": job.rows_total, "rows_done": job.rows_done, "percent": job.percent, "message": job.message,
        "created_at": job.created_at, "finished_at": job.finished_at, "expires_at": job.expires_at,
        "status_url": reverse("api:export_job", args=[job.pk]),
        "download_url": reverse("api:export_job_file", args=[job.pk]) if downloadable else None,
    }
