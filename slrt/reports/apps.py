from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "slrt.reports"
    verbose_name = _("Laporan dan dasbor")

    def ready(self):
        # The monthly reports' scheduled job (and, through it, their task on every worker).
        from .monthly import jobs

        jobs.register()
