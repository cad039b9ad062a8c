"""How a referral's states look on a page (slrt.core.status), registered in ReferralsConfig.ready()."""

from slrt.core.status import register_tones

from .models import Referral, ReferralStatus


def register() -> None:
    register_tones("referral", Referral, ReferralStatus, {
        ReferralStatus.DRAFT: "draft", ReferralStatus.SENT: "waiting", ReferralStatus.ACCEPTED: "progress",
        ReferralStatus.IN_SERVICE: "progress", ReferralStatus.DONE: "done", ReferralStatus.REJECTED: "rejected",
        ReferralStatus.RETURNED: "returned", ReferralStatus.CANCELLED: "cancelled",
    })
