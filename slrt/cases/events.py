"""The case timeline writer, used by every app whose actions touch a case."""

from .models import CaseEvent


def log_event(case, actor, kind: str, **params) -> CaseEvent:
    """Append to the case timeline. `params` hold ids, codes and statuses only, never personal values."""
    return CaseEvent.objects.create(
        case=case, actor=actor if getattr(actor, "is_authenticated", False) else None, kind=kind, params=params
    )
