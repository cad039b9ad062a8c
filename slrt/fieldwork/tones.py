"""How visits and submissions look on a page (slrt.core.status), registered in FieldworkConfig.ready()."""

from slrt.core.status import register_tones

from .models import Submission, SubmissionStatus, Visit, VisitStatus


def register() -> None:
    register_tones("visit", Visit, VisitStatus, {
        VisitStatus.PLANNED: "new", VisitStatus.SUBMITTED: "waiting", VisitStatus.RETURNED: "returned",
        VisitStatus.DONE: "done", VisitStatus.CANCELLED: "cancelled",
    })
    register_tones("submission", Submission, SubmissionStatus, {
        SubmissionStatus.REVIEW: "waiting", SubmissionStatus.CONFLICT: "conflict",
        SubmissionStatus.INVALID: "rejected", SubmissionStatus.APPROVED: "done",
        SubmissionStatus.RETURNED: "returned",
    })
