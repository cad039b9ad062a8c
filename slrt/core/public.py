"""The address residents and agencies are sent to (status page, letter check, e-mail links).

`SLRT_PUBLIC_URL` wins when set (production behind a proxy knows its public name). Otherwise a
link made while answering a request uses the address that request came in on, so a demo
started on another port or host prints links that work; a background job with neither falls
back to `SLRT_PUBLIC_URL_FALLBACK`. The request's host has already passed ALLOWED_HOSTS, so a
forged Host header cannot put someone else's address on a letter.
"""

from contextvars import ContextVar

from django.conf import settings
from django.core.exceptions import DisallowedHost

_request_base: ContextVar[str] = ContextVar("slrt_request_base", default="")


def public_url() -> str:
    """Scheme and host, no trailing slash."""
    return settings.SLRT_PUBLIC_URL or _request_base.get() or settings.SLRT_PUBLIC_URL_FALLBACK


class PublicUrlMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            base = f"{request.scheme}://{request.get_host()}"
        except DisallowedHost:
            base = ""  # CommonMiddleware refuses the request anyway
        token = _request_base.set(base)
        try:
            return self.get_response(request)
        finally:
            _request_base.reset(token)
