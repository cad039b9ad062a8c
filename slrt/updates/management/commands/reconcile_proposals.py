"""Reconcile submitted proposals against a release again (the import does it by itself)."""

from django.core.management.base import BaseCommand, CommandError

from slrt.registry.models import Release
from slrt.updates.reconcile import reconcile_release


class Command(BaseCommand):
    help = (
        "Periksa ulang usulan berstatus diajukan terhadap satu rilis registri (biasanya otomatis saat impor). "
        "Di luar impor, orang dianggap ada di rilis bila datanya terakhir berubah oleh rilis itu."
    )

    def add_arguments(self, parser):
        parser.add_argument("--release", type=int, help="ID rilis (bawaan: rilis terbaru).")
        parser.add_argument("--region", default="", help="Batasi ke kode wilayah ini.")

    def handle(self, *args, **opts):
        qs = Release.objects.all()
        release = qs.filter(pk=opts["release"]).first() if opts["release"] else qs.order_by("-period", "-pk").first()
        if release is None:
            raise CommandError("Rilis tidak ditemukan.")
        recon = reconcile_release(release, region_code=opts["region"])
        self.stdout.write(f"Rilis {release}: diterima {recon.accepted}, menunggu {recon.pending}, "
                          f"ditolak {recon.rejected}.")
