"""Exports on the task queue: a big list written in the background.

Delivered at least once (acks_late): `services.run_job` leaves a finished job alone and writes a
job left running by a killed worker again from the start (its file is saved only at the end).
"""

from celery import shared_task

from .services import run_job


@shared_task(acks_late=True, reject_on_worker_lost=True, name="slrt.exports.tasks.run_export_job")
def run_export_job(job_id: int) -> str:
    job = run_job(job_id)
    return job.status if job else "missing"
