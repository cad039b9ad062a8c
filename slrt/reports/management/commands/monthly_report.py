"""`manage.py monthly_report --region CODE --month YYYY-MM --format xlsx|pdf --out FILE` (SPEC).

Runs as the system: every record of the region, whoever runs it (the operator has the database
already). Computes the figures now and writes the file; nothing is stored in the database (the
stored, frozen reports are the page's and the scheduler's)."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from slrt.audit.services import record
from slrt.reports.monthly import services
from slrt.reports.period import month_period


def _message(exc: ValidationError) -> str:
    return " ".join(m for ms in exc.message_dict.values() for m in ms) if hasattr(exc, "error_dict") else \
        " ".join(exc.messages)


class Command(BaseCommand):
    help = "Tulis laporan bulanan SLRT satu wilayah (XLSX atau PDF) ke sebuah berkas."

    def add_arguments(self, parser):
        parser.add_argument("--region", required=True, help="kode wilayah (kab/kota 32.04, desa, provinsi, 00)")
        parser.add_argument("--month", required=True, help="bulan, YYYY-MM (mis. 2026-11)")
        parser.add_argument("--format", required=True, dest="fmt", help="xlsx atau pdf")
        parser.add_argument("--out", required=True, help="berkas yang ditulis")

    def handle(self, *args, region, month, fmt, out, **options):
        fmt = (fmt or "").strip().lower()
        if fmt not in services.FORMATS:
            raise CommandError(f"Format {fmt or '(kosong)'!r} tidak dikenal: pilih xlsx atau pdf.")
        try:
            target = services.report_region(region)
            month = services.parse_month(month, target.code)
        except ValidationError as exc:
            raise CommandError(_message(exc)) from None
        path = Path(out)
        if not path.parent.is_dir():
            raise CommandError(f"Folder {path.parent} tidak ada; berkas tidak ditulis.")
        sections = services.collect_sections(target, month_period(month))
        header = services.header_for(target, month, timezone.now(), None,
                                     who=_("Sistem (perintah monthly_report)"))
        data = services.render(fmt, header, sections)
        try:
            path.write_bytes(data)
        except OSError as exc:
            raise CommandError(f"Berkas {path} tidak dapat ditulis: {exc.strerror}.") from None
        record(None, "monthly_report.command", region_code=target.code,
               detail={"month": month, "format": fmt, "sections": len(sections)})
        self.stdout.write(f"{path}: laporan bulanan {target.code} {month} ({fmt}, {len(data)} bita, "
                          f"{len(sections)} bagian)")
