"""Reads for the home dashboard: a few counts over the user's scope, each one indexed query.

The registry's counts change only when a release is imported or people are merged (or a merge is
undone), yet over a district of a million people they cost most of a home page. They are cached
per scope under a key that names the registry's generation (the last finished import, the last
merge and undo), so the first home page after such a change counts afresh in every process.
"""

import hashlib

from django.core.cache import cache
from django.db.models import Count, Max

from slrt.accounts.roles import can
from slrt.registry.models import Household, ImportJob, ImportStatus, Merge, Person, Release

from .dedup import candidates_for_user
from .imports import jobs_for_user

RECENT_JOBS = 5
COUNTS_TTL = 15 * 60  # a bound on staleness should a change ever bypass the generation


def registry_generation() -> str:
    """What changes whenever the registry's counts may have: two aggregates over small tables."""
    imported = ImportJob.objects.filter(status=ImportStatus.DONE).aggregate(at=Max("finished_at"))["at"]
    merges = Merge.objects.aggregate(last=Max("id"), undone=Max("undone_at"))
    return "|".join(str(v) for v in (imported, merges["last"], merges["undone"]))


def registry_counts(user) -> dict:
    """Households, active people and households per desil in the user's scope (cached; see above)."""
    generation = hashlib.sha256(registry_generation().encode()).hexdigest()[:16]  # a key any cache takes
    key = f"registry-counts:{user.region_id}:{generation}"
    counts = cache.get(key)
    if counts is None:
        households = Household.objects.for_user(user)
        counts = {
            "households": households.count(),
            "people": Person.objects.for_user(user).filter(is_active=True).count(),
            "by_desil": dict(
                households.order_by().values_list("desil").annotate(n=Count("id")).values_list("desil", "n")
            ),
        }
        cache.set(key, counts, COUNTS_TTL)
    return counts


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
        counts = registry_counts(user)
        data["households"], data["people"], by_desil = counts["households"], counts["people"], counts["by_desil"]
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
