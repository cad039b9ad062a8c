from django.core.management.base import BaseCommand, CommandError

from slrt.accounts.models import User
from slrt.accounts.services import deactivate_user


class Command(BaseCommand):
    help = "Nonaktifkan akun pengguna (akun tidak pernah dihapus: jejak audit tetap menyebut pelakunya)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"Pengguna {username} tidak ada.")
        deactivate_user(None, user)
        self.stdout.write(f"Pengguna {username} dinonaktifkan; token API-nya dicabut. "
                          "Aktifkan lagi dengan create_user dengan nama yang sama.")
