"""Extension points of the registry: where apps above it act inside an import's transaction.

The registry sits below every desk app in the import order (docs/architecture.md), so it cannot
call them. Each point is a list of handlers, an `on_...(fn)` to register one (the higher app does
so in its AppConfig.ready()), and a caller that the registry runs inside the import's
transaction: a handler that raises rolls the whole import back, and the registry stays as it
was. Handlers run in registration order, which is the order of INSTALLED_APPS.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slrt.core.hooks import Handlers

from .models import ImportJob, Release

# --- a registry release imported ----------------------------------------------------------------


@dataclass
class ReleaseImport:
    """An import whose accepted rows are checked and staged, about to be merged into `release`."""

    job: ImportJob
    release: Release
    region_code: str  # the import's scope: "" for the whole country


AfterMerge = Callable[[], Any]
_release_imported = Handlers()  # of Callable[[ReleaseImport], AfterMerge | None]


def on_release_imported(fn: Callable[[ReleaseImport], AfterMerge | None]):
    """Register `fn(release_import)`, run by `imports.pipeline.load` inside the import's transaction.

    A handler runs in two steps around the merge. `fn` itself is called before it, while the
    staging table (`imports.loader.STAGE`) holds exactly the file's accepted rows and the registry
    is as it was; the function `fn` returns, if any, is called after the merge, when the registry
    holds the release (updates reads the proposals' NIKs in the file, then settles the proposals).
    """
    return _release_imported.register(fn)


def release_imported(release_import: ReleaseImport) -> list[AfterMerge]:
    """Run the handlers' first steps (before the merge); returns their second steps, in order."""
    return [after for fn in _release_imported if (after := fn(release_import)) is not None]
