"""OpenRosa responses: every one (errors included) carries X-OpenRosa-Version and Date."""

from xml.sax.saxutils import escape

from django.http import HttpResponse
from django.utils.http import http_date

OPENROSA_VERSION = "1.0"
XML_TYPE = "text/xml; charset=utf-8"


def with_headers(response: HttpResponse) -> HttpResponse:
    response["X-OpenRosa-Version"] = OPENROSA_VERSION
    response["Date"] = http_date()
    return response


def xml_response(body: bytes | str, status: int = 200) -> HttpResponse:
    return with_headers(HttpResponse(body, content_type=XML_TYPE, status=status))


def message(text: str, *, status: int, nature: str = "") -> HttpResponse:
    """`<OpenRosaResponse>` with one message; Collect shows it to the facilitator."""
    attr = f' nature="{escape(nature)}"' if nature else ""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<OpenRosaResponse xmlns="http://openrosa.org/http/response">'
        f"<message{attr}>{escape(str(text))}</message></OpenRosaResponse>"
    )
    return xml_response(body, status=status)
