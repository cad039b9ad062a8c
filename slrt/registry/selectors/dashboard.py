"""Reads for the home dashboard: a few counts over the user's scope, each one indexed query."""

from django.db.models import Count

from slrt.accounts.roles import can
from slrt.registry.models import Household, Person, Release

from .dedup import candidates_for_user
from .imports import jobs_for_user

RECENT_JOBS = 5


def dashboard(user) -> dict:
    """What the home page shows: registry size in scope, desil spread, latest release, work queues.

    Everything is scoped: counts through `for_user`, jobs and duplicate candidates through
    their selectors. A role without registry access gets zeros and empty lists.
    """
    sees_registry = can(user, "view_registry")
    data = {
        "sees_registry": sees_registry,
        "households": 0,
        "people": 0,
        "desil": [],
        "latest_release": Release.objects.order_by("-period", "-created_at").first(),
        "jobs": [],
        "open_duplicates": None,
    }
    if sees_registry:
        households = Household.objects.for_user(user)
        data["households"] = households.count()
        data["people"] = Person.objects.for_user(user).filter(is_active=True).count()
        by_desil = dict(
            households.order_by().values_list("desil").annotate(n=Count("id")).values_list("desil", "n")
        )
        top = max(by_desil.values(), default=0)
        data["desil"] = [
            {"desil": d, "n": by_desil.get(d, 0), "share": round(100 * by_desil.get(d, 0) / top) if top else 0}
            for d in range(1, 11)
        ]
        data["desil_unknown"] = by_desil.get(None, 0)
    if can(user, "import_registry"):
        data["jobs"] = list(jobs_for_user(user)[:RECENT_JOBS])
    if can(user, "review_duplicates"):
        data["open_duplicates"] = candidates_for_user(user).count()
    return data
