from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    name = "slrt.referrals"
    verbose_name = _("Rujukan")

    def ready(self):
        from slrt.notifications.jobs import register_job

        from .escalation import escalate_overdue

        register_job("escalation", escalate_overdue, label="escalated")

        from . import tones

        tones.register()  # its states' badge tones (slrt.core.status)
