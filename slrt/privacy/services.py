"""Writes of data-subject requests: receive one, verify the requester's identity, hand over the copy
or make the correction (a registry proposal through `updates.services`, or an edit of the
resident's case through `cases.services`), refuse or record a withdrawal.

Each function validates, runs in one transaction with the request row locked, checks the action
against `workflow.TRANSITIONS` (scope 404, role 403, stale version 409 conflict, state 409) and
writes the audit record. Nothing here writes another app's models directly.
"""

import datetime as dt
import hashlib
import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from slrt.accounts.roles import can
from slrt.audit.services import record
from slrt.cases import services as case_services
from slrt.core.exceptions import Forbidden, InvalidTransition
from slrt.core.locking import ConflictError, save_versioned
from slrt.core.sheets import formula_message, starts_like_formula
from slrt.core.text import MAX_TEXT, required_texts
from slrt.registry.models import Person
from slrt.updates import services as update_services
from slrt.updates.models import ProposalKind

from .copy import copy_pdf
from .models import DataRequest, IdentityMethod, RequestChannel, RequestKind, RequestStatus, Resolution
from .selectors import person_cases
from .workflow import FIELD_LABELS, MAX_BACKDATE, TRANSITIONS, deadline_for

DIGITS = re.compile(r"^\d{4}$")
# Clock skew tolerated for a received_at typed as "now".
SKEW = dt.timedelta(minutes=5)


def _clean_text(value, label, errors, key, *, required=False, max_len=MAX_TEXT) -> str:
    value = (value or "").strip() if isinstance(value, str) else ("" if value is None else str(value))
    if required and not value:
        errors[key] = [_("%(field)s wajib diisi.") % {"field": label}]
    elif starts_like_formula(value):
        errors[key] = [formula_message(label)]
    elif len(value) > max_len:
        errors[key] = [_("%(field)s terlalu panjang (maksimal %(max)d karakter).") % {"field": label, "max": max_len}]
    return value


def receive(actor, *, person, kind, channel=RequestChannel.DESK, details="", received_at=None) -> DataRequest:
    """Record a request of `person` (read through the actor's scope; outside it 404).

    The deadline is 3×24 hours after `received_at`: now at the desk; for a letter or an email,
    when it arrived (not in the future, at most 30 days back).
    """
    if not can(actor, "serve_data_requests"):
        raise Forbidden(_("Peran Anda tidak boleh menerima permintaan data pribadi."))
    pk = getattr(person, "pk", person)
    found = Person.objects.for_user(actor).filter(pk=pk).first() if str(pk).isdigit() else None
    if found is None:
        raise Http404
    errors: dict = {}
    if kind not in RequestKind.values:
        errors["kind"] = [_("Pilih jenis permintaan: salinan atau perbaikan data.")]
    if channel not in RequestChannel.values:
        errors["channel"] = [_("Pilih cara permintaan diterima.")]
    details = _clean_text(details, _("Uraian permintaan"), errors, "details", required=kind == RequestKind.CORRECTION)
    now = timezone.now()
    if received_at is None or channel == RequestChannel.DESK:
        received_at = now
    elif not isinstance(received_at, dt.datetime):
        errors["received_at"] = [_("Waktu diterima tidak valid.")]
    else:
        if timezone.is_naive(received_at):
            received_at = timezone.make_aware(received_at)
        if received_at > now + SKEW:
            errors["received_at"] = [_("Waktu diterima tidak boleh di masa depan.")]
        elif received_at < now - MAX_BACKDATE:
            errors["received_at"] = [_("Waktu diterima paling lama 30 hari yang lalu.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        r = DataRequest(kind=kind, person=found, channel=channel, details=details, received_at=received_at,
                        deadline_at=deadline_for(received_at), received_by=actor)
        r.set_region(found.desa_code)
        r.save()
        record(actor, "data_request.receive", r, detail={"kind": kind, "channel": channel, "person": found.pk})
    return r


# --- moving a request -----------------------------------------------------------------------------


def _check_version(r, expected_version):
    if expected_version is None:  # the caller holds no earlier read; the row lock suffices
        return
    try:
        expected = int(expected_version)
    except (TypeError, ValueError):
        raise ValidationError({"version": [_("Versi data tidak valid; muat ulang halaman.")]})
    if expected != r.version:
        raise ConflictError(r)


def _begin(actor, request, action, expected_version) -> DataRequest:
    """The request row locked, after scope (404), role (403), version (409) and state (409) checks."""
    t = TRANSITIONS.get(action)
    if t is None:
        raise InvalidTransition(_("Tindakan tidak dikenal."))
    pk = getattr(request, "pk", request)
    r = DataRequest.objects.for_user(actor).select_for_update().select_related("person").filter(pk=pk).first()
    if r is None:
        raise Http404
    if actor.role not in t.roles:
        raise Forbidden(_("Peran Anda tidak boleh melakukan tindakan ini pada permintaan data pribadi."))
    _check_version(r, expected_version)
    if r.kind not in t.kinds:
        raise InvalidTransition(_("Tindakan ini tidak berlaku untuk %(kind)s.") % {"kind": r.get_kind_display()})
    if r.status not in t.sources:
        if action in ("issue_copy", "propose_correction", "correct_case") and r.status == RequestStatus.RECEIVED:
            raise InvalidTransition(_("Identitas pemohon belum diperiksa; periksa KTP atau KK asli terlebih dahulu."))
        raise InvalidTransition(_("Permintaan berstatus %(status)s; tindakan ini tidak dapat dilakukan.")
                                % {"status": r.get_status_display()})
    return r


def _finish(actor, r, action, fields, detail=None):
    t = TRANSITIONS[action]
    from_status = r.status
    r.status = t.target
    save_versioned(r, r.version, ["status", *fields])
    record(actor, f"data_request.{action}", r, detail={"from": from_status, "to": t.target, **(detail or {})})


def _close_fields(actor, r, resolution, outcome) -> list[str]:
    r.closed_at, r.closed_by, r.resolution, r.outcome = timezone.now(), actor, resolution, outcome
    return ["closed_at", "closed_by", "resolution", "outcome"]


def _sync(target, source):
    if target is not source and isinstance(target, DataRequest):
        for f in DataRequest._meta.concrete_fields:
            setattr(target, f.attname, getattr(source, f.attname))


def verify_identity(actor, request, expected_version, *, identity_method, identity_digits, identity_note=""):
    """The desk saw the original document: KTP (its last four digits must be the NIK's), KK (the KK
    number's), or a power of attorney with the holder's KTP (the note names the letter)."""
    errors: dict = {}
    digits = (identity_digits or "").strip()
    note = _clean_text(identity_note, _("Catatan identitas"), errors, "identity_note",
                       required=identity_method == IdentityMethod.PROXY, max_len=255)
    if identity_method not in IdentityMethod.values:
        errors["identity_method"] = [_("Pilih cara pemeriksaan identitas.")]
    if not DIGITS.match(digits):
        errors["identity_digits"] = [_("Isi empat digit terakhir nomor dokumen yang diperlihatkan.")]
    with transaction.atomic():
        r = _begin(actor, request, "verify", expected_version)
        if not errors.get("identity_digits"):
            person = r.person
            expected = {IdentityMethod.KTP: person.nik, IdentityMethod.KK: person.household.nomor_kk}.get(
                identity_method)
            if expected is not None and expected[-4:] != digits:
                errors["identity_digits"] = [_("Empat digit terakhir tidak cocok dengan data registri warga ini; "
                                               "identitas belum dapat diverifikasi.")]
        if errors:
            raise ValidationError(errors)
        r.identity_method, r.identity_digits, r.identity_note = identity_method, digits, note
        r.verified_by, r.verified_at = actor, timezone.now()
        _finish(actor, r, "verify", ["identity_method", "identity_digits", "identity_note", "verified_by",
                                     "verified_at"], {"method": identity_method})
    _sync(request, r)
    return r


def transition(actor, request, action, expected_version, **fields) -> DataRequest:
    """Refuse or record a withdrawal (each with its reason); the other actions have their own service."""
    if action not in ("refuse", "withdraw"):
        raise InvalidTransition(_("Tindakan tidak dikenal."))
    values, errors = required_texts(TRANSITIONS[action].required, fields, FIELD_LABELS)
    with transaction.atomic():
        r = _begin(actor, request, action, expected_version)
        if errors:
            raise ValidationError({k: [v] for k, v in errors.items()})
        _finish(actor, r, action, _close_fields(actor, r, "", values["reason"]))
    _sync(request, r)
    return r


def _copy(actor, r) -> bytes:
    # The export is a read of the person, recorded before the copy is built so it lists itself.
    record(actor, "person.export", r.person, detail={"request": r.pk})
    return copy_pdf(actor, r)


def issue_copy(actor, request, expected_version) -> bytes:
    """Fulfil an access request: the PDF of everything held about the person, returned to be handed
    over. Only its SHA-256 is kept."""
    with transaction.atomic():
        r = _begin(actor, request, "issue_copy", expected_version)
        content = _copy(actor, r)
        r.copy_sha256, r.copies_issued = hashlib.sha256(content).hexdigest(), 1
        fields = _close_fields(actor, r, Resolution.COPY, _("Salinan data pribadi diserahkan."))
        _finish(actor, r, "issue_copy", [*fields, "copy_sha256", "copies_issued"], {"bytes": len(content)})
    _sync(request, r)
    return content


def reissue_copy(actor, request) -> bytes:
    """Print the copy of a fulfilled access request again (e.g. the resident lost it); it shows the
    data as it is now, and the reprint itself is in its access log."""
    if not can(actor, "serve_data_requests"):
        raise Forbidden(_("Peran Anda tidak boleh mencetak salinan data pribadi."))
    with transaction.atomic():
        pk = getattr(request, "pk", request)
        r = DataRequest.objects.for_user(actor).select_for_update().select_related("person").filter(pk=pk).first()
        if r is None:
            raise Http404
        if r.kind != RequestKind.ACCESS or r.status != RequestStatus.FULFILLED:
            raise InvalidTransition(_("Salinan hanya dicetak ulang untuk permintaan salinan yang sudah dipenuhi."))
        content = _copy(actor, r)
        r.copy_sha256, r.copies_issued = hashlib.sha256(content).hexdigest(), r.copies_issued + 1
        save_versioned(r, r.version, ["copy_sha256", "copies_issued"])
        record(actor, "data_request.reissue_copy", r, detail={"copies": r.copies_issued})
    _sync(request, r)
    return content


def propose_correction(actor, request, expected_version, *, data: dict, reason: str):
    """Fulfil a correction of registry data: a *perubahan* proposal drafted through
    `updates.services.draft_proposal` (its checks, scope and role rules apply), linked here."""
    values, errors = required_texts(("reason",), {"reason": reason}, FIELD_LABELS)
    if not isinstance(data, dict) or not data:
        errors["data"] = _("Isi minimal satu kolom registri yang harus diperbaiki.")
    with transaction.atomic():
        r = _begin(actor, request, "propose_correction", expected_version)
        if errors:
            raise ValidationError({k: [v] for k, v in errors.items()})
        note = _("Permintaan perbaikan data pribadi %(ref)s: %(reason)s") % {"ref": r.reference,
                                                                             "reason": values["reason"]}
        proposal = update_services.draft_proposal(
            actor, kind=ProposalKind.CHANGE, data={**data, "nik": r.person.nik}, person=r.person,
            reason=note[:MAX_TEXT])
        r.proposal = proposal
        fields = _close_fields(actor, r, Resolution.PROPOSAL, values["reason"])
        _finish(actor, r, "propose_correction", [*fields, "proposal"], {"proposal": proposal.pk})
    _sync(request, r)
    return proposal


def correct_case(actor, request, expected_version, *, case_id, case_version, values: dict):
    """Fulfil a correction of what a case of the person holds (contact, summary) through
    `cases.services.update_case` (its checks and versioning apply)."""
    values = {k: v for k, v in (values or {}).items() if k in case_services.CASE_EDIT_FIELDS}
    with transaction.atomic():
        r = _begin(actor, request, "correct_case", expected_version)
        case = person_cases(actor, r.person).filter(pk=case_id).first() if str(case_id).isdigit() else None
        if case is None:
            raise ValidationError({"case": [_("Pilih salah satu kasus warga ini.")]})
        if not values:
            raise ValidationError({"values": [_("Isi minimal satu data kasus yang harus diperbaiki.")]})
        case_services.update_case(actor, case, case_version, **values)
        r.case = case
        fields = _close_fields(actor, r, Resolution.CASE_EDIT,
                               _("Data kasus %(ticket)s diperbaiki: %(fields)s.") % {
                                   "ticket": case.ticket, "fields": ", ".join(sorted(values))})
        _finish(actor, r, "correct_case", [*fields, "case"], {"case": case.pk, "fields": sorted(values)})
    _sync(request, r)
    return case
