"""Reads of targeting runs: only runs of a kab/kota inside the caller's scope (404 otherwise)."""

from django.db.models import Count
from django.http import Http404

from slrt.accounts.roles import can
from slrt.accounts.scoping import in_scope
from slrt.registry.models import Household
from slrt.registry.nik import mask_nik
from slrt.wilayah.models import NATION_CODE

from ..models import Program, TargetingError, TargetingRun


def _runs_for(user):
    if not can(user, "run_targeting") or not user.region_id:
        return TargetingRun.objects.none()
    qs = TargetingRun.objects.select_related("region", "started_by")
    if user.region_id == NATION_CODE:
        return qs
    # A run covers one kab/kota: visible to users scoped at it or above it.
    return qs.filter(region__code__startswith=user.region_id) if len(user.region_id) <= 5 else qs.none()


def list_runs(user, limit: int = 50):
    return list(_runs_for(user)[:limit])


def get_run(user, pk) -> TargetingRun:
    try:
        run = _runs_for(user).get(pk=pk)
    except (TargetingRun.DoesNotExist, ValueError, TypeError):
        raise Http404
    if not in_scope(user, run.region_id):
        raise Http404
    return run


def run_programs(run) -> list[dict]:
    """The summary rows of a run, in catalogue order, with the Program attached."""
    programs = {p.code: p for p in Program.objects.filter(code__in=run.summary.get("programs", {}))}
    rows = []
    for code, figures in run.summary.get("programs", {}).items():
        rows.append({"code": code, "program": programs.get(code), **figures})
    return rows


def errors_by_desa(run, *, program=None, kind=None) -> list[dict]:
    qs = TargetingError.objects.filter(run=run)
    if program:
        qs = qs.filter(program__code=program)
    if kind:
        qs = qs.filter(kind=kind)
    rows = qs.values("desa_code", "kind").annotate(n=Count("id")).order_by("desa_code", "kind")
    from slrt.wilayah.models import Region

    names = dict(Region.objects.filter(code__in={r["desa_code"] for r in rows}).values_list("code", "name"))
    table: dict[str, dict] = {}
    for r in rows:
        entry = table.setdefault(
            r["desa_code"],
            {"desa_code": r["desa_code"], "name": names.get(r["desa_code"], ""), "exclusion": 0, "inclusion": 0},
        )
        entry[r["kind"]] = r["n"]
    return list(table.values())


def error_rows(user, run, *, program=None, kind=None, desa=None, offset=0, limit=None):
    """Errors of a run with the household's KK (masked unless the role sees full numbers).

    Households are read through `for_user`, so a row whose household left the user's scope
    since the run is left out rather than shown.
    """
    qs = (
        TargetingError.objects.filter(run=run)
        .select_related("program")
        .order_by("program__code", "kind", "desa_code", "household_id")
    )
    if program:
        qs = qs.filter(program__code=program)
    if kind:
        qs = qs.filter(kind=kind)
    if desa:
        qs = qs.filter(desa_code__startswith=desa)
    if limit is not None:
        qs = qs[offset : offset + limit]
    full = can(user, "see_full_nik")
    batch = []
    for error in qs.iterator(chunk_size=2000):
        batch.append(error)
        if len(batch) == 2000:
            yield from _with_households(user, batch, full)
            batch = []
    if batch:
        yield from _with_households(user, batch, full)


def _with_households(user, errors, full):
    households = {
        h["id"]: h
        for h in Household.objects.for_user(user)
        .filter(id__in=[e.household_id for e in errors])
        .values("id", "nomor_kk", "desil")
    }
    for e in errors:
        h = households.get(e.household_id)
        if h is None:
            continue
        yield {
            "program": e.program.code,
            "program_name": e.program.name,
            "kind": e.kind,
            "kind_label": e.get_kind_display(),
            "desa_code": e.desa_code,
            "household_id": e.household_id,
            "nomor_kk": h["nomor_kk"] if full else mask_nik(h["nomor_kk"]),
            "desil": h["desil"],
        }
