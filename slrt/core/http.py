"""Small helpers shared by the web views of every app."""

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from slrt.accounts.roles import can


def capability_required(capability: str):
    """403 (the Indonesian page `403.html`) for a signed-in user whose role lacks `capability`."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not can(request.user, capability):
                raise PermissionDenied(_("Peran Anda tidak memiliki akses ke halaman ini."))
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def is_htmx(request) -> bool:
    # A history restore asks for the whole page, not the fragment.
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-History-Restore-Request") != "true"


def parse_pk(raw) -> int | None:
    """An id typed into a form field (a select's value): the int, or None for anything else."""
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


def reads_own_body(view):
    """Mark a view that parses its own request body after its own checks (authentication, size):
    `RejectNulMiddleware` leaves its multipart body alone."""
    view.reads_own_body = True
    return view


def pdf_response(content: bytes, filename: str, *, attachment: bool = False):
    """A PDF answer holding personal data: never kept by a browser, proxy or shared cache."""
    from django.http import HttpResponse

    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'{"attachment" if attachment else "inline"}; filename="{filename}"'
    response["Cache-Control"] = "no-store, private"
    return response
