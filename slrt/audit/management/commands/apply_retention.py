"""Apply the retention rules (slrt/audit/retention.py) once; run it daily (cron, systemd timer)."""

from django.core.management.base import BaseCommand

from slrt.audit.retention import apply_retention, period_days, rules


class Command(BaseCommand):
    help = "Erase or anonymise what each retention rule no longer allows to keep, and audit the run."

    def add_arguments(self, parser):
        parser.add_argument("--list", action="store_true", help="Only list the rules and their periods.")

    def handle(self, *args, list=False, **options):
        if list:
            for rule in rules():
                days = period_days(rule)
                self.stdout.write(f"{rule.kind}: {'disimpan selamanya' if days is None else f'{days} hari'} — "
                                  f"{rule.description}")
            return
        counts = apply_retention()
        done = ", ".join(f"{kind}={n}" for kind, n in counts.items()) or "tidak ada aturan yang berlaku"
        self.stdout.write(f"Retensi diterapkan: {done}")
