"""Referral API: list, one, draft, and the state machine (`POST .../transitions`).

Errors: 404 out of scope (as if missing), 403 a role not allowed the action, 409 `conflict` on
a stale version, 409 `invalid_transition` in the wrong state, 409 `consent_required` when the
resident did not consent to sharing, 422 `validation_error` naming each missing field, 422
`agency_outside_area` for an agency outside the resident's kabupaten/kota, province or nation.
"""

from typing import Annotated

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Query, Router

from slrt.accounts.scoping import region_safe
from slrt.audit.services import record
from slrt.cases.decisions import AGENCY_OUTSIDE_AREA, get_recommendation, outside_area_message
from slrt.cases.models import Need
from slrt.cases.selectors import get_case
from slrt.core.api import ApiError, documented_choices, require_capability, service_error
from slrt.core.exceptions import DeskError
from slrt.core.locking import ConflictError
from slrt.programs.models import AgencyService

from .. import selectors, services
from ..models import ReferralStatus
from .schemas import (
    ConsentWithdrawIn,
    ConsentWithdrawOut,
    ReferralIn,
    ReferralOut,
    ReferralPage,
    ReferralTransitionIn,
    referral_out,
    withdrawal_out,
)

router = Router(tags=["rujukan"])
MAX_LIMIT = 200


@router.get("/referrals", response=ReferralPage, summary="Daftar rujukan (staf: wilayahnya; Mitra: lembaganya)")
@region_safe  # referrals_for reads through Referral.objects.for_user
def list_referrals(
    request,
    status: Annotated[str | None, documented_choices(ReferralStatus.values)] = Query(
        None, description="draf, terkirim, diterima, ditolak, dilayani, selesai, ..."
    ),
    agency: str | None = Query(None, description="Kode lembaga"),
    sector: str | None = Query(None, description="Sektor kebutuhan"),
    overdue: bool = Query(False, description="Hanya yang melewati batas waktu"),
    date_from: str | None = Query(None, description="Sejak tanggal (TTTT-BB-HH)"),
    date_to: str | None = Query(None, description="Sampai tanggal (TTTT-BB-HH)"),
    limit: int = Query(50, ge=1, le=MAX_LIMIT, description="Jumlah hasil"),
    offset: int = Query(0, ge=0, le=100_000, description="Lewati sejumlah hasil"),
):
    user = request.auth
    require_capability(user, "view_referrals")
    if status and status not in ReferralStatus.values:
        raise ApiError(422, "invalid_status", _("Status rujukan tidak dikenal."))
    dates = {}
    for name, raw in (("date_from", date_from), ("date_to", date_to)):
        dates[name] = selectors.parse_date(raw)
        if raw and dates[name] is None:
            raise ApiError(422, "invalid_date", _("Tanggal tidak valid (format TTTT-BB-HH)."))
    qs = selectors.referrals_for(user, status=status, agency=agency, sector=sector, overdue=overdue, **dates)
    items = list(qs[offset : offset + limit])
    selectors.record_referrals_shown(user, items)
    return {"count": qs.count(), "items": [referral_out(r, user) for r in items]}


@router.get("/referrals/{referral_id}", response=ReferralOut, summary="Satu rujukan")
@region_safe  # get_referral reads through for_user; out of scope is 404
def referral_detail(request, referral_id: int):
    referral = selectors.get_referral(request.auth, referral_id)
    record(request.auth, "referral.view", referral, detail={"status": referral.status})
    return referral_out(referral, request.auth)


@router.post("/referrals", response={201: ReferralOut}, summary="Buat draf rujukan untuk satu kebutuhan")
@region_safe  # the case is read through Case.objects.for_user; out of scope is 404
def create_referral(request, payload: ReferralIn):
    user = request.auth
    need = Need.objects.filter(pk=payload.need_id).first()
    if need is None:
        raise ApiError(404, "not_found", _("Data tidak ditemukan."))
    get_case(user, need.case_id, audit=False)
    recommendation = get_recommendation(user, payload.recommendation_id) if payload.recommendation_id else None
    service = None
    if payload.service_id is not None:
        service = AgencyService.objects.select_related("agency").filter(pk=payload.service_id).first()
        if service is None:
            raise ApiError(422, "invalid_service", _("Layanan lembaga tidak ditemukan."))
    try:
        referral = services.draft_referral(
            user, need, service=service, note=payload.note, recommendation=recommendation
        )
    except (DeskError, ConflictError) as exc:
        raise service_error(exc)
    except ValidationError as exc:
        if message := outside_area_message(exc):
            raise ApiError(422, AGENCY_OUTSIDE_AREA, message)
        raise
    return 201, referral_out(selectors.get_referral(user, referral.pk), user)


@router.post("/referrals/{referral_id}/transitions", response=ReferralOut, summary="Pindahkan status rujukan")
@region_safe  # get_referral and the service read through for_user; out of scope is 404
def transition_referral(request, referral_id: int, payload: ReferralTransitionIn):
    user = request.auth
    referral = selectors.get_referral(user, referral_id)
    fields = {k: getattr(payload, k) for k in ("reason", "service_given", "outcome", "service_date")}
    try:
        services.transition(user, referral, payload.action, payload.version, **fields)
    except (DeskError, ConflictError) as exc:
        raise service_error(exc)
    return referral_out(selectors.get_referral(user, referral_id), user)


@router.post(
    "/cases/{case_id}/consent/withdraw",
    response=ConsentWithdrawOut,
    summary="Warga menarik persetujuan berbagi data: draf rujukan dibatalkan, rujukan terkirim ditandai",
)
@region_safe  # get_case reads through Case.objects.for_user; the service locks the case in scope again
def withdraw_consent(request, case_id: int, payload: ConsentWithdrawIn):
    user = request.auth
    require_capability(user, "view_cases")
    case = get_case(user, case_id, audit=False)  # a write; the write is audited
    try:
        result = services.withdraw_share_consent(user, case, payload.version, payload.reason)
    except (DeskError, ConflictError) as exc:
        raise service_error(exc)
    return withdrawal_out(result)
