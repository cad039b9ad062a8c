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


SHOWN_LIMIT = 500  # ids per kind in one row; a page shows at most a few hundred rows


def shown_ids(rows, attr: str = "pk") -> list[int]:
    """The distinct ids `attr` of `rows` in the order shown, empty values dropped."""
    seen: dict = {}
    for row in rows:
        value = row.get(attr) if isinstance(row, dict) else getattr(row, attr, None)
        if value is not None and value != "":
            seen.setdefault(value, None)
    return list(seen)


def record_shown(actor, action: str, *, count: int, region_code: str = "", detail: dict | None = None,
                 **shown: list) -> AuditEvent:
    """One audit row for one page of a list or search that showed people (UU PDP: who saw whom).

    `shown` names each kind of record the page showed with its ids, e.g. `people=[...]`,
    `cases=[...]`: ids only, as `shown_ids` gives them, never names or NIKs. `count` is the
    number of rows of the page.
    """
    payload = dict(detail or {})
    payload["count"] = count
    for kind, ids in shown.items():
        payload[kind] = list(ids)[:SHOWN_LIMIT]
    return record(actor, action, region_code=region_code, detail=payload)
