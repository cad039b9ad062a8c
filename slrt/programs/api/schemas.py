"""API shapes of programmes, agencies, assessments and targeting runs."""

from typing import Annotated

from ninja import Field, Schema
from pydantic import WithJsonSchema

from slrt.core.api import documented_text

from ..models import MAX_BENEFIT, Benefit, BenefitPeriod, EligibilityRule, TargetUnit
from ..rules import FIELDS, OPS, VALUE_MAX_LENGTH

RuleText = Annotated[str, documented_text(max_length=VALUE_MAX_LENGTH)]


class Criterion(Schema):
    field: str
    op: str
    value: int | bool | list[int] | list[str] | str
    text: str = Field(description="Syarat dalam bahasa Indonesia")


class RuleOut(Schema):
    version: int
    criteria: list[Criterion]
    note: str


class RuleVersionOut(RuleOut):
    is_current: bool
    created_at: str
    created_by: str | None


class RuleCriterionIn(Schema):
    field: Annotated[str, documented_text(choices=list(FIELDS))]
    op: Annotated[str, documented_text(choices=list(OPS))]
    value: int | bool | list[int] | list[RuleText] | RuleText


class RuleIn(Schema):
    criteria: list[RuleCriterionIn]
    note: Annotated[str, documented_text(EligibilityRule, "note")] = ""
    based_on: int = Field(
        description="Versi aturan yang sedang berlaku saat penyunting mulai; versi lain berarti konflik"
    )


class BenefitOut(Schema):
    version: int
    amount: int = Field(description="Rupiah per unit (`unit`) per periode (`period`)")
    unit: Annotated[str, documented_text(choices=TargetUnit.values)]
    period: Annotated[str, documented_text(choices=BenefitPeriod.values)]
    per_year: int = Field(description="Rupiah per unit dalam setahun (manfaat sekali: satu kali)")
    text: str = Field(description="Besaran dalam kata, mis. Rp3.000.000 per keluarga per tahun")
    note: str


class BenefitVersionOut(BenefitOut):
    is_current: bool
    created_at: str
    created_by: str | None


class BenefitIn(Schema):
    amount: Annotated[int, WithJsonSchema({"type": "integer", "minimum": 0, "maximum": MAX_BENEFIT})] = Field(
        description="Rupiah bulat, 0 sampai 1.000.000.000")
    unit: Annotated[str, documented_text(Benefit, "unit")]
    period: Annotated[str, documented_text(Benefit, "period")]
    note: Annotated[str, documented_text(Benefit, "note")]
    based_on: int = Field(description="Versi besaran yang berlaku saat penyunting mulai (0: belum ada); "
                                      "versi lain berarti konflik")


class ProgramOut(Schema):
    id: int = Field(description="Dikirim sebagai program_id saat menyusun rekomendasi")
    code: str
    name: str
    short_name: str
    owner: str
    target_unit: str
    sector: str
    registry_code: str
    benefit: str = Field(description="Uraian manfaat untuk warga")
    benefit_amount: BenefitOut | None = Field(description="Besaran manfaat yang dipakai perkiraan anggaran")
    cash: bool
    agency_kind: str
    agency_code: str | None
    active: bool
    rule: RuleOut | None


class ServiceOut(Schema):
    id: int = Field(description="Dikirim sebagai service_id pada rekomendasi dan rujukan")
    code: str
    name: str
    sector: str
    sla_days: int
    active: bool


class AgencyOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    region: str
    address: str
    phone: str
    email: str
    active: bool
    services: list[ServiceOut]


class LineOut(Schema):
    field: str
    passed: bool
    text: str


class MatchOut(Schema):
    program: str
    name: str
    rule_version: int | None
    eligible: bool
    receiving: bool
    explanation: list[LineOut]
    components: list["MatchOut"] = Field(
        [],
        description="Untuk program registri berkomponen (PKH) yang diterima tanpa memenuhi komponen mana pun: "
        "satu temuan, dengan tiap komponen dan kriterianya",
    )


MatchOut.model_rebuild()  # components refer to the class itself


class OverlapOut(Schema):
    kind: str = Field(description="cash: lebih dari satu sumber bantuan tunai; exclusive: aturan melarang gabungan")
    programs: list[str]
    text: str


class AssessmentOut(Schema):
    household_id: int
    ref_date: str
    registry_programs: list[str]
    received: list[MatchOut]
    eligible_not_received: list[MatchOut]
    received_not_eligible: list[MatchOut]
    not_eligible: list[MatchOut]
    overlaps: list[OverlapOut]


class RunIn(Schema):
    region: Annotated[str, documented_text(max_length=5, pattern=r"^[0-9]{2}\.[0-9]{2}$")] = Field(
        description="Kode kabupaten/kota, mis. 32.04"
    )


class ProgramFigures(Schema):
    code: str
    rule_version: int
    eligible: int
    receiving: int
    exclusion: int
    inclusion: int | None = Field(
        description="Komponen satu program registri (PKH): dihitung sekali pada komponen pertama, lainnya null"
    )
    group: str = Field("", description="Kode registri bersama, mis. PKH")


class RunOut(Schema):
    id: int
    region: str
    status: str = Field(description="queued (dalam antrean), running, done (angka terisi) atau failed (lihat message)")
    message: str
    started_at: str
    finished_at: str | None
    households: int
    ref_date: str
    programs: list[ProgramFigures]


class RunErrorOut(Schema):
    program: str
    kind: str
    desa_code: str
    household_id: int
    nomor_kk: str = Field(description="Disamarkan bila peran tidak berhak melihat nomor lengkap")
    desil: int | None


class RunErrorsPage(Schema):
    items: list[RunErrorOut]
    count: int
    limit: int
    offset: int


def program_out(program, rule) -> dict:
    from ..rules import FIELDS

    return {
        "id": program.pk,
        "code": program.code,
        "name": program.name,
        "short_name": program.short_name,
        "owner": program.owner,
        "target_unit": program.target_unit,
        "sector": program.sector,
        "registry_code": program.registry_code,
        "benefit": program.benefit,
        "benefit_amount": benefit_out(program.current_benefit) if getattr(program, "current_benefit", None) else None,
        "cash": program.cash,
        "agency_kind": program.agency_kind,
        "agency_code": program.agency.code if program.agency_id else None,
        "active": program.active,
        "rule": None
        if rule is None
        else {
            "version": rule.version,
            "note": rule.note,
            "criteria": [{**c, "text": FIELDS[c["field"]].requirement(c["op"], c["value"])} for c in rule.criteria],
        },
    }


def rule_out(rule) -> dict:
    from ..rules import FIELDS

    return {
        "version": rule.version,
        "note": rule.note,
        "is_current": rule.is_current,
        "created_at": rule.created_at.isoformat(),
        "created_by": rule.created_by.username if rule.created_by_id else None,
        "criteria": [
            {**c, "text": FIELDS[c["field"]].requirement(c["op"], c["value"])} if c.get("field") in FIELDS else c
            for c in rule.criteria
        ],
    }


def agency_out(agency) -> dict:
    return {
        "id": agency.pk,
        "code": agency.code,
        "name": agency.name,
        "kind": agency.kind,
        "region": agency.region_id,
        "address": agency.address,
        "phone": agency.phone,
        "email": agency.email,
        "active": agency.active,
        "services": [
            {"id": s.pk, "code": s.code, "name": s.name, "sector": s.sector, "sla_days": s.sla_days, "active": s.active}
            for s in agency.services.all()
        ],
    }


def _match(m) -> dict:
    components = getattr(m, "components", None)
    if components is not None:  # PKH as a whole (GroupMatch)
        return {
            "program": m.code,
            "name": m.name,
            "rule_version": None,
            "eligible": False,
            "receiving": True,
            "explanation": [{"field": x.field, "passed": x.passed, "text": x.text} for x in m.lines],
            "components": [_match(c) for c in components],
        }
    return {
        "program": m.program.code,
        "name": m.program.name,
        "rule_version": m.rule_version,
        "eligible": m.eligible,
        "receiving": m.receiving,
        "explanation": [{"field": x.field, "passed": x.passed, "text": x.text} for x in m.lines],
    }


def assessment_out(a) -> dict:
    return {
        "household_id": a.household.pk,
        "ref_date": a.ref.isoformat(),
        "registry_programs": a.registry_codes,
        "received": [_match(m) for m in a.received],
        "eligible_not_received": [_match(m) for m in a.eligible_not_received],
        "received_not_eligible": [_match(m) for m in a.received_not_eligible],
        "not_eligible": [_match(m) for m in a.not_eligible],
        "overlaps": [{"kind": o.kind, "programs": o.programs, "text": o.text} for o in a.overlaps],
    }


def run_out(run) -> dict:
    return {
        "id": run.pk,
        "region": run.region_id,
        "status": run.status,
        "message": run.message,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "households": run.households,
        "ref_date": run.summary.get("ref_date", ""),
        "programs": [
            {
                "code": code,
                **{
                    k: v.get(k, "")
                    for k in ("rule_version", "eligible", "receiving", "exclusion", "inclusion", "group")
                },
            }
            for code, v in run.summary.get("programs", {}).items()
        ],
    }


def benefit_out(benefit) -> dict:
    from ..selectors.benefits import describe

    return {"version": benefit.version, "amount": benefit.amount, "unit": benefit.unit, "period": benefit.period,
            "per_year": benefit.per_year, "text": describe(benefit), "note": benefit.note}


def benefit_version_out(benefit) -> dict:
    return {**benefit_out(benefit), "is_current": benefit.is_current, "created_at": benefit.created_at.isoformat(),
            "created_by": benefit.created_by.username if benefit.created_by_id else None}
