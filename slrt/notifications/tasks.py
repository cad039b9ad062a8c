"""The scheduled jobs as a Celery task: beat sends `run_job(name, period=…)` for every registered
job (`notifications.jobs`, `notifications.schedule`); a worker runs it once per period.

A job's effect must survive being run again (each one handles "what is due" with conditional
updates), but a period runs only once even when two schedulers both sent it: the run claims its
(job, period) row first (`notifications.claims`). The log names jobs, periods and counts only.
"""

import logging
from datetime import datetime

from celery import shared_task
from django.utils import timezone

from . import claims
from .claims import Claim
from .jobs import job_named
from .schedule import RUN_JOB

logger = logging.getLogger("slrt.jobs")


@shared_task(name=RUN_JOB, bind=True, max_retries=None)
def run_job(self, name: str, period: str | None = None):
    job = job_named(name)
    if job is None:
        # A schedule file or a queued message from before a job was removed: nothing to do.
        logger.warning("jobs: no job named %s; message dropped", name)
        return None
    start = datetime.fromisoformat(period) if period else claims.period_start(timezone.now(), job.period)
    task_id = self.request.id or ""
    outcome = claims.claim(job.name, start, task_id)
    if outcome.claim is Claim.MINE_HELD:
        # This very message holds the claim: its worker was lost mid-run and the broker handed it
        # back. The lost run may still be going; take the period over once its lease has run out.
        wait = outcome.lease_left + 1
        logger.info("jobs: %s for %s waits %.0f s for a lost run's lease", job.name, start.isoformat(), wait)
        raise self.retry(countdown=wait, expires=wait + job.period)
    if outcome.claim is not Claim.WON:
        logger.info("jobs: %s for %s already %s; skipped", job.name, start.isoformat(),
                    "done" if outcome.claim is Claim.DONE else "running")
        return None
    try:
        result = job.run()
    except Exception as exc:
        # Recorded and raised: Celery counts the failure; the next period tries again.
        # (Celery logs the traceback once; this line names the job and the period.)
        claims.finish(outcome.run, f"error: {type(exc).__name__}")
        logger.error("jobs: %s failed for %s: %s", job.name, start.isoformat(), type(exc).__name__)
        raise
    summary = job.summary(result)
    claims.finish(outcome.run, summary)
    logger.info("jobs: %s ran for %s: %s", job.name, start.isoformat(), summary)
    return None
