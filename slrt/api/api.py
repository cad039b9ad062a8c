"""The REST API (`/api/v1/`): one NinjaAPI that mounts each app's router.

Every operation must be declared region-safe (`@region_safe` on the function), checked when
the URLs are built; an undeclared one stops the server from starting, not just one request.
"""

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.openapi.schema import REF_TEMPLATE, NinjaGenerateJsonSchema, OpenAPISchema

from slrt.accounts.api.auth import BearerAuth, SessionAuth
from slrt.accounts.api.routes import router as auth_router
from slrt.accounts.api.routes import staff_router
from slrt.cases.api.decisions import router as decisions_router
from slrt.cases.api.routes import router as cases_router
from slrt.core.api import ErrorOut, ValidationErrorOut
from slrt.exports.api.routes import router as exports_router
from slrt.fieldwork.api.routes import router as fieldwork_router
from slrt.privacy.api.routes import router as privacy_router
from slrt.programs.api.routes import router as programs_router
from slrt.referrals.api.routes import router as referrals_router
from slrt.registry.api.routes import router as registry_router
from slrt.reports.api.routes import router as reports_router
from slrt.updates.api.routes import router as updates_router
from slrt.wilayah.api.routes import router as wilayah_router

_ERROR_DESCRIPTIONS = {
    400: "Permintaan ditolak (bad_request)",
    401: "Autentikasi diperlukan, token tidak berlaku, atau kata sandi salah",
    403: "Peran pemanggil tidak berhak (forbidden, four_eyes, ...)",
    404: "Data tidak ditemukan, atau di luar wilayah/lembaga pemanggil",
    409: "Konflik: version usang, peralihan status tidak sah, atau persetujuan belum ada",
    422: "Masukan tidak valid",
    429: "Terlalu banyak percobaan gagal; akun atau alamat dikunci sementara",
}


def error_statuses(operation) -> list[int]:
    """The refusals an operation can really answer, from how it is built: every operation
    validates its input (422, also the NUL-byte middleware); an authenticated one answers 401 and
    403 (role); an object named in the path may be missing or out of scope (404); a write may hit a
    stale version or a forbidden transition (409) or a desk refusal (400, 404 for an id in the body)."""
    statuses = {422}
    if operation.auth_callbacks:
        statuses |= {401, 403}
    elif operation.view_func.__name__ == "issue_token":  # wrong password (401), locked out (429), the
        statuses |= {401, 403, 429}  # account must first change a reset password or enrol (403)
    else:  # the public status lookup: no such ticket; locks out too
        statuses |= {404, 429}
    if any(m.__ninja_param_source__ == "path" for m in operation.models):
        statuses.add(404)
    if set(operation.methods) - {"GET"} and operation.auth_callbacks:
        statuses |= {400, 404, 409}
    return sorted(statuses)


class SlrtOpenAPISchema(OpenAPISchema):
    """Ninja's document plus the error answers of every operation (`ErrorOut`, `ValidationErrorOut`)."""

    def responses(self, operation):
        result = super().responses(operation)
        for status in error_statuses(operation):
            if status in result:
                continue
            model = ValidationErrorOut if status == 422 else ErrorOut
            schema = model.model_json_schema(ref_template=REF_TEMPLATE, schema_generator=NinjaGenerateJsonSchema,
                                             mode="serialization")
            self.add_schema_definitions({**schema.pop("$defs", {}), model.__name__: schema})
            result[status] = {
                "description": _ERROR_DESCRIPTIONS[status],
                "content": {"application/json": {"schema": {"$ref": REF_TEMPLATE.format(model=model.__name__)}}},
            }
        return result


class SlrtAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        return SlrtOpenAPISchema(self, path_prefix)

    def _get_urls(self):
        offenders = [
            f"{op.view_func.__module__}.{op.view_func.__name__}"
            for _prefix, router in self._routers
            for path_view in router.path_operations.values()
            for op in path_view.operations
            if not getattr(op.view_func, "region_safe", False)
        ]
        if offenders:
            raise ImproperlyConfigured(f"API operations not declared region-safe: {', '.join(offenders)}")
        patterns = super()._get_urls()
        for pattern in patterns:
            if hasattr(pattern, "callback"):
                pattern.callback.region_safe = True
        return patterns


api = SlrtAPI(
    title="SLRT API",
    version="1",
    description="Sistem Layanan dan Rujukan Terpadu. Autentikasi: `POST /api/v1/auth/token`, lalu "
    "`Authorization: Bearer <token>`; atau sesi peramban.",
    auth=[BearerAuth(), SessionAuth()],
    urls_namespace="api",
)
api.add_router("/auth", auth_router)
api.add_router("/regions", wilayah_router)
api.add_router("/", staff_router)
api.add_router("/", registry_router)
api.add_router("/", programs_router)
api.add_router("/", cases_router)
api.add_router("/", decisions_router)
api.add_router("/", referrals_router)
api.add_router("/", fieldwork_router)
api.add_router("/", updates_router)
api.add_router("/", privacy_router)
api.add_router("/reports", reports_router)
api.add_router("/exports", exports_router)


def error(request, status: int, code: str, detail, **extra):
    return api.create_response(request, {"code": code, "detail": detail, **extra}, status=status)


def _field_name(loc) -> str:
    """`["body", "payload", "consent", "given"]` → `consent.given` (the name the client sent)."""
    parts = [str(p) for p in loc]
    parts = parts[2:] if parts[:1] == ["body"] and len(parts) > 2 else parts[1:]
    return ".".join(parts)


@api.exception_handler(NinjaValidationError)
def on_validation_error(request, exc):
    # A missing field is named in the message itself, so a client sees at once what to send.
    missing = [name for e in exc.errors if e.get("type") == "missing" if (name := _field_name(e.get("loc", ())))]
    detail = _("Masukan tidak valid.")
    if missing:
        detail = _("Masukan tidak valid: wajib diisi: %(fields)s.") % {"fields": ", ".join(missing)}
    return error(request, 422, "validation_error", detail, errors=exc.errors)


@api.exception_handler(ValidationError)
def on_django_validation_error(request, exc):
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return error(request, 422, "validation_error", _("Masukan tidak valid."), errors=errors)


@api.exception_handler(AuthenticationError)
def on_auth_error(request, exc):
    return error(request, 401, "unauthorized", _("Autentikasi diperlukan atau token tidak berlaku."))


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return error(request, 404, "not_found", _("Data tidak ditemukan."))


@api.exception_handler(HttpError)
def on_http_error(request, exc):
    code = getattr(exc, "code", None) or {400: "bad_request", 403: "forbidden", 429: "too_many_requests"}.get(
        exc.status_code, "error"
    )
    return error(request, exc.status_code, code, str(exc.message))

