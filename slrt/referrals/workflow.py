"""The referral state machine as data: which action moves a referral from which states to which
state, who may do it and what they must write. `services.transition` is its only interpreter,
and the tests walk this table, so a change here is a change of the rule everywhere.

Roles come from the capabilities in `accounts.roles`: staff who manage referrals send and
cancel them; the Mitra user of the receiving agency answers for the agency.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from slrt.accounts.roles import CAPABILITIES

from .models import ReferralStatus as S

STAFF = frozenset(CAPABILITIES["manage_referrals"])
AGENCY = frozenset(CAPABILITIES["respond_referral"])
# Penetapan layanan: a direct referral (no approved recommendation behind it) is sent only by
# those who decide services, and not by whoever drafted it (four eyes); `services.transition`
# enforces it, `allowed_actions` mirrors it.
DECIDERS = frozenset(CAPABILITIES["approve_recommendation"])

# The one definition of the referral state sets; cases, escalation and reports import them.
# At the agency: sent and not yet answered with a final state (what the SLA and escalation watch).
AT_AGENCY = frozenset({S.SENT, S.ACCEPTED, S.IN_SERVICE})
OPEN_STATES = frozenset({S.DRAFT, *AT_AGENCY})
FINAL_STATES = frozenset({S.REJECTED, S.DONE, S.RETURNED, S.CANCELLED})
# When the resident withdraws consent to share (`services.withdraw_share_consent`): referrals in
# these states never left the office and are cancelled through "cancel" below; every referral
# already sent is flagged to its agency instead (the data is there and cannot be called back).
WITHDRAWAL_CANCELS = frozenset({S.DRAFT})


@dataclass(frozen=True)
class Transition:
    sources: frozenset
    target: str
    roles: frozenset
    required: tuple[str, ...] = ()
    label: str = ""


TRANSITIONS: dict[str, Transition] = {
    "send": Transition(frozenset({S.DRAFT}), S.SENT, STAFF, (), _("Kirim ke lembaga")),
    "accept": Transition(frozenset({S.SENT}), S.ACCEPTED, AGENCY, (), _("Terima")),
    "reject": Transition(frozenset({S.SENT}), S.REJECTED, AGENCY, ("reason",), _("Tolak")),
    "start": Transition(frozenset({S.ACCEPTED}), S.IN_SERVICE, AGENCY, (), _("Mulai layanan")),
    "done": Transition(
        frozenset({S.IN_SERVICE}), S.DONE, AGENCY, ("service_given", "outcome", "service_date"), _("Selesai dilayani")
    ),
    "return": Transition(frozenset({S.ACCEPTED, S.IN_SERVICE}), S.RETURNED, AGENCY, ("reason",), _("Kembalikan")),
    "cancel": Transition(OPEN_STATES, S.CANCELLED, STAFF, ("reason",), _("Batalkan")),
}

# Where each required field is stored on the referral (all of them are Referral fields).
FIELD_LABELS = {
    "reason": _("Alasan"),
    "service_given": _("Layanan yang diberikan"),
    "outcome": _("Hasil layanan"),
    "service_date": _("Tanggal layanan"),
}

# What the user is told once an action went through: what happened, to which referral, by or to whom.
DONE_MESSAGES = {
    "send": _("Rujukan %(number)s dikirim ke %(agency)s."),
    "accept": _("Rujukan %(number)s diterima oleh %(agency)s."),
    "reject": _("Rujukan %(number)s ditolak oleh %(agency)s."),
    "start": _("Rujukan %(number)s mulai dilayani oleh %(agency)s."),
    "done": _("Rujukan %(number)s selesai dilayani oleh %(agency)s."),
    "return": _("Rujukan %(number)s dikembalikan oleh %(agency)s."),
    "cancel": _("Rujukan %(number)s ke %(agency)s dibatalkan."),
}


def allowed_actions(
    role: str, status: str, *, direct: bool = False, own_draft: bool = False, case_closed: bool = False
) -> list[str]:
    """Actions a role may take from a status, in table order (for buttons and API hints).

    `direct`: the referral has no approved recommendation behind it, so only deciders send it,
    and never the one who drafted it (`own_draft`: four eyes). `case_closed`: the case is
    closed, so only the staff cancel is left.
    """

    def allowed(name, t):
        if role not in t.roles or status not in t.sources:
            return False
        if case_closed and name != "cancel":
            return False
        return not (name == "send" and direct and (role not in DECIDERS or own_draft))

    return [name for name, t in TRANSITIONS.items() if allowed(name, t)]
