"""Nothing personal in log lines (UU PDP): query-string values and NIK-like numbers are scrubbed.

The API's query parameters are fixed by SPEC (`people?nik=`, `people?q=<name>`), so the access
lines of runserver (`django.server`), Django's request log (`django.request`) and any WSGI server
logging through Python's logging (gunicorn) would carry NIKs and names. `ScrubPersonalData` sits
on every handler in settings.LOGGING: a handler filter sees the records of every logger that
propagates to it, whichever logger made them.
"""

import logging
import re

SCRUBBED = "[scrubbed]"
# After a "?" up to whitespace or a quote: the query string of a request line or URL.
_QUERY = re.compile(r"\?([^\s\"'<>]*)")
# A NIK or KK number anywhere else (a path, a message): 16 digits not part of a longer number.
_SIXTEEN_DIGITS = re.compile(r"(?<!\d)\d{16}(?!\d)")


def _scrub_query(query: str) -> str:
    fragment = ""
    if "#" in query:
        query, fragment = query.split("#", 1)
        fragment = "#" + SCRUBBED
    parts = []
    for part in query.split("&"):
        if not part:
            parts.append(part)
            continue
        name, sep, _value = part.partition("=")
        # A bare value (`?3201...`) is scrubbed whole; a name keeps its name, loses its value.
        parts.append(f"{name}={SCRUBBED}" if sep else SCRUBBED)
    return "&".join(parts) + fragment


def scrub(text: str) -> str:
    """The text with every query-string value and every 16-digit number replaced."""
    text = _QUERY.sub(lambda m: "?" + _scrub_query(m.group(1)), text)
    return _SIXTEEN_DIGITS.sub(SCRUBBED, text)


class ScrubPersonalData(logging.Filter):
    """Rewrites each record's final message scrubbed; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError, KeyError):  # mismatched args: keep the template, never the args
            message = str(record.msg)
        cleaned = scrub(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        # A traceback can quote a value too (an exception's message): format it once, scrubbed;
        # formatters reuse exc_text instead of formatting exc_info again.
        if record.exc_info and not record.exc_text:
            record.exc_text = _FORMATTER.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True


_FORMATTER = logging.Formatter()
