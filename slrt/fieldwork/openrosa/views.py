"""OpenRosa 1.0 endpoints for ODK Collect: form list, form download, manifest, media, submission.

Thin: authentication in `auth`, XForms in `xforms`, the per-user CSVs in `media`, instance parsing
in `instance`; a submission is applied by `slrt.fieldwork.services.receive`, the same path as the
sync API, so validation, scoping and audit are the web UI's.
"""

from functools import wraps
from xml.sax.saxutils import escape

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from slrt.accounts.roles import can
from slrt.accounts.scoping import region_safe
from slrt.audit.services import record
from slrt.core.http import reads_own_body
from slrt.fieldwork import xforms
from slrt.fieldwork.formdefs import FORMS, forms_for
from slrt.fieldwork.models import SubmissionStatus

from . import auth, media
from .instance import InstanceError, parse_instance
from .responses import message, with_headers, xml_response


def _unauthorized(request, failure: auth.AuthFailure) -> HttpResponse:
    response = message(failure.message, status=failure.status)
    if failure.status == 401:
        # One header, challenges comma-separated (RFC 9110): Digest first, Basic only over TLS.
        response.headers["WWW-Authenticate"] = ", ".join(auth.challenges(request, stale=failure.stale))
    return response


def openrosa(view):
    """Authenticate (digest/basic), then run the view; OpenRosa headers on every response."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            request.user = auth.authenticate(request)
        except auth.AuthFailure as failure:
            return _unauthorized(request, failure)
        response = view(request, *args, **kwargs)
        return with_headers(response)

    return region_safe(wrapped)


def _user_form(user, form_id):
    """The form if it is one of the user's role, else None (answered as absent)."""
    if not can(user, "use_field_forms"):
        return None
    return next((f for f in forms_for(user) if f.form_id == form_id), None)


def _abs(request, name, *args) -> str:
    return request.build_absolute_uri(reverse(f"openrosa:{name}", args=args))


@openrosa
@require_http_methods(["GET", "HEAD"])
def form_list(request):
    user = request.user
    forms = forms_for(user) if can(user, "use_field_forms") else []
    wanted = request.GET.get("formID")
    items = []
    for form in forms:
        if wanted and form.form_id != wanted:
            continue
        xform = xforms.xform_for(form)
        items.append(
            "<xform>"
            f"<formID>{escape(form.form_id)}</formID>"
            f"<name>{escape(str(form.title))}</name>"
            f"<version>{escape(xform.version)}</version>"
            f"<hash>md5:{xform.md5}</hash>"
            f"<downloadUrl>{escape(_abs(request, 'form_xml', form.form_id))}</downloadUrl>"
            f"<manifestUrl>{escape(_abs(request, 'manifest', form.form_id))}</manifestUrl>"
            "</xform>"
        )
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<xforms xmlns="http://openrosa.org/xforms/xformsList">{"".join(items)}</xforms>'
    )
    return xml_response(body)


def _not_found():
    return message(_("Formulir tidak ditemukan."), status=404)


@openrosa
@require_http_methods(["GET", "HEAD"])
def form_xml(request, form_id):
    form = _user_form(request.user, form_id)
    if form is None:
        return _not_found()
    return xml_response(xforms.xform_for(form).xml)


@openrosa
@require_http_methods(["GET", "HEAD"])
def manifest(request, form_id):
    form = _user_form(request.user, form_id)
    if form is None:
        return _not_found()
    files = []
    for name in form.media:
        data = media.build_csv(name, request.user)
        files.append(
            "<mediaFile>"
            f"<filename>{name}.csv</filename>"
            f"<hash>md5:{media.md5(data)}</hash>"
            f"<downloadUrl>{escape(_abs(request, 'media', form.form_id, f'{name}.csv'))}</downloadUrl>"
            "</mediaFile>"
        )
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<manifest xmlns="http://openrosa.org/xforms/xformsManifest">{"".join(files)}</manifest>'
    )
    return xml_response(body)


@openrosa
@require_http_methods(["GET", "HEAD"])
def media_file(request, form_id, filename):
    form = _user_form(request.user, form_id)
    name = filename.removesuffix(".csv")
    if form is None or not filename.endswith(".csv") or name not in form.media:
        return _not_found()
    data = media.build_csv(name, request.user)
    if name in media.PERSONAL:
        # The visit lists carry KK numbers and addresses to the tablet: a read of personal data.
        record(request.user, "openrosa.media", detail={"form": form.form_id, "file": filename,
                                                       "rows": max(data.count(b"\n") - 1, 0)})
    response = HttpResponse(data, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    # Personal data (visit lists): no shared cache may keep it.
    response["Cache-Control"] = "private, no-store"
    return response


def _repeats_for(form_id):
    xform = xforms.get_xform(form_id)
    return xform.repeats if xform else frozenset()


def _error_text(errors) -> str:
    if isinstance(errors, dict):
        parts = []
        for field, messages in errors.items():
            msgs = messages if isinstance(messages, (list, tuple)) else [messages]
            parts.append(f"{field}: {'; '.join(str(m) for m in msgs)}" if field != "__all__" else
                         "; ".join(str(m) for m in msgs))
        return " ".join(parts)
    return str(errors)


@reads_own_body  # not parsed before authentication and the size check; the instance is checked here
@csrf_exempt
@openrosa
@require_http_methods(["HEAD", "POST"])
def submission(request):
    max_bytes = settings.SLRT_OPENROSA_MAX_BYTES
    if request.method == "HEAD":
        response = HttpResponse(status=204)
        response["X-OpenRosa-Accept-Content-Length"] = str(max_bytes)
        return response
    if not can(request.user, "use_field_forms"):
        return message(_("Peran Anda tidak memiliki akses ke formulir lapangan."), status=403)
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > max_bytes:
        return message(_("Kiriman terlalu besar."), status=413)
    if not request.content_type.startswith("multipart/form-data"):
        return message(_("Kiriman harus berupa multipart/form-data."), status=400)
    try:
        files = request.FILES
    except RequestDataTooBig:
        return message(_("Kiriman terlalu besar."), status=413)
    upload = files.get("xml_submission_file")
    if upload is None:
        return message(_("Bagian xml_submission_file tidak ada."), status=400)
    try:
        parsed = parse_instance(upload.read(), repeats_for=_repeats_for)
    except InstanceError as exc:
        return message(str(exc), status=400)
    attachments = [
        (f.name, f.content_type or "application/octet-stream", f.read())
        for key in files
        if key != "xml_submission_file"
        for f in files.getlist(key)
    ]
    if parsed.form_id not in FORMS:
        return message(_("Formulir tidak dikenal."), status=403)

    from slrt.fieldwork import services

    try:
        result = services.receive(
            request.user, form_id=parsed.form_id, form_version=parsed.version, instance_id=parsed.instance_id,
            values=parsed.values, base=parsed.base, xml=parsed.xml, attachments=attachments, source="odk",
        )
    except PermissionDenied as exc:
        return message(str(exc) or _("Formulir ini bukan untuk peran Anda."), status=403)
    except ValidationError as exc:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        return message(_error_text(errors), status=400)
    if result.status == SubmissionStatus.INVALID:
        return message(result.message or _error_text(result.errors), status=400)
    if result.errors:
        # A later part of a split submission with a refused attachment: Collect must not mark the
        # form sent while a photo is missing; the message names the file.
        return message(_error_text(result.errors), status=400)
    response = message(result.message or _("Formulir diterima."), status=201, nature="submit_success")
    response["Location"] = request.build_absolute_uri(reverse("openrosa:submission"))
    return response
