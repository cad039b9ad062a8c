"""Write the monthly proposal file of a kabupaten/kota: exchange CSV and XLSX and the SIKS-NG sheet."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from slrt.audit.services import record
from slrt.core.exceptions import DeskError
from slrt.updates import export, services
from slrt.updates.models import ProposalBatch


class Command(BaseCommand):
    help = (
        "Buat berkas usulan bulanan (--kab, --period, --user) atau tulis ulang berkas yang ada (--batch), "
        "lalu tulis CSV dan XLSX format pertukaran serta lembar usulan gaya SIKS-NG ke --out."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, help="ID berkas usulan yang sudah dibuat.")
        parser.add_argument("--kab", help="Kode kabupaten/kota (mis. 32.01) untuk berkas baru.")
        parser.add_argument("--period", help="Periode YYYY-MM (bawaan: bulan ini).")
        parser.add_argument("--user", help="Nama pengguna Manajer/Admin yang membuat berkas baru.")
        parser.add_argument("--out", default=".", help="Folder tujuan (bawaan: folder kerja).")

    def handle(self, *args, **opts):
        if opts["batch"]:
            batch = ProposalBatch.objects.filter(pk=opts["batch"]).first()
            if batch is None:
                raise CommandError(f"Berkas usulan #{opts['batch']} tidak ada.")
        else:
            if not (opts["kab"] and opts["user"]):
                raise CommandError("Sebutkan --batch ID, atau --kab KODE dan --user NAMA untuk berkas baru.")
            user = get_user_model().objects.filter(username=opts["user"], is_active=True).first()
            if user is None:
                raise CommandError(f"Pengguna {opts['user']} tidak ada atau tidak aktif.")
            try:
                batch = services.create_batch(user, kab_code=opts["kab"], period=opts["period"])
            except ValidationError as e:
                raise CommandError(" ".join(e.messages))
            except DeskError as e:
                raise CommandError(str(e.message))
        out = Path(opts["out"])
        out.mkdir(parents=True, exist_ok=True)
        stem = f"usulan-{batch.region_id.replace('.', '')}-{batch.period}"
        files = {
            out / f"{stem}.csv": export.exchange_csv,
            out / f"{stem}.xlsx": export.exchange_xlsx,
            out / f"{stem}-siksng.xlsx": export.siks_xlsx,
        }
        for path, build in files.items():
            path.write_bytes(build(batch))
        record(None, "proposal_batch.download", batch, region_code=batch.region_id, detail={"format": "cli"})
        self.stdout.write(f"Berkas usulan #{batch.pk} ({batch.region_id} {batch.period}): {batch.row_count} baris.")
        for path in files:
            self.stdout.write(f"  {path}")
