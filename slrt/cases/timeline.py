"""Wording of timeline events (`CaseEvent.kind`), rendered with the event's params.

Apps that log case events add their kinds here; a kind missing from the table is shown by its code.
"""

from django.utils.translation import gettext_lazy as _

EVENT_TEXT = {
    "case.created": _("Kasus dicatat (tiket %(ticket)s)."),
}


def describe(event) -> str:
    text = EVENT_TEXT.get(event.kind)
    if text is None:
        return event.kind
    try:
        return str(text) % event.params
    except (KeyError, TypeError, ValueError):
        return str(text)
