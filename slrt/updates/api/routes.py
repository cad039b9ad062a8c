"""Registry proposals API."""

from ninja import Router

router = Router(tags=["proposals"])
