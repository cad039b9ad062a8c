"""Logs, request ids and metrics, without personal data (README "Monitoring").

SLRT_LOG_FORMAT: `json` (the default: production's log collectors read one JSON object a line)
or `plain` (one readable line; `make run` and the test run ask for it). Either way every handler
keeps the ScrubPersonalData filter and gains the request/task id filter (slrt.core.requestid).
The request-id middleware goes first, so that even the HTTPS redirect answers with an id.
Readiness (`/readyz`): SLRT_READY_TIMEOUT seconds for all checks (2), SLRT_READY_MIN_FREE_MB
free under VAR_DIR and MEDIA_ROOT (1024). Metrics: SLRT_METRICS_ADDR / SLRT_METRICS_WORKER_ADDR
(slrt.core.metrics; read by the gunicorn config and the Celery worker, not here).
"""

import os

FORMATS = ("json", "plain")


def apply(s: dict) -> None:
    fmt = os.environ.get("SLRT_LOG_FORMAT", "json").strip() or "json"
    if fmt not in FORMATS:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"SLRT_LOG_FORMAT must be one of {', '.join(FORMATS)}, not '{fmt}'")
    logging = s["LOGGING"]
    logging["filters"]["request_context"] = {"()": "slrt.core.requestid.RequestContextFilter"}
    logging["formatters"]["json"] = {"()": "slrt.core.requestid.JsonLogFormatter"}
    for handler in logging["handlers"].values():
        handler["filters"] = ["request_context", *[f for f in handler.get("filters", []) if f != "request_context"]]
        if fmt == "json":
            handler["formatter"] = "json"
    logging["loggers"].setdefault("slrt.access", {"level": "INFO"})
    s["SLRT_LOG_FORMAT"] = fmt

    if "slrt.core.requestid.RequestIdMiddleware" not in s["MIDDLEWARE"]:
        s["MIDDLEWARE"].insert(0, "slrt.core.requestid.RequestIdMiddleware")

    # The load balancer's or proxy's probe speaks plain HTTP, like the one of /healthz.
    if "SECURE_REDIRECT_EXEMPT" in s and r"^readyz$" not in s["SECURE_REDIRECT_EXEMPT"]:
        s["SECURE_REDIRECT_EXEMPT"] = [*s["SECURE_REDIRECT_EXEMPT"], r"^readyz$"]

    s["SLRT_READY_TIMEOUT"] = float(os.environ.get("SLRT_READY_TIMEOUT", "2"))
    s["SLRT_READY_MIN_FREE_BYTES"] = int(float(os.environ.get("SLRT_READY_MIN_FREE_MB", "1024")) * 2**20)
