"""Aid on target (issue 13, point 1): the targeting errors of the latest run of each kab/kota and
what they cost, per programme and desa, from the error rows and the programmes' benefit amounts.

Read through the caller's scope: runs as the run pages show them (`targeting._runs_for`), error
rows only of households `Household.objects.for_user` still holds (the run page lists the same
rows), so each count equals the rows of the run page filtered to its programme, kind and region.

Money is per year: an error row is one household, so it costs the programme's amount per unit
per year once (a one-off benefit once) — one beneficiary per household. Where a household has
several (per-person programmes, several children in one PKH component) the true figure is larger:
the amounts are a floor. The registry records PKH receipt as one flag, so a household receiving
PKH while eligible for no component (one inclusion row, on the group's first component) is valued
at the smallest component amount, again a floor.
"""

from dataclasses import dataclass

from django.db.models import Count

from slrt.registry.models import Household
from slrt.wilayah.models import NATION_CODE, Level, level_of

from ..models import Benefit, Program, TargetingError, TargetingRun, TargetingStatus
from .benefits import current_benefits
from .targeting import _runs_for


@dataclass(frozen=True)
class ErrorCount:
    run: TargetingRun
    program: Program
    desa_code: str
    kind: str
    n: int
    per_year: int | None  # rupiah per household per year used (None: the programme has no amount)
    floor_of_group: bool  # valued at the smallest component of its group (PKH inclusion)

    @property
    def amount(self) -> int | None:
        return None if self.per_year is None else self.n * self.per_year


def latest_runs(user, region_code: str) -> list[TargetingRun]:
    """The latest finished run of each kab/kota inside `region_code` (or of the kab/kota holding
    it), among the runs the user may open; oldest kab code first."""
    runs = _runs_for(user).filter(status=TargetingStatus.DONE)
    if region_code != NATION_CODE:
        level = level_of(region_code)
        runs = (runs.filter(region_id=region_code[:5]) if level >= Level.KABUPATEN
                else runs.filter(region__code__startswith=region_code + "."))
    latest: dict[str, TargetingRun] = {}
    for run in runs.order_by("region_id", "-started_at", "-pk"):
        latest.setdefault(run.region_id, run)
    return list(latest.values())


def scoped_errors(user, runs, region_code: str):
    """The error rows of `runs` inside `region_code` whose households are in the user's scope."""
    qs = TargetingError.objects.filter(run__in=[r.pk for r in runs],
                                       household__in=Household.objects.for_user(user).values("pk"))
    if region_code != NATION_CODE and level_of(region_code) > Level.KABUPATEN:
        qs = qs.filter(desa_code__startswith=region_code)
    return qs


def error_counts(user, region_code: str) -> tuple[list[TargetingRun], list[ErrorCount], dict[int, Benefit]]:
    """(runs, one ErrorCount per run, programme, desa and kind with errors, current benefits)."""
    runs = latest_runs(user, region_code)
    if not runs:
        return [], [], {}
    grouped = list(
        scoped_errors(user, runs, region_code).order_by()
        .values("run_id", "program_id", "desa_code", "kind").annotate(n=Count("id"))
    )
    programs = {p.pk: p for p in Program.objects.all()}
    benefits = current_benefits(programs)
    floors = group_floors(programs.values(), benefits)
    by_run = {r.pk: r for r in runs}
    out = []
    for g in grouped:
        program = programs[g["program_id"]]
        benefit = benefits.get(program.pk)
        floor = g["kind"] == TargetingError.Kind.INCLUSION and program.registry_code.upper() in floors
        per_year = floors[program.registry_code.upper()] if floor else (benefit.per_year if benefit else None)
        out.append(ErrorCount(by_run[g["run_id"]], program, g["desa_code"], g["kind"], g["n"], per_year, floor))
    out.sort(key=lambda c: (c.program.code, c.desa_code, c.kind))
    return runs, out, benefits


def group_floors(programs, benefits) -> dict[str, int | None]:
    """Registry codes shared by several programmes (PKH) -> the smallest yearly amount among them."""
    groups: dict[str, list] = {}
    for p in programs:
        if p.registry_code and p.active:
            groups.setdefault(p.registry_code.upper(), []).append(p)
    out = {}
    for code, members in groups.items():
        if len(members) > 1:
            amounts = [benefits[p.pk].per_year for p in members if p.pk in benefits]
            out[code] = min(amounts) if amounts else None
    return out
