"""Shaping for the registry pages: rows and contexts that templates render as they are.

No reading of personal data starts here: everything arrives from the scoped selectors, and
this module only formats it (NIK masking per role, region names, history lines). The only
queries are of public reference data (region names) and of rows hanging off a record that a
scoped selector already returned.
"""

from contextlib import suppress
from dataclasses import dataclass, field

from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext as _

from slrt.accounts.roles import can
from slrt.accounts.scoping import in_scope
from slrt.wilayah.models import NATION_CODE, Level, Region, ancestor_codes
from slrt.wilayah.selectors import children_of, get_region

from .models import ChangeKind, Household, Person
from .nik import mask_nik

# Columns that are bookkeeping, not facts a desk needs to see in the history.
_HIDDEN_HISTORY_FIELDS = {"name_key", "row_hash", "updated_at", "created_at", "extra"}
_NUMBER_FIELDS = {"nik", "nomor_kk"}


def show_number(user, number: str) -> str:
    """A NIK or KK number as this user may see it."""
    return number if can(user, "see_full_nik") else mask_nik(number or "")


def initials(name: str) -> str:
    """'Siti Rahmawati' -> 'S. R.': enough to match a letter to its holder, not to identify them."""
    return " ".join(f"{part[0].upper()}." for part in name.split() if part[:1].isalpha())


def show_person_name(user, name: str) -> str:
    """A resident's name as this user may see it: full for the roles that serve residents (the same
    roles that see the full NIK; a Mitra gets the name through its own referral view), initials
    ("S. A.") for oversight roles such as Dinsos."""
    if not name:
        return ""
    return name if can(user, "see_full_nik") else initials(name)


def show_row(user, data: dict) -> dict:
    """An exchange-file row (with its `anggota` rows) with NIK and KK as this user may see them."""
    if can(user, "see_full_nik") or not isinstance(data, dict):
        return data
    out = {k: (mask_nik(v) if k in _NUMBER_FIELDS and isinstance(v, str) and v else v) for k, v in data.items()}
    if isinstance(out.get("anggota"), list):
        out["anggota"] = [show_row(user, m) for m in out["anggota"]]
    return out


def region_names(codes) -> dict[str, str]:
    codes = {c for c in codes if c}
    if not codes:
        return {}
    return dict(Region.objects.filter(code__in=codes).values_list("code", "name"))


def region_trail(code: str) -> list[Region]:
    """The region and its ancestors, top first (one query)."""
    if not code:
        return []
    return list(Region.objects.filter(code__in=ancestor_codes(code)).order_by("level"))


# --- search ------------------------------------------------------------------------------------


@dataclass
class PersonRow:
    id: int
    nik: str
    nama: str
    tanggal_lahir: object
    jenis_kelamin: str
    desa: str
    desa_code: str
    household_id: int
    nomor_kk: str
    hubungan: str
    score: float | None
    is_active: bool


def person_rows(user, people: list[Person]) -> list[PersonRow]:
    from slrt.wilayah.names import region_labels

    names = region_labels(p.desa_code for p in people)
    return [
        PersonRow(
            id=p.pk, nik=show_number(user, p.nik), nama=p.nama, tanggal_lahir=p.tanggal_lahir,
            jenis_kelamin=p.jenis_kelamin, desa=names.get(p.desa_code, p.desa_code), desa_code=p.desa_code,
            household_id=p.household_id, nomor_kk=show_number(user, p.household.nomor_kk),
            hubungan=p.hubungan_keluarga, score=getattr(p, "score", None), is_active=p.is_active,
        )
        for p in people
    ]


# --- region cascade ----------------------------------------------------------------------------


@dataclass
class RegionLevel:
    parent: Region
    label: str
    options: list[tuple[str, str]]
    selected: str = ""


def region_visible(user, code: str) -> bool:
    return bool(user.region_id) and (code == user.region_id or in_scope(user, code))


def is_under(code: str, parent: Region) -> bool:
    return bool(code) and (parent.code == NATION_CODE or code.startswith(parent.code + "."))


def region_levels(user, chosen: Region | None, *, start: Region | None = None) -> list[RegionLevel]:
    """One select per level from `start` (default: the user's scope) down to `chosen`, plus the next.

    A desa-level scope has nothing below it to choose, so it gets no select at all.
    """
    start = start or (get_region(user.region_id) if user.region_id else None)
    if start is None:
        return []
    levels: list[RegionLevel] = []
    parent = start
    while parent.level < Level.DESA:
        options = [(r.code, r.name) for r in children_of(parent)]
        selected = ""
        if chosen is not None and is_under(chosen.code, parent):
            depth = 1 if parent.code == NATION_CODE else parent.code.count(".") + 2
            selected = ".".join(chosen.code.split(".")[:depth])
        levels.append(RegionLevel(parent=parent, label=str(Level(parent.level + 1).label), options=options,
                                  selected=selected))
        if not selected:
            break
        parent = next((Region(code=c, name=n, level=parent.level + 1) for c, n in options if c == selected), None)
        if parent is None:
            break
    return levels


# --- person and household ----------------------------------------------------------------------


@dataclass
class HistoryItem:
    label: str
    old: str
    new: str


@dataclass
class HistoryRow:
    at: object
    kind: str
    kind_code: str
    release: object
    person: object
    items: list[HistoryItem] = field(default_factory=list)


def _field_label(name: str) -> str:
    for model in (Person, Household):
        with suppress(FieldDoesNotExist):
            return str(model._meta.get_field(name).verbose_name)
    extra = {
        "household": _("KK"), "programs": _("program"), "merged_person": _("data yang digabungkan"),
        "merged_into_id": _("digabung ke"), "household_id": _("KK"),
    }
    return str(extra.get(name, name))


def _fmt(user, name: str, value) -> str:
    if value in (None, "", [], {}):
        return "—"
    if name in _NUMBER_FIELDS and isinstance(value, str):
        return show_number(user, value)
    if isinstance(value, bool):
        return _("Ya") if value else _("Tidak")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    return str(value)


def history_rows(user, changes, people_by_id=None) -> list[HistoryRow]:
    rows = []
    for change in changes:
        items = []
        for name, pair in (change.changes or {}).items():
            if name in _HIDDEN_HISTORY_FIELDS or not isinstance(pair, list | tuple) or len(pair) != 2:
                continue
            items.append(HistoryItem(_field_label(name), _fmt(user, name, pair[0]), _fmt(user, name, pair[1])))
        person = getattr(change, "person_obj", None)
        if person is None and people_by_id is not None:
            person = people_by_id.get(change.person_id)
        rows.append(HistoryRow(
            at=change.at, kind=str(ChangeKind(change.kind).label) if change.kind in ChangeKind.values else change.kind,
            kind_code=change.kind, release=change.release, person=person, items=items,
        ))
    return rows


def person_context(user, person: Person) -> dict:
    """The person page: facts, household, programmes and history of a person `get_person` returned."""
    household = person.household
    programs = list(person.programs.select_related("source_release").order_by("-active", "program_code"))
    changes = list(person.changes.select_related("release").order_by("-at", "-id")[:100])
    return {
        "person": person,
        "nik": show_number(user, person.nik),
        "household": household,
        "nomor_kk": show_number(user, household.nomor_kk),
        "trail": region_trail(person.desa_code),
        "programs": programs,
        "history": history_rows(user, changes, {person.pk: person}),
        "nik_warnings": _nik_warning_messages(person.nik_warnings),
    }


def _nik_warning_messages(codes) -> list[str]:
    from .nik import MESSAGES

    return [str(MESSAGES.get(code, code)) for code in codes or []]


@dataclass
class MemberRow:
    id: int
    nik: str
    nama: str
    hubungan: str
    jenis_kelamin: str
    tanggal_lahir: object
    tempat_lahir: str
    pekerjaan: str
    pendidikan: str
    disabilitas: str
    programs: list[str]


def household_context(user, profile: dict) -> dict:
    """The household profile page from `household_profile` (already scoped and audited)."""
    household = profile["household"]
    programs_by_person: dict[int, list[str]] = {}
    for p in profile["programs"]:
        if p.active:
            programs_by_person.setdefault(p.person_id, []).append(p.program_code)
    members = [
        MemberRow(
            id=m.pk, nik=show_number(user, m.nik), nama=m.nama, hubungan=m.hubungan_keluarga,
            jenis_kelamin=m.jenis_kelamin, tanggal_lahir=m.tanggal_lahir, tempat_lahir=m.tempat_lahir,
            pekerjaan=m.pekerjaan, pendidikan=m.pendidikan, disabilitas=m.disabilitas,
            programs=programs_by_person.get(m.pk, []),
        )
        for m in profile["members"]
    ]
    housing = [
        (household._meta.get_field(name).verbose_name, getattr(household, name))
        for name in ("lantai", "dinding", "atap", "sumber_air", "penerangan", "jamban", "bahan_bakar",
                     "status_bangunan", "luas_lantai")
        if getattr(household, name) not in (None, "")
    ]
    trail = region_trail(household.desa_code)
    return {
        "household": household,
        "nomor_kk": show_number(user, household.nomor_kk),
        "desil": profile["desil"],
        "trail": trail,
        "desa_name": trail[-1].name if trail else household.desa_code,
        "active_program_count": sum(1 for p in profile["programs"] if p.active),
        "members": members,
        "programs": profile["programs"],
        "appearances": profile["appearances"],
        "history": history_rows(user, profile["history"]),
        "housing": housing,
        "aset": household.aset or {},
    }


# --- duplicates --------------------------------------------------------------------------------


@dataclass
class CandidateRow:
    id: int
    score: float
    status: str
    status_label: str
    reasons: list
    a: PersonRow
    b: PersonRow


def candidate_rows(user, candidates) -> list[CandidateRow]:
    from .selectors.dedup import reasons_of

    people = [c.person_a for c in candidates] + [c.person_b for c in candidates]
    rows = {r.id: r for r in person_rows(user, people)}
    return [
        CandidateRow(
            id=c.pk, score=c.score, status=c.status, status_label=c.get_status_display(),
            reasons=reasons_of(c), a=rows[c.person_a_id], b=rows[c.person_b_id],
        )
        for c in candidates
    ]


@dataclass
class CompareRow:
    field: str
    label: str
    value_a: str
    value_b: str
    differs: bool
    choice: object = None  # the bound radio field, when the reviewer picks a value
    picked: str = ""


def comparison_rows(comparison, form) -> list[CompareRow]:
    rows = []
    for row in comparison.rows:
        name = f"pick_{row.field}"
        bound = form[name] if name in form.fields else None
        picked = ""
        if bound is not None:
            picked = str(bound.value() or "a")
        rows.append(CompareRow(row.field, row.label, row.value_a, row.value_b, row.differs, bound, picked))
    return rows
