from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "slrt.core"
    verbose_name = "SLRT"

    def ready(self):
        # Task runs are counted and their log lines carry the task id (Celery's signals).
        from slrt.core import metrics, requestid

        metrics.connect_celery()
        requestid.connect_celery()
