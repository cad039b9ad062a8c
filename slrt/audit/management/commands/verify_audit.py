"""Check the audit trail's hash chain: exit 0 when it holds, 1 naming the first broken block/row."""

from django.core.management.base import BaseCommand, CommandError

from slrt.audit.sealing import verify


class Command(BaseCommand):
    help = "Verify the sealed audit blocks (hash chain, every row, no gap, no edit); non-zero on the first break."

    def add_arguments(self, parser):
        parser.add_argument("--database", default="default")

    def handle(self, *args, database="default", **options):
        report = verify(using=database)
        if not report.ok:
            raise CommandError(f"Jejak audit RUSAK: {report.problem} "
                               f"({report.blocks} blok sebelumnya utuh).")
        self.stdout.write(
            f"Jejak audit utuh: {report.blocks} blok, {report.rows} baris tersegel "
            f"({report.erased} isinya dihapus oleh aturan retensi), {report.unsealed} baris belum disegel."
        )
