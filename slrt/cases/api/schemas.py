"""API shapes of the service desk, and the functions that fill them.

The applicant's NIK leaves the server in full only for roles with `see_full_nik`. The public
status shape holds steps and dates only.
"""

import datetime as dt
from typing import Annotated

from ninja import Field, Schema

from slrt.accounts.roles import can
from slrt.core.api import documented_text
from slrt.registry.api.schemas import PersonHit
from slrt.registry.nik import mask_nik

from ..models import Case, FollowUpTask, Need
from ..services import MAX_SUMMARY, MAX_TEXT, NEED_SETTABLE
from ..tickets import SEARCH_TOKEN_MAX_LENGTH, STATUS_CODE_MAX_LENGTH

Text = Annotated[str, documented_text(max_length=MAX_TEXT)]
Summary = Annotated[str, documented_text(max_length=MAX_SUMMARY)]
Urgency = Annotated[str, documented_text(Case, "urgency")]
Sector = Annotated[str, documented_text(Need, "sector")]
# The server also accepts a dotted or spaced NIK and an undotted desa code; these are the plain forms.
DESA_CODE = r"^([0-9]{2}\.[0-9]{2}\.[0-9]{2}\.[0-9]{4}|[0-9]{10})$"
NIK = r"^([0-9]{16})?$"


class NeedIn(Schema):
    sector: Sector = Field(
        description="kesehatan, pendidikan, sosial_ekonomi, pangan, energi, pertanian, perikanan, perumahan, adminduk"
    )
    description: Text


class NewPersonIn(Schema):
    name: Annotated[str, documented_text(Case, "applicant_name")]
    desa_code: Annotated[str, documented_text(max_length=13, pattern=DESA_CODE)] = Field(
        description="Kode desa/kelurahan Kemendagri, mis. 32.04.01.2001"
    )
    nik: Annotated[str, documented_text(max_length=16, pattern=NIK)] = ""
    address: Annotated[str, documented_text(Case, "applicant_address")] = ""


class ConsentIn(Schema):
    """The resident's two answers (UU PDP). Both are required, with no default: a request that leaves
    one out is refused (422 `validation_error` naming it), so no client can consent for the resident."""

    given: bool = Field(
        description="Warga setuju data pribadinya dicatat? Tanpa persetujuan kasus dicatat tanpa identitas"
    )
    share_with_agencies: bool = Field(
        description="Warga setuju datanya dibagikan ke lembaga rujukan? Tanpa ini rujukan tidak dapat dikirim; "
        "harus false bila given false"
    )
    purpose: Annotated[str, documented_text(Case, "consent_purpose")] = ""


class CaseCreate(Schema):
    person_id: int | None = Field(None, description="Warga registri yang dipilih dari pencarian")
    new_person: NewPersonIn | None = Field(
        None,
        description="Warga yang belum ada di registri: perlu search_token dari /cases/intake-search, "
        "atau NIK (server mencarinya sendiri)",
    )
    search_token: Annotated[str, documented_text(max_length=SEARCH_TOKEN_MAX_LENGTH)] | None = None
    complaint_type: Annotated[str, documented_text(Case, "complaint_type")] = Field(
        description="pertanyaan, saran, atau pengaduan"
    )
    channel: Annotated[str, documented_text(Case, "channel")] = Field(
        description="sekretariat, puskesos, kunjungan, telepon, whatsapp, web"
    )
    urgency: Urgency = "biasa"
    summary: Summary = ""
    phone: Annotated[str, documented_text(Case, "applicant_phone")] = ""
    email: Annotated[str, documented_text(Case, "applicant_email")] = ""
    needs: list[NeedIn]
    consent: ConsentIn


class CaseUpdate(Schema):
    version: int
    urgency: Urgency | None = None
    summary: Summary | None = None
    applicant_phone: Annotated[str, documented_text(Case, "applicant_phone")] | None = None
    applicant_email: Annotated[str, documented_text(Case, "applicant_email")] | None = None
    applicant_address: Annotated[str, documented_text(Case, "applicant_address")] | None = None


class NeedEdit(Schema):
    version: int
    sector: Sector
    description: Text


class NeedStatusIn(Schema):
    version: int
    status: Annotated[str, documented_text(choices=NEED_SETTABLE)] = Field(
        description="tertangani, ditutup, atau terbuka"
    )
    outcome: Text = ""


class TaskIn(Schema):
    title: Annotated[str, documented_text(FollowUpTask, "title")]
    due_date: dt.date
    assigned_to_id: int | None = None
    need_id: int | None = None


class TaskDoneIn(Schema):
    result: Text


class VersionedReason(Schema):
    version: int
    reason: Text = ""


class NeedOut(Schema):
    id: int
    version: int
    sector: str
    description: str
    status: str
    outcome: str


class TaskOut(Schema):
    id: int
    title: str
    due_date: dt.date
    need_id: int | None
    assigned_to_id: int | None
    done_at: dt.datetime | None
    result: str
    overdue: bool


class CaseSummary(Schema):
    id: int
    ticket: str
    status: str
    version: int
    complaint_type: str
    channel: str
    urgency: str
    desa_code: str
    in_registry: bool
    created_at: dt.datetime
    has_overdue: bool = False


class CasePage(Schema):
    items: list[CaseSummary]
    count: int
    limit: int
    offset: int


class Applicant(Schema):
    name: str
    nik: str
    nik_masked: bool
    phone: str
    email: str
    address: str


class Consent(Schema):
    given: bool
    purpose: str
    share_with_agencies: bool = Field(description="Saat ini boleh dibagikan (false setelah persetujuan ditarik)")
    at: dt.datetime | None
    share_withdrawn_at: dt.datetime | None = Field(None, description="Kapan persetujuan berbagi data ditarik")
    withdrawal_reason: str = ""


class LetterRef(Schema):
    id: int
    kind: str
    number: str
    issued_at: dt.datetime
    revoked: bool


class CaseDetail(CaseSummary):
    person_id: int | None
    household_id: int | None
    applicant: Applicant
    summary: str
    consent: Consent
    close_reason: str
    closed_at: dt.datetime | None
    needs: list[NeedOut]
    tasks: list[TaskOut]
    proposal_ids: list[int]
    visit_ids: list[int]
    recommendation_ids: list[int] = Field(description="GET /cases/{id}/recommendations untuk rinciannya")
    referral_ids: list[int] = Field(description="GET /referrals/{id} untuk rinciannya")
    letters: list[LetterRef] = Field(description="Unduh sebagai PDF: GET /letters/{id}/pdf")


class CaseCreated(CaseDetail):
    status_code: str = Field(description="Kode status untuk warga; hanya dikirim sekali (disimpan sebagai hash)")


class IntakeSearchOut(Schema):
    items: list[PersonHit]
    search_token: str = Field(description="Bukti pencarian untuk mendaftarkan warga baru (berlaku 2 jam)")


class ReceiptIn(Schema):
    status_code: Annotated[str, documented_text(max_length=STATUS_CODE_MAX_LENGTH)] = Field(
        description="Kode status dari jawaban POST /cases atau dari cetak ulang"
    )


class ReceiptReprintOut(Schema):
    ticket: str
    status_code: str = Field(description="Kode status baru; hanya dikirim sekali, kode lama tidak berlaku")


class PublicStatusIn(Schema):
    """A longer ticket or code than any issued answers 404 like a wrong one (nothing to tell apart)."""

    ticket: Annotated[str, documented_text(Case, "ticket")]
    code: Annotated[str, documented_text(max_length=STATUS_CODE_MAX_LENGTH)]


class StepOut(Schema):
    key: str
    label: str
    done: bool
    at: dt.datetime | None


class PublicStatusOut(Schema):
    ticket: str
    steps: list[StepOut]


def need_out(need) -> dict:
    return {
        "id": need.pk,
        "version": need.version,
        "sector": need.sector,
        "description": need.description,
        "status": need.status,
        "outcome": need.outcome,
    }


def task_out(task) -> dict:
    return {
        "id": task.pk,
        "title": task.title,
        "due_date": task.due_date,
        "need_id": task.need_id,
        "assigned_to_id": task.assigned_to_id,
        "done_at": task.done_at,
        "result": task.result,
        "overdue": task.done_at is None and task.due_date < dt.date.today(),
    }


def case_summary(case) -> dict:
    return {
        "id": case.pk,
        "ticket": case.ticket,
        "status": case.status,
        "version": case.version,
        "complaint_type": case.complaint_type,
        "channel": case.channel,
        "urgency": case.urgency,
        "desa_code": case.desa_code,
        "in_registry": case.in_registry,
        "created_at": case.created_at,
        "has_overdue": bool(getattr(case, "has_overdue", False)),
    }


def case_detail(case, user) -> dict:
    full = can(user, "see_full_nik")
    return {
        **case_summary(case),
        "person_id": case.person_id,
        "household_id": case.household_id,
        "applicant": {
            "name": case.applicant_name,
            "nik": case.applicant_nik if full or not case.applicant_nik else mask_nik(case.applicant_nik),
            "nik_masked": not full,
            "phone": case.applicant_phone,
            "email": case.applicant_email,
            "address": case.applicant_address,
        },
        "summary": case.summary,
        "consent": {
            "given": case.consent_given,
            "purpose": case.consent_purpose,
            "share_with_agencies": case.consent_share_agencies,
            "at": case.consent_at,
            "share_withdrawn_at": case.consent_share_withdrawn_at,
            "withdrawal_reason": case.consent_withdrawal_reason,
        },
        "close_reason": case.close_reason,
        "closed_at": case.closed_at,
        "needs": [need_out(n) for n in case.needs.all()],
        "tasks": [task_out(t) for t in case.tasks.all()],
        "proposal_ids": [p.pk for p in case.proposals.all()],
        "visit_ids": [v.pk for v in case.visits.all()],
        # Every id a later write or download needs, so an API client never has to guess one.
        "recommendation_ids": [r.pk for r in case.recommendations.all()],
        "referral_ids": [r.pk for r in case.referrals.all()],
        "letters": [
            {"id": x.pk, "kind": x.kind, "number": x.number, "issued_at": x.issued_at, "revoked": bool(x.revoked_at)}
            for x in case.letters.all()
        ],
    }
