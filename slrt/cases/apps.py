from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "slrt.cases"
    verbose_name = _("Layanan: keluhan, kebutuhan, penetapan")

    def ready(self):
        from slrt.programs.hooks import on_program_page

        from . import tones
        from .decision_views import program_overrides_section

        tones.register()  # its states' badge tones (slrt.core.status)

        from . import retention

        retention.register()  # closed cases' retention rules (slrt.audit.retention)
        # The programme's page shows the approvals that override its matching.
        on_program_page(program_overrides_section)
