"""The scheduled jobs: one list, each job with its period; Celery beat sends them, a worker runs them.

notifications sits below the apps whose jobs these are (referrals' escalation, privacy's deadline
warning), so they register here in their AppConfig.ready(); audit sits below notifications, so
notifications registers its sealing (`audit.sealing.seal_pending`) itself, then its own outbox.
`slrt.notifications.schedule` turns this list into beat's schedule and `tasks.run_job` runs one
job for one period, at most once however many schedulers sent it (`notifications.claims`).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings

# What a job returns: how many things it did, or counts per outcome (the outbox).
Result = int | dict[str, int]


@dataclass(frozen=True)
class Job:
    name: str  # in the log ("jobs: <name> failed") and the claim table
    run: Callable[[], Result]  # does one period's work
    label: str  # the count's name in the run's log line ("escalated=3")
    every: int  # seconds between runs; periods are aligned to the clock (every 60: each minute)

    @property
    def period(self) -> int:
        # SLRT_JOB_PERIOD_SECONDS (tests, a demo in a hurry) shortens every job's period at once.
        return settings.SLRT_JOB_PERIOD_SECONDS or self.every

    def summary(self, result: Result) -> str:
        if isinstance(result, dict):
            return " ".join(f"{k}={v}" for k, v in result.items())
        return f"{self.label}={result}"


_jobs: dict[str, Job] = {}


def register_job(name: str, fn: Callable[[], Result], *, label: str, every: int = 60) -> Callable[[], Result]:
    """Run `fn()` once every `every` seconds. Keyed by name, so a second ready() adds nothing."""
    if every <= 0:
        raise ValueError("every must be a positive number of seconds")
    _jobs[name] = Job(name=name, run=fn, label=label, every=every)
    return fn


def registered_jobs() -> list[Job]:
    return list(_jobs.values())


def job_named(name: str) -> Job | None:
    return _jobs.get(name)
