from django.apps import AppConfig


class DemoConfig(AppConfig):
    # An app only for its management commands (seed_demo, generate_registry): no models, so no
    # verbose name to show or translate.
    name = "slrt.demo"
