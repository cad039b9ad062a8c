import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from slrt.demo.seed import DEMO_KAB, DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = (
        "Siapkan kabupaten demo: wilayah, sekretariat SLRT, Puskesos, data registri sintetis (diimpor lewat "
        "importer), kandidat duplikat, dan satu akun demo per peran. Aman dijalankan berulang."
    )

    def add_arguments(self, parser):
        parser.add_argument("--households", type=int, default=5000, help="Jumlah KK demo (bawaan 5000)")
        parser.add_argument("--kab", default=DEMO_KAB, help="Kode kabupaten/kota demo (bawaan 32.04)")
        parser.add_argument("--password", default=DEMO_PASSWORD, help="Kata sandi semua akun demo")

    def handle(self, *args, **o):
        started = time.monotonic()
        try:
            result = seed_demo(households=o["households"], kab_code=o["kab"], password=o["password"])
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        out = self.stdout.write
        if result.imported:
            s = result.import_summary
            out(f"Data registri demo diimpor: {s['rows_read']} baris, {s['created']} baru, "
                f"{s['rejected']} ditolak (sengaja, untuk contoh laporan kesalahan).")
            if result.duplicate_candidates is not None:
                out(f"Kandidat duplikat: {result.duplicate_candidates}.")
        else:
            out("Data registri demo sudah dimuat sebelumnya; tidak diimpor ulang.")
        for note in result.notes:
            out(self.style.WARNING(note))
        rows = [("Pengguna", "Kata sandi", "Peran", "Wilayah")] + [
            (a.username, a.password, a.role + (f" ({a.agency_code})" if a.agency_code else ""),
             f"{a.region_code} {a.region_name}".strip())
            for a in result.accounts
        ]
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        rule = "-+-".join("-" * w for w in widths)
        out("")
        out(self.style.SUCCESS("Akun demo (hanya untuk demo; jangan dipakai di server produksi):"))
        for n, row in enumerate(rows):
            out(" | ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
            if n == 0:
                out(rule)
        if settings.SLRT_2FA_ROLES:
            out(self.style.WARNING(
                f"SLRT_2FA_ROLES={','.join(settings.SLRT_2FA_ROLES)}: akun peran itu diminta mendaftarkan aplikasi "
                "autentikator saat pertama masuk (make run mengosongkannya untuk demo)."))
        out(f"\nSelesai dalam {time.monotonic() - started:.0f} detik.")
