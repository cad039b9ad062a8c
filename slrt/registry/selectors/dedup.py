"""Reads for the duplicate review queue: candidates in the user's scope and side-by-side comparison.

Scope rule: a reviewer sees a candidate only when *both* people lie inside their region.
Seeing one person of the pair would show the other side by side, so a pair that straddles a
border is left to a reviewer whose region holds both (e.g. the province).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from slrt.accounts.roles import can
from slrt.accounts.scoping import region_q
from slrt.audit.services import record
from slrt.wilayah.models import Region

from ..dedup import MERGE_FIELDS, MERGED, SURVIVOR, is_counter_evidence, merge_field_value, reason_label
from ..models import CandidateStatus, DuplicateCandidate, Household, Merge, Person, ProgramParticipation
from ..nik import mask_nik


def _scope_q(user):
    return region_q(user.region_id, "person_a__") & region_q(user.region_id, "person_b__")


def candidates_for_user(user, status: str | None = CandidateStatus.OPEN) -> QuerySet[DuplicateCandidate]:
    """Candidates whose two people both lie in the user's region, best score first.

    `status`: 'open' (default: the review queue; pairs where a person has since been merged
    away are hidden), 'merged', 'dismissed', or None for all. Users without the
    `review_duplicates` capability get an empty queryset.
    """
    if not can(user, "review_duplicates"):
        return DuplicateCandidate.objects.none()
    qs = DuplicateCandidate.objects.filter(_scope_q(user)).select_related(
        "person_a__household", "person_b__household"
    )
    if status:
        qs = qs.filter(status=status)
    if status == CandidateStatus.OPEN:
        qs = qs.filter(person_a__is_active=True, person_b__is_active=True)
    return qs.order_by("-score", "id")


def get_candidate(user, pk) -> DuplicateCandidate:
    """One candidate (any status) in the user's scope; 404 if missing or out of scope, 403 without the role."""
    if not can(user, "review_duplicates"):
        raise PermissionDenied(_("Anda tidak berwenang meninjau data ganda."))
    cand = candidates_for_user(user, status=None).filter(pk=pk).first()
    if cand is None:
        raise Http404(_("Data tidak ditemukan."))
    return cand


def get_merge(user, pk) -> Merge:
    """One merge whose two people both lie in the user's scope (404 otherwise)."""
    if not can(user, "review_duplicates"):
        raise PermissionDenied(_("Anda tidak berwenang meninjau data ganda."))
    merge = (
        Merge.objects.filter(region_q(user.region_id, "survivor__") & region_q(user.region_id, "merged__"))
        .select_related("survivor", "merged", "candidate", "merged_by", "undone_by")
        .filter(pk=pk)
        .first()
    )
    if merge is None:
        raise Http404(_("Data tidak ditemukan."))
    return merge


def latest_merge(candidate: DuplicateCandidate) -> Merge | None:
    """The merge that decided a candidate and is not undone (the one undo would reverse), or None."""
    return candidate.merges.filter(undone_at__isnull=True).order_by("-merged_at", "-id").first()


@dataclass(frozen=True)
class Reason:
    code: str
    label: str
    counter: bool  # True: evidence *against* the pair


def reasons_of(candidate: DuplicateCandidate) -> list[Reason]:
    return [Reason(c, reason_label(c), is_counter_evidence(c)) for c in candidate.reasons]


@dataclass(frozen=True)
class ComparisonRow:
    field: str  # model field name ('household' for the KK), or a display-only key
    label: str
    value_a: str
    value_b: str
    differs: bool
    choosable: bool  # a merge choice exists for it (see registry.dedup.MERGE_FIELDS)


@dataclass
class Comparison:
    candidate: DuplicateCandidate | None
    person_a: Person
    person_b: Person
    rows: list[ComparisonRow]
    reasons: list[Reason] = field(default_factory=list)

    @property
    def differing(self) -> list[ComparisonRow]:
        return [r for r in self.rows if r.differs]


_DISPLAY_FIELDS = (
    "nik", "nama", "tempat_lahir", "tanggal_lahir", "jenis_kelamin", "household", "desa", "alamat",
    "hubungan_keluarga", "nama_ibu_kandung", "pekerjaan", "pendidikan", "status_kawin", "disabilitas",
    "penyakit_kronis", "hamil", "jenis_ppks", "id_dtks", "programs", "status",
)


def _fmt(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Ya") if value else _("Tidak")
    if hasattr(value, "strftime"):
        return value.strftime("%d-%m-%Y")
    return str(value)


def _display(user, person: Person, name: str, regions: dict[str, str], programs: dict[int, list[str]]):
    """(raw value for comparison, display string) of one row for one person."""
    full = can(user, "see_full_nik")
    if name == "nik":
        return person.nik, person.nik if full else mask_nik(person.nik)
    if name == "household":
        kk = person.household.nomor_kk
        return person.household_id, kk if full else mask_nik(kk)
    if name == "desa":
        return person.desa_code, f"{regions.get(person.desa_code, '')} ({person.desa_code})"
    if name == "alamat":
        h = person.household
        parts = [h.alamat, f"RT {h.rt}" if h.rt else "", f"RW {h.rw}" if h.rw else "", h.dusun]
        text = ", ".join(p for p in parts if p)
        return text, text
    if name == "jenis_kelamin":
        return person.jenis_kelamin, str(person.get_jenis_kelamin_display())
    if name == "programs":
        codes = programs.get(person.pk, [])
        return codes, ", ".join(codes)
    if name == "status":
        if person.is_active:
            return True, _("aktif")
        return False, _("digabung ke data #%(id)s") % {"id": person.merged_into_id}
    value = getattr(person, name)
    return value, _fmt(value)


def _label(name: str) -> str:
    extra = {
        "household": _("nomor KK"), "desa": _("desa/kelurahan"), "alamat": _("alamat"),
        "programs": _("program yang diterima"), "status": _("status data"),
    }
    if name in extra:
        return extra[name]
    return str(Person._meta.get_field(name).verbose_name)


def compare_people(user, person_a: Person, person_b: Person, *, candidate=None) -> Comparison:
    """The field-by-field table of two people, NIK and KK masked unless `see_full_nik`.

    Both people must come from a scoped query (e.g. `get_candidate`). Records a `person.view`
    audit event for each: the caller need not audit again.
    """
    regions = dict(Region.objects.filter(code__in={person_a.desa_code, person_b.desa_code}).values_list("code", "name"))
    programs: dict[int, list[str]] = {}
    for pid, code in (
        ProgramParticipation.objects.filter(person_id__in=[person_a.pk, person_b.pk])
        .order_by("program_code")
        .values_list("person_id", "program_code")
    ):
        programs.setdefault(pid, []).append(code)
    rows = []
    for name in _DISPLAY_FIELDS:
        raw_a, shown_a = _display(user, person_a, name, regions, programs)
        raw_b, shown_b = _display(user, person_b, name, regions, programs)
        rows.append(ComparisonRow(name, _label(name), shown_a, shown_b, raw_a != raw_b, name in MERGE_FIELDS))
    detail = {"via": "duplicate_review"}
    if candidate is not None:
        detail["candidate"] = candidate.pk
    for p in (person_a, person_b):
        record(user, "person.view", p, detail=detail)
    return Comparison(
        candidate=candidate, person_a=person_a, person_b=person_b, rows=rows,
        reasons=reasons_of(candidate) if candidate is not None else [],
    )


def compare_candidate(user, candidate: DuplicateCandidate) -> Comparison:
    """`compare_people` for a candidate obtained from `get_candidate` (re-checked here)."""
    cand = get_candidate(user, candidate.pk)
    return compare_people(user, cand.person_a, cand.person_b, candidate=cand)


def default_choices(survivor: Person, merged: Person) -> dict[str, str]:
    """Suggested merge choices: the survivor's value, unless it is empty and the other's is not."""
    choices = {}
    for name in MERGE_FIELDS:
        sv, mv = merge_field_value(survivor, name), merge_field_value(merged, name)
        choices[name] = MERGED if sv in ("", None) and mv not in ("", None) else SURVIVOR
    return choices


@dataclass(frozen=True)
class DecisionRow:
    field: str
    label: str
    won: str
    lost: str
    source: str  # 'survivor' or 'merged': whose value won


def merge_decisions(user, merge: Merge) -> list[DecisionRow]:
    """What a merge decided, field by field (NIK/KK masked unless `see_full_nik`)."""
    full = can(user, "see_full_nik")
    kk = {}
    if "household" in merge.decisions:
        ids = [merge.decisions["household"]["won"], merge.decisions["household"]["lost"]]
        kk = dict(Household.objects.for_user(user).filter(pk__in=ids).values_list("pk", "nomor_kk"))
    rows = []
    for name in MERGE_FIELDS:
        d = merge.decisions.get(name)
        if not d:
            continue
        won, lost = d["won"], d["lost"]
        if name == "household":
            won, lost = kk.get(won, ""), kk.get(lost, "")
        if name in ("nik", "household") and not full:
            won, lost = mask_nik(won or ""), mask_nik(lost or "")
        elif name == "tanggal_lahir":
            won, lost = (_fmt_iso(v) for v in (won, lost))
        else:
            won, lost = _fmt(won), _fmt(lost)
        rows.append(DecisionRow(name, _label(name), won, lost, d["from"]))
    return rows


def _fmt_iso(value) -> str:
    if not value:
        return ""
    y, m, d = str(value).split("-")
    return f"{d}-{m}-{y}"
