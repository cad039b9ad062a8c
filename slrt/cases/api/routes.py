"""Service desk API: intake search, cases, needs, follow-up tasks, close/reopen, public status.

Thin by design: parameters are checked here, rules live in `cases.services`, reads in
`cases.selectors` (region scope: outside it is 404 like a missing case). Writes to an existing
case or need carry the `version` read; a stale one answers 409 `conflict`.
"""

import datetime as dt
from functools import wraps
from typing import Annotated

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Query, Router

from slrt.accounts.models import User
from slrt.accounts.roles import can
from slrt.accounts.scoping import region_safe
from slrt.audit.services import record, record_shown, shown_ids
from slrt.core.api import ApiError, documented_choices, require_capability
from slrt.core.http import pdf_response
from slrt.core.locking import ConflictError
from slrt.registry.api.schemas import person_hit
from slrt.registry.selectors.people import clean_number, get_person, search_people

from .. import receipt, selectors, services, tickets
from ..models import Case, CaseStatus, Channel, Urgency
from ..views import public_rate_limited
from .schemas import (
    CaseCreate,
    CaseCreated,
    CaseDetail,
    CasePage,
    CaseUpdate,
    IntakeSearchOut,
    NeedEdit,
    NeedIn,
    NeedOut,
    NeedStatusIn,
    PublicStatusIn,
    PublicStatusOut,
    ReceiptIn,
    ReceiptReprintOut,
    TaskDoneIn,
    TaskIn,
    TaskOut,
    VersionedReason,
    case_detail,
    case_summary,
    need_out,
    task_out,
)

router = Router(tags=["layanan"])

MAX_LIMIT = 200


def writes(view):
    """Map the service layer's exceptions to API errors with a machine-readable code."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except ConflictError as exc:
            raise ApiError(409, "conflict", str(exc.message))
        except PermissionDenied as exc:
            raise ApiError(403, "forbidden", str(exc) or _("Peran Anda tidak boleh melakukan tindakan ini."))
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
            for key, code in (("search", "search_required"), ("consent_given", "consent_required")):
                if key in errors:
                    raise ApiError(422, code, " ".join(errors[key]))
            if "case" in errors:
                raise ApiError(422, "not_allowed", " ".join(errors["case"]))
            raise

    return wrapped


def _case(user, case_id: int, *, audit: bool = False):
    require_capability(user, "view_cases")
    return selectors.get_case(user, case_id, audit=audit)


def _detail(case, user):
    case = selectors.cases_for(user).get(pk=case.pk)
    return case_detail(case, user)


# --- intake ------------------------------------------------------------------------------------


@router.get("/cases/intake-search", response=IntakeSearchOut, summary="Cari warga sebelum mencatat keluhan")
@region_safe  # search_people reads through Person.objects.for_user
def intake_search(
    request,
    nik: str | None = Query(None, description="NIK 16 digit"),
    kk: str | None = Query(None, description="Nomor KK 16 digit"),
    q: str | None = Query(None, description="Nama"),
):
    user = request.auth
    require_capability(user, "intake_case")
    nik_digits, kk_digits, name = clean_number(nik), clean_number(kk), " ".join((q or "").split())
    for value, code, message in (
        (nik_digits, "invalid_nik", _("NIK harus terdiri dari 16 digit angka.")),
        (kk_digits, "invalid_kk", _("Nomor KK harus terdiri dari 16 digit angka.")),
    ):
        if value and not (value.isdigit() and len(value) == 16):
            raise ApiError(422, code, message)
    if len(name) > 150 or (name and len(name) < 2):
        raise ApiError(422, "invalid_query", _("Nama yang dicari harus 2-150 karakter."))
    if not (nik_digits or kk_digits or name):
        raise ApiError(422, "missing_query", _("Isi salah satu: nik, kk, atau q (nama)."))
    people = search_people(user, nik=nik_digits or None, nomor_kk=kk_digits or None, q=name or None, limit=20)
    by = [k for k, v in (("nik", nik_digits), ("kk", kk_digits), ("nama", name)) if v]
    record_shown(user, "person.search", count=len(people), detail={"by": by, "for": "intake"},
                 people=shown_ids(people), households=shown_ids(people, "household_id"))
    full = can(user, "see_full_nik")
    return {
        "items": [person_hit(p, full=full) for p in people],
        "search_token": tickets.issue_search_token(user, by[0]),
    }


@router.post("/cases", response={201: CaseCreated}, summary="Catat keluhan baru (dengan kebutuhan dan persetujuan)")
@region_safe  # the person is read through get_person (for_user); the desa must be inside the scope
@writes
def create_case(request, payload: CaseCreate):
    user = request.auth
    require_capability(user, "intake_case")
    person = None
    if payload.person_id is not None:
        person = get_person(user, payload.person_id)  # 404 outside scope
    new_person = None
    if payload.new_person is not None:
        p = payload.new_person
        new_person = services.NewPerson(name=p.name, desa_code=p.desa_code, nik=p.nik, address=p.address)
    elif person is None and not payload.consent.given:
        # An anonymous case has no person; it still lives in a desa of the desk's scope.
        new_person = services.NewPerson(name="", desa_code=user.region_id or "")
    intake = services.Intake(
        complaint_type=payload.complaint_type,
        channel=payload.channel,
        urgency=payload.urgency,
        summary=payload.summary,
        phone=payload.phone,
        email=payload.email,
        needs=[n.dict() for n in payload.needs],
        consent_given=payload.consent.given,
        consent_purpose=payload.consent.purpose,
        consent_share_agencies=payload.consent.share_with_agencies,
    )
    result = services.create_case(user, intake, person=person, new_person=new_person, search_token=payload.search_token)
    body = _detail(result.case, user)
    body["status_code"] = tickets.format_status_code(result.status_code)
    return 201, body


# --- reading -----------------------------------------------------------------------------------


@router.get("/cases", response=CasePage, summary="Daftar kasus di wilayah tugas (dengan saringan)")
@region_safe  # list_cases reads through Case.objects.for_user
def list_cases(
    request,
    status: Annotated[str | None, documented_choices(CaseStatus.values)] = Query(
        None, description="baru, diproses, selesai"
    ),
    sector: str | None = Query(None, description="Sektor kebutuhan (kode sektor program)"),
    urgency: Annotated[str | None, documented_choices(Urgency.values)] = Query(None),
    channel: Annotated[str | None, documented_choices(Channel.values)] = Query(None),
    region: str | None = Query(None, description="Kode wilayah di dalam wilayah tugas"),
    date_from: str | None = Query(None, description="Tanggal awal, YYYY-MM-DD"),
    date_to: str | None = Query(None, description="Tanggal akhir, YYYY-MM-DD"),
    overdue: bool = Query(False, description="Hanya kasus dengan tindak lanjut terlambat"),
    ticket: str | None = Query(None, description="Bagian dari nomor tiket"),
    limit: int = Query(50, ge=1, le=MAX_LIMIT),
    offset: int = Query(0, ge=0, le=100_000),
):
    user = request.auth
    require_capability(user, "view_cases")
    from slrt.programs.models import Sector

    for value, choices, code in (
        (status, CaseStatus.values, "invalid_status"),
        (sector, Sector.values, "invalid_sector"),
        (urgency, Urgency.values, "invalid_urgency"),
        (channel, Channel.values, "invalid_channel"),
    ):
        if value and value not in choices:
            raise ApiError(
                422,
                code,
                _("Nilai %(value)s tidak dikenal; pilihan: %(choices)s.")
                % {"value": value, "choices": ", ".join(choices)},
            )
    dates = []
    for raw, name in ((date_from, "date_from"), (date_to, "date_to")):
        try:
            dates.append(dt.date.fromisoformat(raw) if raw else None)
        except ValueError:
            raise ApiError(422, "invalid_date", _("%(name)s harus tanggal YYYY-MM-DD.") % {"name": name})
    code = ""
    if region:
        try:
            code = selectors.region_filter(user, region)
        except ValueError as exc:
            if str(exc) == "outside":
                message = _("Wilayah %(code)s di luar wilayah tugas Anda.")
            else:
                message = _("Kode wilayah %(code)s tidak dikenal; contoh: 32.01 atau 3201022001.")
            raise ApiError(422, "invalid_region", message % {"code": region[:20]})
    filters = selectors.CaseFilters(
        status=status or "",
        sector=sector or "",
        urgency=urgency or "",
        channel=channel or "",
        desa=code,
        date_from=dates[0],
        date_to=dates[1],
        overdue=overdue,
        ticket=ticket or "",
    )
    qs = selectors.list_cases(user, filters)
    items = list(qs[offset : offset + limit])
    record_shown(user, "case.list", count=len(items), region_code=code, cases=shown_ids(items),
                 people=shown_ids(items, "person_id"))
    return {"items": [case_summary(c) for c in items], "count": len(items), "limit": limit, "offset": offset}


@router.get("/cases/{case_id}", response=CaseDetail, summary="Satu kasus")
@region_safe  # get_case reads through Case.objects.for_user; outside scope is 404
def get_case(request, case_id: int):
    case = _case(request.auth, case_id, audit=True)
    return case_detail(case, request.auth)


@router.patch("/cases/{case_id}", response=CaseDetail, summary="Ubah data kasus (dengan version)")
@region_safe  # get_case reads through Case.objects.for_user
@writes
def update_case(request, case_id: int, payload: CaseUpdate):
    case = _case(request.auth, case_id)
    values = {k: v for k, v in payload.dict(exclude={"version"}).items() if v is not None}
    services.update_case(request.auth, case, payload.version, **values)
    return _detail(case, request.auth)


# --- needs -------------------------------------------------------------------------------------


def _need(user, case_id, need_id):
    require_capability(user, "view_cases")
    return selectors.get_need(user, case_id, need_id)


@router.post("/cases/{case_id}/needs", response={201: NeedOut}, summary="Tambah kebutuhan")
@region_safe  # get_case reads through Case.objects.for_user
@writes
def add_need(request, case_id: int, payload: NeedIn):
    case = _case(request.auth, case_id)
    need = services.add_need(request.auth, case, sector=payload.sector, description=payload.description)
    return 201, need_out(need)


@router.patch("/cases/{case_id}/needs/{need_id}", response=NeedOut, summary="Ubah kebutuhan (dengan version)")
@region_safe  # get_need reads the case through Case.objects.for_user
@writes
def edit_need(request, case_id: int, need_id: int, payload: NeedEdit):
    need = _need(request.auth, case_id, need_id)
    services.edit_need(request.auth, need, payload.version, sector=payload.sector, description=payload.description)
    return need_out(need)


@router.post("/cases/{case_id}/needs/{need_id}/status", response=NeedOut, summary="Status kebutuhan")
@region_safe  # get_need reads the case through Case.objects.for_user
@writes
def need_status(request, case_id: int, need_id: int, payload: NeedStatusIn):
    need = _need(request.auth, case_id, need_id)
    services.set_need_status(request.auth, need, payload.version, status=payload.status, outcome=payload.outcome)
    need.refresh_from_db()
    return need_out(need)


# --- tasks -------------------------------------------------------------------------------------


@router.get("/cases/{case_id}/tasks", response=list[TaskOut], summary="Tindak lanjut kasus")
@region_safe  # get_case reads through Case.objects.for_user
def list_tasks(request, case_id: int):
    case = _case(request.auth, case_id)
    tasks = list(case.tasks.all())
    # The tasks name the case's person: one row saying whose case's tasks were shown.
    record_shown(request.auth, "task.list", count=len(tasks), region_code=case.desa_code, cases=[case.pk],
                 people=shown_ids([case], "person_id"), tasks=shown_ids(tasks))
    return [task_out(t) for t in tasks]


@router.post("/cases/{case_id}/tasks", response={201: TaskOut}, summary="Tambah tindak lanjut")
@region_safe  # get_case reads through Case.objects.for_user; the assignee must work in the case's region
@writes
def add_task(request, case_id: int, payload: TaskIn):
    case = _case(request.auth, case_id)
    assignee = None
    if payload.assigned_to_id is not None:
        assignee = User.objects.filter(pk=payload.assigned_to_id).first()
        if assignee is None:
            raise ApiError(422, "invalid_assignee", _("Petugas tidak ditemukan."))
    need = None
    if payload.need_id is not None:
        need = case.needs.filter(pk=payload.need_id).first()
        if need is None:
            raise ApiError(422, "invalid_need", _("Kebutuhan itu bukan bagian dari kasus ini."))
    task = services.add_task(
        request.auth, case, title=payload.title, due_date=payload.due_date, assigned_to=assignee, need=need
    )
    return 201, task_out(task)


@router.post("/cases/{case_id}/tasks/{task_id}/done", response=TaskOut, summary="Selesaikan tindak lanjut")
@region_safe  # get_task reads the case through Case.objects.for_user
@writes
def complete_task(request, case_id: int, task_id: int, payload: TaskDoneIn):
    require_capability(request.auth, "view_cases")
    task = selectors.get_task(request.auth, case_id, task_id)
    services.complete_task(request.auth, task, result=payload.result)
    return task_out(task)


# --- close / reopen ----------------------------------------------------------------------------


@router.post("/cases/{case_id}/close", response=CaseDetail, summary="Tutup kasus (semua kebutuhan selesai)")
@region_safe  # get_case reads through Case.objects.for_user
@writes
def close_case(request, case_id: int, payload: VersionedReason):
    case = _case(request.auth, case_id)
    services.close_case(request.auth, case, payload.version, reason=payload.reason)
    return _detail(case, request.auth)


@router.post("/cases/{case_id}/reopen", response=CaseDetail, summary="Buka kembali kasus (dengan alasan)")
@region_safe  # get_case reads through Case.objects.for_user
@writes
def reopen_case(request, case_id: int, payload: VersionedReason):
    case = _case(request.auth, case_id)
    services.reopen_case(request.auth, case, payload.version, reason=payload.reason)
    return _detail(case, request.auth)


# --- receipt -----------------------------------------------------------------------------------


@router.post(
    "/cases/{case_id}/receipt.pdf",
    summary="Tanda terima (PDF) dengan kode status yang diterima saat pencatatan",
    openapi_extra={"responses": {200: {"description": "PDF", "content": {"application/pdf": {}}}}},
)
@region_safe  # get_case reads through Case.objects.for_user; outside scope is 404
def receipt_pdf(request, case_id: int, payload: ReceiptIn):
    # The code is only stored hashed, so the client sends the one it was given (in the body, never
    # in the URL, which ends up in access logs); a lost code is replaced by a reprint, as on the web.
    case = _case(request.auth, case_id)
    code = tickets.normalize_status_code(payload.status_code)
    if not tickets.status_code_matches(case.ticket, code, case.status_code_hash):
        raise ApiError(
            422,
            "invalid_status_code",
            _("status_code tidak cocok dengan kasus ini; cetak ulang tanda terima untuk kode status baru."),
        )
    record(request.auth, "case.receipt", case)
    return pdf_response(receipt.receipt_pdf(case, code), f"tanda-terima-{case.ticket}.pdf", attachment=True)


@router.post(
    "/cases/{case_id}/receipt/reprint",
    response=ReceiptReprintOut,
    summary="Cetak ulang tanda terima: kode status baru, kode lama tidak berlaku",
)
@region_safe  # get_case reads through Case.objects.for_user; outside scope is 404
@writes
def receipt_reprint(request, case_id: int):
    case = _case(request.auth, case_id)
    code = services.reissue_status_code(request.auth, case)
    return {"ticket": case.ticket, "status_code": tickets.format_status_code(code)}


# --- public ------------------------------------------------------------------------------------


@router.post(
    "/public/status",
    response=PublicStatusOut,
    auth=None,
    summary="Status tiket untuk warga (nomor tiket + kode status; tanpa data pribadi)",
)
@region_safe  # answers only for the exact ticket + code, with steps and dates, nothing personal
def public_status(request, payload: PublicStatusIn):
    if public_rate_limited(request):
        raise ApiError(
            429,
            "too_many_requests",
            _("Terlalu banyak percobaan dari perangkat ini. Tunggu satu menit, lalu coba lagi."),
        )
    ticket_max = Case._meta.get_field("ticket").max_length
    if len(payload.ticket) > ticket_max or len(payload.code) > tickets.STATUS_CODE_MAX_LENGTH:
        raise Http404
    steps = selectors.public_status(payload.ticket, payload.code)
    if steps is None:
        raise Http404
    return {
        "ticket": payload.ticket.strip().upper(),
        "steps": [{"key": s.key, "label": s.label, "done": s.done, "at": s.at} for s in steps],
    }
