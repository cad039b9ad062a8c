"""Extension points of the cases app: where apps above cases act inside a case's transaction.

cases sits below updates, fieldwork and referrals in the import order (docs/architecture.md), so
it cannot call them. Each point is a list of handlers, a `on_...(fn)` to register one (the higher
app does so in its AppConfig.ready()), and a caller that cases runs inside the transaction that
writes the case: a handler that raises rolls the whole write back. Handlers run in registration
order, which is the order of INSTALLED_APPS (Django calls ready() in that order).

Two points are questions rather than events: cases asks the apps above what they have under way
for a case's needs (`need_services`) and whether they let a user see a letter (`letter_access`).
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slrt.core.hooks import Handlers

from .models import Case, Letter, Recommendation

# --- a case for a resident not in the registry -------------------------------------------------


@dataclass
class UnregisteredResident:
    """A case just recorded, with consent, for a resident the registry does not know yet.

    The handlers get the resident as the desk typed them in and put on it what they created, for
    the case's timeline ("case.proposal_drafted") and audit record.
    """

    actor: Any
    case: Case
    name: str
    nik: str
    address: str
    proposal: Any = None  # the draft registry proposal (updates registers its creation)
    visit: Any = None  # the verification visit for that proposal (fieldwork, registered after updates)


_unregistered_resident = Handlers()  # of Callable[[UnregisteredResident], None]


def on_unregistered_resident(fn: Callable[[UnregisteredResident], None]):
    """Register `fn(resident)`, run by `services.create_case` inside its transaction."""
    return _unregistered_resident.register(fn)


def unregistered_resident(resident: UnregisteredResident) -> UnregisteredResident:
    """Run the handlers in order; called inside `create_case`'s transaction."""
    for fn in _unregistered_resident:
        fn(resident)
    return resident


# --- a recommendation approved --------------------------------------------------------------------

_recommendation_approved = Handlers()  # of Callable[[Any, Case, Recommendation], None]


def on_recommendation_approved(fn: Callable[[Any, Case, Recommendation], None]):
    """Register `fn(actor, case, recommendation)`, run by `decisions.decide_recommendation` on an
    approval inside its transaction, with the case row locked, after the approval's audit,
    timeline and letter and before the case's status is refreshed (referrals drafts the referral
    of an approved agency service there)."""
    return _recommendation_approved.register(fn)


def recommendation_approved(actor, case: Case, recommendation: Recommendation) -> None:
    """Run the handlers in order; called inside `decide_recommendation`'s transaction."""
    for fn in _recommendation_approved:
        fn(actor, case, recommendation)


# --- the services under way or given for a case's needs ------------------------------------------


@dataclass(frozen=True)
class NeedService:
    """One service an app above cases has for a need of the case (referrals: one referral).

    cases derives the need's status from these (`workflow.refresh_status`), keeps a case open
    while one is still open (`workflow.close_allowed`) and dates the resident's public steps.
    """

    need_id: int
    number: str  # how the desk is told which service still keeps the case open
    open: bool  # under way: drafted, or at the agency
    done: bool  # given: the need is handled
    sent_at: dt.datetime | None = None  # when it left the office (public step "dirujuk")
    served_at: dt.datetime | None = None  # when the resident was being or was served ("dilayani")


_need_services = Handlers()  # of Callable[[Case], list[NeedService]]


def on_need_services(fn: Callable[[Case], list[NeedService]]):
    """Register `fn(case)`, returning the services of all the case's needs in the order they were
    created. It is a read, run with one query by `workflow` inside the transaction of any write
    that may move a need (after the case row is locked) and by the public status page."""
    return _need_services.register(fn)


def need_services(case: Case) -> list[NeedService]:
    """Every registered app's services for the case's needs, app by app."""
    return [service for fn in _need_services for service in fn(case)]


# --- who may see a letter ------------------------------------------------------------------------

_letter_access = Handlers()  # of Callable[[Any, Letter], bool | None]


def on_letter_access(fn: Callable[[Any, Letter], bool | None]):
    """Register `fn(user, letter)`, asked by `decisions.get_letter` before the case's own scope:
    True or False decides, None leaves the letter to the next handler and then to the case's
    staff (referrals decides for a Mitra user: only a Surat Rujukan sent to its agency)."""
    return _letter_access.register(fn)


def letter_access(user, letter: Letter) -> bool | None:
    """The first handler's answer that is not None, or None."""
    for fn in _letter_access:
        answer = fn(user, letter)
        if answer is not None:
            return answer
    return None
