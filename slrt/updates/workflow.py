"""The registry proposal state machine as data: which action moves a proposal from which states to
which state, who may do it, what they must write, and whether it is a person's action or the
side effect of a meeting, a batch or a registry release. `services.transition` is its single
interpreter (the meeting, batch and reconciliation services move proposals through `services.move`,
which reads the same table), and the tests walk this table.

Four eyes: Dinas Sosial approval (`approve`) is the decision that sends a proposal to the registry
owner, so the one who drafted the proposal never approves it (`services.transition` enforces it,
`allowed_actions` mirrors it). The supervisor's check is not four-eyes: in a kecamatan the
supervisor is often the only checker and the check is followed by the village meeting anyway.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from slrt.accounts.roles import CAPABILITIES

from .models import ProposalStatus as S

DRAFTERS = frozenset(CAPABILITIES["draft_proposal"])
CHECKERS = frozenset(CAPABILITIES["check_proposal"])
APPROVERS = frozenset(CAPABILITIES["approve_proposal"])
MEETING = frozenset(CAPABILITIES["record_meeting"])
EXPORTERS = frozenset(CAPABILITIES["export_proposals"])

# Before the monthly export a proposal can still be edited or cancelled at home; once exported it
# belongs to the registry owner's process.
PRE_EXPORT = frozenset({S.DRAFT, S.VERIFIED, S.CHECKED, S.AGREED, S.APPROVED})
EDITABLE = frozenset({S.DRAFT, S.VERIFIED})
FINAL_STATES = frozenset({S.ACCEPTED, S.REJECTED, S.CANCELLED})
OPEN_STATES = frozenset(set(S) - FINAL_STATES)

# How an action happens: by a person through `transition`, or only as part of another write.
BY_USER = "user"
BY_MEETING = "meeting"  # services.record_meeting
BY_BATCH = "batch"  # services.create_batch / submit_batch
BY_SYSTEM = "system"  # reconcile.reconcile_release


@dataclass(frozen=True)
class Transition:
    sources: frozenset
    target: str
    roles: frozenset
    required: tuple[str, ...] = ()
    label: str = ""
    via: str = BY_USER


TRANSITIONS: dict[str, Transition] = {
    "verify": Transition(frozenset({S.DRAFT}), S.VERIFIED, DRAFTERS, (), _("Verifikasi (kunjungan)")),
    "check": Transition(frozenset({S.VERIFIED}), S.CHECKED, CHECKERS, (), _("Periksa")),
    "return_to_draft": Transition(
        frozenset({S.VERIFIED, S.CHECKED}), S.DRAFT, CHECKERS, ("reason",), _("Kembalikan ke draf")
    ),
    "agree": Transition(frozenset({S.CHECKED}), S.AGREED, MEETING, (), _("Disepakati musyawarah"), BY_MEETING),
    "approve": Transition(frozenset({S.AGREED}), S.APPROVED, APPROVERS, (), _("Setujui")),
    "cancel": Transition(PRE_EXPORT, S.CANCELLED, DRAFTERS | APPROVERS, ("reason",), _("Batalkan")),
    "export": Transition(frozenset({S.APPROVED}), S.EXPORTED, EXPORTERS, (), _("Ekspor"), BY_BATCH),
    "submit": Transition(frozenset({S.EXPORTED}), S.SUBMITTED, EXPORTERS, (), _("Ajukan"), BY_BATCH),
    "accept": Transition(frozenset({S.SUBMITTED}), S.ACCEPTED, frozenset(), (), _("Diterima"), BY_SYSTEM),
    "reject": Transition(frozenset({S.SUBMITTED}), S.REJECTED, frozenset(), ("reason",), _("Ditolak"), BY_SYSTEM),
}

FIELD_LABELS = {"reason": _("Alasan")}
USER_ACTIONS = tuple(name for name, t in TRANSITIONS.items() if t.via == BY_USER)  # what `transition` takes


def allowed_actions(role: str, status: str, *, own_draft: bool = False) -> list[str]:
    """Actions a role may take by hand from a status, in table order (buttons and API hints).

    `own_draft`: the user drafted the proposal, so `approve` is not offered (four eyes).
    """
    out = []
    for name, t in TRANSITIONS.items():
        if t.via != BY_USER or role not in t.roles or status not in t.sources:
            continue
        if name == "approve" and own_draft:
            continue
        out.append(name)
    return out
