"""Registry proposals API: list, one, draft, the state machine, monthly batches, reconciliations.

Errors: 404 out of scope (as if missing), 403 `forbidden` / `four_eyes`, 409 `conflict` on a stale
version, 409 `invalid_transition` in the wrong state or for an action that only a meeting, batch
or release takes, 422 `validation_error` with `errors` naming each wrong column.
"""

from typing import Annotated

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from slrt.accounts.scoping import region_safe
from slrt.cases.models import Case
from slrt.core.api import ApiError, documented_choices, documented_text, require_capability, service_error
from slrt.core.exceptions import DeskError
from slrt.core.locking import ConflictError
from slrt.registry.tables import show_row

from .. import selectors, services
from ..models import Proposal, ProposalKind, ProposalOrigin, ProposalStatus
from ..workflow import USER_ACTIONS

router = Router(tags=["usulan"])
MAX_LIMIT = 200
Reason = Annotated[str, documented_text(max_length=services.MAX_TEXT)]


class ProposalOut(Schema):
    id: int
    kind: str
    status: str
    origin: str
    version: int
    desa_code: str
    data: dict
    base: dict
    reason: str
    removal_reason: str
    case_id: int | None
    household_id: int | None
    person_id: int | None
    meeting_id: int | None
    batch_id: int | None
    outcome_release: str | None
    outcome_note: str
    releases_checked: int
    actions: list[str]
    created_at: str
    updated_at: str


class ProposalPage(Schema):
    count: int
    counts: dict[str, int]
    items: list[ProposalOut]


class ProposalIn(Schema):
    kind: Annotated[str, documented_text(Proposal, "kind")]
    data: dict = {}
    reason: Reason = ""
    removal_reason: Annotated[str, documented_text(Proposal, "removal_reason")] = ""
    case_id: int | None = None


class ProposalPatch(Schema):
    version: int
    data: dict
    reason: Reason | None = None


class ProposalTransitionIn(Schema):
    action: Annotated[str, documented_choices(USER_ACTIONS)] = Field(
        description="Tindakan petugas; agree, export, submit, accept dan reject terjadi lewat musyawarah, berkas "
        "usulan bulanan, atau rilis registri (409 invalid_transition di sini)"
    )
    version: int | None = None
    reason: Reason = ""


class BatchOut(Schema):
    id: int
    kab_code: str
    period: str
    status: str
    row_count: int
    created_at: str
    submitted_at: str | None


class ReconciliationOut(Schema):
    id: int
    release: str
    region_code: str
    created_at: str
    accepted: int
    pending: int
    rejected: int
    by_village: dict[str, dict[str, int]]


def proposal_out(p, user) -> dict:
    return {
        "id": p.pk, "kind": p.kind, "status": p.status, "origin": p.origin, "version": p.version,
        "desa_code": p.desa_code, "data": show_row(user, p.data or {}), "base": show_row(user, p.base or {}),
        "reason": p.reason, "removal_reason": p.removal_reason, "case_id": p.case_id,
        "household_id": p.household_id, "person_id": p.person_id, "meeting_id": p.meeting_id,
        "batch_id": p.batch_id, "outcome_release": str(p.outcome_release) if p.outcome_release_id else None,
        "outcome_note": p.outcome_note, "releases_checked": p.releases_checked,
        "actions": selectors.actions_for(user, p), "created_at": p.created_at.isoformat(),
        "updated_at": p.updated_at.isoformat(),
    }


@router.get("/proposals", response=ProposalPage, summary="Daftar usulan pemutakhiran di wilayah pemanggil")
@region_safe  # proposals_for reads through Proposal.objects.for_user
def list_proposals(
    request,
    status: Annotated[str | None, documented_choices(ProposalStatus.values)] = Query(
        None, description="draf, terverifikasi, diperiksa, disepakati, disetujui, ..."
    ),
    kind: Annotated[str | None, documented_choices(ProposalKind.values)] = Query(
        None, description="kk_baru, tambah_anggota, perubahan, penghapusan, tinjau_desil"
    ),
    desa: str | None = Query(None, description="Kode desa/kelurahan"),
    q: str | None = Query(None, description="NIK, nomor KK, nama, atau nomor usulan"),
    limit: int = Query(50, ge=1, le=MAX_LIMIT),
    offset: int = Query(0, ge=0, le=100_000),
):
    user = request.auth
    require_capability(user, "view_registry")
    if status and status not in ProposalStatus.values:
        raise ApiError(422, "invalid_status", _("Status usulan tidak dikenal."))
    if kind and kind not in ProposalKind.values:
        raise ApiError(422, "invalid_kind", _("Jenis usulan tidak dikenal."))
    filters = {"status": status, "kind": kind, "desa": desa, "q": q}
    qs = selectors.proposals_for(user, **filters).select_related("outcome_release")
    count = qs.count()
    items = list(qs[offset:offset + limit])
    selectors.audit_shown(user, items, total=count, searched=bool(q))
    return {"count": count, "counts": selectors.status_counts(user, **filters),
            "items": [proposal_out(p, user) for p in items]}


@router.get("/proposals/{proposal_id}", response=ProposalOut, summary="Satu usulan")
@region_safe  # get_proposal reads through for_user (and audits the read); out of scope is 404
def proposal_detail(request, proposal_id: int):
    require_capability(request.auth, "view_registry")
    return proposal_out(selectors.get_proposal(request.auth, proposal_id), request.auth)


@router.post("/proposals", response={201: ProposalOut}, summary="Buat draf usulan")
@region_safe  # the service reads registry records and the case through for_user
def create_proposal(request, payload: ProposalIn):
    user = request.auth
    case = None
    if payload.case_id is not None:
        case = Case.objects.for_user(user).filter(pk=payload.case_id).first()
        if case is None:
            raise ApiError(404, "not_found", _("Data tidak ditemukan."))
    try:
        p = services.draft_proposal(
            user, kind=payload.kind, data=payload.data, case=case, reason=payload.reason,
            removal_reason=payload.removal_reason, origin=ProposalOrigin.CASE if case else ProposalOrigin.MANUAL,
        )
    except (DeskError, ConflictError) as exc:
        raise service_error(exc)
    return 201, proposal_out(selectors.get_proposal(user, p.pk, audit=False), user)


@router.patch("/proposals/{proposal_id}", response=ProposalOut, summary="Ubah data usulan (draf, terverifikasi)")
@region_safe  # get_proposal and the service read through for_user; out of scope is 404
def patch_proposal(request, proposal_id: int, payload: ProposalPatch):
    """Replace the proposed data; `version` is the one read (stale: 409 `conflict`, nothing written)."""
    user = request.auth
    proposal = selectors.get_proposal(user, proposal_id, audit=False)
    try:
        services.update_data(user, proposal, payload.version, data=payload.data, reason=payload.reason)
    except (DeskError, ConflictError) as exc:
        raise service_error(exc)
    return proposal_out(selectors.get_proposal(user, proposal_id, audit=False), user)


@router.post("/proposals/{proposal_id}/transition", response=ProposalOut, summary="Pindahkan status usulan")
@region_safe  # get_proposal and the service read through for_user; out of scope is 404
def transition_proposal(request, proposal_id: int, payload: ProposalTransitionIn):
    user = request.auth
    proposal = selectors.get_proposal(user, proposal_id, audit=False)
    try:
        services.transition(user, proposal, payload.action, payload.version, reason=payload.reason)
    except (DeskError, ConflictError) as exc:
        raise service_error(exc)
    return proposal_out(selectors.get_proposal(user, proposal_id, audit=False), user)


@router.get("/proposal-batches", response=list[BatchOut], summary="Berkas usulan bulanan")
@region_safe  # batches_for limits batches to the caller's kabupaten/kota (province, nation)
def list_batches(request):
    user = request.auth
    require_capability(user, "export_proposals")
    return [
        {"id": b.pk, "kab_code": b.region_id, "period": b.period, "status": b.status, "row_count": b.row_count,
         "created_at": b.created_at.isoformat(),
         "submitted_at": b.submitted_at.isoformat() if b.submitted_at else None}
        for b in selectors.batches_for(user)[:MAX_LIMIT]
    ]


@router.get("/reconciliations/{reconciliation_id}", response=ReconciliationOut, summary="Hasil rekonsiliasi")
@region_safe  # get_reconciliation is scoped; only villages inside the caller's scope are listed
def reconciliation_detail(request, reconciliation_id: int):
    user = request.auth
    require_capability(user, "view_registry")
    r = selectors.get_reconciliation(user, reconciliation_id)
    rows = selectors.village_rows(user, r)
    return {
        "id": r.pk, "release": str(r.release), "region_code": r.region_code, "created_at": r.created_at.isoformat(),
        "accepted": sum(v["accepted"] for v in rows), "pending": sum(v["pending"] for v in rows),
        "rejected": sum(v["rejected"] for v in rows),
        "by_village": {v["code"]: {k: v[k] for k in ("accepted", "pending", "rejected")} for v in rows},
    }
