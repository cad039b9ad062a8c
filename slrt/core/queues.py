"""Work queues: one definition per queue, used by both the home card's number and the list it opens.

Each app declares its own queues in its selectors (`CASE_QUEUES`, `REFERRAL_QUEUES`, ...), as a
`Queue` holding the function that builds the scoped queryset. The list page reads `?antrian=`
and starts from exactly that queryset; the home (`reports.selectors.home_queues`) counts the
same queryset. So a card's number and the rows behind its link cannot drift apart.

This module imports no app: apps depend on it, never the other way round.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.urls import reverse

QUEUE_PARAM = "antrian"


@dataclass(frozen=True)
class Queue:
    name: str  # the value of ?antrian= (a stable slug, never shown to the user)
    label: str  # lazy: what the card and the list's heading say
    rows: Callable  # rows(user) -> the scoped queryset the queue holds
    list_url: str  # URL name of the list page that understands ?antrian=
    capability: str = ""  # who may have the queue at all (roles.CAPABILITIES)
    hint: str = ""
    warn: bool = False  # a non-zero number asks for attention (overdue, failed)
    extra: dict = field(default_factory=dict)  # other query parameters the list needs

    def count(self, user) -> int:
        return self.rows(user).count()

    def url(self) -> str:
        return f"{reverse(self.list_url)}?{urlencode({QUEUE_PARAM: self.name, **self.extra})}"


def by_name(*queues: Queue) -> dict[str, Queue]:
    """An app's queues keyed by their `?antrian=` value."""
    return {q.name: q for q in queues}


def queue_from(registry: dict, request) -> Queue | None:
    """The queue asked for by `?antrian=` if the registry knows it and the user may have it."""
    from slrt.accounts.roles import can

    queue = registry.get(request.GET.get(QUEUE_PARAM) or "")
    if queue is None or (queue.capability and not can(request.user, queue.capability)):
        return None
    return queue
