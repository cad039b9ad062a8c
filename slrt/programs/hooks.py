"""Extension points of the programmes app: where apps above it add to its pages.

programs sits below cases in the import order (docs/architecture.md), so its pages cannot read
cases. Like the other apps' hooks, each point is a list of handlers, an `on_...(fn)` to register
one (the higher app does so in its AppConfig.ready()) and a caller; handlers run in registration
order, which is the order of INSTALLED_APPS.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slrt.core.hooks import Handlers

from .models import Program

# --- a programme's page -------------------------------------------------------------------------


@dataclass
class PageSection:
    """A section an app above programmes adds to a programme's page: its template, included at
    the end of the page with this section as `section`, and what that template reads."""

    template: str
    context: dict = field(default_factory=dict)


_program_page = Handlers()  # of Callable[[Any, Program], PageSection | None]


def on_program_page(fn: Callable[[Any, Program], PageSection | None]):
    """Register `fn(user, program)`, called by `views.program_detail` for the viewer; it reads in
    the viewer's scope and returns a section, or None to add none."""
    return _program_page.register(fn)


def program_page(user, program: Program) -> list[PageSection]:
    """The handlers' sections, in order."""
    return [section for fn in _program_page if (section := fn(user, program)) is not None]
