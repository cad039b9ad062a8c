from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    # An app only for its management commands (seed_demo, generate_registry); it has no models.
    name = "slrt.demo"
    verbose_name = _("Demo")
