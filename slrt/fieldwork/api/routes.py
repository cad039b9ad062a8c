"""Field work API: visits and the sync API (pull since a cursor, push with idempotency keys)."""

from ninja import Router

router = Router(tags=["fieldwork"])
