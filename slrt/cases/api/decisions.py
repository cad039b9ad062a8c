"""Decision API: recommendations (draft, approve, reject; four eyes) and letter PDFs.

Errors: 404 out of scope, 403 `forbidden` for a role that may not, 403 `four_eyes` when the
drafter tries to decide, 409 `conflict` on a stale version, 409 `invalid_transition` when the
recommendation was already decided, 422 `validation_error` naming each field.
"""

import datetime as dt
from typing import Annotated

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from slrt.accounts.scoping import region_safe
from slrt.audit.services import record
from slrt.cases import decisions, letters
from slrt.cases.models import Need, Recommendation, RecommendationStatus
from slrt.cases.selectors import get_case
from slrt.core.api import ApiError, documented_text, service_error
from slrt.core.exceptions import DeskError
from slrt.core.http import pdf_response
from slrt.core.locking import ConflictError
from slrt.core.text import MAX_TEXT
from slrt.programs.models import AgencyService, Program

router = Router(tags=["penetapan"])


class RecommendationIn(Schema):
    need_id: int
    kind: Annotated[str, documented_text(Recommendation, "kind")] = Field(description="program, lembaga, or puskesos")
    program_id: int | None = None
    service_id: int | None = None
    note: Annotated[str, documented_text(max_length=MAX_TEXT)] = ""


class DecisionIn(Schema):
    version: int = Field(description="The `version` the caller read; a stale one answers 409 conflict")
    note: Annotated[str, documented_text(max_length=MAX_TEXT)] = ""
    override: bool = Field(
        False,
        description="Approve a programme that the matching marks not eligible (see `eligibility`); "
        "requires override_reason",
    )
    override_reason: Annotated[str, documented_text(max_length=MAX_TEXT)] = ""


class CriterionOut(Schema):
    field: str
    passed: bool = False
    text: str


class EligibilityOut(Schema):
    eligible: bool
    rule_version: int | None
    failed_criteria: list[CriterionOut] = Field(description="Kriteria yang tidak dipenuhi")
    explanation: list[CriterionOut]


class RecommendationOut(Schema):
    id: int
    case_id: int
    need_id: int
    kind: str
    program: str | None
    service: str | None
    note: str
    status: str
    version: int
    drafted_by: str
    drafted_at: dt.datetime
    decided_by: str | None
    decided_at: dt.datetime | None
    decision_note: str
    letter_ids: list[int]
    referral_ids: list[int]
    eligibility: EligibilityOut | None = Field(
        description="Hasil pencocokan program untuk keluarga kasus (draf program); null bila tidak dapat dinilai"
    )
    eligibility_override: bool
    override_reason: str
    failed_criteria: list[CriterionOut] = Field(description="Kriteria yang gagal saat disetujui dengan penyimpangan")


def _out(rec) -> dict:
    return {
        "id": rec.pk,
        "case_id": rec.case_id,
        "need_id": rec.need_id,
        "kind": rec.kind,
        "program": rec.program.code if rec.program_id else None,
        "service": f"{rec.service.agency.code}/{rec.service.code}" if rec.service_id else None,
        "note": rec.note,
        "status": rec.status,
        "version": rec.version,
        "drafted_by": rec.drafted_by.username,
        "drafted_at": rec.drafted_at,
        "decided_by": rec.decided_by.username if rec.decided_by_id else None,
        "decided_at": rec.decided_at,
        "decision_note": rec.decision_note,
        "letter_ids": [letter.pk for letter in rec.letters.all()],
        "referral_ids": [r.pk for r in rec.referrals.all()],
        "eligibility": _eligibility(rec),
        "eligibility_override": rec.eligibility_override,
        "override_reason": rec.override_reason,
        "failed_criteria": [{"field": c["field"], "text": c["text"]} for c in rec.failed_criteria],
    }


def _eligibility(rec) -> dict | None:
    # Drafts only: a decided recommendation keeps what the approver saw (failed_criteria).
    match = decisions.recommendation_eligibility(rec) if rec.status == RecommendationStatus.DRAFT else None
    if match is None:
        return None
    lines = [{"field": x.field, "passed": x.passed, "text": x.text} for x in match.lines]
    return {
        "eligible": match.eligible,
        "rule_version": match.rule_version,
        "failed_criteria": [x for x in lines if not x["passed"]],
        "explanation": lines,
    }


@router.get("/cases/{case_id}/recommendations", response=list[RecommendationOut], summary="Rekomendasi satu kasus")
@region_safe  # case_recommendations reads the case through for_user; out of scope is 404
def list_recommendations(request, case_id: int):
    case = get_case(request.auth, case_id)  # a read of the case: audited
    return [_out(r) for r in decisions.case_recommendations(request.auth, case)]


@router.post("/cases/{case_id}/recommendations", response={201: RecommendationOut}, summary="Susun rekomendasi")
@region_safe  # the case is read through for_user; out of scope is 404
def draft_recommendation(request, case_id: int, payload: RecommendationIn):
    case = get_case(request.auth, case_id, audit=False)
    need = Need.objects.filter(pk=payload.need_id, case=case).first()
    if need is None:
        raise ApiError(422, "invalid_need", _("Kebutuhan tidak ditemukan pada kasus ini."))
    program = Program.objects.filter(pk=payload.program_id).first() if payload.program_id else None
    service = (
        AgencyService.objects.select_related("agency").filter(pk=payload.service_id).first()
        if payload.service_id
        else None
    )
    if payload.program_id and program is None:
        raise ApiError(422, "invalid_program", _("Program tidak ditemukan."))
    if payload.service_id and service is None:
        raise ApiError(422, "invalid_service", _("Layanan lembaga tidak ditemukan."))
    try:
        rec = decisions.draft_recommendation(
            request.auth, need, payload.kind, program=program, service=service, note=payload.note
        )
    except (DeskError, ConflictError) as exc:
        raise service_error(exc)
    except ValidationError as exc:
        if message := decisions.outside_area_message(exc):
            raise ApiError(422, decisions.AGENCY_OUTSIDE_AREA, message)
        raise
    return 201, _out(decisions.get_recommendation(request.auth, rec.pk))


def _decide(request, recommendation_id, payload, approve):
    rec = decisions.get_recommendation(request.auth, recommendation_id)
    try:
        decisions.decide_recommendation(
            request.auth,
            rec,
            approve=approve,
            expected_version=payload.version,
            note=payload.note,
            override=payload.override,
            override_reason=payload.override_reason,
        )
    except (DeskError, ConflictError) as exc:
        raise service_error(exc)
    except ValidationError as exc:
        errors = exc.message_dict
        if "override" in errors:
            raise ApiError(
                422,
                decisions.OVERRIDE_REQUIRED,
                " ".join(errors["override"])
                + " "
                + _("Kirim override: true dan override_reason; kriteria yang gagal ada di eligibility."),
            )
        if "override_reason" in errors:
            raise ApiError(422, "override_reason_required", "override_reason: " + " ".join(errors["override_reason"]))
        raise
    return _out(decisions.get_recommendation(request.auth, recommendation_id))


@router.post("/recommendations/{recommendation_id}/approve", response=RecommendationOut, summary="Setujui")
@region_safe  # get_recommendation reads its case through for_user
def approve_recommendation(request, recommendation_id: int, payload: DecisionIn):
    return _decide(request, recommendation_id, payload, True)


@router.post("/recommendations/{recommendation_id}/reject", response=RecommendationOut, summary="Tolak")
@region_safe  # get_recommendation reads its case through for_user
def reject_recommendation(request, recommendation_id: int, payload: DecisionIn):
    return _decide(request, recommendation_id, payload, False)


@router.get(
    "/letters/{letter_id}/pdf",
    summary="Unduh surat (PDF)",
    openapi_extra={"responses": {200: {"description": "PDF", "content": {"application/pdf": {}}}}},
)
@region_safe  # get_letter checks the case scope, or the referral scope of a Mitra user
def letter_pdf(request, letter_id: int):
    letter = decisions.get_letter(request.auth, letter_id)
    record(request.auth, "letter.download", letter, region_code=letter.case.desa_code, detail={"kind": letter.kind})
    return pdf_response(letters.render_letter(letter, request.auth), letters.filename(letter), attachment=True)
