"""The scheduled job of the monthly reports, registered from the reports app's ready().

Hourly: on the 1st of a month the first run makes last month's reports; on any later day a run
makes whatever is still missing (the scheduler was down on the 1st). Each (region, month) is made
once however often it runs (`services.run_scheduled`), and each period runs once however many
schedulers sent it (`notifications.claims`)."""

from slrt.notifications.jobs import register_job

from . import tasks  # noqa: F401 - the worker must know the generation task (not autodiscovered)
from .services import run_scheduled

JOB = "monthly_reports"


def register() -> None:
    register_job(JOB, run_scheduled, label="monthly_reports_queued", every=3600)
