from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "slrt.cases"
    verbose_name = _("Layanan: keluhan, kebutuhan, penetapan")

    def ready(self):
        from . import tones

        tones.register()  # its states' badge tones (slrt.core.status)
