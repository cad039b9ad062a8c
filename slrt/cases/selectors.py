"""Reads of the service desk. Everything starts from `Case.objects.for_user(user)`, so a case
outside the caller's region (or any case for a Mitra user) is a 404 like a missing one.

The public status page is the one read without a user: it answers only for the exact ticket
plus status code, and returns steps and dates, nothing personal.
"""

import datetime as dt
from dataclasses import dataclass, fields

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from slrt.accounts.roles import can
from slrt.accounts.scoping import COLUMN_FOR_LEVEL, in_scope
from slrt.audit.services import record
from slrt.core.queues import Queue, by_name
from slrt.wilayah.days import days_q
from slrt.wilayah.models import (
    NATION_CODE,
    Puskesos,
    Region,
    Secretariat,
    ancestor_codes,
    level_of,
    normalize_code,
)

from . import tickets
from .hooks import need_services
from .models import (
    Case,
    CaseStatus,
    Channel,
    ComplaintType,
    FollowUpTask,
    Need,
    NeedStatus,
    Recommendation,
    RecommendationStatus,
    Urgency,
)


def cases_for(user):
    return Case.objects.for_user(user)


def get_case(user, pk, *, audit: bool = True) -> Case:
    """One case in the user's scope, audited as a read of personal data; 404 otherwise."""
    try:
        case = cases_for(user).select_related("person", "household", "secretariat", "puskesos", "created_by").get(pk=pk)
    except (Case.DoesNotExist, ValueError, TypeError):
        raise Http404
    if audit:
        record(user, "case.view", case)
    return case


def get_need(user, case_pk, need_pk) -> Need:
    case = get_case(user, case_pk, audit=False)
    try:
        need = case.needs.get(pk=need_pk)
    except (Need.DoesNotExist, ValueError, TypeError):
        raise Http404
    need.case = case
    return need


def get_task(user, case_pk, task_pk) -> FollowUpTask:
    case = get_case(user, case_pk, audit=False)
    try:
        task = case.tasks.get(pk=task_pk)
    except (FollowUpTask.DoesNotExist, ValueError, TypeError):
        raise Http404
    task.case = case
    return task


@dataclass
class CaseFilters:
    status: str = ""  # a CaseStatus value, or OPEN_GROUP (new or in progress)
    sector: str = ""  # cases having a need in this sector (with need_status: the same need)
    urgency: str = ""
    channel: str = ""
    desa: str = ""  # a region code of any level inside the scope
    # Created from/to (inclusive), each case by the day of its own province (created_q).
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    overdue: bool = False
    ticket: str = ""
    antrian: str = ""  # a queue of CASE_QUEUES; the view checks the user may have it
    complaint_type: str = ""
    desk: str = ""  # "sekretariat", "puskesos", "sekretariat:<id>" (0: none recorded), "puskesos:<id>"
    in_registry: bool | None = None
    need_status: str = ""  # cases having a need in this NeedStatus (with sector: the same need)
    # Cases having a recommendation matching all of these at once (one and the same recommendation).
    rec_program: str = ""  # programme code
    rec_agency: str = ""  # agency code (recommendations of that agency's services)
    rec_service: int | None = None  # AgencyService id
    rec_status: str = ""  # RecommendationStatus value
    rec_override: bool | None = None  # approved over a "not eligible" match
    has_recommendation: bool = False  # cases having any recommendation (the rec_* narrow which)

    @property
    def active(self) -> bool:
        return any(getattr(self, f.name) not in ("", None, False) for f in fields(self))

    def recommendation_filter(self) -> dict:
        lookups = {}
        if self.rec_program:
            lookups["program__code"] = self.rec_program
        if self.rec_agency:
            lookups["service__agency__code"] = self.rec_agency
        if self.rec_service is not None:
            lookups["service_id"] = self.rec_service
        if self.rec_status:
            lookups["status"] = self.rec_status
        if self.rec_override is not None:
            lookups["eligibility_override"] = self.rec_override
        return lookups

    def need_filter(self) -> dict:
        lookups = {}
        if self.sector:
            lookups["sector"] = self.sector
        if self.need_status:
            lookups["status"] = self.need_status
        return lookups


OPEN_GROUP = "terbuka"  # status filter: not closed (new or in progress)
DESK_SECRETARIAT = "sekretariat"
DESK_PUSKESOS = "puskesos"


def region_filter(user, raw: str) -> str:
    """A region code asked for as a filter, normalised; ValueError unless it is a known region
    (or the nation) inside the user's scope, so a typo never silently lists nothing."""
    code = normalize_code(raw)
    if code != NATION_CODE and not Region.objects.filter(code=code).exists():
        raise ValueError("unknown")
    if not in_scope(user, code):
        raise ValueError("outside")
    return code


def created_q(date_from: dt.date | None, date_to: dt.date | None, region_code: str, field: str = "created_at") -> Q:
    """Cases created from `date_from` to `date_to` (inclusive; either may be open), each by the day
    of its own province (wilayah.days, the rule of reports.period.Period.q), so a figure and the
    list its link opens bound a day at the same midnight."""
    if not (date_from or date_to):
        return Q()
    return days_q(field, date_from, date_to, region_code)


# --- the query parameters of the case list (web page, exports, figures' links) -----------------

# Canonical name -> accepted aliases (the API's English names), so the exports API takes both.
PARAMS = {
    "antrian": (), "tiket": ("ticket",), "status": (), "sector": ("sektor",), "urgency": ("urgensi",),
    "channel": ("saluran",), "desa": ("region", "wilayah"), "dari": ("date_from", "from"),
    "sampai": ("date_to", "to"), "overdue": ("terlambat",), "jenis": ("complaint_type",),
    "loket": ("desk",), "registri": ("in_registry",), "kebutuhan": ("need_status",),
    "rekomendasi": (), "rek_program": (), "rek_lembaga": (), "rek_layanan": (), "rek_status": (), "rek_override": (),
}
MAX_PARAM = 200
YES = {"1", "ya", "on", "true", "y"}
NO = {"0", "tidak", "off", "false", "n"}


def _param(params, name: str) -> str:
    for key in (name, *PARAMS[name]):
        value = params.get(key)
        if value not in (None, ""):
            value = str(value).strip()
            if len(value) > MAX_PARAM:
                raise FilterError(name, _("Saringan %(param)s terlalu panjang.") % {"param": name})
            return value
    return ""


class FilterError(ValueError):
    """A bad filter parameter; `param` names it, the message says what is wrong (Indonesian)."""

    def __init__(self, param: str, message: str):
        super().__init__(message)
        self.param = param


def _choice(params, name: str, choices) -> str:
    value = _param(params, name)
    if value and value not in choices:
        raise FilterError(
            name,
            _("Saringan %(param)s: nilai %(value)s tidak dikenal; pilihan: %(choices)s.")
            % {"param": name, "value": value[:40], "choices": ", ".join(choices)},
        )
    return value


def _yes_no(params, name: str) -> bool | None:
    value = _param(params, name).lower()
    if not value:
        return None
    if value in YES:
        return True
    if value in NO:
        return False
    raise FilterError(name, _("Saringan %(param)s harus ya atau tidak.") % {"param": name})


def _date(params, name: str) -> dt.date | None:
    value = _param(params, name)
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise FilterError(
            name, _("Saringan %(param)s harus tanggal YYYY-MM-DD (mis. 2026-11-30).") % {"param": name}
        ) from None


def _desk(params) -> str:
    value = _param(params, "loket")
    if not value or value in (DESK_SECRETARIAT, DESK_PUSKESOS):
        return value
    kind, _sep, raw = value.partition(":")
    model = {DESK_SECRETARIAT: Secretariat, DESK_PUSKESOS: Puskesos}.get(kind)
    if model is not None and raw.isdigit() and len(raw) < 12:
        if (kind == DESK_SECRETARIAT and raw == "0") or model.objects.filter(pk=int(raw)).exists():
            return f"{kind}:{int(raw)}"
    raise FilterError(
        "loket",
        _("Saringan loket %(value)s tidak dikenal; pilihan: sekretariat, puskesos, sekretariat:<id>, puskesos:<id>.")
        % {"value": value[:40]},
    )


def case_filters_from(params, user) -> CaseFilters:
    """The case list's filters from query parameters (the list page, its export, the figures'
    links): one parser for all. Raises FilterError (a ValueError) naming the bad parameter.

    Parameters: antrian, tiket, status (baru, diproses, selesai, terbuka = not closed), sector,
    urgency, channel, desa (a region inside the scope: code or name), dari/sampai (created, YYYY-MM-DD,
    inclusive, by the province's own day), overdue (ya), jenis (complaint type), loket, registri
    (ya/tidak), kebutuhan (need status), rek_program, rek_lembaga, rek_layanan (service id),
    rek_status, rek_override (ya/tidak), rekomendasi (ya: having any recommendation)."""
    from slrt.programs.models import Sector
    from slrt.wilayah.names import resolve_region

    f = CaseFilters()
    f.antrian = _choice(params, "antrian", [q.name for q in CASE_QUEUES.values() if can(user, q.capability)])
    f.ticket = _param(params, "tiket")[:32]
    f.status = _choice(params, "status", [*CaseStatus.values, OPEN_GROUP])
    f.sector = _choice(params, "sector", Sector.values)
    f.urgency = _choice(params, "urgency", Urgency.values)
    f.channel = _choice(params, "channel", Channel.values)
    f.complaint_type = _choice(params, "jenis", ComplaintType.values)
    f.need_status = _choice(params, "kebutuhan", NeedStatus.values)
    f.rec_status = _choice(params, "rek_status", RecommendationStatus.values)
    raw_region = _param(params, "desa")
    if raw_region:
        try:
            f.desa = NATION_CODE if raw_region == NATION_CODE else resolve_region(user, raw_region).code
        except DjangoValidationError as exc:
            raise FilterError("desa", " ".join(exc.messages)) from None
        if not in_scope(user, f.desa):
            raise FilterError("desa", _("Wilayah %(code)s di luar wilayah tugas Anda.") % {"code": f.desa})
    f.date_from, f.date_to = _date(params, "dari"), _date(params, "sampai")
    if f.date_from and f.date_to and f.date_to < f.date_from:
        raise FilterError("sampai", _("Saringan sampai: tanggal akhir tidak boleh sebelum tanggal awal."))
    f.overdue = bool(_yes_no(params, "overdue"))
    f.in_registry = _yes_no(params, "registri")
    f.desk = _desk(params)
    f.rec_program = _param(params, "rek_program")[:40]
    f.rec_agency = _param(params, "rek_lembaga")[:40]
    service = _param(params, "rek_layanan")
    if service:
        if not service.isdigit() or len(service) > 12:
            raise FilterError("rek_layanan", _("Saringan rek_layanan harus nomor layanan lembaga."))
        f.rec_service = int(service)
    f.rec_override = _yes_no(params, "rek_override")
    f.has_recommendation = bool(_yes_no(params, "rekomendasi"))
    return f


def filter_params(f: CaseFilters) -> dict[str, str]:
    """The query parameters that select `f` (the inverse of case_filters_from). The nation filters
    nothing beyond the user's own scope, and the list's region box takes no nation: it is left out."""
    values = {
        "antrian": f.antrian, "tiket": f.ticket, "status": f.status, "sector": f.sector, "urgency": f.urgency,
        "channel": f.channel, "desa": "" if f.desa == NATION_CODE else f.desa,
        "dari": f.date_from.isoformat() if f.date_from else "",
        "sampai": f.date_to.isoformat() if f.date_to else "", "overdue": "ya" if f.overdue else "",
        "jenis": f.complaint_type, "loket": f.desk, "kebutuhan": f.need_status, "rek_program": f.rec_program,
        "rek_lembaga": f.rec_agency, "rek_layanan": str(f.rec_service) if f.rec_service is not None else "",
        "rek_status": f.rec_status, "rekomendasi": "ya" if f.has_recommendation else "",
        "registri": "" if f.in_registry is None else ("ya" if f.in_registry else "tidak"),
        "rek_override": "" if f.rec_override is None else ("ya" if f.rec_override else "tidak"),
    }
    return {k: v for k, v in values.items() if v}


def case_list_url(**filters) -> str:
    """The case list selecting exactly `CaseFilters(**filters)` (figures link here)."""
    from urllib.parse import urlencode

    from django.urls import reverse

    return f"{reverse('cases:list')}?{urlencode(filter_params(CaseFilters(**filters)))}"


def describe_filters(f: CaseFilters) -> list[tuple[str, str]]:
    """The active filters as (what, value) in names, not codes, for the "filter active" line."""
    from django.utils.formats import date_format

    from slrt.programs.models import Agency, AgencyService, Program, Sector
    from slrt.wilayah.names import region_label

    def label(choices, value):
        return str(dict(choices.choices).get(value, value))

    out = []
    if f.antrian and f.antrian in CASE_QUEUES:
        out.append((_("Antrian"), str(CASE_QUEUES[f.antrian].label)))
    if f.ticket:
        out.append((_("Nomor tiket"), f.ticket))
    if f.status:
        out.append((_("Status"), _("Belum selesai") if f.status == OPEN_GROUP else label(CaseStatus, f.status)))
    if f.complaint_type:
        out.append((_("Jenis keluhan"), label(ComplaintType, f.complaint_type)))
    if f.sector:
        out.append((_("Sektor kebutuhan"), label(Sector, f.sector)))
    if f.need_status:
        out.append((_("Status kebutuhan"), label(NeedStatus, f.need_status)))
    if f.urgency:
        out.append((_("Urgensi"), label(Urgency, f.urgency)))
    if f.channel:
        out.append((_("Saluran"), label(Channel, f.channel)))
    if f.desa:
        out.append((_("Wilayah"), _("Indonesia") if f.desa == NATION_CODE else region_label(f.desa)))
    if f.date_from or f.date_to:
        start = date_format(f.date_from, "j M Y") if f.date_from else "…"
        end = date_format(f.date_to, "j M Y") if f.date_to else "…"
        out.append((_("Masuk"), f"{start} – {end}"))
    if f.overdue:
        out.append((_("Tindak lanjut"), _("terlambat")))
    if f.in_registry is not None:
        out.append((_("Registri"), _("terdaftar") if f.in_registry else _("tidak terdaftar")))
    if f.desk:
        out.append((_("Loket"), desk_label(f.desk)))
    if f.has_recommendation:
        out.append((_("Rekomendasi"), _("ada")))
    if f.rec_program:
        program = Program.objects.filter(code=f.rec_program).first()
        out.append((_("Rekomendasi program"), program.name if program else f.rec_program))
    if f.rec_agency:
        agency = Agency.objects.filter(code=f.rec_agency).first()
        out.append((_("Rekomendasi lembaga"), agency.name if agency else f.rec_agency))
    if f.rec_service is not None:
        service = AgencyService.objects.filter(pk=f.rec_service).select_related("agency").first()
        out.append((_("Rekomendasi layanan"), f"{service.agency.name}: {service.name}" if service else "—"))
    if f.rec_status:
        out.append((_("Status rekomendasi"), label(RecommendationStatus, f.rec_status)))
    if f.rec_override is not None:
        out.append((_("Menyimpangi pencocokan"), _("ya") if f.rec_override else _("tidak")))
    return out


def desk_label(desk: str) -> str:
    """A desk filter value in words: the secretariat's or Puskesos' name."""
    if desk == DESK_SECRETARIAT:
        return _("Sekretariat SLRT (semua)")
    if desk == DESK_PUSKESOS:
        return _("Puskesos (semua)")
    kind, _sep, raw = desk.partition(":")
    if kind == DESK_SECRETARIAT and raw == "0":
        return _("Sekretariat SLRT (loket tidak tercatat)")
    obj = (Secretariat if kind == DESK_SECRETARIAT else Puskesos).objects.filter(pk=int(raw)).first()
    return obj.name if obj else "—"


def desk_choices(user) -> list[tuple[str, str]]:
    """The desks a user may filter by: both kinds, the secretariats in or above the scope, the
    Puskesos posts inside it."""
    code = user.region_id or ""
    if not code:
        return []
    if code == NATION_CODE:
        secretariats, posts = Secretariat.objects.all(), Puskesos.objects.all()
    else:
        above_or_in = Q(region_id__in=ancestor_codes(code)) | Q(region__code__startswith=f"{code}.")
        secretariats = Secretariat.objects.filter(above_or_in)
        posts = Puskesos.objects.filter(Q(region_id=code) | Q(region__code__startswith=f"{code}."))
    return [
        (DESK_SECRETARIAT, _("Sekretariat SLRT (semua)")),
        (DESK_PUSKESOS, _("Puskesos (semua)")),
        *((f"{DESK_SECRETARIAT}:{pk}", name) for pk, name in secretariats.order_by("name").values_list("pk", "name")),
        *((f"{DESK_PUSKESOS}:{pk}", name) for pk, name in posts.order_by("name").values_list("pk", "name")[:500]),
    ]


def desk_q(desk: str) -> Q:
    if desk == DESK_SECRETARIAT:
        return Q(puskesos__isnull=True)
    if desk == DESK_PUSKESOS:
        return Q(puskesos__isnull=False)
    kind, _sep, raw = desk.partition(":")
    if kind == DESK_PUSKESOS:
        return Q(puskesos_id=int(raw))
    if raw == "0":
        return Q(puskesos__isnull=True, secretariat__isnull=True)
    return Q(puskesos__isnull=True, secretariat_id=int(raw))


def overdue_tasks_q():
    return FollowUpTask.objects.filter(case=OuterRef("pk"), done_at__isnull=True, due_date__lt=timezone.localdate())


def list_cases(user, f: CaseFilters):
    """The scoped case list with filters, newest first, annotated with `has_overdue`."""
    from slrt.accounts.scoping import region_q

    base = CASE_QUEUES[f.antrian].rows(user) if f.antrian in CASE_QUEUES else cases_for(user)
    qs = base.annotate(has_overdue=Exists(overdue_tasks_q()))
    if f.status == OPEN_GROUP:
        qs = qs.exclude(status=CaseStatus.CLOSED)
    elif f.status:
        qs = qs.filter(status=f.status)
    if f.need_filter():
        qs = qs.filter(Exists(Need.objects.filter(case=OuterRef("pk"), **f.need_filter())))
    if f.recommendation_filter() or f.has_recommendation:
        qs = qs.filter(Exists(Recommendation.objects.filter(case=OuterRef("pk"), **f.recommendation_filter())))
    if f.urgency:
        qs = qs.filter(urgency=f.urgency)
    if f.channel:
        qs = qs.filter(channel=f.channel)
    if f.complaint_type:
        qs = qs.filter(complaint_type=f.complaint_type)
    if f.in_registry is not None:
        qs = qs.filter(in_registry=f.in_registry)
    if f.desk:
        qs = qs.filter(desk_q(f.desk))
    if f.desa:
        # A filter that is not a region code matches nothing (callers validate with region_filter).
        if f.desa != NATION_CODE and level_of(f.desa) not in COLUMN_FOR_LEVEL:
            return qs.none()
        qs = qs.filter(region_q(f.desa))
    if f.date_from or f.date_to:
        qs = qs.filter(created_q(f.date_from, f.date_to, f.desa or user.region_id or NATION_CODE))
    if f.overdue:
        qs = qs.filter(has_overdue=True)
    if f.ticket:
        qs = qs.filter(ticket__icontains=f.ticket.strip())
    return qs.order_by("-created_at", "-pk")


# --- work queues (home cards and ?antrian= on the case list) -----------------------------------


def cases_today(user):
    """Cases the desk recorded today (local date) in the user's scope."""
    return cases_for(user).filter(created_at__date=timezone.localdate())


def cases_awaiting_assessment(user):
    """New cases: nobody has moved a need yet (workflow keeps them `baru` until then)."""
    return cases_for(user).filter(status=CaseStatus.NEW)


def cases_with_tasks_due(user):
    """Cases with an open follow-up due today or earlier."""
    due = FollowUpTask.objects.filter(case=OuterRef("pk"), done_at__isnull=True, due_date__lte=timezone.localdate())
    return cases_for(user).filter(Exists(due))


def cases_awaiting_decision(user):
    """Cases holding a recommendation drafted by someone else that waits for this decider
    (four eyes: one's own drafts are decided by another)."""
    drafts = Recommendation.objects.filter(case=OuterRef("pk"), status=RecommendationStatus.DRAFT).exclude(
        drafted_by=user
    )
    return cases_for(user).filter(Exists(drafts))


CASE_QUEUES = by_name(
    Queue("hari_ini", _lazy("Kasus masuk hari ini"), cases_today, "cases:list", "view_cases",
          hint=_lazy("dicatat di wilayah Anda hari ini")),
    Queue("menunggu_asesmen", _lazy("Kasus menunggu asesmen"), cases_awaiting_assessment, "cases:list",
          "view_cases", hint=_lazy("belum ada kebutuhan yang ditangani")),
    Queue("tindak_lanjut", _lazy("Kasus dengan tindak lanjut jatuh tempo"), cases_with_tasks_due, "cases:list",
          "view_cases", hint=_lazy("tenggat hari ini atau sudah lewat"), warn=True),
    Queue("menunggu_keputusan", _lazy("Kasus dengan rekomendasi menunggu keputusan Anda"),
          cases_awaiting_decision, "cases:list", "approve_recommendation",
          hint=_lazy("disusun petugas lain"), warn=True),
)


# --- public status -----------------------------------------------------------------------------

# A ticket that does not exist is compared against this, so both wrong answers take as long.
_DUMMY_HASH = tickets.hash_status_code("SLRT-0000-0000-000000", "X")


ASSESSMENT_EVENTS = {
    "need.status",
    "need.edited",
    "recommendation.drafted",
    "referral.drafted",
    "task.added",
    "assessment.recorded",
}


@dataclass
class Step:
    key: str
    label: str
    done: bool
    at: dt.datetime | None


def public_status(ticket: str, code: str) -> list[Step] | None:
    """The steps of a case for the resident holding its ticket and status code; None otherwise.

    None both for an unknown ticket and for a wrong code (no hint which), compared in
    constant time. Only steps and dates come back: no names, NIKs, addresses or staff.
    """
    from django.utils.translation import gettext as _

    ticket = (ticket or "").strip().upper()
    case = Case.objects.system().filter(ticket=ticket).first() if 0 < len(ticket) <= 32 else None
    stored = case.status_code_hash if case is not None else _DUMMY_HASH
    ok = tickets.status_code_matches(ticket if case is not None else "SLRT-0000-0000-000000", code, stored)
    if case is None or not ok:
        return None
    events = {}
    for kind, at in case.events.order_by("at").values_list("kind", "at"):
        events.setdefault(kind, at)
    needs = list(case.needs.all())
    recs = list(case.recommendations.all())
    services = need_services(case)  # the referrals of its needs
    # Verified/assessed: the first sign that someone worked on the needs after intake.
    verified = [at for kind, at in events.items() if kind in ASSESSMENT_EVENTS]
    if not verified and case.status != CaseStatus.NEW:
        verified = [case.updated_at]
    decided = [r.decided_at for r in recs if r.status == RecommendationStatus.APPROVED and r.decided_at]
    referred = [s.sent_at for s in services if s.sent_at]
    served = [s.served_at for s in services if s.served_at] + (
        [events["need.status"]]
        if any(n.status == NeedStatus.HANDLED for n in needs) and "need.status" in events
        else []
    )
    closed = case.closed_at if case.status == CaseStatus.CLOSED else None
    return [
        Step("diterima", _("Diterima"), True, case.created_at),
        Step(
            "asesmen",
            _("Diverifikasi/asesmen"),
            bool(verified) or bool(decided) or bool(closed),
            min(verified) if verified else None,
        ),
        Step("ditetapkan", _("Ditetapkan"), bool(decided), min(decided) if decided else None),
        Step("dirujuk", _("Dirujuk"), bool(referred), min(referred) if referred else None),
        Step("dilayani", _("Dilayani"), bool(served), min(served) if served else None),
        Step("selesai", _("Selesai"), closed is not None, closed),
    ]
