"""Reads of targeting runs: only runs of a kab/kota inside the caller's scope (404 otherwise)."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404
from django.utils.translation import gettext as _

from slrt.accounts.roles import can
from slrt.accounts.scoping import in_scope
from slrt.registry.models import Household
from slrt.registry.nik import mask_nik
from slrt.wilayah.models import NATION_CODE

from ..forms import ErrorFilterForm
from ..models import Program, TargetingError, TargetingRun, TargetingStatus


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


@dataclass(frozen=True)
class ErrorFilters:
    """What the error list of a run shows: the run and its filters (None: any)."""

    run: TargetingRun
    program: str | None = None
    kind: str | None = None
    desa: str | None = None

    def as_kwargs(self) -> dict:
        return {"program": self.program, "kind": self.kind, "desa": self.desa}


def targeting_error_filters_from(params, user, run: TargetingRun | None = None) -> ErrorFilters:
    """The error list's filters from its query (`program`, `kind`, `desa`: a kecamatan or desa by
    name or code), for `run` or the finished run named by `run` in the query (404 outside the
    scope). Bad input is a ValidationError naming the field, in the form's words."""
    if run is None:
        raw = str(params.get("run") or "").strip()
        if not raw.isdigit():
            raise ValidationError({"run": _("Sebutkan nomor penargetan (run), mis. run=12.")})
        run = get_run(user, int(raw))
        if run.status != TargetingStatus.DONE:
            raise ValidationError({"run": _("Penargetan ini belum selesai; galatnya belum ada.")})
    form = ErrorFilterForm({k: params.get(k) or "" for k in ("program", "kind", "desa")}, user=user)
    if not form.is_valid():
        raise ValidationError({field: list(errors) for field, errors in form.errors.items()})
    c = form.cleaned_data
    return ErrorFilters(run=run, program=c.get("program") or None, kind=c.get("kind") or None,
                        desa=c.get("desa") or None)


def errors_for(user, f: ErrorFilters):
    """The error rows of a run that the run page lists, as a QuerySet (the export streams it): the
    households are read through `Household.objects.for_user`, so one that left the scope drops."""
    qs = TargetingError.objects.filter(run=f.run, household__in=Household.objects.for_user(user).values("pk"))
    if f.program:
        qs = qs.filter(program__code=f.program)
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.desa:
        qs = qs.filter(desa_code__startswith=f.desa)
    return qs.order_by("program__code", "kind", "desa_code", "household_id")


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
