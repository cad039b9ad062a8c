"""How a proposal's states look on a page (slrt.core.status), registered in UpdatesConfig.ready()."""

from slrt.core.status import register_tones

from .models import Proposal, ProposalStatus


def register() -> None:
    register_tones("proposal", Proposal, ProposalStatus, {
        ProposalStatus.DRAFT: "draft", ProposalStatus.VERIFIED: "waiting", ProposalStatus.CHECKED: "waiting",
        ProposalStatus.AGREED: "progress", ProposalStatus.APPROVED: "progress", ProposalStatus.EXPORTED: "progress",
        ProposalStatus.SUBMITTED: "waiting", ProposalStatus.ACCEPTED: "done", ProposalStatus.REJECTED: "rejected",
        ProposalStatus.CANCELLED: "cancelled",
    })
