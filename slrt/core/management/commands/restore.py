"""`manage.py restore --from DIR`: a backup of `manage.py backup` into an empty database and storage."""

import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from slrt.core.backup import BackupError, pending_migrations, restore


class Command(BaseCommand):
    help = ("Pulihkan cadangan `manage.py backup` ke basis data (DATABASE_URL) dan penyimpanan berkas yang kosong, "
            "setelah semua sha256 cocok. --force menimpa basis data dan berkas yang sudah ada.")
    # The target is empty: a system check must not query its tables before they exist.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="source", required=True, type=Path, help="folder cadangan")
        parser.add_argument("--force", action="store_true",
                            help="timpa basis data dan berkas tujuan yang tidak kosong (PostgreSQL: skema public "
                                 "dihapus dulu)")
        parser.add_argument("--jobs", type=int, default=min(4, os.cpu_count() or 1),
                            help="proses pg_restore paralel (PostgreSQL; bawaan min(4, CPU))")
        parser.add_argument("--database", default="default")

    def handle(self, *args, source, force, jobs, database, **options):
        try:
            result = restore(source, using=database, force=force, jobs=max(1, jobs))
        except BackupError as e:
            raise CommandError(f"Pemulihan ditolak: {e}") from None
        self.stdout.write(
            f"Dipulihkan dari cadangan {result['created_at']}: {result['tables']} tabel, {result['rows']:,} baris "
            f"(sama dengan manifest), {result['files']:,} berkas (sha256 cocok), {result['seconds']['total']:.1f} s."
        )
        if result["missing"]:
            self.stderr.write(f"Peringatan: {len(result['missing'])} berkas yang disebut basis data tidak ikut "
                              "tercadang (manifest.json files.missing).")
        pending = pending_migrations(result["migrations"])
        if pending:
            self.stdout.write(f"Kode ini punya {len(pending)} migrasi yang lebih baru: jalankan `manage.py migrate`.")
        if result["engine"] == "postgresql":
            self.stdout.write("Hak akses tidak ikut dipulihkan: beri lagi hak peran web dengan "
                              "`manage.py audit_grants`.")
