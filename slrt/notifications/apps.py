from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "slrt.notifications"
    verbose_name = _("Notifikasi")

    def ready(self):
        from slrt.audit.sealing import seal_pending

        from .jobs import register_job

        # audit sits below notifications, so its sealing job is registered here. Registered
        # after referrals' escalation (INSTALLED_APPS order); its rows wait out the margin anyway.
        register_job("audit_seal", seal_pending, label="sealed")
