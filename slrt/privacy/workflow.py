"""The data-subject request's state machine as data: which action moves a request from which states
to which state, for which kind of request, who may take it and what must be written.
`services.transition` is its only interpreter, and the tests walk this table.

No copy and no correction before identity is verified: those actions start from *verified* only.
"""

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from slrt.accounts.roles import CAPABILITIES

from .models import RequestKind as K
from .models import RequestStatus as S

# UU PDP art. 32: the controller answers within 3×24 hours of the request.
DEADLINE = dt.timedelta(hours=72)
# A request that came by letter or email is recorded with the time it arrived, at most this far back.
MAX_BACKDATE = dt.timedelta(days=30)

DESK = frozenset(CAPABILITIES["serve_data_requests"])
OPEN_STATES = frozenset({S.RECEIVED, S.VERIFIED})
FINAL_STATES = frozenset({S.FULFILLED, S.REFUSED, S.WITHDRAWN})
BOTH = frozenset({K.ACCESS, K.CORRECTION})


@dataclass(frozen=True)
class Transition:
    sources: frozenset
    target: str
    roles: frozenset
    kinds: frozenset = BOTH
    required: tuple[str, ...] = ()
    label: str = ""


TRANSITIONS: dict[str, Transition] = {
    "verify": Transition(frozenset({S.RECEIVED}), S.VERIFIED, DESK, BOTH, ("identity_method", "identity_digits"),
                         _("Identitas terverifikasi")),
    # Access: the PDF of everything held is built and handed over (services.issue_copy).
    "issue_copy": Transition(frozenset({S.VERIFIED}), S.FULFILLED, DESK, frozenset({K.ACCESS}), (),
                             _("Serahkan salinan data (PDF)")),
    # Correction: a registry proposal (updates) or an edit of the resident's case (cases).
    "propose_correction": Transition(frozenset({S.VERIFIED}), S.FULFILLED, DESK, frozenset({K.CORRECTION}),
                                     ("reason",), _("Ajukan perbaikan ke registri")),
    "correct_case": Transition(frozenset({S.VERIFIED}), S.FULFILLED, DESK, frozenset({K.CORRECTION}), (),
                               _("Perbaiki data kasus")),
    "refuse": Transition(OPEN_STATES, S.REFUSED, DESK, BOTH, ("reason",), _("Tolak")),
    "withdraw": Transition(OPEN_STATES, S.WITHDRAWN, DESK, BOTH, ("reason",), _("Dicabut pemohon")),
}

FIELD_LABELS = {
    "identity_method": _("Cara pemeriksaan identitas"),
    "identity_digits": _("Empat digit terakhir nomor dokumen"),
    "reason": _("Alasan"),
}

# Actions taken with a plain form on the request page (the others have their own forms).
SIMPLE_ACTIONS = ("refuse", "withdraw")


def allowed_actions(role: str, status: str, kind: str) -> list[str]:
    """Actions a role may take on a request in `status` of `kind`, in table order."""
    return [name for name, t in TRANSITIONS.items() if role in t.roles and status in t.sources and kind in t.kinds]


def deadline_for(received_at: dt.datetime) -> dt.datetime:
    return received_at + DEADLINE
