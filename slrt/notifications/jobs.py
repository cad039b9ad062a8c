"""The scheduled jobs that `manage.py run_jobs` runs every round, before the outbox.

notifications sits below the apps whose jobs these are (referrals' escalation), so they register
here in their AppConfig.ready(); audit sits below notifications, so notifications registers its
sealing (`audit.sealing.seal_pending`) itself; jobs run in registration order, which is the order of
INSTALLED_APPS. The outbox is notifications' own job and runs last in each round, so what the
other jobs queued is sent in the same round. A task queue taking over from run_jobs can take its
list from here.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Job:
    name: str  # in the log ("jobs: <name> failed")
    run: Callable[[], int]  # does one round's work; returns how many things it did
    label: str  # the count's name in the round's summary line ("escalated=3")


_jobs: dict[str, Job] = {}


def register_job(name: str, fn: Callable[[], int], *, label: str) -> Callable[[], int]:
    """Run `fn()` every round, before the outbox. Keyed by name, so a second ready() adds nothing."""
    _jobs[name] = Job(name=name, run=fn, label=label)
    return fn


def registered_jobs() -> list[Job]:
    return list(_jobs.values())
