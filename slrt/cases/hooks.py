"""Extension points of the cases app: where apps above cases act inside a case's transaction.

cases sits below updates, fieldwork and referrals in the import order (docs/architecture.md), so
it cannot call them. Each point is a list of handlers, a `on_...(fn)` to register one (the higher
app does so in its AppConfig.ready()), and a caller that cases runs inside the transaction that
writes the case: a handler that raises rolls the whole write back. Handlers run in registration
order, which is the order of INSTALLED_APPS (Django calls ready() in that order).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .models import Case

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


_unregistered_resident: list[Callable[[UnregisteredResident], None]] = []


def on_unregistered_resident(fn: Callable[[UnregisteredResident], None]):
    """Register `fn(resident)`, run by `services.create_case` inside its transaction."""
    if fn not in _unregistered_resident:  # ready() may run again (tests); a handler runs once
        _unregistered_resident.append(fn)
    return fn


def unregistered_resident(resident: UnregisteredResident) -> UnregisteredResident:
    """Run the handlers in order; called inside `create_case`'s transaction."""
    for fn in _unregistered_resident:
        fn(resident)
    return resident
