"""The Celery application: `celery -A slrt worker` and `celery -A slrt beat` (slrt.conf.queue)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "slrt.settings")

app = Celery("slrt")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
