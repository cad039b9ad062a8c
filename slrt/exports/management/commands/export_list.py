"""`python manage.py export_list LIST --user NAME --format csv|xlsx --out FILE [--filter key=value ...]`

The export a user would download from the list page (same rows, masking and audit row), without
the web's row bound: for the bench, for a district's archive, and for the memory test."""

import time

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404, QueryDict

from slrt.accounts.models import User
from slrt.exports.lists import LISTS
from slrt.exports.services import ExportError, write_export


class Command(BaseCommand):
    help = "Ekspor satu daftar sebagai CSV atau XLSX untuk seorang pengguna (baris dan penyamaran menurut perannya)."

    def add_arguments(self, parser):
        parser.add_argument("list", choices=sorted(LISTS))
        parser.add_argument("--user", required=True, help="nama pengguna yang mengekspor")
        parser.add_argument("--format", default="csv", choices=["csv", "xlsx"])
        parser.add_argument("--out", required=True, help="berkas tujuan")
        parser.add_argument("--filter", action="append", default=[], metavar="KEY=VALUE",
                            help="penyaring daftar, boleh berulang (mis. --filter status=baru)")

    def handle(self, *args, **options):
        user = User.objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(f"Pengguna {options['user']} tidak ada atau tidak aktif.")
        params = QueryDict(mutable=True)
        for item in options["filter"]:
            key, sep, value = item.partition("=")
            if not sep:
                raise CommandError(f"--filter {item}: tulis sebagai KEY=VALUE.")
            params.appendlist(key, value)
        started = time.monotonic()
        try:
            with open(options["out"], "wb") as out:
                rows = write_export(options["list"], user, params, out, options["format"])
        except ExportError as exc:
            raise CommandError(f"{exc.field}: {exc.message}") from None
        except Http404:
            raise CommandError(f"Daftar {options['list']} tidak tersedia.") from None
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from None
        seconds = time.monotonic() - started
        self.stdout.write(f"rows={rows} seconds={seconds:.2f} rows_per_second={rows / max(seconds, 1e-9):.0f}")
