"""The visit and submission state machines as data. `services` is their only interpreter.

A visit is planned (assigned to a facilitator), submitted from the field, then either completed
by the supervisor's approval or returned to the facilitator (it is open again and shows in the
task list and in Collect's kunjungan.csv). A submission waits for review (or for the supervisor
to settle a conflict first), then is approved or returned.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .models import SubmissionStatus as SS
from .models import VisitStatus as VS


@dataclass(frozen=True)
class Transition:
    sources: frozenset
    target: str
    label: str = ""


# Visits open for field work: listed in the task list and in the per-user choice files.
OPEN_VISIT = frozenset({VS.PLANNED, VS.RETURNED})

VISIT_TRANSITIONS: dict[str, Transition] = {
    "submit": Transition(OPEN_VISIT, VS.SUBMITTED, _("Dikirim dari lapangan")),
    "approve": Transition(frozenset({VS.SUBMITTED}), VS.DONE, _("Selesai")),
    # From PLANNED too: a conflicted submission leaves its visit planned until the review.
    "return": Transition(frozenset({VS.SUBMITTED, VS.PLANNED}), VS.RETURNED, _("Dikembalikan")),
    "cancel": Transition(frozenset({VS.PLANNED, VS.RETURNED}), VS.CANCELLED, _("Batalkan")),
}

# Submissions a supervisor still has to look at.
AWAITING_REVIEW = frozenset({SS.REVIEW, SS.CONFLICT})

SUBMISSION_TRANSITIONS: dict[str, Transition] = {
    # The supervisor chose server or submitted value for each conflicted field; then applied.
    "resolve": Transition(frozenset({SS.CONFLICT}), SS.REVIEW, _("Konflik diselesaikan")),
    "approve": Transition(frozenset({SS.REVIEW}), SS.APPROVED, _("Setujui")),
    "return": Transition(frozenset({SS.REVIEW, SS.CONFLICT}), SS.RETURNED, _("Kembalikan")),
}

REVIEW_ACTIONS = ("approve", "return")


def visit_target(action: str, status: str) -> str | None:
    t = VISIT_TRANSITIONS[action]
    return t.target if status in t.sources else None


def submission_target(action: str, status: str) -> str | None:
    t = SUBMISSION_TRANSITIONS[action]
    return t.target if status in t.sources else None
