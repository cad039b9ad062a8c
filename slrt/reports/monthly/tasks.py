"""The monthly report on the task queue. Delivered at least once (acks_late): `services.generate`
is idempotent (a done report is left alone; one left running by a killed worker is made again).

Not found by Celery's autodiscovery (it looks for `slrt.reports.tasks`): `jobs.register()`, run by
the app's ready(), imports it, so every worker knows the task."""

from celery import shared_task

from .services import generate

TASK = "slrt.reports.monthly.tasks.generate_monthly_report"


@shared_task(acks_late=True, reject_on_worker_lost=True, name=TASK)
def generate_monthly_report(report_id: int) -> str:
    report = generate(report_id)
    return report.status if report else "missing"
