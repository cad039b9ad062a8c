from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgramsConfig(AppConfig):
    name = "slrt.programs"
    verbose_name = _("Program dan lembaga")

    def ready(self):
        # accounts (the foundation) cannot import programs: it asks for the agency directory here.
        from slrt.accounts.hooks import on_agency_directory

        from .selectors.catalogue import agency_directory

        on_agency_directory(agency_directory)
