"""The exportable lists: for each SPEC list name, who may export it, how its filters are read, which
rows it holds for the caller and the columns a spreadsheet gets.

The rule that keeps an export honest: its rows are the list's own rows. Each entry reads its
filters with the list's own `*_filters_from(params, user)` (the function the list page and the
API use, so a bad filter is refused with the list's own message) and its rows with the list's own
selector (which starts from `Model.objects.for_user(user)`: another region's rows never come). An
entry only adds what a file needs: the columns, with names instead of codes and the NIK or name
masked as the list masks them (`registry.tables.show_number` / `show_person_name` rules).

Rows are read with `values_list` of exactly the columns named here (one query per chunk of the
server-side cursor, no per-row queries); region names are looked up once per chunk.
"""

import importlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from slrt.accounts.roles import Role, can
from slrt.registry.nik import mask_nik
from slrt.registry.tables import initials
from slrt.wilayah.names import region_labels

CHUNK = 2000  # rows per database round trip and per region-name lookup

# --- columns -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of the file: its header, the value path(s) read for it and how it is shown.

    kinds: text, int, date, datetime, bool, choice (`choices` maps code -> name), region (a region
    code shown by name), nik (full or masked per role), nik_masked (always masked), name (full or
    initials per role), user (first name, last name, username: the account's name).
    """

    header: object
    fields: tuple
    kind: str = "text"
    choices: dict | None = None


def col(header, path: str, kind: str = "text", choices=None) -> Column:
    return Column(header, (path,), kind, dict(choices) if choices is not None else None)


def user_col(header, prefix: str) -> Column:
    return Column(header, (f"{prefix}__first_name", f"{prefix}__last_name", f"{prefix}__username"), "user")


class Shaper:
    """Turns raw values into what a person's file shows, for one user: one converter per column,
    built once per export (choice names translated once, the time zone read once), so a million
    rows cost a few function calls each."""

    def __init__(self, user):
        self.full = can(user, "see_full_nik")
        self.regions: dict[str, str] = {}
        self.zone = timezone.get_current_timezone()
        self.yes, self.no = _("Ya"), _("Tidak")

    def learn_regions(self, codes: Iterable[str]) -> None:
        missing = {c for c in codes if c and c not in self.regions}
        if missing:
            labels = region_labels(missing)
            for code in missing:
                self.regions[code] = labels.get(code, code)

    def converter(self, column: Column) -> Callable:
        """fn(raw values of the column) -> the cell's value."""
        kind = column.kind
        if kind == "user":
            return lambda first, last, username: (" ".join(p for p in (first, last) if p) or username or "")
        if kind in ("text", "int", "date"):
            return lambda v: "" if v is None else v
        if kind == "choice":
            names = column.choices
            if isinstance(names, _Lazy):
                names = names.resolve()
            if not isinstance(names, _Labels):
                names = {k: str(v) for k, v in names.items()}
            return lambda v: "" if v is None or v == "" else names.get(v, v)
        if kind == "region":
            regions = self.regions
            return lambda v: regions.get(v, v) if v else ""
        # str(): a NIK read out of a JSON payload comes back a number on SQLite (Django decodes the text).
        if kind == "nik":
            return (lambda v: str(v) if v else "") if self.full else (lambda v: mask_nik(str(v)) if v else "")
        if kind == "nik_masked":
            return lambda v: mask_nik(str(v)) if v else ""
        if kind == "name":
            return (lambda v: v or "") if self.full else (lambda v: initials(v) if v else "")
        if kind == "datetime":
            zone = self.zone
            return lambda v: "" if v is None else v.astimezone(zone).replace(tzinfo=None, microsecond=0)
        if kind == "bool":
            return lambda v: "" if v is None else (self.yes if v else self.no)
        raise ValueError(f"unknown column kind {kind}")


# --- lists ---------------------------------------------------------------------------------------


def _resolve(path: str) -> Callable:
    """`module:function`, imported when first used: the list's own function, by its owner's name."""
    module, name = path.split(":")
    return getattr(importlib.import_module(module), name)


@dataclass(frozen=True)
class ExportList:
    name: str  # SPEC's list name, in URLs
    label: object  # the list's name on pages and in file names
    capability: str  # the capability the list page itself requires
    # "module:function" (params, user) -> filters; refuses with a ValidationError or a ValueError
    # naming the parameter (the owners' convention: FilterError.param, or the words of the message).
    filters_from: str
    rows: str  # "module:function" (user, filters) -> QuerySet, or an iterable of objects (see `objects`)
    columns: tuple[Column, ...]
    # Audit: kind -> value path of the ids an export of at most SHOWN_LIMIT rows records (who was shown).
    shown: dict = field(default_factory=dict)
    # Query parameters that are personal terms (a NIK, a KK number, a name): the audit says they were
    # used, never their value, and a background job forgets them when it ends.
    personal: tuple[str, ...] = ()
    # For selectors that return objects rather than a QuerySet: the object attribute per value path.
    objects: bool = False
    roles: frozenset | None = None  # only these roles (the Mitra inbox), else any with the capability
    except_roles: frozenset = frozenset()  # never these (a Mitra's `referrals` is its inbox)
    region_param: str = ""  # the filter holding a region code, recorded in the audit row
    # A search page's terms, kept in the session under `?s=<key>` (core.search_terms), never in a
    # URL: the web export reads them from there and ignores them in its own query.
    session_fields: tuple[str, ...] = ()

    def available(self) -> bool:
        """Whether the list's owner has shipped its filter function and selector yet."""
        try:
            _resolve(self.filters_from), _resolve(self.rows)
        except (ImportError, AttributeError):
            return False
        return True

    def allowed(self, user) -> bool:
        role = getattr(user, "role", None)
        if self.roles is not None and role not in self.roles:
            return False
        return role not in self.except_roles and can(user, self.capability)

    def parse(self, params, user):
        return _resolve(self.filters_from)(params, user)

    def source(self, user, filters):
        found = _resolve(self.rows)
        return found(user, **filters) if isinstance(filters, dict) else found(user, filters)

    @property
    def headers(self) -> list[str]:
        return [str(c.header) for c in self.columns]

    def value_paths(self) -> list[str]:
        paths = [p for c in self.columns for p in c.fields]
        return paths + [p for p in self.shown.values() if p not in paths]

    def count(self, user, filters) -> int:
        source = self.source(user, filters)
        return source.count() if hasattr(source, "count") and not isinstance(source, list) else len(list(source))

    def raw_rows(self, user, filters) -> Iterator[tuple]:
        """Tuples of the value paths, in order, streamed from the database."""
        source = self.source(user, filters)
        paths = self.value_paths()
        if not self.objects:
            return source.values_list(*paths).iterator(chunk_size=CHUNK)
        return (tuple(_attr(obj, p) for p in paths) for obj in source)

    def rows_with_ids(self, user, filters) -> Iterator[tuple[list, tuple]]:
        """(the file's row, the ids of `shown` in its order) for each row, shaped for `user`."""
        shaper = Shaper(user)
        paths = self.value_paths()
        plan, at = [], 0
        for c in self.columns:
            plan.append((shaper.converter(c), at, at + len(c.fields)))
            at += len(c.fields)
        singles = [(fn, s) for fn, s, e in plan if e - s == 1]
        if len(singles) != len(plan):  # a column of several values (an account's name)
            def shape(r):
                return [fn(r[s]) if e - s == 1 else fn(*r[s:e]) for fn, s, e in plan]
        else:
            def shape(r):
                return [fn(r[s]) for fn, s in singles]
        id_at = [paths.index(p) for p in self.shown.values()]
        region_at = [s for (_fn, s, _e), c in zip(plan, self.columns, strict=True) if c.kind == "region"]
        raw = self.raw_rows(user, filters)
        while True:
            chunk = list(islice(raw, CHUNK))
            if not chunk:
                return
            if region_at:
                shaper.learn_regions(r[i] for r in chunk for i in region_at)
            for r in chunk:
                yield shape(r), tuple(r[i] for i in id_at)


def _attr(obj, path: str):
    for part in path.split("__"):
        obj = obj.get(part) if isinstance(obj, dict) else getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def _choices(module: str, name: str) -> dict:
    found = importlib.import_module(module)
    for part in name.split("."):  # "TargetingError.Kind"
        found = getattr(found, part)
    return dict(found.choices)


class _Lazy:
    """Choices read when an export first needs them (the apps' models load after this module)."""

    def __init__(self, read: Callable[[], dict]):
        self._read = read

    def resolve(self) -> dict:
        return self._read()


def choice(header, path: str, module: str, name: str) -> Column:
    return Column(header, (path,), "choice", _Lazy(lambda: _choices(module, name)))


def _form_titles() -> dict:
    """A submission names its form by title."""
    return {k: str(f.title) for k, f in importlib.import_module("slrt.fieldwork.formdefs").FORMS.items()}


class _Labels(dict):
    """Names from a function of the list's owner (`module:function`, code -> name), remembered."""

    def __init__(self, path: str):
        super().__init__()
        self._path = path

    def get(self, key, default=None):
        if key not in self:
            self[key] = str(_resolve(self._path)(key))
        return super().get(key, default)


_C = "slrt.cases.models"
_R = "slrt.referrals.models"
_F = "slrt.fieldwork.models"
_U = "slrt.updates.models"
_P = "slrt.programs.models"
_N = "slrt.notifications.models"

STAFF_REFERRAL_COLUMNS = (
    col(_lazy("Nomor"), "number"),
    col(_lazy("Tiket"), "case__ticket"),
    col(_lazy("Warga"), "case__applicant_name", "name"),
    col(_lazy("NIK"), "case__applicant_nik", "nik"),
    col(_lazy("Wilayah"), "desa_code", "region"),
    choice(_lazy("Sektor"), "need__sector", _P, "Sector"),
    col(_lazy("Lembaga"), "agency__name"),
    col(_lazy("Layanan"), "service__name"),
    choice(_lazy("Status"), "status", _R, "ReferralStatus"),
    col(_lazy("Dibuat"), "created_at", "datetime"),
    col(_lazy("Dikirim"), "sent_at", "datetime"),
    col(_lazy("Batas waktu"), "due_at", "datetime"),
    col(_lazy("Catatan untuk lembaga"), "note"),
)

# What a Mitra's inbox shows of a referral (referrals.selectors.mitra_view): no household, the NIK
# always masked, no phone.
INBOX_COLUMNS = (
    col(_lazy("Nomor"), "number"),
    col(_lazy("Tiket"), "case__ticket"),
    col(_lazy("Warga"), "case__applicant_name"),
    col(_lazy("NIK"), "case__applicant_nik", "nik_masked"),
    choice(_lazy("Sektor"), "need__sector", _P, "Sector"),
    col(_lazy("Kebutuhan"), "need__description"),
    col(_lazy("Layanan"), "service__name"),
    choice(_lazy("Status"), "status", _R, "ReferralStatus"),
    col(_lazy("Diterima"), "sent_at", "datetime"),
    col(_lazy("Batas waktu"), "due_at", "datetime"),
    col(_lazy("Catatan untuk lembaga"), "note"),
    col(_lazy("Layanan yang diberikan"), "service_given"),
    col(_lazy("Hasil layanan"), "outcome"),
    col(_lazy("Tanggal layanan"), "service_date", "date"),
)

REFERRAL_SHOWN = {"referrals": "pk", "cases": "case_id", "people": "case__person_id"}

MAX_PEOPLE = 10_000  # a search's pages reach 400 x 25 people; an export of it reaches as far

LISTS: dict[str, ExportList] = {
    e.name: e
    for e in (
        ExportList(
            "cases", _lazy("Daftar layanan"), "view_cases",
            "slrt.cases.selectors:case_filters_from", "slrt.cases.selectors:list_cases",
            (
                col(_lazy("Tiket"), "ticket"),
                col(_lazy("Warga"), "applicant_name", "name"),
                col(_lazy("NIK"), "applicant_nik", "nik"),
                col(_lazy("Tanggal"), "created_at", "datetime"),
                choice(_lazy("Jenis"), "complaint_type", _C, "ComplaintType"),
                choice(_lazy("Saluran"), "channel", _C, "Channel"),
                choice(_lazy("Urgensi"), "urgency", _C, "Urgency"),
                col(_lazy("Wilayah"), "desa_code", "region"),
                col(_lazy("Sekretariat"), "secretariat__name"),
                col(_lazy("Puskesos"), "puskesos__name"),
                choice(_lazy("Status"), "status", _C, "CaseStatus"),
                col(_lazy("Uraian keluhan"), "summary"),
                col(_lazy("Ditutup"), "closed_at", "datetime"),
            ),
            shown={"cases": "pk", "people": "person_id"},
            personal=("tiket",),
            region_param="desa",
        ),
        ExportList(
            "referrals", _lazy("Daftar rujukan"), "view_referrals",
            "slrt.referrals.selectors:referral_filters_from", "slrt.referrals.selectors:list_referrals",
            STAFF_REFERRAL_COLUMNS, shown=REFERRAL_SHOWN, except_roles=frozenset({Role.MITRA}),
            region_param="region",
        ),
        ExportList(
            "inbox", _lazy("Kotak masuk rujukan"), "respond_referral",
            "slrt.referrals.selectors:inbox_filters_from", "slrt.referrals.selectors:list_referrals",
            INBOX_COLUMNS, shown=REFERRAL_SHOWN, roles=frozenset({Role.MITRA}),
        ),
        ExportList(
            "people", _lazy("Pencarian warga"), "view_registry",
            "slrt.registry.selectors.people:people_filters_from", "slrt.exports.lists:people_rows",
            (
                col(_lazy("NIK"), "nik", "nik"),
                col(_lazy("Nama"), "nama", "name"),
                choice(_lazy("Jenis kelamin"), "jenis_kelamin", "slrt.registry.models", "Sex"),
                col(_lazy("Tanggal lahir"), "tanggal_lahir", "date"),
                col(_lazy("Hubungan keluarga"), "hubungan_keluarga"),
                col(_lazy("Nomor KK"), "household__nomor_kk", "nik"),
                col(_lazy("Desa"), "desa_code", "region"),
                col(_lazy("Alamat"), "household__alamat"),
                col(_lazy("Desil"), "household__desil", "int"),
            ),
            shown={"people": "pk", "households": "household_id"},
            personal=("q", "nik", "kk"), objects=True, region_param="region",
            session_fields=("q", "region", "birth_year"),
        ),
        ExportList(
            "households", _lazy("Daftar keluarga"), "view_registry",
            "slrt.registry.selectors.people:household_filters_from", "slrt.registry.selectors.people:households_for",
            (
                col(_lazy("Nomor KK"), "nomor_kk", "nik"),
                col(_lazy("Desa"), "desa_code", "region"),
                col(_lazy("Dusun"), "dusun"),
                col(_lazy("RT"), "rt"),
                col(_lazy("RW"), "rw"),
                col(_lazy("Alamat"), "alamat"),
                col(_lazy("Desil"), "desil", "int"),
                col(_lazy("Status kepemilikan bangunan"), "status_bangunan"),
                col(_lazy("Luas lantai (m²)"), "luas_lantai", "int"),
            ),
            shown={"households": "pk"}, personal=("kk",), region_param="region",
        ),
        ExportList(
            "visits", _lazy("Daftar kunjungan"), "view_registry",
            "slrt.fieldwork.selectors:visit_filters_from", "slrt.fieldwork.selectors:list_visits",
            (
                col(_lazy("No."), "pk", "int"),
                choice(_lazy("Jenis"), "kind", _F, "VisitKind"),
                col(_lazy("Desa"), "desa_code", "region"),
                col(_lazy("Nomor KK"), "household__nomor_kk", "nik"),
                col(_lazy("Tiket"), "case__ticket"),
                user_col(_lazy("Petugas"), "assigned_to"),
                col(_lazy("Tenggat"), "due_date", "date"),
                choice(_lazy("Status"), "status", _F, "VisitStatus"),
                col(_lazy("Selesai"), "completed_at", "datetime"),
                col(_lazy("Catatan"), "note"),
            ),
            shown={"visits": "pk", "households": "household_id", "people": "person_id", "cases": "case_id"},
            region_param="wilayah",
        ),
        ExportList(
            "submissions", _lazy("Kiriman menunggu tinjauan"), "review_submissions",
            "slrt.fieldwork.selectors:submission_filters_from", "slrt.fieldwork.selectors:list_submissions",
            (
                col(_lazy("Diterima"), "received_at", "datetime"),
                Column(_lazy("Formulir"), ("form_id",), "choice", _Lazy(_form_titles)),
                user_col(_lazy("Petugas"), "submitted_by"),
                col(_lazy("Desa"), "desa_code", "region"),
                col(_lazy("No. kunjungan"), "visit_id", "int"),
                choice(_lazy("Status"), "status", _F, "SubmissionStatus"),
            ),
            shown={"submissions": "pk", "visits": "visit_id"},
        ),
        ExportList(
            "proposals", _lazy("Usulan pemutakhiran"), "view_registry",
            "slrt.updates.selectors:proposal_filters_from", "slrt.updates.selectors:list_proposals",
            (
                col(_lazy("No."), "pk", "int"),
                choice(_lazy("Jenis"), "kind", _U, "ProposalKind"),
                col(_lazy("Nama"), "data__nama", "name"),
                col(_lazy("NIK"), "data__nik", "nik"),
                col(_lazy("Nomor KK"), "data__nomor_kk", "nik"),
                col(_lazy("Desa"), "desa_code", "region"),
                choice(_lazy("Status"), "status", _U, "ProposalStatus"),
                choice(_lazy("Asal"), "origin", _U, "ProposalOrigin"),
                col(_lazy("Alasan"), "reason"),
                col(_lazy("Diubah"), "updated_at", "datetime"),
            ),
            shown={"proposals": "pk", "people": "person_id", "households": "household_id"},
            personal=("q",), region_param="desa", session_fields=("q",),
        ),
        ExportList(
            "targeting-errors", _lazy("Galat penargetan"), "run_targeting",
            "slrt.programs.selectors.targeting:targeting_error_filters_from",
            "slrt.programs.selectors.targeting:errors_for",
            (
                col(_lazy("Program"), "program__name"),
                choice(_lazy("Jenis galat"), "kind", _P, "TargetingError.Kind"),
                col(_lazy("Desa"), "desa_code", "region"),
                col(_lazy("Nomor KK"), "household__nomor_kk", "nik"),
                col(_lazy("Desil"), "household__desil", "int"),
            ),
            shown={"households": "household_id"}, region_param="desa",
        ),
        ExportList(
            "notifications", _lazy("Kotak keluar notifikasi"), "view_outbox",
            "slrt.notifications.selectors:outbox_filters_from", "slrt.exports.lists:outbox_rows",
            (
                col(_lazy("Dibuat"), "created_at", "datetime"),
                col(_lazy("Pesan"), "subject"),
                choice(_lazy("Saluran"), "channel", _N, "ChannelKind"),
                col(_lazy("Penerima"), "recipient"),
                choice(_lazy("Status"), "status", _N, "OutboxStatus"),
                col(_lazy("Percobaan"), "attempts", "int"),
                col(_lazy("Terkirim"), "sent_at", "datetime"),
                col(_lazy("Galat terakhir"), "last_error"),
            ),
            objects=True,
        ),
        ExportList(
            "audit", _lazy("Log audit"), "view_audit_log",
            "slrt.privacy.audit_log:audit_log_filters_from", "slrt.privacy.audit_log:audit_log",
            (
                col(_lazy("Waktu"), "at", "datetime"),
                user_col(_lazy("Pelaku"), "actor"),
                Column(_lazy("Tindakan"), ("action",), "choice", _Labels("slrt.privacy.audit_log:action_label")),
                col(_lazy("Jenis data"), "object_type"),
                col(_lazy("Nomor data"), "object_id"),
                col(_lazy("Wilayah"), "region_code", "region"),
            ),
            personal=("nik", "orang"), region_param="wilayah", session_fields=("nik",),
        ),
    )
}


def get_list(name: str) -> ExportList | None:
    return LISTS.get(name)


# --- row sources of lists whose page reads objects, not a QuerySet --------------------------------


def people_rows(user, filters):
    """The people of a search (the search page's own reading), up to MAX_PEOPLE."""
    from slrt.registry.selectors.people import find_people

    return find_people(user, filters, limit=MAX_PEOPLE)


class _Outbox:
    """The outbox page's rows (`notifications.selectors.outbox_queryset`) shaped by its `row_view`
    (recipient masked, error in words), read in chunks."""

    def __init__(self, user, status):
        from slrt.notifications.selectors import outbox_queryset

        self.qs = outbox_queryset(user, status)

    def count(self):
        return self.qs.count()

    def __iter__(self):
        from slrt.notifications.selectors import row_view

        fields = ("id", "event", "channel", "recipient", "subject", "status", "attempts", "next_attempt_at",
                  "sent_at", "created_at", "last_error")
        for n in self.qs.only(*fields).iterator(chunk_size=CHUNK):
            view = row_view(n)
            view["channel"], view["status"] = n.channel, n.status  # codes: the column names them
            yield view


def outbox_rows(user, status):
    return _Outbox(user, status)
