"""How each state of each state machine looks on a page: one tone per state, in one place.

A tone is a CSS class in static/css/slrt.css (colour, border style and an icon), so that
rejected, done and cancelled never look alike and colour is never the only signal: the
badge always carries the state's own words and a shape-distinct icon.
"""

from slrt.cases.models import CaseStatus, NeedStatus, RecommendationStatus
from slrt.fieldwork.models import SubmissionStatus, VisitStatus
from slrt.referrals.models import ReferralStatus
from slrt.updates.models import ProposalStatus

# tone -> icon (decorative; the text says the state)
ICONS = {
    "draft": "○", "new": "●", "waiting": "→", "progress": "◐", "done": "✓",
    "rejected": "✕", "returned": "↩", "cancelled": "⊘", "conflict": "!",
}

MACHINES = {
    "case": (CaseStatus, {
        CaseStatus.NEW: "new", CaseStatus.IN_PROGRESS: "progress", CaseStatus.CLOSED: "done",
    }),
    "need": (NeedStatus, {
        NeedStatus.OPEN: "new", NeedStatus.IN_PROGRESS: "progress", NeedStatus.HANDLED: "done",
        NeedStatus.CLOSED: "cancelled",
    }),
    "recommendation": (RecommendationStatus, {
        RecommendationStatus.DRAFT: "draft", RecommendationStatus.APPROVED: "done",
        RecommendationStatus.REJECTED: "rejected",
    }),
    "referral": (ReferralStatus, {
        ReferralStatus.DRAFT: "draft", ReferralStatus.SENT: "waiting", ReferralStatus.ACCEPTED: "progress",
        ReferralStatus.IN_SERVICE: "progress", ReferralStatus.DONE: "done", ReferralStatus.REJECTED: "rejected",
        ReferralStatus.RETURNED: "returned", ReferralStatus.CANCELLED: "cancelled",
    }),
    "visit": (VisitStatus, {
        VisitStatus.PLANNED: "new", VisitStatus.SUBMITTED: "waiting", VisitStatus.RETURNED: "returned",
        VisitStatus.DONE: "done", VisitStatus.CANCELLED: "cancelled",
    }),
    "submission": (SubmissionStatus, {
        SubmissionStatus.REVIEW: "waiting", SubmissionStatus.CONFLICT: "conflict",
        SubmissionStatus.INVALID: "rejected", SubmissionStatus.APPROVED: "done",
        SubmissionStatus.RETURNED: "returned",
    }),
    "proposal": (ProposalStatus, {
        ProposalStatus.DRAFT: "draft", ProposalStatus.VERIFIED: "waiting", ProposalStatus.CHECKED: "waiting",
        ProposalStatus.AGREED: "progress", ProposalStatus.APPROVED: "progress", ProposalStatus.EXPORTED: "progress",
        ProposalStatus.SUBMITTED: "waiting", ProposalStatus.ACCEPTED: "done", ProposalStatus.REJECTED: "rejected",
        ProposalStatus.CANCELLED: "cancelled",
    }),
}

_BY_MODEL = {
    "Case": "case", "Need": "need", "Recommendation": "recommendation", "Referral": "referral",
    "Visit": "visit", "Submission": "submission", "Proposal": "proposal",
}


def machine_of(obj) -> str:
    return _BY_MODEL.get(type(obj).__name__, "")


def badge(machine: str, state: str) -> tuple[str, str, str]:
    """(tone, icon, label) of a state; an unknown state gets a plain badge with its label."""
    choices, tones = MACHINES.get(machine, (None, {}))
    tone = tones.get(state, "")
    label = state
    if choices is not None and state in choices.values:
        label = str(choices(state).label)
    return tone, ICONS.get(tone, ""), label
