"""Read side of referrals. Everything starts from `Referral.objects.for_user(user)`: staff see
their region, a Mitra user only what was sent to its own agency (`Referral.scope_q`)."""

import datetime as dt

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from slrt.accounts.roles import Role, can
from slrt.accounts.scoping import region_q
from slrt.audit.services import record_shown, shown_ids
from slrt.cases.decisions import services_for
from slrt.cases.hooks import NeedService
from slrt.cases.models import CaseStatus
from slrt.core.queues import Queue, by_name
from slrt.programs.models import Agency, AgencyService
from slrt.registry.nik import mask_nik

from .models import Referral, ReferralStatus
from .workflow import AT_AGENCY, OPEN_STATES, allowed_actions


def referrals_for(
    user, *, status=None, agency=None, overdue=False, sector=None, date_from=None, date_to=None, case=None,
    region=None, queue=None,
):
    # A work queue (REFERRAL_QUEUES / INBOX_QUEUES) is the starting set; other filters narrow it.
    base = queue.rows(user) if queue is not None else Referral.objects.for_user(user)
    qs = base.select_related("case", "need", "agency", "service")
    if region:
        qs = qs.filter(region_q(region))
    if status:
        qs = qs.filter(status=status)
    if agency:
        qs = qs.filter(agency__code=agency)
    if sector:
        qs = qs.filter(need__sector=sector)
    if overdue:
        # Overdue = at the agency and not yet answered with a final state by the due date.
        qs = qs.filter(status__in=AT_AGENCY, due_at__lt=timezone.now())
    # The inbox dates a referral by when it was sent; staff lists by when it was drafted.
    date_field = "sent_at" if user.role == Role.MITRA else "created_at"
    if date_from:
        qs = qs.filter(**{f"{date_field}__date__gte": date_from})
    if date_to:
        qs = qs.filter(**{f"{date_field}__date__lte": date_to})
    if case is not None:
        qs = qs.filter(case=case)
    return qs.order_by("-sent_at", "-created_at") if user.role == Role.MITRA else qs.order_by("-created_at")


# --- work queues (home cards and ?antrian= on the list and the inbox) ----------------------------


def overdue_referrals(user):
    """At the agency past the due date, not yet answered with a final state (escalated or not)."""
    return referrals_for(user, overdue=True)


def new_referrals(user):
    """Sent to the agency and not yet accepted or refused: the Mitra's new mail."""
    return referrals_for(user, status=ReferralStatus.SENT)


def direct_drafts_to_send(user):
    """Direct referrals drafted by someone else that wait for this decider to send them
    (four eyes, like recommendations)."""
    return (
        referrals_for(user, status=ReferralStatus.DRAFT)
        .filter(recommendation__isnull=True)
        .exclude(created_by=user)
    )


REFERRAL_QUEUES = by_name(
    Queue("terlambat", _lazy("Rujukan melewati batas waktu"), overdue_referrals, "referrals:list",
          "view_cases", hint=_lazy("masih di lembaga, lewat tenggat"), warn=True),
    Queue("draf_langsung", _lazy("Rujukan langsung menunggu dikirim"), direct_drafts_to_send, "referrals:list",
          "approve_recommendation", hint=_lazy("disusun petugas lain"), warn=True),
)
INBOX_QUEUES = by_name(
    Queue("baru", _lazy("Rujukan baru menunggu jawaban"), new_referrals, "referrals:inbox", "respond_referral",
          hint=_lazy("terima atau tolak"), warn=True),
    Queue("terlambat", _lazy("Rujukan melewati batas waktu"), overdue_referrals, "referrals:inbox",
          "respond_referral", hint=_lazy("belum selesai dilayani"), warn=True),
)


def get_referral(user, pk) -> Referral:
    referral = (
        Referral.objects.for_user(user)
        .select_related("case", "need", "agency", "service", "recommendation")
        .filter(pk=pk)
        .first()
    )
    if referral is None:
        raise Http404
    return referral


def is_overdue(referral, now=None) -> bool:
    return bool(referral.due_at and referral.status in AT_AGENCY and referral.due_at < (now or timezone.now()))


def agency_choices(user) -> list[Agency]:
    """Agencies for the staff list filter (the directory is not personal data)."""
    return list(Agency.objects.filter(active=True).order_by("name"))


def service_choices(case) -> list[AgencyService]:
    """Active agency services a referral of this case may go to (its area only)."""
    return list(services_for(case))


def mitra_view(referral) -> dict:
    """Exactly what the receiving agency needs to serve the resident, and nothing more.

    No household, no registry profile, no other needs of the case. The NIK stays masked: the
    agency identifies the resident by the KTP they bring with the Surat Rujukan, which carries
    the full name, so the full number would add exposure without helping the service (UU PDP,
    minimum data). The phone is shown only if the resident consented to sharing with agencies.
    """
    case = referral.case
    return {
        "id": referral.pk,
        "number": referral.number,
        "ticket": case.ticket,
        "person_name": case.applicant_name,
        "nik_masked": mask_nik(case.applicant_nik) if case.applicant_nik else "",
        "phone": case.applicant_phone if case.consent_share_agencies else "",
        "sector": referral.need.get_sector_display(),
        "sector_code": referral.need.sector,
        "need": referral.need.description,
        "note": referral.note,
        "agency": referral.agency.name,
        "service": referral.service.name if referral.service_id else "",
        "status": referral.status,
        "status_display": referral.get_status_display(),
        "version": referral.version,
        "sent_at": referral.sent_at,
        "due_at": referral.due_at,
        "overdue": is_overdue(referral),
        "reason": referral.reason,
        "service_given": referral.service_given,
        "outcome": referral.outcome,
        "service_date": referral.service_date,
        # The resident withdrew consent to share after the agency received this referral.
        "consent_withdrawn_at": referral.consent_withdrawn_at,
    }


def actions_for(user, referral) -> list[str]:
    return allowed_actions(
        user.role,
        referral.status,
        direct=not referral.recommendation_id,
        own_draft=referral.created_by_id == user.pk,
        case_closed=referral.case.status == CaseStatus.CLOSED,
    )


def own_direct_draft(user, referral) -> bool:
    """A direct draft this decider wrote: four eyes, so another decider must send it."""
    return (
        referral.status == ReferralStatus.DRAFT
        and not referral.recommendation_id
        and referral.created_by_id == user.pk
        and can(user, "approve_recommendation")
    )


def awaits_decision(user, referral) -> bool:
    """A direct draft this staff member may manage but not send: it waits for penetapan layanan."""
    return (
        referral.status == ReferralStatus.DRAFT
        and not referral.recommendation_id
        and can(user, "manage_referrals")
        and not can(user, "approve_recommendation")
    )


# --- what cases asks of referrals (registered in `ReferralsConfig.ready()`) ----------------------

SERVED = frozenset({ReferralStatus.IN_SERVICE, ReferralStatus.DONE})


def need_services(case) -> list[NeedService]:
    """The case's referrals as the services of its needs (`cases.hooks.on_need_services`), one query."""
    rows = (
        Referral.objects.system()
        .filter(case_id=case.pk)
        .order_by("pk")
        .values_list("need_id", "number", "status", "sent_at", "updated_at")
    )
    return [
        NeedService(
            need_id=need_id,
            number=number,
            open=status in OPEN_STATES,
            done=status == ReferralStatus.DONE,
            sent_at=sent_at,
            served_at=updated_at if status in SERVED else None,
        )
        for need_id, number, status, sent_at, updated_at in rows
    ]


def letter_access(user, letter) -> bool | None:
    """A Mitra user sees exactly the Surat Rujukan of referrals sent to its agency, and no other
    letter (`cases.hooks.on_letter_access`); everyone else is left to the case's scope."""
    if user.role != Role.MITRA:
        return None
    return bool(letter.referral_id) and Referral.objects.for_user(user).filter(pk=letter.referral_id).exists()


def referral_letter(referral):
    return referral.letters.filter(revoked_at__isnull=True).order_by("-id").first()


def parse_date(raw) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def records_withdrawals(user) -> bool:
    """The desk roles that take a resident's request (the same as for editing a case)."""
    return can(user, "intake_case") or can(user, "assess_case")


def may_withdraw_consent(user, case) -> bool:
    """The desk may record that the resident withdraws consent to share: there is one to withdraw."""
    return bool(
        records_withdrawals(user)
        and case.consent_given
        and case.consent_share_agencies
        and not case.consent_share_withdrawn_at
    )


def withdrawal_message(result) -> str:
    """What the desk is told after a withdrawal, in words: which referrals were cancelled or flagged."""
    parts = [_("Persetujuan berbagi data tiket %(ticket)s ditarik.") % {"ticket": result.case.ticket}]
    if result.cancelled:
        numbers = ", ".join(r.number for r in result.cancelled)
        parts.append(_("Rujukan yang belum dikirim dibatalkan: %(numbers)s.") % {"numbers": numbers})
    if result.flagged:
        parts.append(
            _("Lembaga yang sudah menerima rujukan dan Manajer SLRT diberi tahu: %(numbers)s.")
            % {"numbers": ", ".join(r.number for r in result.flagged)}
        )
    if not (result.cancelled or result.flagged):
        parts.append(_("Kasus ini belum memiliki rujukan."))
    return " ".join(parts)


def record_referrals_shown(user, referrals, *, action: str = "referral.list"):
    """One audit row for a page of referrals: the referrals, their cases and the cases' people (ids)."""
    referrals = list(referrals)
    cases = [r.case for r in referrals]
    return record_shown(user, action, count=len(referrals), referrals=shown_ids(referrals),
                        cases=shown_ids(cases), people=shown_ids(cases, "person_id"))
