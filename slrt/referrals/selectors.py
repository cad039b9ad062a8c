"""Read side of referrals. Everything starts from `Referral.objects.for_user(user)`: staff see
their region, a Mitra user only what was sent to its own agency (`Referral.scope_q`)."""

import datetime as dt
from dataclasses import asdict, dataclass, fields

from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import MD5, Lower, Trim
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
from slrt.wilayah.days import days_q

from .forms import ReferralFilterForm
from .models import Referral, ReferralStatus, ReferralTransition
from .workflow import AT_AGENCY, OPEN_STATES, allowed_actions

# --- the rules the list filters and the dashboard figures share (reports.figures.referrals) -----


def first_reached(status: str):
    """When the referral first reached `status` (its transition stamp), None if never."""
    return Subquery(
        ReferralTransition.objects.filter(referral=OuterRef("pk"), to_status=status)
        .order_by("at", "id")
        .values("at")[:1]
    )


def with_milestones(qs):
    """Annotate `accepted_at` and `done_at`: the first moves to accepted and to done."""
    return qs.annotate(accepted_at=first_reached(ReferralStatus.ACCEPTED), done_at=first_reached(ReferralStatus.DONE))


# Done within the SLA: the SLA clock starts when the referral is sent (`due_at` = sent + the
# service's SLA days, fixed at sending), so done on or before `due_at`. Needs `with_milestones`.
DONE_ON_TIME = Q(status=ReferralStatus.DONE, done_at__lte=F("due_at"))
DONE_LATE = Q(status=ReferralStatus.DONE, done_at__gt=F("due_at"))


def reason_key():
    """A rejection reason is free text: the same words (case and outer spaces aside) are one
    reason, named in a URL by this digest, so the reason itself never goes into a link."""
    return MD5(Lower(Trim("reason")))


def referrals_for(
    user, *, status=None, agency=None, overdue=False, sector=None, date_from=None, date_to=None, case=None,
    region=None, queue=None, sent_from=None, sent_to=None, accepted=False, escalated=False, sla="", reason="",
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
    if sent_from or sent_to:
        qs = qs.filter(sent_at__isnull=False).filter(
            days_q("sent_at", sent_from, sent_to, region or user.region_id)
        )
    if accepted:  # accepted at some point (whatever became of it afterwards)
        qs = qs.filter(Exists(ReferralTransition.objects.filter(referral=OuterRef("pk"),
                                                                to_status=ReferralStatus.ACCEPTED)))
    if escalated:
        qs = qs.filter(escalated_at__isnull=False)
    if sla:
        qs = with_milestones(qs).filter(DONE_ON_TIME if sla == "tepat" else DONE_LATE)
    if reason:
        qs = qs.filter(status=ReferralStatus.REJECTED).alias(reason_key=reason_key()).filter(reason_key=reason)
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


# --- the list filters (the staff list, the Mitra inbox, their exports) --------------------------


@dataclass(frozen=True)
class ReferralFilters:
    """What a referral list is narrowed to; every field is optional. `referrals_for` reads it."""

    queue: Queue | None = None  # a work queue the user may have (REFERRAL_QUEUES / INBOX_QUEUES)
    status: str = ""
    agency: str = ""  # agency code
    sector: str = ""
    region: str = ""  # a region code inside the user's scope
    date_from: dt.date | None = None  # drafted (the inbox: sent) on or after
    date_to: dt.date | None = None
    sent_from: dt.date | None = None  # sent in [sent_from, sent_to], the reports' period rule
    sent_to: dt.date | None = None
    overdue: bool = False
    accepted: bool = False
    escalated: bool = False
    sla: str = ""  # "tepat": done within the SLA; "lewat": done after it
    reason: str = ""  # a rejection reason (`reason_key`)

    def as_kwargs(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}

    def params(self) -> dict:
        """The same filter as URL parameters (what a figure's link and an export carry)."""
        out = {}
        for name, value in asdict(self).items():
            if name == "queue":
                if self.queue is not None:
                    out["antrian"] = self.queue.name
            elif isinstance(value, bool):
                if value:
                    out[name] = "1"
            elif value:
                out[name] = value.isoformat() if isinstance(value, dt.date) else value
        return out


def _filters_from(params, user, *, inbox: bool, queues) -> ReferralFilters:
    form = ReferralFilterForm(
        params, inbox=inbox, user=user, queues=queues, agencies=() if inbox else agency_choices(user)
    )
    if not form.is_valid():
        raise ValueError(form.first_error())
    found = form.filters()
    queue = found.pop("queue", None)
    return ReferralFilters(queue=queue, **found)


def referral_filters_from(params, user) -> ReferralFilters:
    """The staff referral list's filters from query parameters; ValueError (in Indonesian, naming
    the parameter) on anything not allowed. The list page and its export both read it."""
    queues = [q for q in REFERRAL_QUEUES.values() if can(user, q.capability)]
    return _filters_from(params, user, inbox=False, queues=queues)


def inbox_filters_from(params, user) -> ReferralFilters:
    """The Mitra inbox's filters (no agency nor region: its scope is its agency)."""
    return _filters_from(params, user, inbox=True, queues=list(INBOX_QUEUES.values()))


def list_referrals(user, f: ReferralFilters):
    return referrals_for(user, **f.as_kwargs())


def reason_label(user, key: str) -> str:
    """The words of a rejection reason named by its key, as one referral in scope has them."""
    if not key:
        return ""
    found = (
        Referral.objects.for_user(user)
        .filter(status=ReferralStatus.REJECTED)
        .alias(reason_key=reason_key())
        .filter(reason_key=key)
        .values_list("reason", flat=True)
        .first()
    )
    return (found or "").strip()


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
