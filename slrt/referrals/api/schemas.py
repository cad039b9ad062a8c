"""Shapes of the referral API. A Mitra user gets the same shape as staff, filled only with what
the agency needs (`selectors.mitra_view`): no case or need ids, masked NIK."""

import datetime as dt
from typing import Annotated

from ninja import Field, Schema

from slrt.accounts.roles import Role, can
from slrt.core.api import documented_choices, documented_text
from slrt.registry.nik import mask_nik

from .. import selectors
from ..services import MAX_TEXT
from ..workflow import TRANSITIONS

Text = Annotated[str, documented_text(max_length=MAX_TEXT)]


class ReferralOut(Schema):
    id: int
    number: str
    ticket: str
    status: str
    status_display: str
    version: int
    agency: str
    agency_code: str
    service: str
    sector: str
    need: str
    note: str
    person_name: str
    nik: str = Field(description="Masked unless the caller's role may see full NIKs")
    phone: str = Field(description="Only when the resident consented to sharing with agencies")
    sent_at: dt.datetime | None
    due_at: dt.datetime | None
    overdue: bool
    reason: str
    service_given: str
    outcome: str
    service_date: dt.date | None
    consent_withdrawn_at: dt.datetime | None = Field(
        None, description="The resident withdrew consent to share after the agency received it: use the data no further"
    )
    actions: list[str] = Field(description="Transitions the caller may take now")
    letter_id: int | None
    case_id: int | None = Field(None, description="Staff only")
    need_id: int | None = Field(None, description="Staff only")


class ReferralPage(Schema):
    count: int
    items: list[ReferralOut]


class ReferralIn(Schema):
    need_id: int
    service_id: int | None = None
    recommendation_id: int | None = None
    note: Text = ""


class ReferralTransitionIn(Schema):
    action: Annotated[str, documented_choices(TRANSITIONS)] = Field(
        description="send, accept, reject, start, done, return, cancel"
    )
    version: int = Field(description="The `version` the caller read; a stale one answers 409 conflict")
    reason: Text | None = None
    service_given: Text | None = None
    outcome: Text | None = None
    service_date: dt.date | None = None


def referral_out(referral, user) -> dict:
    view = selectors.mitra_view(referral)
    letter = selectors.referral_letter(referral)
    out = {
        **{
            k: view[k]
            for k in (
                "id",
                "number",
                "ticket",
                "status",
                "status_display",
                "version",
                "agency",
                "service",
                "note",
                "person_name",
                "phone",
                "sent_at",
                "due_at",
                "overdue",
                "reason",
                "service_given",
                "outcome",
                "service_date",
                "consent_withdrawn_at",
            )
        },
        "agency_code": referral.agency.code,
        "sector": view["sector_code"],
        "need": view["need"],
        "nik": view["nik_masked"],
        "actions": selectors.actions_for(user, referral),
        "letter_id": letter.pk if letter else None,
    }
    if user.role != Role.MITRA:
        nik = referral.case.applicant_nik
        out.update(case_id=referral.case_id, need_id=referral.need_id)
        out["nik"] = (nik if can(user, "see_full_nik") else mask_nik(nik)) if nik else ""
    return out


class ConsentWithdrawIn(Schema):
    version: int = Field(description="The case `version` the caller read; a stale one answers 409 conflict")
    reason: Text = Field(description="How and why the resident withdrew (kept on the case, not on the timeline)")


class ReferralRef(Schema):
    id: int
    number: str


class ConsentWithdrawOut(Schema):
    case_id: int
    version: int = Field(description="The case's new version")
    share_withdrawn_at: dt.datetime
    cancelled: list[ReferralRef] = Field(description="Drafts cancelled (never sent)")
    flagged: list[ReferralRef] = Field(description="Referrals already at an agency, flagged to it and the Manajer")


def withdrawal_out(result) -> dict:
    case = result.case
    return {
        "case_id": case.pk,
        "version": case.version,
        "share_withdrawn_at": case.consent_share_withdrawn_at,
        "cancelled": [{"id": r.pk, "number": r.number} for r in result.cancelled],
        "flagged": [{"id": r.pk, "number": r.number} for r in result.flagged],
    }
