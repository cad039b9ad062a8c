from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FieldworkConfig(AppConfig):
    name = "slrt.fieldwork"
    verbose_name = _("Kerja lapangan")

    def ready(self):
        from slrt.cases.hooks import on_unregistered_resident
        from slrt.cases.timeline import register_event_kinds

        from .services import plan_verification_visit
        from .timeline import EVENT_TEXT

        # After the updates app's draft proposal, which this visit verifies (INSTALLED_APPS order).
        on_unregistered_resident(plan_verification_visit)
        register_event_kinds(EVENT_TEXT)  # the follow-up visit it logs on a case's timeline

        from . import tones

        tones.register()  # its states' badge tones (slrt.core.status)
