"""The single entry point for audit records."""

from .models import AuditEvent


def record(actor, action: str, obj=None, *, region_code: str = "", detail: dict | None = None) -> AuditEvent:
    """Append one audit event. `detail` must hold ids and counts only, never names or NIKs."""
    return AuditEvent.objects.create(
        actor=actor if actor is not None and getattr(actor, "is_authenticated", False) else None,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        region_code=region_code or getattr(obj, "desa_code", "") or "",
        detail=detail or {},
    )
