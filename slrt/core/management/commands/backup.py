"""`manage.py backup --out DIR`: the database and the stored files, consistently (slrt.core.backup)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from slrt.core.backup import BackupError, backup


class Command(BaseCommand):
    help = ("Cadangkan basis data (PostgreSQL: pg_dump -Fc, satu snapshot; SQLite: backup API) dan semua berkas "
            "penyimpanan (files.tar + sha256 per berkas) ke folder baru DIR, dengan manifest.json.")
    # A nightly backup must not wait on a check of URLs or templates it never touches.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, type=Path, help="folder baru (atau kosong) untuk cadangan ini")
        parser.add_argument("--database", default="default")

    def handle(self, *args, out, database, **options):
        try:
            result = backup(out, using=database)
        except BackupError as e:
            raise CommandError(f"Pencadangan gagal: {e}") from None
        m = result.manifest
        db, files = m["database"], m["files"]
        self.stdout.write(
            f"Cadangan tersimpan di {result.path}: basis data {db['engine']} {db['bytes']:,} B "
            f"({len(db['tables'])} tabel, {sum(db['tables'].values()):,} baris), {files['count']:,} berkas "
            f"{files['bytes']:,} B, {m['seconds']['total']:.1f} s."
        )
        if files["missing"]:
            # Counts only: file names can carry what an uploader typed.
            self.stderr.write(f"Peringatan: {len(files['missing'])} berkas yang disebut basis data tidak ada di "
                              f"penyimpanan (terhapus sesudah snapshot?); daftarnya di manifest.json files.missing.")
