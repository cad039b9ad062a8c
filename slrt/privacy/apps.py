from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "slrt.privacy"
    verbose_name = _("Data pribadi warga (UU PDP)")

    def ready(self):
        from slrt.notifications.jobs import register_job

        from . import tones
        from .reminders import warn_near_deadline

        register_job("data_request_due", warn_near_deadline, label="data_requests_due", every=60)

        tones.register()  # its states' badge tones (slrt.core.status)
