"""How a data-subject request's states look on a page (slrt.core.status), registered in PrivacyConfig.ready()."""

from slrt.core.status import register_tones

from .models import DataRequest, RequestStatus


def register() -> None:
    register_tones("data_request", DataRequest, RequestStatus, {
        RequestStatus.RECEIVED: "new", RequestStatus.VERIFIED: "progress", RequestStatus.FULFILLED: "done",
        RequestStatus.REFUSED: "rejected", RequestStatus.WITHDRAWN: "cancelled",
    })
