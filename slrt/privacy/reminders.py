"""Open data requests near their 3×24-hour deadline are e-mailed to the Manajer SLRT of their
kabupaten/kota once (scheduled job, registered in PrivacyConfig.ready()).

The stamp `due_warned_at` is a conditional UPDATE, so two runs at once or one after the other warn
each request exactly once; the message goes through the outbox inside the same transaction.
"""

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

from slrt.audit.services import record
from slrt.notifications.services import notify

from .models import DataRequest
from .workflow import OPEN_STATES

logger = logging.getLogger(__name__)

# Told this long before the deadline (a quarter of the 72 hours): time enough to serve the request.
WARN_BEFORE = dt.timedelta(hours=18)
# At most this many per round; the next round (a minute later) takes the rest.
PER_ROUND = 500


def warn_near_deadline(now=None) -> int:
    now = now or timezone.now()
    due = (DataRequest.objects.system()
           .filter(status__in=OPEN_STATES, deadline_at__lte=now + WARN_BEFORE, due_warned_at__isnull=True)
           .order_by("deadline_at", "pk")[:PER_ROUND])
    warned = 0
    for r in list(due):
        with transaction.atomic():
            won = (DataRequest.objects.system()
                   .filter(pk=r.pk, due_warned_at__isnull=True, status__in=OPEN_STATES).update(due_warned_at=now))
            if not won:
                continue  # another run warned it, or it was served meanwhile
            r.due_warned_at = now
            record(None, "data_request.due_warned", r, detail={"status": r.status})
            notify("data_request.due", r)
        warned += 1
    if warned:
        logger.info("privacy: %d data requests near their deadline", warned)
    return warned
