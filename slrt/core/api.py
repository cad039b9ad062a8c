from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from ninja.errors import HttpError

from slrt.accounts.roles import can
from slrt.core.locking import ConflictError


class ApiError(HttpError):
    """An HTTP error with a machine-readable `code` for API clients."""

    def __init__(self, status_code: int, code: str, message: str):
        super().__init__(status_code, message)
        self.code = code


def require_capability(user, capability: str) -> None:
    """403 `forbidden` for a caller whose role lacks `capability` (the API twin of
    `core.http.capability_required`)."""
    if not can(user, capability):
        raise ApiError(403, "forbidden", _("Peran Anda tidak memiliki akses ke fungsi ini."))


def service_error(exc) -> ApiError:
    """The one translation of a service's refusal (a desk error with `status`/`code`, a stale
    version, a permission refusal) into an API error."""
    if isinstance(exc, PermissionDenied):
        return ApiError(403, "forbidden", str(exc) or _("Peran Anda tidak memiliki akses ke fungsi ini."))
    if isinstance(exc, ConflictError):
        return ApiError(409, "conflict", str(exc.message))
    return ApiError(exc.status, exc.code, str(exc.message))
