import sys
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from slrt.registry.imports.reader import ImportFileError
from slrt.registry.models import ImportJob, ImportStatus, Source
from slrt.registry.selectors.imports import write_error_report
from slrt.registry.services.imports import ImportJobError, create_import_job, mark_stale_jobs, run_import


class Command(BaseCommand):
    help = (
        "Impor berkas pertukaran data registri (CSV atau XLSX, satu baris per orang) ke cermin DTKS/DTSEN. "
        "Mengimpor berkas yang sama dua kali tidak mengubah apa pun; impor yang terhenti tidak meninggalkan jejak."
    )
    # A data job started from the web in the background: it must not depend on URL/template checks.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="Berkas CSV atau XLSX.")
        parser.add_argument("--source", choices=Source.values, default=Source.DTSEN, help="Sumber data (bawaan DTSEN).")
        parser.add_argument("--period", help="Periode rilis YYYY-MM (bawaan: nilai terbanyak kolom periode).")
        parser.add_argument("--job", type=int, help="Jalankan pekerjaan impor yang sudah dibuat (dari web).")
        parser.add_argument("--report", help="Tulis laporan baris yang ditolak/peringatan ke berkas CSV ini.")
        parser.add_argument("--no-progress", action="store_true", help="Tanpa bilah kemajuan.")

    def handle(self, *args, **opts):
        mark_stale_jobs()
        if opts["job"]:
            job = ImportJob.objects.filter(pk=opts["job"]).first()
            if job is None:
                raise CommandError(f"Pekerjaan impor #{opts['job']} tidak ada.")
            if job.status == ImportStatus.DONE and opts["report"]:
                # A finished job: only (re)write its report.
                self._report(job, opts["report"])
                self._summary(job, opts)
                return
        else:
            if not opts["file"]:
                raise CommandError("Sebutkan berkas yang akan diimpor (atau --job ID).")
            path = Path(opts["file"])
            try:
                job = create_import_job(path=path, original_name=path.name, source=opts["source"],
                                        period=opts["period"])
            except ValidationError as e:
                raise CommandError(" ".join(e.messages))

        bar = self._progress_bar(job, disabled=opts["no_progress"] or opts["verbosity"] == 0)
        try:
            job = run_import(job, progress=bar.callback)
        except (ImportFileError, ImportJobError) as e:
            raise CommandError(str(e))
        finally:
            bar.close()

        if opts["report"]:
            self._report(job, opts["report"])
        self._summary(job, opts)

    def _report(self, job, path):
        with open(path, "w", newline="", encoding="utf-8") as out:
            write_error_report(job, out)

    def _summary(self, job, opts):
        w = self.stdout.write
        w(f"Impor #{job.pk} selesai: {job.release} dari {job.original_name}")
        w(f"  baris dibaca   : {job.rows_read:>10,}".replace(",", "."))
        w(self.style.SUCCESS(f"  diterima       : {job.accepted:>10,}".replace(",", ".")))
        for label, value in (("baru", job.created), ("diperbarui", job.updated), ("tidak berubah", job.unchanged),
                             ("pindah KK", job.moved)):
            w(f"    {label:<13}: {value:>10,}".replace(",", "."))
        rejected = f"  ditolak        : {job.rejected:>10,}".replace(",", ".")
        w(self.style.WARNING(rejected) if job.rejected else rejected)
        if job.warnings:
            w(f"  peringatan     : {job.warnings:>10,}".replace(",", "."))
        if opts["report"]:
            w(f"  Laporan baris ditolak/peringatan: {opts['report']}")
        elif job.rejected or job.warnings:
            w(f"  Laporan baris ditolak/peringatan: python manage.py import_registry --job {job.pk} "
              f"--report LAPORAN.csv")

    def _progress_bar(self, job, disabled: bool):
        return _Bar(job.bytes_total, disabled=disabled or not sys.stderr.isatty())


class _Bar:
    """tqdm by bytes read; the merge phase shows as a label (its length is not known ahead)."""

    def __init__(self, total: int, disabled: bool):
        self.bar = None
        if not disabled:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc="Membaca", leave=True)
        self.phase = None

    def callback(self, state: dict) -> None:
        if self.bar is None:
            return
        phase = state.get("phase")
        if phase != self.phase:
            self.phase = phase
            label = {"reading": "Membaca", "merging": "Menggabungkan", "done": "Selesai", "failed": "Gagal"}
            self.bar.set_description(label.get(phase, phase or ""))
        read = state.get("bytes_read") or 0
        if read > self.bar.n:
            self.bar.update(read - self.bar.n)
        if "rows_read" in state:
            self.bar.set_postfix(baris=state["rows_read"], ditolak=state.get("rejected", 0), refresh=False)

    def close(self):
        if self.bar is not None:
            self.bar.close()
