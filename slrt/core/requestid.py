"""Request ids, the access line and request metrics; the JSON log format.

`RequestIdMiddleware` (first in MIDDLEWARE, slrt.conf.observability) takes the proxy's
`X-Request-ID` when it has the strict shape below, or makes one, keeps it in a contextvar for
the request's log lines (`RequestContextFilter`, on every handler) and returns it in the
response's `X-Request-ID` header. Celery tasks put their task id there instead (task_prerun).
After the answer it writes one access line (method, route name, status, duration; never the
path, which can hold ids or a NIK) and counts the request in slrt.core.metrics.

`JsonLogFormatter` (SLRT_LOG_FORMAT=json) writes time, level, logger, message, request_id or
task_id and the record's extra fields; every string in the line is scrubbed again (slrt.core.logs),
since the handler's ScrubPersonalData filter cleans the message and traceback, not extra fields.
"""

import logging
import re
import secrets
import time
from contextvars import ContextVar
from datetime import UTC, datetime

from pythonjsonlogger.json import JsonFormatter

from slrt.core import metrics
from slrt.core.logs import scrub

current_request_id: ContextVar[str] = ContextVar("slrt_request_id", default="")
current_task_id: ContextVar[str] = ContextVar("slrt_task_id", default="")

# Hex digits and dashes (nginx's $request_id, a UUID), 16 to 64 long, and no run of 8 digits: a
# header can never bring a NIK, a phone number or a name into every log line of a request.
_VALID = re.compile(r"[0-9A-Fa-f-]{16,64}")
_DIGIT_RUN = re.compile(r"\d{8}")
HEADER = "X-Request-ID"
access_log = logging.getLogger("slrt.access")


def valid(value: str) -> bool:
    return bool(_VALID.fullmatch(value)) and not _DIGIT_RUN.search(value)


def new_id() -> str:
    while True:  # a random hex string rarely has 8 digits in a row; never hand one out
        value = secrets.token_hex(16)
        if valid(value):
            return value


def route_of(request) -> str:
    """The URL pattern's name (or the pattern itself): a bounded set, never the raw path."""
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return match.view_name or match.route or "unnamed"
    from django.conf import settings

    if settings.STATIC_URL and request.path.startswith("/" + settings.STATIC_URL.lstrip("/")):
        return "static"
    return "unmatched"


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        began = time.perf_counter()
        incoming = request.headers.get(HEADER, "")
        rid = incoming if valid(incoming) else new_id()
        request.request_id = rid
        token = current_request_id.set(rid)
        try:
            response = self.get_response(request)
            response[HEADER] = rid
            seconds = time.perf_counter() - began
            route = route_of(request)
            metrics.observe_request(request.method, route, response.status_code, seconds)
            if route != "static":  # whitenoise's files: gunicorn's access log has them
                duration_ms = round(seconds * 1000, 1)
                access_log.info("%s %s %s %sms", request.method, route, response.status_code, duration_ms,
                                extra={"method": request.method, "route": route,
                                       "status": response.status_code, "duration_ms": duration_ms})
            return response
        finally:
            current_request_id.reset(token)


class RequestContextFilter(logging.Filter):
    """Gives every record `request_id` and `task_id` (empty outside a request or a task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get()
        record.task_id = current_task_id.get()
        return True


def _task_started(task_id=None, **_kw):
    _task_tokens[task_id] = current_task_id.set(task_id or "")


def _task_ended(task_id=None, **_kw):
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        try:
            current_task_id.reset(token)
        except ValueError:  # set in another context: clear instead
            current_task_id.set("")


_task_tokens: dict = {}


def connect_celery() -> None:
    from celery import signals

    signals.task_prerun.connect(_task_started, weak=False, dispatch_uid="slrt.requestid.prerun")
    signals.task_postrun.connect(_task_ended, weak=False, dispatch_uid="slrt.requestid.postrun")


def _scrub_all(value):
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {k: _scrub_all(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scrub_all(v) for v in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    # Anything else would be written as its str(): scrub that text (a datetime, an exception).
    return scrub(str(value))


_TASK_VALUES = {"args", "kwargs", "return_value"}


class JsonLogFormatter(JsonFormatter):
    FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(task_id)s"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("rename_fields", {"asctime": "time", "levelname": "level", "name": "logger"})
        # Non-ASCII names stay readable text, so the leak scan sees them as words.
        kwargs.setdefault("json_ensure_ascii", False)
        super().__init__(self.FORMAT, *args, **kwargs)

    def formatTime(self, record, datefmt=None):  # noqa: N802 - logging's name
        return datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds")

    def process_log_record(self, log_data):
        for key in ("request_id", "task_id"):
            if not log_data.get(key):
                log_data.pop(key, None)
        # django.request passes the request itself (extra={"request": …}); its text is the full
        # URL with the query string. The line's request_id already says which request it was.
        if not isinstance(log_data.get("request"), (str, type(None))):
            log_data.pop("request")
        # Celery's worker lines carry the task's arguments and return value in `data` (its plain
        # messages do not): they can hold anything a task was given, so only name and id stay.
        data = log_data.get("data")
        if isinstance(data, dict) and _TASK_VALUES & set(data):
            log_data["data"] = {k: v for k, v in data.items() if k not in _TASK_VALUES}
        return _scrub_all(log_data)
