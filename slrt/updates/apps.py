from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UpdatesConfig(AppConfig):
    name = "slrt.updates"
    verbose_name = _("Usulan pemutakhiran registri")

    def ready(self):
        from slrt.cases.hooks import on_unregistered_resident
        from slrt.registry.hooks import on_release_imported

        from .reconcile import settle_imported_release
        from .services import draft_for_unregistered_resident

        # Before fieldwork's visit, which verifies this proposal (INSTALLED_APPS order).
        on_unregistered_resident(draft_for_unregistered_resident)
        # An imported release settles the submitted proposals it contains, in the import's transaction.
        on_release_imported(settle_imported_release)

        from . import tones

        tones.register()  # its states' badge tones (slrt.core.status)
