"""Once per period: a scheduled job's run claims its (job, period) row before it does anything.

The unique constraint decides between deliveries racing for the same period (two schedulers, or
one message delivered twice): one INSERT wins, the others see the row. A finished row is never
run again. An unfinished row whose lease ran out belongs to a delivery whose worker died (SIGKILL,
power): one conditional UPDATE lets exactly one later delivery take it over. A delivery of the
very message holding the claim (redelivered after its worker was lost) waits for the lease instead
of giving up, so the period still runs.
"""

import enum
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .models import JobRun


class Claim(enum.Enum):
    WON = "won"  # run the job now
    DONE = "done"  # the period already ran
    HELD = "held"  # another delivery is running it (its lease is live)
    MINE_HELD = "mine_held"  # this message holds it from a lost worker: try again after the lease


@dataclass(frozen=True)
class Outcome:
    claim: Claim
    run: JobRun | None = None
    lease_left: float = 0.0  # seconds, for MINE_HELD


def period_start(now: datetime, every: int) -> datetime:
    """The start of the period `now` falls in; periods are aligned to the epoch, so every
    scheduler and machine (clocks kept by NTP) agrees on them."""
    epoch = int(now.timestamp()) // every * every
    return datetime.fromtimestamp(epoch, tz=UTC)


def lease() -> timedelta:
    # Longer than any run takes: a live run is never taken over, a dead one waits this long.
    return timedelta(seconds=settings.SLRT_JOB_LEASE_SECONDS)


def claim(job: str, start: datetime, task_id: str = "", now: datetime | None = None) -> Outcome:
    now = now or timezone.now()
    try:
        with transaction.atomic():
            run = JobRun.objects.create(
                job=job, period_start=start, task_id=task_id, started_at=now, lease_until=now + lease()
            )
        return Outcome(Claim.WON, run)
    except IntegrityError:
        pass
    run = JobRun.objects.get(job=job, period_start=start)
    if run.finished_at is not None:
        return Outcome(Claim.DONE, run)
    if run.lease_until > now:
        if task_id and run.task_id == task_id:
            return Outcome(Claim.MINE_HELD, run, (run.lease_until - now).total_seconds())
        return Outcome(Claim.HELD, run)
    won = JobRun.objects.filter(pk=run.pk, finished_at__isnull=True, lease_until=run.lease_until).update(
        task_id=task_id, started_at=now, lease_until=now + lease(), attempts=F("attempts") + 1
    )
    if not won:
        return Outcome(Claim.HELD, run)
    run.refresh_from_db()
    return Outcome(Claim.WON, run)


def finish(run: JobRun, outcome: str, now: datetime | None = None) -> None:
    JobRun.objects.filter(pk=run.pk).update(finished_at=now or timezone.now(), outcome=outcome[:200])


def prune(now: datetime | None = None) -> int:
    """Drop claims older than SLRT_JOB_RUNS_KEEP_DAYS (a few minutes' worth is all the guarantee
    needs; the rest is a short history for an operator)."""
    before = (now or timezone.now()) - timedelta(days=settings.SLRT_JOB_RUNS_KEEP_DAYS)
    deleted, _ = JobRun.objects.filter(period_start__lt=before).delete()
    return deleted
