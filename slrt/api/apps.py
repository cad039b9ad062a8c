from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "slrt.api"
    verbose_name = "API"
