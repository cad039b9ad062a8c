"""Celery beat's schedule, made from the registered jobs (`notifications.jobs`).

`celery -A slrt beat` (and `worker --beat`) use `JobScheduler` (CELERY_BEAT_SCHEDULER): it adds
one entry per registered job to whatever the settings list, each on a clock-aligned period, and
stamps each message with the period it was sent for. Every scheduler sends each job at the same
boundaries with the same period, so `tasks.run_job`'s claim sees duplicates for what they are.
"""

from datetime import UTC, datetime

from celery.beat import BeatLazyFunc, PersistentScheduler
from celery.schedules import BaseSchedule, schedstate
from django.conf import settings

from .claims import period_start
from .jobs import registered_jobs

RUN_JOB = "slrt.notifications.run_job"


class aligned(BaseSchedule):  # noqa: N801 (named like celery's own schedule and crontab)
    """Due once each time the clock passes a multiple of `seconds` since the epoch (every 60: at
    each full minute), however late the scheduler started or ticked last."""

    def __init__(self, seconds: int, nowfun=None, app=None):
        self.seconds = int(seconds)
        super().__init__(nowfun=nowfun, app=app)

    def _index(self, at: datetime) -> int:
        return int(self.maybe_make_aware(at).timestamp()) // self.seconds

    def remaining_estimate(self, last_run_at):
        now = self.maybe_make_aware(self.now())
        return datetime.fromtimestamp((self._index(now) + 1) * self.seconds, tz=UTC) - now

    def is_due(self, last_run_at):
        now = self.maybe_make_aware(self.now())
        next_boundary = (self._index(now) + 1) * self.seconds
        wait = max(next_boundary - now.timestamp(), 0.05)
        return schedstate(self._index(now) > self._index(last_run_at), wait)

    def __repr__(self):
        return f"<aligned: every {self.seconds} s>"

    def __reduce__(self):
        return self.__class__, (self.seconds, self.nowfun)

    def __eq__(self, other):
        if isinstance(other, aligned):
            return self.seconds == other.seconds
        return NotImplemented

    def __hash__(self):
        return hash(self.seconds)


def current_period(every: int) -> str:
    """Called by beat as it sends (BeatLazyFunc): the period the message is for."""
    return period_start(datetime.now(tz=UTC), every).isoformat()


def job_entries() -> dict[str, dict]:
    entries = {}
    for job in registered_jobs():
        entries[f"job:{job.name}"] = {
            "task": RUN_JOB,
            "schedule": aligned(job.period),
            "args": (job.name,),
            "kwargs": {"period": BeatLazyFunc(current_period, job.period)},
            # A message nobody took by then is dropped (workers were down): later periods do its work.
            "options": {"expires": settings.SLRT_JOB_LEASE_SECONDS + job.period},
        }
    return entries


class JobScheduler(PersistentScheduler):
    def setup_schedule(self):
        self.app.conf.beat_schedule = {**(self.app.conf.beat_schedule or {}), **job_entries()}
        super().setup_schedule()
