from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "slrt.privacy"
    verbose_name = _("Data pribadi warga (UU PDP)")

    def ready(self):
        from . import tones

        tones.register()  # its states' badge tones (slrt.core.status)
