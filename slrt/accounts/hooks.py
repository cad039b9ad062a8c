"""Extension points of the accounts app: what apps above it tell the account pages.

accounts sits in the foundation (docs/architecture.md) and cannot import programs, where the
agency directory lives; yet a Mitra account must name an existing agency. programs registers
the directory here from its AppConfig.ready(), and the account pages and services ask for it.
Without a registered directory (accounts alone) an agency code is only checked for form.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from slrt.core.hooks import Handlers


@dataclass(frozen=True)
class AgencyChoice:
    """One partner agency as the account pages need it: no more than the directory shows."""

    code: str
    name: str
    region_code: str
    active: bool


_agency_directory = Handlers()  # of Callable[[], Iterable[AgencyChoice]]


def on_agency_directory(fn: Callable[[], Iterable[AgencyChoice]]):
    """Register `fn()`, returning every agency of the directory (active or not)."""
    return _agency_directory.register(fn)


def has_agency_directory() -> bool:
    return bool(_agency_directory)


def agency_directory() -> dict[str, AgencyChoice]:
    """Every registered agency by code; later handlers do not override earlier ones."""
    found: dict[str, AgencyChoice] = {}
    for fn in _agency_directory:
        for choice in fn():
            found.setdefault(choice.code, choice)
    return found
