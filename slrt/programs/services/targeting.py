"""The batch targeting run: every household of a kab/kota against every active programme.

Set-based: ONE pass over the district computes, per household, an eligible flag and a receiving
flag for every programme (compiled from the current rules by `rules.compile_expr`) into a
temporary table; the summary counts and the error rows (`TargetingError`) are then read from
that table with one statement each. Works on PostgreSQL and SQLite alike.
"""

import datetime as dt
import importlib
import logging
import time

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from slrt.accounts.roles import can
from slrt.accounts.scoping import in_scope
from slrt.audit.services import record
from slrt.wilayah.models import Level, Region

from .. import rules
from ..models import TargetingError, TargetingRun, TargetingStatus
from ..selectors.catalogue import current_rule, list_programs

logger = logging.getLogger(__name__)

FLAGS_TABLE = "slrt_targeting_flags"
# PostgreSQL settings for the one big pass, for this transaction only. The member and receipt
# aggregates are hashed per household: with the default 4MB they spill to disk, and a parallel
# plan rebuilds both aggregates in every worker (no shared hash for a grouped subquery), which
# is slower than one process doing it once.
PG_SETTINGS = {"work_mem": "64MB", "max_parallel_workers_per_gather": "0"}


def check_region(user, region_code: str) -> Region:
    """The kab/kota a run may cover for this user (ValidationError / PermissionDenied otherwise)."""
    if not can(user, "run_targeting"):
        raise PermissionDenied(_("Peran Anda tidak boleh menjalankan penargetan."))
    region = Region.objects.filter(code=region_code).first()
    if region is None or region.level != Level.KABUPATEN:
        raise ValidationError({"region": _("Pilih kabupaten/kota (kode seperti 32.04).")})
    if not in_scope(user, region.code):
        # Outside the user's scope looks like a region that does not exist.
        raise ValidationError({"region": _("Pilih kabupaten/kota (kode seperti 32.04).")})
    return region


def flags_sql(programs_rules, ref: dt.date, kab_code: str) -> tuple[str, list, list]:
    """SELECT of one row per household of the kab: id, desa_code, e<i>, r<i> per programme."""
    ctx = rules.SqlContext(ref)
    cols, col_params = [], []
    for i, (program, rule) in enumerate(programs_rules):
        expr, params = rules.compile_expr(rule.criteria, ctx)
        cols.append(f"CASE WHEN {expr} THEN 1 ELSE 0 END AS e{i}")
        col_params.extend(params)
        if program.registry_code:
            cols.append(
                f"CASE WHEN {rules._flag(ctx.program_flag(program.registry_code.upper()))} THEN 1 ELSE 0 END AS r{i}"
            )
        else:
            cols.append(f"0 AS r{i}")
    joins, join_params = ctx.joins(kab_param=True)
    join_params = [kab_code if p is None else p for p in join_params]
    sql = (
        f"SELECT h.id AS household_id, h.desa_code AS desa_code, {', '.join(cols)} "
        f"FROM registry_household h{joins} WHERE h.kab_code = %s"
    )
    return sql, col_params + join_params + [kab_code], [program for program, _rule in programs_rules]


def shared_codes(programs) -> dict[str, list[int]]:
    """Registry codes shared by several programmes (PKH components): code -> their indexes."""
    by_code: dict[str, list[int]] = {}
    for i, program in enumerate(programs):
        if program.registry_code:
            by_code.setdefault(program.registry_code.upper(), []).append(i)
    return {code: idx for code, idx in by_code.items() if len(idx) > 1}


def error_conditions(programs) -> list[tuple[str, str | None]]:
    """Per programme: (exclusion condition, inclusion condition or None) over the flags table.

    Exclusion: eligible, not receiving. Inclusion: receiving, not eligible; for components that
    share a registry code, receiving the code while eligible for none of them, on the first one.
    """
    groups = shared_codes(programs)
    out = []
    for i, program in enumerate(programs):
        code = program.registry_code.upper()
        excl = f"e{i} = 1 AND r{i} = 0"
        if code in groups:
            members = groups[code]
            incl = (f"r{i} = 1 AND " + " AND ".join(f"e{j} = 0" for j in members)) if members[0] == i else None
        else:
            incl = f"e{i} = 0 AND r{i} = 1"
        out.append((excl, incl))
    return out


def _active_rules():
    pairs = []
    for program in list_programs():
        rule = current_rule(program)
        if rule is not None:
            pairs.append((program, rule))
    return pairs


def run_targeting(user, region_code: str, *, ref: dt.date | None = None) -> TargetingRun:
    """Evaluate every household of a kab/kota here and now; `user` None means the system
    (management command). The web and the API queue the run instead (`start_targeting`)."""
    region = check_region(user, region_code) if user is not None else Region.objects.get(code=region_code)
    with transaction.atomic():
        run = TargetingRun.objects.create(region=region, started_by=user, status=TargetingStatus.RUNNING,
                                          attempts=1)
        _evaluate(run, user, ref)
    return run


def start_targeting(user, region_code: str) -> TargetingRun:
    """A queued run of a kab/kota for `user`; a worker evaluates it (tasks.run_targeting_job),
    sent once the caller's transaction commits. Its page and the API show its status."""
    region = check_region(user, region_code)
    run = TargetingRun.objects.create(region=region, started_by=user, status=TargetingStatus.QUEUED)
    # Imported by name: the tasks module imports this one (no import cycle between them).
    task = importlib.import_module("slrt.programs.tasks").run_targeting_job
    transaction.on_commit(lambda: task.delay(run.pk))
    return run


def run_queued(run_id: int) -> TargetingRun | None:
    """The task's work, idempotent: a run done or failed is left alone; a run left "running" by a
    killed worker is evaluated again (its transaction rolled back: no figures, no error rows).
    The run's row is locked for the evaluation, so a second delivery waits and then finds it done."""
    run = TargetingRun.objects.filter(pk=run_id).first()
    if run is None or run.status in (TargetingStatus.DONE, TargetingStatus.FAILED):
        return run
    TargetingRun.objects.filter(pk=run_id, status__in=[TargetingStatus.QUEUED, TargetingStatus.RUNNING]).update(
        status=TargetingStatus.RUNNING, attempts=F("attempts") + 1)  # committed: the page shows "berjalan"
    try:
        with transaction.atomic():
            run = TargetingRun.objects.select_for_update(of=("self",)).select_related("started_by").get(pk=run_id)
            if run.status != TargetingStatus.RUNNING:
                return run  # another delivery finished it while this one waited for the lock
            TargetingError.objects.filter(run=run).delete()
            _evaluate(run, run.started_by, None)
    except Exception as exc:  # noqa: BLE001 - recorded on the run; a database error's text may quote data
        logger.error("targeting run %s failed: %s", run_id, type(exc).__name__)
        TargetingRun.objects.filter(pk=run_id).update(
            status=TargetingStatus.FAILED, finished_at=timezone.now(),
            message=_("Penargetan gagal karena kesalahan sistem; tidak ada hasil yang disimpan. Jalankan lagi, atau "
                      "hubungi admin (penargetan #%(id)s).") % {"id": run_id})
    return TargetingRun.objects.filter(pk=run_id).first()


def _evaluate(run: TargetingRun, user, ref: dt.date | None) -> None:
    """The set-based pass of `run`, inside the caller's transaction; the run ends "done"."""
    region = run.region
    ref = ref or timezone.localdate()
    pairs = _active_rules()
    sql, params, programs = flags_sql(pairs, ref, region.code)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            for name, value in PG_SETTINGS.items():
                cur.execute("SELECT set_config(%s, %s, true)", [name, value])
        cur.execute(f"DROP TABLE IF EXISTS {FLAGS_TABLE}")
        clock = time.perf_counter()
        cur.execute(f"CREATE TEMPORARY TABLE {FLAGS_TABLE} AS {sql}", params)
        timings = {"evaluate": time.perf_counter() - clock}
        conditions = error_conditions(programs)
        sums = []
        for i, (excl, incl) in enumerate(conditions):
            sums += [
                f"SUM(e{i})",
                f"SUM(r{i})",
                f"SUM(CASE WHEN {excl} THEN 1 ELSE 0 END)",
                f"SUM(CASE WHEN {incl} THEN 1 ELSE 0 END)" if incl else "0",
            ]
        clock = time.perf_counter()
        cur.execute(f"SELECT COUNT(*){''.join(', ' + s for s in sums)} FROM {FLAGS_TABLE}")
        row = cur.fetchone()
        households = row[0] or 0
        summary = {}
        groups = shared_codes(programs)
        for i, (program, rule) in enumerate(pairs):
            e, r, excl, incl = (int(v or 0) for v in row[1 + 4 * i : 5 + 4 * i])
            code = program.registry_code.upper()
            summary[program.code] = {
                "rule_version": rule.version,
                "eligible": e,
                "receiving": r,
                "exclusion": excl if code else 0,
                # Components of one registry programme (PKH): receipt without eligibility for any
                # component is counted once, on the first component (`group_lead`).
                "inclusion": incl if conditions[i][1] else (None if code in groups else 0),
                "registry_code": program.registry_code,
                "group": code if code in groups else "",
                "group_lead": bool(code in groups and groups[code][0] == i),
            }
        timings["count"] = time.perf_counter() - clock
        clock = time.perf_counter()
        selects, ins_params = [], []
        for i, (excl, incl) in enumerate(conditions):
            if not programs[i].registry_code:
                continue  # the registry does not record receipt: no targeting error is knowable
            selects.append(f"SELECT %s, %s, household_id, %s, desa_code FROM {FLAGS_TABLE} WHERE {excl}")
            ins_params += [run.pk, programs[i].pk, TargetingError.Kind.EXCLUSION]
            if incl:
                selects.append(f"SELECT %s, %s, household_id, %s, desa_code FROM {FLAGS_TABLE} WHERE {incl}")
                ins_params += [run.pk, programs[i].pk, TargetingError.Kind.INCLUSION]
        if selects:
            table = TargetingError._meta.db_table
            cur.execute(
                f"INSERT INTO {table} (run_id, program_id, household_id, kind, desa_code) "
                + " UNION ALL ".join(selects),
                ins_params,
            )
        timings["store_errors"] = time.perf_counter() - clock
        cur.execute(f"DROP TABLE IF EXISTS {FLAGS_TABLE}")
    run.households = households
    # Seconds per step, for the benchmark and for whoever wonders why a run took long.
    run.summary = {
        "ref_date": ref.isoformat(),
        "programs": summary,
        "timings": {k: round(v, 3) for k, v in timings.items()},
    }
    run.finished_at = timezone.now()
    run.status = TargetingStatus.DONE
    run.message = ""
    run.save(update_fields=["households", "summary", "finished_at", "status", "message"])
    record(
        user,
        "targeting.run",
        run,
        region_code=region.code,
        detail={"households": households, "programs": len(pairs)},
    )
