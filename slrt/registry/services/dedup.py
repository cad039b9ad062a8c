"""Duplicate people: scan for candidate pairs, merge a pair, undo a merge, dismiss a pair.

The scan is *blocked*: instead of comparing every pair of people (31 billion pairs in a
kabupaten of 250,000), the database groups people by cheap keys that two records of one human
are likely to share, and only rows that share a key with someone else come back to Python,
ordered by key, one block at a time. Memory holds one block plus the pairs that qualify.

Blocking keys (each is one `GROUP BY`-like window query, computed by the database):

* the NIK with one digit masked, for each of the 16 positions (one mistyped digit);
* the NIK with one pair of adjacent digits unordered, for each of the 15 pairs (two digits swapped);
* the NIK with its DDMM part unordered (day and month swapped in the NIK);
* (desa, birth date);
* the household (KK);
* (normalised name, birth year) and (mother's name, birth year);
* (first name token, birth year, {day, month}): same or day/month-swapped birth date anywhere
  in the region.

The pairs in each block are judged by `slrt.registry.dedup.assess`. Blocks that are too big
to be evidence (a placeholder birth date shared by hundreds) are split by first name word, or
skipped and counted. Measured on a kabupaten of 253,000 people on a shared 2-core machine:
3-5 minutes on PostgreSQL or SQLite, about 100 MB peak memory.

Merging keeps everything needed to undo: snapshots of both records before and after, which
values won and lost, and which programme participations moved. Undo refuses when either
record changed after the merge rather than silently overwrite that change.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Iterator
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from itertools import groupby

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, models, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from slrt.accounts.roles import can
from slrt.accounts.scoping import COLUMN_FOR_LEVEL, in_scope, region_q
from slrt.audit.services import record
from slrt.wilayah.models import NATION_CODE, Region, level_of, normalize_code

from .. import dedup
from ..dedup import MERGE_FIELDS, MERGED, SURVIVOR, merge_field_value
from ..models import (
    CandidateStatus,
    ChangeKind,
    DuplicateCandidate,
    Household,
    Merge,
    Person,
    ProgramParticipation,
    RegistryChange,
)
from ..search import name_key

logger = logging.getLogger(__name__)

# A block larger than this is split by first name token; what is still larger is skipped
# (counted in the result): a placeholder birth date such as 1 January shared by hundreds in a
# desa is not evidence, and comparing all its pairs would cost quadratic time.
MAX_BLOCK = 300
CHUNK = 2000
# Sort memory for the blocking queries on PostgreSQL (per sort, for this transaction only).
SORT_MEMORY = "64MB"

# --- the scan ------------------------------------------------------------------------------


@dataclass
class ScanResult:
    region_code: str
    people: int = 0
    blocks: int = 0
    pairs_compared: int = 0
    oversized_blocks: int = 0
    found: int = 0  # open candidates the scan confirms (new + updated + unchanged)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped_decided: int = 0  # pairs found again that a reviewer already merged or dismissed
    removed: int = 0  # open candidates that no longer qualify (data changed, person merged)


@dataclass(frozen=True)
class _Family:
    name: str
    keys: tuple[str, ...]  # SQL expressions over `p`; the block is their combination
    where: str = ""  # extra SQL condition on `p`


class _Sql:
    """The few SQL spellings that differ between PostgreSQL and SQLite (the two supported engines)."""

    def __init__(self, vendor: str):
        self.pg = pg = vendor == "postgresql"
        self.least, self.greatest = ("LEAST", "GREATEST") if pg else ("MIN", "MAX")
        if pg:
            self.year = "CAST(EXTRACT(YEAR FROM p.tanggal_lahir) AS integer)"
            self.month = "CAST(EXTRACT(MONTH FROM p.tanggal_lahir) AS integer)"
            self.day = "CAST(EXTRACT(DAY FROM p.tanggal_lahir) AS integer)"
            self.first_word = "split_part(p.name_key, ' ', 1)"
            self.nik_ok = "p.nik ~ '^[0-9]{16}$'"
        else:
            # SQLite keeps dates as ISO text.
            self.year = "CAST(substr(p.tanggal_lahir, 1, 4) AS integer)"
            self.month = "CAST(substr(p.tanggal_lahir, 6, 2) AS integer)"
            self.day = "CAST(substr(p.tanggal_lahir, 9, 2) AS integer)"
            self.first_word = "substr(p.name_key, 1, instr(p.name_key || ' ', ' ') - 1)"
            self.nik_ok = "(length(p.nik) = 16 AND p.nik NOT GLOB '*[^0-9]*')"

    def text(self, expr: str) -> str:
        # Byte order is enough for grouping, and much cheaper than a linguistic collation.
        return f'({expr}) COLLATE "C"' if self.pg else expr

    def nik_int(self, start: int) -> str:
        # Guarded: CAST of a non-digit would fail on PostgreSQL (NIKs are validated, but be safe).
        return f"(CASE WHEN {self.nik_ok} THEN CAST(substr(p.nik, {start}, 2) AS integer) END)"


def _families(sql: _Sql) -> list[_Family]:
    t = sql.text
    families: list[_Family] = []
    for p in range(1, 17):  # mask digit p (SQL positions are 1-based)
        keys = []
        if p > 1:
            keys.append(t(f"substr(p.nik, 1, {p - 1})"))
        if p < 16:
            keys.append(t(f"substr(p.nik, {p + 1})"))
        families.append(_Family(f"nik_mask_{p}", tuple(keys)))
    for p in range(1, 16):  # digits p and p+1 in either order
        d1, d2 = f"substr(p.nik, {p}, 1)", f"substr(p.nik, {p + 1}, 1)"
        keys = []
        if p > 1:
            keys.append(t(f"substr(p.nik, 1, {p - 1})"))
        if p < 15:
            keys.append(t(f"substr(p.nik, {p + 2})"))
        keys += [t(f"{sql.least}({d1}, {d2})"), t(f"{sql.greatest}({d1}, {d2})")]
        families.append(_Family(f"nik_swap_{p}", tuple(keys), where=f"{d1} <> {d2}"))
    # NIK day (40 added for women) and month, unordered; only dates still valid when swapped.
    nd, nm = sql.nik_int(7), sql.nik_int(9)
    day = f"(CASE WHEN {nd} > 40 THEN {nd} - 40 ELSE {nd} END)"
    families.append(_Family(
        "nik_date",
        (
            t("substr(p.nik, 1, 6)"), t("substr(p.nik, 11)"), f"(CASE WHEN {nd} > 40 THEN 1 ELSE 0 END)",
            f"{sql.least}({day}, {nm})", f"{sql.greatest}({day}, {nm})",
        ),
        where=f"{sql.nik_ok} AND {nm} <= 12 AND {day} <= 12 AND {day} <> {nm}",
    ))
    families.append(_Family("desa_birth", (t("p.desa_code"), "p.tanggal_lahir"), where="p.tanggal_lahir IS NOT NULL"))
    families.append(_Family("household", ("p.household_id",)))
    families.append(_Family("name_year", (t("p.name_key"), sql.year), where="p.name_key <> ''"))
    families.append(_Family(
        "mother_year", (t("lower(trim(p.nama_ibu_kandung))"), sql.year), where="p.nama_ibu_kandung <> ''"
    ))
    families.append(_Family(
        "name_birth",
        (
            t(sql.first_word), sql.year,
            f"{sql.least}({sql.day}, {sql.month})", f"{sql.greatest}({sql.day}, {sql.month})",
        ),
        where="p.tanggal_lahir IS NOT NULL AND p.name_key <> ''",
    ))
    return families


def _region_sql(code: str) -> tuple[str, list]:
    if code == NATION_CODE:
        return "", []
    return f" AND p.{COLUMN_FOR_LEVEL[level_of(code)]} = %s", [code]


def _blocks(family: _Family, region_code: str) -> Iterator[list[dedup.PersonFacts]]:
    """Blocks of two or more active people sharing the family's key, streamed in key order.

    Raw SQL on purpose: a window count per key keeps only rows that collide, computed by the
    database, and a server-side cursor (`chunked_cursor`) streams them. This is system code
    (like the importer): it reads the table directly, outside the per-user scope.
    """
    keys = [f"{expr} AS k{i}" for i, expr in enumerate(family.keys)]
    key_aliases = [f"k{i}" for i in range(len(family.keys))]
    columns = ", ".join(f"p.{c}" for c in dedup.PersonFacts.COLUMNS)
    region, params = _region_sql(region_code)
    where = f" AND ({family.where})" if family.where else ""
    query = (
        f"SELECT * FROM (SELECT {', '.join(keys)}, {columns}, "
        f"COUNT(*) OVER (PARTITION BY {', '.join(family.keys)}) AS block_size "
        f"FROM {Person._meta.db_table} p WHERE p.is_active = %s{region}{where}) t "
        f"WHERE t.block_size > 1 ORDER BY {', '.join(key_aliases)}, t.id"
    )
    width = len(family.keys)
    with connection.chunked_cursor() as cursor:
        cursor.execute(query, [True, *params])
        rows = _fetch(cursor)
        for _key, group in groupby(rows, key=lambda r: r[:width]):
            yield [_facts(r[width:-1]) for r in group]


def _fetch(cursor) -> Iterator[tuple]:
    while True:
        chunk = cursor.fetchmany(CHUNK)
        if not chunk:
            return
        yield from chunk


def _facts(row) -> dedup.PersonFacts:
    born = row[4]
    if isinstance(born, str):  # SQLite returns dates as text to a raw cursor
        row = (*row[:4], dt.date.fromisoformat(born), *row[5:])
    return dedup.PersonFacts.from_row(row)


def _split_oversized(block: list[dedup.PersonFacts], result: ScanResult) -> Iterator[list[dedup.PersonFacts]]:
    if len(block) <= MAX_BLOCK:
        yield block
        return
    by_first = sorted(block, key=lambda f: f.name_key.partition(" ")[0])
    for _first, sub in groupby(by_first, key=lambda f: f.name_key.partition(" ")[0]):
        sub = list(sub)
        if len(sub) > MAX_BLOCK:
            result.oversized_blocks += 1
            logger.warning("dedup: skipped a block of %d people", len(sub))
        elif len(sub) > 1:
            yield sub


def _pairs_in(block: list[dedup.PersonFacts], found: dict, result: ScanResult) -> None:
    result.blocks += 1
    n = len(block)
    for i in range(n - 1):
        a = block[i]
        for j in range(i + 1, n):
            b = block[j]
            result.pairs_compared += 1
            if dedup.quick_reject(a, b):
                continue
            verdict = dedup.assess(a, b)
            if verdict.is_candidate:
                first = a if a.id < b.id else b
                second = b if first is a else a
                found[(first.id, second.id)] = (verdict.score, verdict.codes, first.kab_code)


def _resolve_region(region_code: str | None, actor) -> str:
    if actor is not None:
        if not can(actor, "review_duplicates"):
            raise PermissionDenied(_("Anda tidak berwenang meninjau data ganda."))
        region_code = region_code or actor.region_id
    if not region_code:
        return NATION_CODE
    code = normalize_code(region_code)
    if code != NATION_CODE and not Region.objects.filter(code=code).exists():
        raise ValidationError(
            {"region": _("Kode wilayah '%(code)s' tidak ada di data Kemendagri.") % {"code": region_code}}
        )
    if actor is not None and not in_scope(actor, code):
        raise PermissionDenied(_("Wilayah %(code)s di luar wilayah tugas Anda.") % {"code": code})
    return code


def scan_for_duplicates(*, region_code: str | None = None, actor=None) -> ScanResult:
    """Scan active people of a region (all if None) and store candidate pairs; see module docstring.

    Idempotent: a second scan over unchanged data creates and changes nothing. Pairs a reviewer
    already merged or dismissed are left alone; open pairs get their score refreshed, and open
    pairs of this region that no longer qualify are removed.
    """
    code = _resolve_region(region_code, actor)
    result = ScanResult(region_code=code)
    result.people = Person.objects.system().filter(region_q(code), is_active=True).count()

    found: dict[tuple[int, int], tuple[float, list[str], str]] = {}
    if result.people > 1:
        sql = _Sql(connection.vendor)
        # On PostgreSQL the reads share one transaction so the sorts can be given memory
        # (SET LOCAL). Not on SQLite: a transaction there takes the write lock and would block
        # an import for the whole scan.
        with transaction.atomic() if sql.pg else nullcontext():
            if sql.pg:
                with connection.cursor() as cursor:
                    cursor.execute(f"SET LOCAL work_mem = '{SORT_MEMORY}'")
            for family in _families(sql):
                for block in _blocks(family, code):
                    for sub in _split_oversized(block, result):
                        _pairs_in(sub, found, result)

    with transaction.atomic():
        _store(code, found, result)
        record(actor, "registry.dedup_scan", region_code=code if code != NATION_CODE else "", detail=asdict(result))
    logger.info(
        "dedup scan %s: %d people, %d pairs compared, %d candidates (%d new)",
        code, result.people, result.pairs_compared, result.found, result.created,
    )
    return result


def _store(code: str, found: dict, result: ScanResult) -> None:
    # Candidates with both people inside the region are exactly those this scan could find.
    existing = DuplicateCandidate.objects.filter(region_q(code, "person_a__") & region_q(code, "person_b__"))
    to_update: list[DuplicateCandidate] = []
    stale: list[int] = []
    seen: set[tuple[int, int]] = set()
    for cand in existing.only("id", "person_a_id", "person_b_id", "status", "score", "reasons", "kab_code").iterator(
        chunk_size=CHUNK
    ):
        pair = (cand.person_a_id, cand.person_b_id)
        hit = found.get(pair)
        if hit is None:
            # A pair a reviewer picked by hand stays in the queue whatever the scan thinks.
            if cand.status == CandidateStatus.OPEN and "manual" not in cand.reasons:
                stale.append(cand.pk)
            continue
        seen.add(pair)
        if cand.status != CandidateStatus.OPEN:
            result.skipped_decided += 1
            continue
        score, reasons, kab = hit
        if (cand.score, cand.reasons, cand.kab_code) != (score, reasons, kab):
            cand.score, cand.reasons, cand.kab_code = score, reasons, kab
            to_update.append(cand)
        else:
            result.unchanged += 1
    new = [
        DuplicateCandidate(person_a_id=a, person_b_id=b, score=score, reasons=reasons, kab_code=kab)
        for (a, b), (score, reasons, kab) in found.items()
        if (a, b) not in seen
    ]
    DuplicateCandidate.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
    DuplicateCandidate.objects.bulk_update(to_update, ["score", "reasons", "kab_code"], batch_size=1000)
    for i in range(0, len(stale), 1000):
        result.removed += DuplicateCandidate.objects.filter(
            pk__in=stale[i : i + 1000], status=CandidateStatus.OPEN
        ).delete()[0]
    result.created, result.updated = len(new), len(to_update)
    result.found = result.created + result.updated + result.unchanged


def find_candidates(*, region_code: str | None = None, actor=None) -> int:
    """Scan for duplicates (see `scan_for_duplicates`); returns how many open candidates the scan found."""
    return scan_for_duplicates(region_code=region_code, actor=actor).found


# --- snapshots -----------------------------------------------------------------------------

_SNAPSHOT_FIELDS = [f for f in Person._meta.concrete_fields if not f.primary_key]
# Changes only in these do not block an undo: restoring the snapshot rewrites them anyway.
_VOLATILE = {"updated_at"}


def _jsonable(value):
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def snapshot(person: Person) -> dict:
    """Every stored column of a person, JSON-ready (attname -> value)."""
    return {f.attname: _jsonable(getattr(person, f.attname)) for f in _SNAPSHOT_FIELDS}


def _apply_snapshot(person: Person, snap: dict) -> None:
    for f in _SNAPSHOT_FIELDS:
        if f.attname in snap and f.attname not in _VOLATILE:
            value = snap[f.attname]
            if value is not None and isinstance(f, models.DateField | models.DateTimeField):
                value = f.to_python(value)
            setattr(person, f.attname, value)


def _changed_fields(current: dict, expected: dict) -> list[str]:
    return [k for k in expected if k not in _VOLATILE and current.get(k) != expected[k]]


def _field_label(attname: str) -> str:
    for f in _SNAPSHOT_FIELDS:
        if f.attname == attname:
            return str(f.verbose_name)
    return attname


# --- merge ---------------------------------------------------------------------------------

# The reviewer's choices (MERGE_FIELDS, SURVIVOR, MERGED) are in `registry.dedup`, shared with
# the review screen's selectors.


def _pk(obj) -> int:
    return obj.pk if hasattr(obj, "pk") else int(obj)


def _require_reviewer(actor) -> None:
    if not can(actor, "review_duplicates"):
        raise PermissionDenied(_("Anda tidak berwenang meninjau atau menggabungkan data ganda."))


def _validate_choices(choices: dict | None) -> dict[str, str]:
    choices = dict(choices or {})
    errors = []
    for field, side in choices.items():
        if field not in MERGE_FIELDS:
            errors.append(_("Kolom '%(field)s' tidak dapat dipilih saat penggabungan.") % {"field": field})
        elif side not in (SURVIVOR, MERGED):
            errors.append(
                _("Pilihan untuk kolom '%(field)s' harus 'survivor' atau 'merged', bukan '%(value)s'.")
                % {"field": field, "value": side}
            )
    if errors:
        raise ValidationError({"choices": errors})
    return choices


def _lock_people(actor, ids: Iterable[int]) -> dict[int, Person]:
    """Both people, locked, fetched through the actor's scope: outside it they do not exist."""
    ids = sorted(set(ids))
    people = {p.pk: p for p in Person.objects.for_user(actor).select_for_update().filter(pk__in=ids).order_by("pk")}
    if len(people) != len(ids):
        raise Http404(_("Data tidak ditemukan."))
    return people


def _candidate_for(candidate_or_pair, survivor_id: int, merged_id: int) -> DuplicateCandidate:
    """The candidate row the merge decides: given, or found/created for a pair picked by hand."""
    pair = (min(survivor_id, merged_id), max(survivor_id, merged_id))
    if isinstance(candidate_or_pair, DuplicateCandidate | int):
        cand = DuplicateCandidate.objects.select_for_update().filter(pk=_pk(candidate_or_pair)).first()
        if cand is None:
            raise Http404(_("Data tidak ditemukan."))
        if (cand.person_a_id, cand.person_b_id) != pair:
            raise ValidationError(_("Pasangan yang digabung tidak sesuai dengan kandidat duplikat yang dipilih."))
        return cand
    if candidate_or_pair is not None and tuple(sorted(_pk(x) for x in candidate_or_pair)) != pair:
        raise ValidationError(_("Pasangan yang digabung tidak sesuai dengan pasangan yang dipilih."))
    cand = DuplicateCandidate.objects.select_for_update().filter(person_a_id=pair[0], person_b_id=pair[1]).first()
    return cand


def _swap_niks(first: Person, second: Person, new_first: str, new_second: str) -> None:
    """Give two rows each other's NIK without tripping the unique constraint midway."""
    system = Person.objects.system()
    # A placeholder that is never a NIK (not digits), unique per row.
    system.filter(pk=first.pk).update(nik=f"~{first.pk}"[:16])
    system.filter(pk=second.pk).update(nik=new_second)
    system.filter(pk=first.pk).update(nik=new_first)
    first.nik, second.nik = new_first, new_second


def _programs(person_id: int) -> list[str]:
    return sorted(ProgramParticipation.objects.filter(person_id=person_id).values_list("program_code", flat=True))


def _diff(before: dict, after: dict) -> dict:
    return {k: [before[k], after[k]] for k in after if k not in _VOLATILE and before.get(k) != after[k]}


@transaction.atomic
def merge_people(
    *, candidate_or_pair, survivor, merged, choices: dict[str, str] | None = None, actor
) -> Merge:
    """Merge `merged` into `survivor` in one transaction.

    The survivor takes, field by field, the value `choices` names; every differing field is
    recorded in `Merge.decisions` ({"won", "lost", "from"}), both records are snapshotted
    before and after, the merged record becomes inactive with `merged_into=survivor` and keeps
    its own values (if its NIK wins, the two exchange NIKs), its programme participations the
    survivor lacks move over, both get a `merged` history row, the candidate is marked merged
    and the merge is audited (`person.merge`, ids and field names only).

    `candidate_or_pair`: a `DuplicateCandidate` (or its pk), or for a pair picked by hand a
    tuple of the two people (or None); `survivor`/`merged`: `Person` or pk. `choices` maps a
    field of `MERGE_FIELDS` to 'survivor' or 'merged' (default 'survivor') for fields whose
    values differ. Both people must be in the actor's scope (else Http404) and active.
    """
    _require_reviewer(actor)
    choices = _validate_choices(choices)
    survivor_id, merged_id = _pk(survivor), _pk(merged)
    if survivor_id == merged_id:
        raise ValidationError(_("Data tidak dapat digabung dengan dirinya sendiri."))
    people = _lock_people(actor, (survivor_id, merged_id))
    keep, gone = people[survivor_id], people[merged_id]
    for person in (keep, gone):
        if not person.is_active or person.merged_into_id:
            raise ValidationError(_("Salah satu data sudah tidak aktif (sudah digabung sebelumnya)."))
    cand = _candidate_for(candidate_or_pair, survivor_id, merged_id)
    if cand is not None and cand.status != CandidateStatus.OPEN:
        raise ValidationError(
            _("Kandidat duplikat ini sudah diputuskan (%(status)s).") % {"status": cand.get_status_display()}
        )

    keep_before, gone_before = snapshot(keep), snapshot(gone)
    keep_programs_before, gone_programs_before = _programs(keep.pk), _programs(gone.pk)
    decisions: dict[str, dict] = {}
    from_merged: list[str] = []
    for field in MERGE_FIELDS:
        kv, gv = merge_field_value(keep, field), merge_field_value(gone, field)
        if kv == gv:
            continue
        side = choices.get(field, SURVIVOR)
        won, lost = (gv, kv) if side == MERGED else (kv, gv)
        decisions[field] = {"won": _jsonable(won), "lost": _jsonable(lost), "from": side}
        if side == MERGED:
            from_merged.append(field)

    for field in from_merged:
        if field == "nik":
            continue  # exchanged below: the merged record keeps the losing NIK
        if field == "household":
            keep.household = gone.household
            keep.set_region(gone.household.desa_code)
        else:
            setattr(keep, field, getattr(gone, field))
    if "nama" in from_merged:
        keep.name_key = name_key(keep.nama)
    if "nik" in from_merged:
        keep.nik_warnings, gone.nik_warnings = gone.nik_warnings, keep.nik_warnings
        _swap_niks(gone, keep, new_first=keep.nik, new_second=gone.nik)
    keep.save()
    gone.is_active, gone.merged_into = False, keep
    gone.save()

    have = set(keep_programs_before)
    moved = list(
        ProgramParticipation.objects.filter(person=gone).exclude(program_code__in=have).values_list("pk", flat=True)
    )
    ProgramParticipation.objects.filter(pk__in=moved).update(person=keep)

    keep.refresh_from_db()
    gone.refresh_from_db()
    keep_after, gone_after = snapshot(keep), snapshot(gone)
    merge = Merge.objects.create(
        candidate=cand, survivor=keep, merged=gone, decisions=decisions,
        survivor_before=keep_before, merged_before=gone_before,
        survivor_after=keep_after, merged_after=gone_after,
        moved_participations=moved, merged_by=actor,
    )

    keep_changes = _diff(keep_before, keep_after)
    keep_changes["merged_person"] = [None, gone.pk]
    gone_changes = _diff(gone_before, gone_after)
    if moved:
        keep_changes["programs"] = [keep_programs_before, _programs(keep.pk)]
        gone_changes["programs"] = [gone_programs_before, _programs(gone.pk)]
    RegistryChange.objects.bulk_create([
        RegistryChange(person=keep, kind=ChangeKind.MERGED, changes=keep_changes, actor=actor),
        RegistryChange(person=gone, kind=ChangeKind.MERGED, changes=gone_changes, actor=actor),
    ])

    if cand is None:
        # A pair picked by hand: record it as a decided candidate so the queue and undo know it.
        first, second = (keep, gone) if keep.pk < gone.pk else (gone, keep)
        verdict = dedup.assess(dedup.PersonFacts.of(first), dedup.PersonFacts.of(second))
        cand = DuplicateCandidate.objects.create(
            person_a=first, person_b=second, score=verdict.score, reasons=["manual", *verdict.codes],
            kab_code=first.kab_code,
        )
        merge.candidate = cand
        merge.save(update_fields=["candidate"])
    cand.status, cand.decided_by, cand.decided_at = CandidateStatus.MERGED, actor, timezone.now()
    cand.save(update_fields=["status", "decided_by", "decided_at"])

    record(
        actor, "person.merge", merge, region_code=keep.desa_code,
        detail={
            "survivor": keep.pk, "merged": gone.pk, "candidate": cand.pk,
            "fields_from_merged": from_merged, "participations_moved": len(moved),
        },
    )
    return merge


@transaction.atomic
def undo_merge(*, merge, actor) -> None:
    """Restore both people exactly as before the merge (except `updated_at`), and reopen the candidate.

    Refused (ValidationError) if the merge was already undone, or if either record changed
    after the merge (a newer release, an edit, another merge): restoring the snapshots would
    silently throw that change away.
    """
    _require_reviewer(actor)
    merge = Merge.objects.select_for_update().filter(pk=_pk(merge)).first()
    if merge is None:
        raise Http404(_("Data tidak ditemukan."))
    people = _lock_people(actor, (merge.survivor_id, merge.merged_id))
    keep, gone = people[merge.survivor_id], people[merge.merged_id]
    if merge.undone_at is not None:
        raise ValidationError(
            _("Penggabungan ini sudah dibatalkan pada %(at)s.")
            % {"at": timezone.localtime(merge.undone_at).strftime("%d-%m-%Y %H:%M")}
        )
    problems = []
    for person, expected, who in (
        (keep, merge.survivor_after, _("data yang dipertahankan")),
        (gone, merge.merged_after, _("data yang digabungkan")),
    ):
        changed = _changed_fields(snapshot(person), expected)
        if changed:
            problems.append(
                _("%(who)s telah berubah sejak penggabungan (%(fields)s)")
                % {"who": who, "fields": ", ".join(_field_label(f) for f in changed)}
            )
    lost_households = {merge.survivor_before["household_id"], merge.merged_before["household_id"]} - set(
        Household.objects.system().filter(
            pk__in=[merge.survivor_before["household_id"], merge.merged_before["household_id"]]
        ).values_list("pk", flat=True)
    )
    if lost_households:
        problems.append(_("keluarga (KK) asal salah satu data sudah dihapus"))
    moved = list(merge.moved_participations)
    if moved and ProgramParticipation.objects.filter(pk__in=moved, person=keep).count() != len(moved):
        problems.append(_("kepesertaan program yang dipindahkan telah berubah sejak penggabungan"))
    if problems:
        raise ValidationError(
            _(
                "Penggabungan tidak dapat dibatalkan: %(problems)s, misalnya oleh impor rilis yang lebih "
                "baru atau penyuntingan. Pembatalan akan menimpa perubahan itu tanpa jejak; periksa dan "
                "perbaiki kedua data secara manual."
            )
            % {"problems": "; ".join(problems)}
        )

    keep_now, gone_now = snapshot(keep), snapshot(gone)
    keep_programs_now, gone_programs_now = _programs(keep.pk), _programs(gone.pk)
    ProgramParticipation.objects.filter(pk__in=moved).update(person=gone)
    if keep.nik != merge.survivor_before["nik"]:
        _swap_niks(gone, keep, new_first=merge.merged_before["nik"], new_second=merge.survivor_before["nik"])
    _apply_snapshot(keep, merge.survivor_before)
    _apply_snapshot(gone, merge.merged_before)
    keep.save()
    gone.save()
    keep.refresh_from_db()
    gone.refresh_from_db()

    keep_changes = _diff(keep_now, snapshot(keep))
    gone_changes = _diff(gone_now, snapshot(gone))
    if moved:
        keep_changes["programs"] = [keep_programs_now, _programs(keep.pk)]
        gone_changes["programs"] = [gone_programs_now, _programs(gone.pk)]
    RegistryChange.objects.bulk_create([
        RegistryChange(person=keep, kind=ChangeKind.UNMERGED, changes=keep_changes, actor=actor),
        RegistryChange(person=gone, kind=ChangeKind.UNMERGED, changes=gone_changes, actor=actor),
    ])

    merge.undone_by, merge.undone_at = actor, timezone.now()
    merge.save(update_fields=["undone_by", "undone_at"])
    if merge.candidate_id:
        DuplicateCandidate.objects.filter(pk=merge.candidate_id).update(
            status=CandidateStatus.OPEN, decided_by=None, decided_at=None
        )
    record(
        actor, "person.unmerge", merge, region_code=keep.desa_code,
        detail={"survivor": keep.pk, "merged": gone.pk, "candidate": merge.candidate_id,
                "participations_moved_back": len(moved)},
    )


# --- dismiss / reopen ----------------------------------------------------------------------


def _visible_candidate(actor, candidate) -> DuplicateCandidate:
    from ..selectors.dedup import candidates_for_user

    cand = candidates_for_user(actor, status=None).select_for_update(of=("self",)).filter(pk=_pk(candidate)).first()
    if cand is None:
        raise Http404(_("Data tidak ditemukan."))
    return cand


@transaction.atomic
def dismiss_candidate(*, candidate, actor, reason: str = "") -> DuplicateCandidate:
    """Mark an open candidate as not a duplicate (`reason` is kept as the reviewer's note)."""
    _require_reviewer(actor)
    cand = _visible_candidate(actor, candidate)
    if cand.status != CandidateStatus.OPEN:
        raise ValidationError(
            _("Kandidat duplikat ini sudah diputuskan (%(status)s).") % {"status": cand.get_status_display()}
        )
    reason = (reason or "").strip()
    if len(reason) > 1000:
        raise ValidationError({"reason": _("Catatan terlalu panjang (paling banyak 1000 karakter).")})
    cand.status, cand.decided_by, cand.decided_at, cand.note = CandidateStatus.DISMISSED, actor, timezone.now(), reason
    cand.save(update_fields=["status", "decided_by", "decided_at", "note"])
    record(actor, "duplicate.dismiss", cand, region_code=cand.kab_code,
           detail={"person_a": cand.person_a_id, "person_b": cand.person_b_id})
    return cand


@transaction.atomic
def reopen_candidate(*, candidate, actor) -> DuplicateCandidate:
    """Put a dismissed candidate back in the queue (a merged one is reopened by `undo_merge`)."""
    _require_reviewer(actor)
    cand = _visible_candidate(actor, candidate)
    if cand.status != CandidateStatus.DISMISSED:
        raise ValidationError(_("Hanya kandidat yang ditandai bukan duplikat yang dapat dibuka kembali."))
    cand.status, cand.decided_by, cand.decided_at = CandidateStatus.OPEN, None, None
    cand.save(update_fields=["status", "decided_by", "decided_at"])
    record(actor, "duplicate.reopen", cand, region_code=cand.kab_code,
           detail={"person_a": cand.person_a_id, "person_b": cand.person_b_id})
    return cand
