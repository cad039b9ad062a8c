"""Data-subject requests API (UU PDP): list, one, receive, verify identity, the copy (PDF), the
correction (registry proposal or case edit), refuse or withdraw.

Errors: 404 out of scope (as if missing), 403 `forbidden`, 409 `conflict` on a stale version,
409 `invalid_transition` in the wrong state (e.g. a copy before the identity check), 422
`validation_error` with `errors` naming each wrong field.
"""

import datetime as dt
from typing import Annotated

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from slrt.accounts.scoping import region_safe
from slrt.core.api import ApiError, documented_choices, require_capability, service_error
from slrt.core.exceptions import DeskError
from slrt.core.http import pdf_response
from slrt.core.locking import ConflictError
from slrt.registry.tables import show_number

from .. import selectors, services
from ..models import IdentityMethod, RequestChannel, RequestKind, RequestStatus
from ..workflow import SIMPLE_ACTIONS

router = Router(tags=["data pribadi"])
MAX_LIMIT = 200
Text255 = Annotated[str, Field(max_length=255)]
Text2000 = Annotated[str, Field(max_length=2000)]


class DataRequestOut(Schema):
    id: int
    reference: str
    kind: str
    status: str
    version: int
    person_id: int
    nik: str = Field(description="Penuh untuk peran yang berhak, tersamar untuk yang lain")
    desa_code: str
    channel: str
    details: str
    received_at: str
    deadline_at: str
    overdue: bool
    identity_method: str
    identity_digits: str
    verified_at: str | None
    closed_at: str | None
    resolution: str
    outcome: str
    proposal_id: int | None
    case_id: int | None
    copies_issued: int
    actions: list[str]


class DataRequestPage(Schema):
    count: int
    items: list[DataRequestOut]


class DataRequestIn(Schema):
    person_id: int
    kind: Annotated[str, documented_choices(RequestKind.values)]
    channel: Annotated[str, documented_choices(RequestChannel.values)] = RequestChannel.DESK
    details: str = Field("", max_length=2000)
    received_at: dt.datetime | None = Field(None, description="Untuk surat/email: kapan diterima (≤ 30 hari lalu)")


class VerifyIn(Schema):
    version: int
    identity_method: Annotated[str, documented_choices(IdentityMethod.values)]
    identity_digits: str = Field(min_length=4, max_length=4, pattern=r"^\d{4}$",
                                 description="Empat digit terakhir nomor dokumen")
    identity_note: str = Field("", max_length=255)


class VersionIn(Schema):
    version: int


class ProposalCorrectionIn(Schema):
    version: int
    data: dict[str, Text255] = Field(
        description="Kolom berkas pertukaran registri yang diperbaiki, mis. {\"pekerjaan\": \"Petani\"}")
    reason: str = Field(max_length=2000)


class CaseCorrectionIn(Schema):
    version: int
    case_id: int
    case_version: int | None = None
    values: dict[str, Text2000] = Field(
        description="summary, urgency, applicant_phone, applicant_email, applicant_address")


class DataRequestTransitionIn(Schema):
    action: Annotated[str, documented_choices(SIMPLE_ACTIONS)]
    version: int
    reason: str = Field(max_length=2000)


class ProposalRef(Schema):
    request: DataRequestOut
    proposal_id: int


def _iso(value):
    return value.isoformat() if value else None


def request_out(r, user) -> dict:
    return {
        "id": r.pk, "reference": r.reference, "kind": r.kind, "status": r.status, "version": r.version,
        "person_id": r.person_id, "nik": show_number(user, r.person.nik), "desa_code": r.desa_code,
        "channel": r.channel, "details": r.details, "received_at": r.received_at.isoformat(),
        "deadline_at": r.deadline_at.isoformat(), "overdue": selectors.is_overdue(r),
        "identity_method": r.identity_method, "identity_digits": r.identity_digits,
        "verified_at": _iso(r.verified_at), "closed_at": _iso(r.closed_at), "resolution": r.resolution,
        "outcome": r.outcome, "proposal_id": r.proposal_id, "case_id": r.case_id, "copies_issued": r.copies_issued,
        "actions": selectors.actions_for(user, r),
    }


def _fresh(user, pk):
    return request_out(selectors.get_request(user, pk, audit=False), user)


@router.get("/data-requests", response=DataRequestPage, summary="Permintaan data pribadi di wilayah pemanggil")
@region_safe  # requests_for reads through DataRequest.objects.for_user
def list_requests(
    request,
    status: Annotated[str | None, documented_choices(RequestStatus.values)] = Query(None),
    kind: Annotated[str | None, documented_choices(RequestKind.values)] = Query(None),
    overdue: bool = Query(False, description="Hanya yang terbuka dan lewat tenggat 3×24 jam"),
    limit: int = Query(50, ge=1, le=MAX_LIMIT),
    offset: int = Query(0, ge=0, le=100_000),
):
    user = request.auth
    require_capability(user, "view_data_requests")
    if status and status not in RequestStatus.values:
        raise ApiError(422, "invalid_status", _("Status permintaan tidak dikenal."))
    if kind and kind not in RequestKind.values:
        raise ApiError(422, "invalid_kind", _("Jenis permintaan tidak dikenal."))
    queue = selectors.PRIVACY_QUEUES["lewat_tenggat"] if overdue else None
    qs = selectors.requests_for(user, status=status, kind=kind, queue=queue)
    items = list(qs[offset:offset + limit])
    selectors.record_requests_shown(user, items)
    return {"count": qs.count(), "items": [request_out(r, user) for r in items]}


@router.get("/data-requests/{request_id}", response=DataRequestOut, summary="Satu permintaan data pribadi")
@region_safe  # get_request reads through for_user; outside scope is 404
def request_detail(request, request_id: int):
    return request_out(selectors.get_request(request.auth, request_id), request.auth)


@router.post("/data-requests", response={201: DataRequestOut}, summary="Catat permintaan data pribadi warga")
@region_safe  # the service reads the person through Person.objects.for_user; outside scope is 404
def create_request(request, payload: DataRequestIn):
    received_at = payload.received_at
    if received_at is not None and timezone.is_naive(received_at):
        received_at = timezone.make_aware(received_at)
    try:
        r = services.receive(request.auth, person=payload.person_id, kind=payload.kind, channel=payload.channel,
                             details=payload.details, received_at=received_at)
    except DeskError as exc:
        raise service_error(exc)
    return 201, _fresh(request.auth, r.pk)


@router.post("/data-requests/{request_id}/verify", response=DataRequestOut,
             summary="Identitas pemohon diperiksa (dokumen asli di loket)")
@region_safe  # the service locks the request through the caller's scope
def verify(request, request_id: int, payload: VerifyIn):
    try:
        services.verify_identity(request.auth, request_id, payload.version, identity_method=payload.identity_method,
                                 identity_digits=payload.identity_digits, identity_note=payload.identity_note)
    except (DeskError, ConflictError) as exc:
        raise service_error(exc)
    return _fresh(request.auth, request_id)


@router.post(
    "/data-requests/{request_id}/copy",
    summary="Penuhi permintaan salinan: PDF seluruh data warga dan siapa yang melihat/mengubahnya",
    openapi_extra={"responses": {200: {"description": "PDF", "content": {"application/pdf": {}}}}},
)
@region_safe  # the service locks the request and reads the copy through the caller's scope
def copy(request, request_id: int, payload: VersionIn):
    try:
        content = services.issue_copy(request.auth, request_id, payload.version)
    except (DeskError, ConflictError) as exc:
        raise service_error(exc)
    return pdf_response(content, f"salinan-data-pribadi-{request_id}.pdf", attachment=True)


@router.post("/data-requests/{request_id}/correction", response=ProposalRef,
             summary="Penuhi permintaan perbaikan dengan usulan pemutakhiran registri (perubahan data)")
@region_safe  # the request and the proposal are written through the caller's scope
def correction(request, request_id: int, payload: ProposalCorrectionIn):
    try:
        proposal = services.propose_correction(request.auth, request_id, payload.version, data=payload.data,
                                               reason=payload.reason)
    except (DeskError, ConflictError) as exc:
        raise service_error(exc)
    return {"request": _fresh(request.auth, request_id), "proposal_id": proposal.pk}


@router.post("/data-requests/{request_id}/case-correction", response=DataRequestOut,
             summary="Penuhi permintaan perbaikan dengan mengubah data kasus warga")
@region_safe  # the person's cases are read through the caller's scope
def case_correction(request, request_id: int, payload: CaseCorrectionIn):
    try:
        services.correct_case(request.auth, request_id, payload.version, case_id=payload.case_id,
                              case_version=payload.case_version, values=payload.values)
    except (DeskError, ConflictError) as exc:
        raise service_error(exc)
    return _fresh(request.auth, request_id)


@router.post("/data-requests/{request_id}/transitions", response=DataRequestOut,
             summary="Tolak permintaan atau catat pencabutannya (dengan alasan)")
@region_safe  # the service locks the request through the caller's scope
def transition(request, request_id: int, payload: DataRequestTransitionIn):
    try:
        services.transition(request.auth, request_id, payload.action, payload.version, reason=payload.reason)
    except (DeskError, ConflictError) as exc:
        raise service_error(exc)
    return _fresh(request.auth, request_id)


@router.post(
    "/data-requests/{request_id}/copy/reprint",
    summary="Cetak ulang salinan permintaan yang sudah dipenuhi (data terkini; tercatat di log akses)",
    openapi_extra={"responses": {200: {"description": "PDF", "content": {"application/pdf": {}}}}},
)
@region_safe  # as copy
def reprint(request, request_id: int):
    try:
        content = services.reissue_copy(request.auth, request_id)
    except DeskError as exc:
        raise service_error(exc)
    return pdf_response(content, f"salinan-data-pribadi-{request_id}.pdf", attachment=True)
