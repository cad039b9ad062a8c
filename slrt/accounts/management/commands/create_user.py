from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from slrt.accounts.roles import Role
from slrt.accounts.services import create_user


class Command(BaseCommand):
    help = "Buat (atau atur ulang) akun pengguna dengan peran dan wilayah tugas."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--region", required=True, help="Kode Kemendagri wilayah tugas, mis. 32.01")
        parser.add_argument("--password", required=True)
        parser.add_argument("--agency", default="", help="Kode lembaga untuk pengguna mitra")
        parser.add_argument("--name", default="")

    def handle(self, *args, **o):
        try:
            user = create_user(
                username=o["username"], role=o["role"], region_code=o["region"], password=o["password"],
                agency_code=o["agency"], full_name=o["name"],
            )
        except ValidationError as exc:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from exc
        self.stdout.write(f"Pengguna {user.username} ({user.role}, {user.region_id}) siap.")
