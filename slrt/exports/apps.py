from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExportsConfig(AppConfig):
    name = "slrt.exports"
    verbose_name = _("Ekspor daftar")
