"""`manage.py load_agencies 32.04`: the standard agency directory of a kab/kota (idempotent)."""

from django.core.management.base import BaseCommand, CommandError

from slrt.programs.catalogue import load_agencies, load_catalogue
from slrt.wilayah.models import Level, Region


class Command(BaseCommand):
    help = "Muat direktori lembaga rujukan standar untuk kabupaten/kota."

    def add_arguments(self, parser):
        parser.add_argument("region", nargs="+", help="kode kabupaten/kota, mis. 32.04")

    def handle(self, *args, region, **options):
        load_catalogue()
        for code in region:
            kab = Region.objects.filter(code=code.strip()).first()
            if kab is None or kab.level != Level.KABUPATEN:
                raise CommandError(f"{code}: bukan kode kabupaten/kota (contoh: 32.04).")
            agencies = load_agencies(kab.code)
            self.stdout.write(f"{kab.code}: {len(agencies)} lembaga")
