"""Registry work on the task queue: the import of a file uploaded on the web.

Delivered at least once (acks_late, reject_on_worker_lost: slrt.conf.queue), so the task is
idempotent: a job already done is left alone, a job a live attempt runs is retried later, and a
job left running by a killed worker is taken over (`services.imports.run_import`, run lock). The
import is one transaction, so a killed attempt left no data and the new one imports once.
"""

import logging

from celery import shared_task

from slrt.registry.imports.reader import ImportFileError
from slrt.registry.imports.slots import ImportsBusy
from slrt.registry.models import ImportJob, ImportStatus
from slrt.registry.services.imports import ImportJobError, run_import

logger = logging.getLogger(__name__)

# Every import slot of this server taken: ask again this much later, for up to ~4 hours.
SLOT_RETRY_SECONDS = 30
SLOT_RETRIES = 480


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=SLOT_RETRIES,
             name="slrt.registry.tasks.run_import_job")
def run_import_job(self, job_id: int) -> str:
    """Run import job `job_id`; returns its status (for the worker's log: counts, no names)."""
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None or job.status in (ImportStatus.DONE, ImportStatus.FAILED):
        # Done: its effect happened. Failed: the reason is recorded; a new upload starts anew.
        return job.status if job else "missing"
    # In the caller (eager: tests, no worker) there is no later: a busy server fails the job.
    eager = bool(self.request.is_eager)
    try:
        run_import(job, worker=self.request.hostname or "", wait_for_slot=not eager)
    except ImportsBusy as exc:
        logger.info("registry import job %s waits for a free import slot", job_id)
        raise self.retry(countdown=SLOT_RETRY_SECONDS, exc=exc) from exc
    except ImportJobError as exc:
        job.refresh_from_db()
        if job.status == ImportStatus.RUNNING and not eager:
            # A live attempt holds it (a message delivered twice): look again once it may be over.
            raise self.retry(countdown=SLOT_RETRY_SECONDS, exc=exc) from exc
        return job.status
    except ImportFileError:
        return ImportStatus.FAILED  # the job says why
    except Exception:  # noqa: BLE001 - recorded on the job (type logged by the service); not redelivered
        return ImportStatus.FAILED
    return ImportStatus.DONE
