"""The Celery application: `celery -A slrt worker` and `celery -A slrt beat` (slrt.conf.queue)."""

import os

from celery import Celery
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "slrt.settings")

app = Celery("slrt")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def _use_the_apps_logging(**kwargs):
    """Workers and beat log through settings.LOGGING (every handler scrubs personal data), not
    through handlers of Celery's own: a receiver here means Celery configures no logging at all."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)
