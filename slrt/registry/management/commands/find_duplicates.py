import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from slrt.registry.services.dedup import scan_for_duplicates


class Command(BaseCommand):
    help = "Cari pasangan data penduduk yang kemungkinan orang yang sama (kandidat duplikat)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--region", default=None,
            help=_("Kode Kemendagri wilayah yang dipindai, mis. 32.01; tanpa ini seluruh data."),
        )

    def handle(self, *args, **options):
        started = time.monotonic()
        try:
            result = scan_for_duplicates(region_code=options["region"])
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        lines = [
            (_("Wilayah"), result.region_code),
            (_("Penduduk aktif dipindai"), result.people),
            (_("Blok dibandingkan"), result.blocks),
            (_("Pasangan dibandingkan"), result.pairs_compared),
            (_("Kandidat duplikat terbuka"), result.found),
            (_("  baru"), result.created),
            (_("  skor diperbarui"), result.updated),
            (_("  tidak berubah"), result.unchanged),
            (_("Sudah diputuskan (dilewati)"), result.skipped_decided),
            (_("Kandidat lama dihapus (tidak memenuhi lagi)"), result.removed),
            (_("Blok terlalu besar (dilewati)"), result.oversized_blocks),
        ]
        width = max(len(str(label)) for label, _v in lines)
        for label, value in lines:
            self.stdout.write(f"{str(label).ljust(width)}  {value}")
        self.stdout.write(_("Selesai dalam %(s).1f detik.") % {"s": time.monotonic() - started})
