from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExportsConfig(AppConfig):
    name = "slrt.exports"
    verbose_name = _("Ekspor daftar")

    def ready(self):
        from slrt.notifications.jobs import register_job

        from .services import cleanup_expired

        # Finished exports' files are deleted after SLRT_EXPORT_KEEP_DAYS; hourly is soon enough.
        register_job("export_cleanup", cleanup_expired, label="exports_expired", every=3600)
