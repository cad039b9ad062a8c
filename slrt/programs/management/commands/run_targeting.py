"""`manage.py run_targeting --region 32.04`: the batch targeting run from the command line."""

import time

from django.core.management.base import BaseCommand, CommandError

from slrt.programs.services.targeting import run_targeting
from slrt.wilayah.models import Level, Region


class Command(BaseCommand):
    help = "Nilai setiap keluarga satu kabupaten/kota terhadap setiap program aktif."

    def add_arguments(self, parser):
        parser.add_argument("--region", required=True, help="kode kabupaten/kota, mis. 32.04")

    def handle(self, *args, region, **options):
        kab = Region.objects.filter(code=region.strip()).first()
        if kab is None or kab.level != Level.KABUPATEN:
            raise CommandError(f"{region}: bukan kode kabupaten/kota (contoh: 32.04).")
        started = time.perf_counter()
        run = run_targeting(None, kab.code)
        wall = time.perf_counter() - started
        self.stdout.write(f"run {run.pk}: {run.households} keluarga, {wall:.2f} s")
        for code, v in run.summary["programs"].items():
            self.stdout.write(
                f"  {code:<16} layak {v['eligible']:>8}  menerima {v['receiving']:>8}  "
                f"eksklusi {v['exclusion']:>8}  inklusi {v['inclusion'] if v['inclusion'] is not None else '-':>8}"
            )
