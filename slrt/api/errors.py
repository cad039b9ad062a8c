from django.utils.translation import gettext as _
from ninja.errors import HttpError

from slrt.accounts.roles import can


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
