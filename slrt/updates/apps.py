from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UpdatesConfig(AppConfig):
    name = "slrt.updates"
    verbose_name = _("Usulan pemutakhiran registri")
