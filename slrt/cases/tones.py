"""How the case desk's states look on a page (slrt.core.status), registered in CasesConfig.ready()."""

from slrt.core.status import register_tones

from .models import Case, CaseStatus, Need, NeedStatus, Recommendation, RecommendationStatus


def register() -> None:
    register_tones("case", Case, CaseStatus, {
        CaseStatus.NEW: "new", CaseStatus.IN_PROGRESS: "progress", CaseStatus.CLOSED: "done",
    })
    register_tones("need", Need, NeedStatus, {
        NeedStatus.OPEN: "new", NeedStatus.IN_PROGRESS: "progress", NeedStatus.HANDLED: "done",
        NeedStatus.CLOSED: "cancelled",
    })
    register_tones("recommendation", Recommendation, RecommendationStatus, {
        RecommendationStatus.DRAFT: "draft", RecommendationStatus.APPROVED: "done",
        RecommendationStatus.REJECTED: "rejected",
    })
