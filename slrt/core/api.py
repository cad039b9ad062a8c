from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.utils.translation import gettext as _
from ninja import Field, Schema
from ninja.errors import HttpError
from pydantic import WithJsonSchema

from slrt.accounts.roles import can
from slrt.core.locking import ConflictError


class ErrorOut(Schema):
    """Every refusal of the API: a machine-readable `code` and a message for people."""

    code: str = Field(description="Kode mesin, mis. not_found, conflict, forbidden, invalid_transition")
    detail: str = Field(description="Pesan untuk manusia")


class FieldError(Schema):
    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorOut(ErrorOut):
    """422: the request did not validate. `errors` lists each field (Ninja's `loc`/`msg`/`type`), or
    maps a field name to its messages when the service refused the values."""

    errors: list[FieldError] | dict[str, list[str]] | None = None


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


def documented_choices(values) -> WithJsonSchema:
    """`status: Annotated[str | None, documented_choices(X.values)] = Query(None)`: the document lists
    the values the server accepts, while the view keeps refusing others with its own error code
    (`invalid_status`, ...)."""
    return WithJsonSchema({"type": "string", "enum": list(values)})


def documented_text(model=None, name: str | None = None, *, max_length: int | None = None, choices=None,
                    pattern: str | None = None) -> WithJsonSchema:
    """A request body's string as its service checks it, for `Annotated[str, documented_text(...)]`:
    the values of `model.name`'s `choices` (with "" when the column may be blank) or else its
    `max_length`, unless given here (a TextField's limit is the service's, e.g. MAX_TEXT); a
    `pattern` where the service insists on a form (NIK, region code). Like documented_choices it
    only documents: the service refuses other values with its own 422 naming the field, in Bahasa
    Indonesia, so web forms, tablets and the API get the same answer."""
    field = model._meta.get_field(name) if model is not None else None
    if choices is None and field is not None and field.choices:
        choices = [*([""] if field.blank else []), *(value for value, _label in field.flatchoices)]
    if choices is not None:
        return WithJsonSchema({"type": "string", "enum": [str(c) for c in choices]})
    limit = max_length or (field.max_length if field is not None else None)
    if limit is None:
        raise ImproperlyConfigured(f"documented_text needs a max_length for {model}.{name}")
    schema = {"type": "string", "maxLength": limit}
    if pattern:
        schema["pattern"] = pattern
    return WithJsonSchema(schema)


def documented_range(minimum: int, maximum: int, default: int) -> WithJsonSchema:
    """`limit: Annotated[int, documented_range(1, 1000, 100)] = 100` for a bound the view checks itself."""
    return WithJsonSchema({"type": "integer", "minimum": minimum, "maximum": maximum, "default": default})
