from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "slrt.core"
    verbose_name = "SLRT"
