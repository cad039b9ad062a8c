"""The scheduled jobs: the registered ones (`notifications.jobs`: overdue referral escalation,
audit sealing), then the outbox; once or in a loop.

`make run` starts it next to the web server. In production run it as its own service (systemd,
a container) with `--every 60`; running two at once is safe (see `notifications.sending`).
"""

import logging
import signal
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from slrt.notifications.jobs import registered_jobs
from slrt.notifications.sending import process_outbox

logger = logging.getLogger("slrt.jobs")


class Command(BaseCommand):
    help = "Run the scheduled jobs (overdue referral escalation, notification outbox) once or every N seconds."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run one round and exit.")
        parser.add_argument("--every", type=float, default=60.0, help="Seconds between rounds (default 60).")
        parser.add_argument("--limit", type=int, default=200, help="Messages sent per round at most.")

    def handle(self, *args, once=False, every=60.0, limit=200, **options):
        self.verbosity = options.get("verbosity", 1)
        if every <= 0:
            raise CommandError("--every must be a positive number of seconds.")
        self._stop = False
        if not once:
            signal.signal(signal.SIGTERM, self._request_stop)
            signal.signal(signal.SIGINT, self._request_stop)
            logger.info("jobs: running every %.0f s", every)
        while True:
            ok = self.run_round(limit)
            if once and not ok:
                raise CommandError("A scheduled job failed; see the log above.")
            if once or self._stop:
                break
            deadline = time.monotonic() + every
            while not self._stop and time.monotonic() < deadline:
                time.sleep(min(1.0, every))
            if self._stop:
                break
            # Like a request: drop a connection the database closed or that outlived CONN_MAX_AGE.
            close_old_connections()
        if not once:
            logger.info("jobs: stopped")

    def _request_stop(self, signum, frame):
        self._stop = True

    def run_round(self, limit: int) -> bool:
        """One round of every job; False if one of them raised."""
        ok = True
        done = []
        # One failing job must not stop the others or the loop; the traceback names code, not people.
        for job in registered_jobs():
            try:
                count = job.run()
            except Exception:
                logger.exception("jobs: %s failed", job.name)
                count, ok = 0, False
            done.append((job.label, count))
        try:
            counts = process_outbox(limit=limit)
        except Exception:
            logger.exception("jobs: outbox failed")
            counts, ok = {}, False
        if self.verbosity >= 1 and (any(n for _label, n in done) or any(counts.values())):
            self.stdout.write(" ".join(f"{k}={v}" for k, v in [*done, *counts.items()]))
        return ok
