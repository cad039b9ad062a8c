"""Programmes API: catalogue with current rules, agency directory, household assessment, targeting.

Thin: parameters are checked here, reads go through the selectors (scoped), writes through the
services (validated, audited).
"""

from typing import Annotated

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from ninja import Query, Router

from slrt.accounts.scoping import region_safe
from slrt.audit.services import record
from slrt.core.api import ApiError, documented_choices, documented_range, require_capability

from ..models import AgencyKind, TargetingError
from ..selectors import assessment as assessment_selectors
from ..selectors import benefits as benefit_selectors
from ..selectors import catalogue as catalogue_selectors
from ..selectors import targeting as targeting_selectors
from ..services import benefits as benefit_services
from ..services import catalogue as catalogue_services
from ..services import targeting as targeting_services
from .schemas import (
    AgencyOut,
    AssessmentOut,
    BenefitIn,
    BenefitVersionOut,
    ProgramOut,
    RuleIn,
    RuleVersionOut,
    RunErrorsPage,
    RunIn,
    RunOut,
    agency_out,
    assessment_out,
    benefit_version_out,
    program_out,
    rule_out,
    run_out,
)

router = Router(tags=["program"])


@router.get("/programs", response=list[ProgramOut], summary="Katalog program dengan aturan yang berlaku")
@region_safe  # reference data, no personal data
def list_programs(request):
    require_capability(request.auth, "view_cases")
    programs = catalogue_selectors.list_programs()
    benefits = benefit_selectors.current_benefits(p.pk for p in programs)
    for p in programs:
        p.current_benefit = benefits.get(p.pk)
    return [program_out(p, catalogue_selectors.current_rule(p)) for p in programs]


@router.get("/programs/{code}/rules", response=list[RuleVersionOut], summary="Riwayat versi aturan satu program")
@region_safe  # reference data, no personal data
def list_rule_versions(request, code: str):
    require_capability(request.auth, "view_cases")
    return [rule_out(r) for r in catalogue_selectors.rule_history(catalogue_selectors.get_program(code))]


@router.post("/programs/{code}/rules", response={201: RuleVersionOut}, summary="Simpan versi baru aturan kelayakan")
@region_safe  # save_rule checks the programme's region against the caller's scope
def save_rule_version(request, code: str, payload: RuleIn):
    program = catalogue_selectors.get_program(code)
    criteria = [c.dict() for c in payload.criteria]
    try:
        rule = catalogue_services.save_rule(
            request.auth, program, criteria, note=payload.note, based_on=payload.based_on
        )
    except PermissionDenied as exc:
        raise ApiError(403, "forbidden", str(exc))
    except ValidationError as exc:
        errors = exc.message_dict
        if "version" in errors:
            raise ApiError(409, "conflict", " ".join(errors["version"]))
        raise ApiError(422, "invalid_rule", " ".join(m for ms in errors.values() for m in ms))
    return 201, rule_out(rule)


@router.get("/programs/{code}/benefits", response=list[BenefitVersionOut],
            summary="Riwayat versi besaran manfaat satu program")
@region_safe  # reference data, no personal data
def list_benefit_versions(request, code: str):
    require_capability(request.auth, "view_cases")
    program = catalogue_selectors.get_program(code)
    return [benefit_version_out(b) for b in benefit_selectors.benefit_history(program)]


@router.post("/programs/{code}/benefits", response={201: BenefitVersionOut},
             summary="Simpan versi baru besaran manfaat")
@region_safe  # save_benefit checks the programme's region against the caller's scope
def save_benefit_version(request, code: str, payload: BenefitIn):
    program = catalogue_selectors.get_program(code)
    try:
        benefit = benefit_services.save_benefit(request.auth, program, amount=payload.amount, unit=payload.unit,
                                                period=payload.period, note=payload.note, based_on=payload.based_on)
    except PermissionDenied as exc:
        raise ApiError(403, "forbidden", str(exc))
    except ValidationError as exc:
        errors = exc.message_dict
        if "version" in errors:
            raise ApiError(409, "conflict", " ".join(errors["version"]))
        field = next(iter(errors))
        raise ApiError(422, f"invalid_{field}", " ".join(errors[field]))
    return 201, benefit_version_out(benefit)


@router.get("/agencies", response=list[AgencyOut], summary="Direktori lembaga rujukan dan layanannya")
@region_safe  # reference data, no personal data
def list_agencies(
    request,
    region: str | None = Query(None, description="Kode wilayah, mis. 32.04"),
    kind: str | None = Query(None, description="Jenis lembaga, mis. rsud"),
):
    require_capability(request.auth, "view_referrals")
    if kind and kind not in AgencyKind.values:
        raise ApiError(422, "invalid_kind", _("Jenis lembaga tidak dikenal."))
    if region and (len(region) > 13 or not region.replace(".", "").isdigit()):
        raise ApiError(422, "invalid_region", _("Kode wilayah tidak sah; contoh: 32.04."))
    return [agency_out(a) for a in catalogue_selectors.list_agencies(region=region, kind=kind, active_only=True)]


@router.get(
    "/households/{household_id}/assessment",
    response=AssessmentOut,
    summary="Pencocokan program satu keluarga, dengan penjelasan per kriteria",
)
@region_safe  # assess_household reads through Household.objects.for_user; outside scope is 404
def household_assessment(request, household_id: int):
    require_capability(request.auth, "assess_case")
    result = assessment_selectors.assess_household(request.auth, household_id)
    record(request.auth, "household.assess", result.household)
    return assessment_out(result)


@router.post(
    "/targeting-runs", response={201: RunOut},
    summary="Jalankan penargetan satu kabupaten/kota (masuk antrean; status di GET /targeting-runs/{run_id})",
)
@region_safe  # start_targeting checks the region against the caller's scope
def start_run(request, payload: RunIn):
    require_capability(request.auth, "run_targeting")
    try:
        run = targeting_services.start_targeting(request.auth, payload.region.strip())
    except PermissionDenied:
        raise ApiError(403, "forbidden", _("Peran Anda tidak memiliki akses ke fungsi ini."))
    except ValidationError as exc:
        raise ApiError(422, "invalid_region", " ".join(m for ms in exc.message_dict.values() for m in ms))
    return 201, run_out(run)


@router.get("/targeting-runs/{run_id}", response=RunOut, summary="Ringkasan satu penargetan")
@region_safe  # get_run: 404 outside the caller's scope
def get_run(request, run_id: int):
    require_capability(request.auth, "run_targeting")
    return run_out(targeting_selectors.get_run(request.auth, run_id))


@router.get(
    "/targeting-runs/{run_id}/errors",
    response=RunErrorsPage,
    summary="Kesalahan penargetan: layak tidak menerima / menerima tidak layak",
)
@region_safe  # get_run: 404 outside scope; households read through for_user, KK masked by role
def get_run_errors(
    request,
    run_id: int,
    program: str | None = None,
    kind: Annotated[str | None, documented_choices(TargetingError.Kind.values)] = Query(None),
    desa: str | None = None,
    limit: Annotated[int, documented_range(1, 1000, 100)] = 100,
    offset: Annotated[int, documented_range(0, 1_000_000, 0)] = 0,
):
    require_capability(request.auth, "run_targeting")
    if kind and kind not in TargetingError.Kind.values:
        raise ApiError(422, "invalid_kind", _("kind harus exclusion atau inclusion."))
    if not 1 <= limit <= 1000 or not 0 <= offset <= 1_000_000:
        raise ApiError(422, "invalid_page", _("limit 1-1000 dan offset 0-1000000."))
    run = targeting_selectors.get_run(request.auth, run_id)
    # The list carries KK numbers: the access log says which run and page, nothing personal
    # (as the web page does).
    record(request.auth, "targeting.view", run, region_code=run.region_id, detail={"offset": offset, "limit": limit})
    rows = list(
        targeting_selectors.error_rows(
            request.auth, run, program=program, kind=kind, desa=desa, offset=offset, limit=limit
        )
    )
    return {"items": rows, "count": len(rows), "limit": limit, "offset": offset}
