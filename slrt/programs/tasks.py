"""Programme work on the task queue: a targeting run started from the web or the API.

Delivered at least once (acks_late): `services.targeting.run_queued` is idempotent (a done run is
left alone; a run left running by a killed worker is evaluated again, in one transaction).
"""

from celery import shared_task

from .services.targeting import run_queued


@shared_task(acks_late=True, reject_on_worker_lost=True, name="slrt.programs.tasks.run_targeting_job")
def run_targeting_job(run_id: int) -> str:
    run = run_queued(run_id)
    return run.status if run else "missing"
