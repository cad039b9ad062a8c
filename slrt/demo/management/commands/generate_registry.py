import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from slrt.demo.generate import (
    SOURCES,
    GenerateError,
    generate_next_release,
    generate_registry,
)


class Command(BaseCommand):
    # Writes a file only; it need not wait for URL and model checks of the whole project.
    requires_system_checks = []
    help = (
        "Buat berkas pertukaran data registri sintetis (CSV, atau XLSX bila berakhiran .xlsx) dengan nama "
        "Indonesia yang realistis; bisa disisipi baris rusak, duplikat mirip, atau dibuat sebagai rilis "
        "berikutnya dari berkas dasar (--base)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--households", type=int, help="Jumlah keluarga (KK)")
        parser.add_argument("--region", help="Kode Kemendagri wilayah (provinsi, kab/kota, kecamatan atau desa)")
        parser.add_argument("--seed", type=int, default=1, help="Benih acak: benih yang sama, berkas yang sama")
        parser.add_argument("--out", required=True, help="Berkas keluaran (.csv atau .xlsx)")
        parser.add_argument("--bad-share", type=float, default=0.0, help="Porsi baris rusak (mis. 0.02)")
        parser.add_argument("--duplicate-share", type=float, default=0.0, help="Porsi duplikat mirip (mis. 0.01)")
        parser.add_argument("--period", help="Periode rilis YYYY-MM (bawaan: triwulan berjalan)")
        parser.add_argument("--source", default="DTSEN", choices=SOURCES)
        parser.add_argument("--changed-share", type=float, help="Porsi orang yang berubah (dengan --base)")
        parser.add_argument("--base", help="Berkas rilis sebelumnya; keluaran = rilis berikutnya")
        parser.add_argument("--key", help="Tulis kunci jawaban (baris rusak, duplikat, perubahan) ke CSV ini")

    def handle(self, *args, **o):
        started = time.monotonic()
        out = Path(o["out"])
        quiet = o["verbosity"] < 1
        progress = None if quiet else self._progress
        try:
            if o["base"]:
                if o["changed_share"] is None:
                    raise CommandError("--base memerlukan --changed-share.")
                result = generate_next_release(
                    base=o["base"], out=out, changed_share=o["changed_share"], seed=o["seed"], period=o["period"],
                    key_path=o["key"], progress=progress,
                )
            else:
                if o["households"] is None or not o["region"]:
                    raise CommandError("--households dan --region wajib diisi (kecuali dengan --base).")
                result = generate_registry(
                    out=out, households=o["households"], region=o["region"], seed=o["seed"],
                    bad_share=o["bad_share"], duplicate_share=o["duplicate_share"], period=o["period"],
                    source=o["source"], key_path=o["key"], progress=progress,
                )
        except GenerateError as exc:
            raise CommandError(str(exc)) from exc
        if not quiet:
            self.stderr.write("")
        elapsed = time.monotonic() - started
        parts = [
            f"{result.rows} baris", f"{result.people} orang", f"{result.households} KK",
            f"{result.bad} rusak", f"{result.duplicates} duplikat",
        ]
        if o["base"]:
            parts += [f"{result.changed} berubah", f"{result.moved} pindah KK", f"{result.new} baru"]
        self.stdout.write(f"{out} (periode {result.period}): {', '.join(parts)}; {elapsed:.1f} detik.")

    def _progress(self, n: int) -> None:
        if n % 10000 == 0:
            self.stderr.write(f"\r{n} ...", ending="")
