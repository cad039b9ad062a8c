"""The audit log as an Admin reads it (issue 13, point 5): who saw or changed what, filtered by
resident, actor, action, date range and region, each row in names.

Two functions are the contract for the page and for the export of the log (helper "exports"):
`audit_log_filters_from(params, user)` turns request parameters into checked filters, and
`audit_log(user, filters)` answers the events, newest first, as a queryset.

Parameters (all optional): `nik` (16 digits; the page takes it by POST and keeps it in the session,
never in a URL), `orang` (a person's id, from the person page's link), `petugas` (an account id),
`aksi` (an action code such as `person.view`), `dari`/`sampai` (YYYY-MM-DD, inclusive, days of the
viewer's own province), `wilayah` (a region code or name inside the viewer's scope).

Scope: a national Admin reads every event; an Admin of a region reads the events recorded in that
region. Filtered to a resident (in scope), the log holds every event about them and their records,
wherever it was recorded: the same events as the resident's own copy (`selectors.access_q`).
"""

import datetime as dt
import re
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from slrt.accounts.roles import Role, can
from slrt.audit.models import AuditEvent
from slrt.audit.services import record_shown
from slrt.registry.models import Household, Person
from slrt.registry.nik import mask_nik
from slrt.registry.tables import show_person_name
from slrt.wilayah.models import NATION_CODE, Region
from slrt.wilayah.names import region_labels, resolve_region
from slrt.wilayah.timezones import zone_of

from . import copy as resident_copy
from .selectors import SHOWN_KEYS, access_q, person_records

ACTION_CODE = re.compile(r"[a-z][a-z0-9_]{0,29}(\.[a-z][a-z0-9_]{0,29}){1,2}")
NIK = re.compile(r"\d{16}")
MAX_DAYS = 3 * 366 + 1
FIELDS = ("nik", "orang", "petugas", "aksi", "dari", "sampai", "wilayah")
PERSONAL_FIELDS = ("nik",)  # POSTed and kept in the session (core.search_terms), never in a URL

# Subjects and verbs of action codes, so that every row reads as words; the resident's copy
# labels (copy.ACTION_LABELS) come first where they exist.
SUBJECTS = {
    "auth": _l("akun"), "case": _l("kasus"), "data_request": _l("permintaan data pribadi"),
    "desk": _l("loket"), "duplicate": _l("data ganda"), "fieldwork": _l("kerja lapangan"),
    "household": _l("keluarga"), "import": _l("impor registri"), "letter": _l("surat"),
    "meeting": _l("musyawarah"), "need": _l("kebutuhan"), "notification": _l("notifikasi"),
    "openrosa": _l("formulir lapangan"), "otp": _l("verifikasi dua langkah"),
    "person": _l("data warga"), "proposal": _l("usulan pemutakhiran"),
    "proposal_batch": _l("berkas usulan"), "recommendation": _l("rekomendasi"),
    "referral": _l("rujukan"), "registry": _l("registri"), "retention": _l("retensi data"),
    "rule": _l("aturan kelayakan"), "benefit": _l("besaran manfaat program"),
    "submission": _l("kiriman lapangan"), "sync": _l("sinkronisasi"),
    "targeting": _l("penargetan"), "task": _l("tugas"), "user": _l("akun pengguna"),
    "visit": _l("kunjungan"), "agency": _l("lembaga"), "agency_service": _l("layanan lembaga"),
    "audit_log": _l("log audit"), "export": _l("ekspor"), "report": _l("laporan"),
}
VERBS = {
    "view": _l("membuka"), "list": _l("membuka daftar"), "search": _l("mencari"),
    "create": _l("membuat"), "update": _l("mengubah"), "save": _l("menyimpan"),
    "draft": _l("menyusun"), "download": _l("mengunduh"), "export": _l("mengekspor"),
    "delete": _l("menghapus"), "close": _l("menutup"), "reopen": _l("membuka kembali"),
    "receive": _l("menerima"), "resolve": _l("menyelesaikan"), "submit": _l("mengirim"),
    "issue": _l("menerbitkan"), "revoke": _l("mencabut"), "assign": _l("menugaskan"),
    "reassign": _l("mengalihkan"), "done": _l("menyelesaikan"), "run": _l("menjalankan"),
    "import": _l("mengimpor"), "record": _l("mencatat"), "dismiss": _l("menolak"),
    "add": _l("menambah"), "edit": _l("mengubah"), "status": _l("mengubah status"),
    "retry": _l("mengulang"), "failed": _l("gagal mengirim"), "assess": _l("menilai"),
    "deactivate": _l("menonaktifkan"), "logout": _l("keluar dari"), "apply": _l("menerapkan"),
}


def action_label(action: str) -> str:
    """An action code in words ("person.view" -> "membuka data warga")."""
    if action in resident_copy.ACTION_LABELS:
        return str(resident_copy.ACTION_LABELS[action])
    subject, _sep, verb = action.partition(".")
    verb = verb.split(".")[-1]
    if subject in SUBJECTS and verb in VERBS:
        return f"{VERBS[verb]} {SUBJECTS[subject]}"
    if subject in SUBJECTS:
        return _("tindakan lain pada %(subject)s") % {"subject": SUBJECTS[subject]}
    return _("tindakan lain")


def action_choices() -> list[tuple[str, str]]:
    """The actions the filter offers (code, words), sorted by their words."""
    codes = set(resident_copy.ACTION_LABELS) | {
        f"{s}.{v}" for s, v in (
            ("auth", "logout"), ("case", "list"), ("case", "update"), ("data_request", "list"),
            ("import", "error_report"), ("letter", "issue"), ("letter", "download"), ("proposal", "search"),
            ("referral", "list"), ("registry", "import"), ("rule", "save"), ("benefit", "save"),
            ("submission", "view"), ("targeting", "run"), ("targeting", "view"), ("targeting", "export"),
            ("user", "create"), ("user", "deactivate"), ("user", "password_reset"), ("visit", "view"),
            ("audit_log", "view"),
        )}
    return sorted(((c, action_label(c)) for c in codes), key=lambda pair: pair[1])


@dataclass
class AuditLogFilters:
    """Checked filters (`audit_log_filters_from` refuses bad ones, so an export never widens silently)."""

    people: list = field(default_factory=list)  # Person rows in the viewer's scope
    person_asked: bool = False  # a NIK or a person id was given (nobody found: nothing answers)
    actor: object = None
    action: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    region: Region | None = None

    def detail(self) -> dict:
        """What the filter was, for the audit row of a view or an export: ids and codes only."""
        out = {}
        if self.person_asked:
            out["people"] = [p.pk for p in self.people]
        if self.actor is not None:
            out["actor"] = self.actor.pk
        if self.action:
            out["action"] = self.action
        if self.date_from:
            out["from"] = self.date_from.isoformat()
        if self.date_to:
            out["to"] = self.date_to.isoformat()
        if self.region is not None:
            out["region"] = self.region.code
        return out


def _get(params, name) -> str:
    value = params.get(name, "") if params is not None else ""
    return ("" if value is None else str(value)).strip()[:200]


def _date(raw: str, label: str, errors: dict, key: str) -> dt.date | None:
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        errors[key] = _("%(label)s harus tanggal dengan format TTTT-BB-HH, mis. 2026-11-30.") % {"label": label}
        return None


def actors_for(user):
    """The accounts the actor filter offers: the viewer's region and below (all for national)."""
    qs = get_user_model().objects.order_by("first_name", "last_name", "username")
    if user.region_id != NATION_CODE:
        qs = qs.filter(region__code__startswith=user.region_id)
    return qs


def audit_log_filters_from(params, user) -> AuditLogFilters:
    """Filters from request parameters (a QueryDict or dict; see the module docstring), checked
    and bounded. Anything wrong is a ValidationError naming each parameter, in Indonesian."""
    f = AuditLogFilters()
    errors: dict = {}
    nik = re.sub(r"[\s.\-]", "", _get(params, "nik"))
    person_id = _get(params, "orang")
    if nik:
        f.person_asked = True
        if not NIK.fullmatch(nik):
            errors["nik"] = _("NIK harus 16 angka.")
        else:
            f.people = list(Person.objects.for_user(user).filter(nik=nik).order_by("pk")[:20])
    if person_id:
        f.person_asked = True
        if not person_id.isdigit() or len(person_id) > 18:
            errors["orang"] = _("Warga tidak dikenal.")
        else:
            found = list(Person.objects.for_user(user).filter(pk=int(person_id)))
            if not found:
                # Out of scope reads exactly like a person who does not exist.
                errors["orang"] = _("Warga tidak ditemukan di wilayah Anda.")
            f.people = [p for p in f.people if p.pk == int(person_id)] if nik else found
    actor = _get(params, "petugas")
    if actor:
        if not actor.isdigit() or len(actor) > 18:
            errors["petugas"] = _("Petugas tidak dikenal.")
        else:
            f.actor = actors_for(user).filter(pk=int(actor)).first()
            if f.actor is None:
                errors["petugas"] = _("Petugas tidak ditemukan di wilayah Anda.")
    action = _get(params, "aksi")
    if action:
        if not ACTION_CODE.fullmatch(action):
            errors["aksi"] = _("Tindakan tidak dikenal.")
        else:
            f.action = action
    f.date_from = _date(_get(params, "dari"), _("Tanggal awal"), errors, "dari")
    f.date_to = _date(_get(params, "sampai"), _("Tanggal akhir"), errors, "sampai")
    if f.date_from and f.date_to:
        if f.date_to < f.date_from:
            errors["sampai"] = _("Tanggal akhir tidak boleh sebelum tanggal awal.")
        elif (f.date_to - f.date_from).days > MAX_DAYS:
            errors["sampai"] = _("Rentang tanggal paling lama tiga tahun.")
    region = _get(params, "wilayah")
    if region:
        try:
            f.region = resolve_region(user, region)
        except ValidationError as exc:
            errors["wilayah"] = exc.messages[0]
    if errors:
        raise ValidationError(errors)
    return f


def _scope_q(user) -> Q:
    if not can(user, "view_audit_log") or not user.region_id:
        return Q(pk__in=[])
    if user.region_id == NATION_CODE:
        return Q()
    return Q(region_code__startswith=user.region_id)


def _day_start(day: dt.date, zone) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=zone)


def audit_log(user, filters: AuditLogFilters):
    """The events the filters select, newest first (a queryset: the page paginates it, the export
    streams it). Nothing for a viewer without `view_audit_log`."""
    if not can(user, "view_audit_log"):
        return AuditEvent.objects.none()
    if filters.person_asked:
        if not filters.people:
            return AuditEvent.objects.none()
        q = Q(pk__in=[])
        for person in filters.people:
            held = person_records(user, person)
            q |= access_q(person, **{k: list(v.select_related(None).only("pk")) for k, v in held.items()})
    else:
        q = _scope_q(user)
    qs = AuditEvent.objects.filter(q)
    if filters.actor is not None:
        qs = qs.filter(actor=filters.actor)
    if filters.action:
        qs = qs.filter(action=filters.action)
    zone = zone_of(user.region_id or "")
    if filters.date_from:
        qs = qs.filter(at__gte=_day_start(filters.date_from, zone))
    if filters.date_to:
        qs = qs.filter(at__lt=_day_start(filters.date_to + dt.timedelta(days=1), zone))
    if filters.region is not None and filters.region.code != NATION_CODE:
        qs = qs.filter(region_code__startswith=filters.region.code)
    return qs.select_related("actor").order_by("-at", "-pk")


ROLE_LABELS = dict(Role.choices)


def actor_label(actor) -> str:
    if actor is None:
        return _("sistem")
    name = actor.get_full_name() or actor.username
    return f"{name} ({ROLE_LABELS.get(actor.role, actor.role)})"


def _person_ids(event) -> list[int]:
    """The people an event is about: its object when that is a person, else the people a list
    page showed (`record_shown`'s `people`)."""
    if event.object_type == Person._meta.label_lower and event.object_id.isdigit():
        return [int(event.object_id)]
    ids = (event.detail or {}).get("people") or []
    return [i for i in ids if isinstance(i, int)]


def audit_rows(user, events) -> list[dict]:
    """Rows of a page (or an export batch) in names: when, who (name and role), what (the action
    in words), about whom (the person's name as the viewer's role may see it, masked otherwise;
    at most three named, then a count), where (the region's name)."""
    events = list(events)
    wanted = {i for e in events for i in _person_ids(e)[:3]}
    household_ids = {int(e.object_id) for e in events
                     if e.object_type == Household._meta.label_lower and e.object_id.isdigit()}
    people = {p.pk: p for p in Person.objects.for_user(user).filter(pk__in=wanted).only("pk", "nama", "nik")}
    heads = {}
    if household_ids:
        for p in (Person.objects.for_user(user).filter(household_id__in=household_ids, is_active=True)
                  .order_by("household_id", "pk").only("pk", "nama", "household_id")):
            heads.setdefault(p.household_id, p)
    labels = region_labels({e.region_code for e in events if e.region_code})
    full_nik = can(user, "see_full_nik")
    rows = []
    for e in events:
        ids = _person_ids(e)
        shown = [people[i] for i in ids[:3] if i in people]
        if e.object_type == Household._meta.label_lower and e.object_id.isdigit() and int(e.object_id) in heads:
            shown = [heads[int(e.object_id)]]
        names = [show_person_name(user, p.nama) for p in shown]
        more = len(ids) - len(shown) if len(ids) > 3 else 0
        counts = {k: len(v) for k, v in (e.detail or {}).items() if k in SHOWN_KEYS and isinstance(v, list)}
        rows.append({
            "id": e.pk,
            "at": e.at,
            "actor": actor_label(e.actor),
            "action": e.action,
            "action_label": action_label(e.action),
            "people": names,
            "people_more": more,
            "niks": [p.nik if full_nik else mask_nik(p.nik) for p in shown],
            "people_ids": [p.pk for p in shown],
            "shown_count": counts.get("people", 0),
            "region": labels.get(e.region_code, "") if e.region_code else "",
            "erased": e.erased_at is not None,
        })
    return rows


def record_audit_log_view(user, filters: AuditLogFilters | None, *, count: int, page: int = 1, people=(),
                          action: str = "audit_log.view"):
    """Reading the audit log is itself audited: who looked, with which filter (ids and codes only),
    and which residents the page named (`people`, as lists record them)."""
    detail = {"page": page, "filter": filters.detail() if filters is not None else {}}
    region = filters.region.code if filters is not None and filters.region is not None else ""
    return record_shown(user, action, count=count, region_code=region if region != NATION_CODE else "",
                        detail=detail, people=list(people))
