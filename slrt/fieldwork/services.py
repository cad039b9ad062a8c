"""Writes of field work: receiving a filled form, assigning visits, the supervisor's review.

`receive` is the one entry for both transports (OpenRosa and the sync API). The submission is
stored first, keyed by its instance ID, so a retry finds it and nothing sent is lost; then it is
applied by the form's handler (`handlers`) inside a savepoint: validation errors leave it
INVALID with named errors, a conflict (three-way rule, `conflicts`) leaves it CONFLICT with
nothing applied, otherwise it is applied and waits for the supervisor (REVIEW).
"""

import datetime as dt
import hashlib
import json
import logging
import mimetypes
import os
import traceback
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from slrt.accounts.models import User
from slrt.accounts.roles import Role, can
from slrt.accounts.scoping import in_scope
from slrt.audit.services import record
from slrt.core.exceptions import DeskError
from slrt.core.locking import ConflictError
from slrt.wilayah.models import Level, Region, ancestor_codes, normalize_code

from . import workflow
from .conflicts import Conflicted
from .formdefs import FORMS
from .models import (
    Submission,
    SubmissionAttachment,
    SubmissionSource,
    SubmissionStatus,
    Visit,
    VisitKind,
    VisitStatus,
)

log = logging.getLogger(__name__)

MB = 1024 * 1024
# Content types a field form may carry, and the largest file of each kind. Photos from a
# tablet camera are a few MB; audio/video notes are allowed only short.
ALLOWED_TYPES = {
    "image/jpeg": 10 * MB,
    "image/png": 10 * MB,
    "image/webp": 10 * MB,
    "audio/mpeg": 5 * MB,
    "audio/mp4": 5 * MB,
    "audio/ogg": 5 * MB,
    "audio/amr": 5 * MB,
    "audio/3gpp": 5 * MB,
    "video/mp4": 20 * MB,
    "video/3gpp": 20 * MB,
    "text/csv": 1 * MB,
}
MAGIC = {"image/jpeg": (b"\xff\xd8\xff",), "image/png": (b"\x89PNG\r\n\x1a\n",), "image/webp": (b"RIFF",)}
MAX_ATTACHMENTS = 20

# Which kind of visit a form's `kunjungan` field names.
FORM_VISIT_KIND = {"slrt_verifikasi_rt": VisitKind.VERIFICATION, "slrt_tindak_lanjut": VisitKind.FOLLOW_UP}
FIELD_ROLES = frozenset({Role.FASILITATOR, Role.KOORDINATOR_PUSKESOS})
VERIFICATION_VISIT_DAYS = 7  # a case's resident not in the registry is visited within a week


@dataclass
class ReceiveResult:
    submission: Submission
    created: bool
    status: str
    message: str
    errors: dict = field(default_factory=dict)


def set_region_any(obj, code: str) -> None:
    """Region columns from a code of any level (a supervisor's kecamatan leaves desa empty)."""
    codes = (ancestor_codes(code) if code and code.count(".") <= 3 else []) + ["", "", "", ""]
    obj.prov_code, obj.kab_code, obj.kec_code, obj.desa_code = codes[:4]


def _message(status: str) -> str:
    if status == SubmissionStatus.INVALID:
        return _("Formulir tidak dapat diterima; perbaiki isian berikut lalu kirim lagi.")
    if status == SubmissionStatus.CONFLICT:
        return _(
            "Formulir diterima. Sebagian data sudah diubah di server sejak diunduh; supervisor akan memilih "
            "data yang dipakai."
        )
    return _("Formulir diterima dan menunggu tinjauan supervisor.")


def _flat_errors(exc: ValidationError) -> dict:
    if hasattr(exc, "error_dict"):
        return {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
    return {"__all__": [str(m) for m in exc.messages]}


# --- attachments ---------------------------------------------------------------------------------


def _clean_attachment(name, content_type, data) -> tuple[str, str, bytes, str | None]:
    """(safe name, content type, bytes, error or None)."""
    safe = os.path.basename(str(name or "").replace("\\", "/"))
    # No control characters (PostgreSQL text cannot hold NUL) and no "." / ".." as a file name.
    safe = "".join(ch for ch in safe if ch.isprintable())[:200].strip()
    if safe.strip(".") == "":
        safe = "lampiran"
    ctype = (content_type or "").split(";")[0].strip().lower()
    if ctype in ("", "application/octet-stream"):
        ctype = (mimetypes.guess_type(safe)[0] or "").lower()
    limit = ALLOWED_TYPES.get(ctype)
    if limit is None:
        return safe, ctype, data, _("Lampiran %(name)s: jenis berkas %(type)s tidak diterima (foto JPEG/PNG/WebP, "
                                     "rekaman suara/video pendek).") % {"name": safe, "type": ctype or "?"}
    if len(data) > limit:
        return safe, ctype, data, _("Lampiran %(name)s terlalu besar: %(size)d KB, paling besar %(limit)d KB.") % {
            "name": safe, "size": len(data) // 1024, "limit": limit // 1024}
    magic = MAGIC.get(ctype)
    if magic and not any(data.startswith(m) for m in magic):
        return safe, ctype, data, _("Lampiran %(name)s bukan berkas %(type)s yang sah.") % {"name": safe,
                                                                                         "type": ctype}
    return safe, ctype, data, None


def _store_attachments(submission, attachments) -> list[str]:
    """Store the attachments not yet stored (by name); return the error messages of refused ones."""
    errors = []
    have = set(submission.attachments.values_list("name", flat=True))
    for name, content_type, data in attachments:
        data = bytes(data or b"")
        safe, ctype, data, error = _clean_attachment(name, content_type, data)
        if error:
            errors.append(error)
            continue
        if safe in have:
            continue
        if len(have) >= MAX_ATTACHMENTS:
            errors.append(_("Paling banyak %(n)d lampiran per formulir.") % {"n": MAX_ATTACHMENTS})
            break
        att = SubmissionAttachment(
            submission=submission, name=safe, content_type=ctype, size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
        )
        att.file.save(safe, ContentFile(data), save=False)
        att.save()
        have.add(safe)
    return errors


# --- receive -------------------------------------------------------------------------------------


def _form_for(actor, form_id):
    form = FORMS.get(form_id)
    if form is None or not can(actor, "use_field_forms") or actor.role not in form.roles:
        raise PermissionDenied(_("Formulir ini tidak tersedia untuk peran Anda."))
    return form


def resolve_visit(actor, form_id, values) -> tuple[Visit | None, dict]:
    """The visit a submission names (`kunjungan`), or an error naming it."""
    raw = str(values.get("kunjungan") or "").strip()
    kind = FORM_VISIT_KIND.get(form_id)
    if kind is None or not raw:
        if form_id == "slrt_tindak_lanjut":
            return None, {"kunjungan": [_("Pilih kunjungan tindak lanjut yang ditugaskan kepada Anda.")]}
        return None, {}
    try:
        pk = int(raw)
    except ValueError:
        return None, {"kunjungan": [_("Kunjungan %(id)s tidak dikenal.") % {"id": raw[:20]}]}
    visit = Visit.objects.for_user(actor).filter(pk=pk, kind=kind).first()
    if visit is None or not (visit.assigned_to_id == actor.pk or can(actor, "review_submissions")):
        return None, {"kunjungan": [_("Kunjungan #%(id)s tidak ditugaskan kepada Anda.") % {"id": pk}]}
    if visit.status not in workflow.OPEN_VISIT:
        return None, {"kunjungan": [_("Kunjungan #%(id)s sudah %(status)s; tidak dapat dikirim lagi.") % {
            "id": pk, "status": visit.get_status_display().lower()}]}
    return visit, {}


def submission_desa(actor, values, visit) -> tuple[str, dict]:
    """The desa the submission is about: its `kode_wilayah`, else the visit's; else ''."""
    raw = str(values.get("kode_wilayah") or "").strip()
    if raw:
        code = normalize_code(raw)
        if not Region.objects.filter(code=code, level=Level.DESA).exists():
            return "", {"kode_wilayah": [_("Desa/kelurahan %(code)s tidak dikenal.") % {"code": raw[:20]}]}
        if not in_scope(actor, code):
            return "", {"kode_wilayah": [_("Desa %(code)s berada di luar wilayah tugas Anda.") % {"code": code}]}
        return code, {}
    if visit is not None:
        return visit.desa_code, {}
    return "", {}


def _duplicate(actor, existing, form_id, attachments) -> ReceiveResult:
    """A retry, or the next part of a split submission: only attachments may be new."""
    errors = _store_attachments(existing, attachments)
    record(actor, "submission.receive", existing,
           detail={"form": form_id, "duplicate": True, "attachments": len(attachments)})
    message = _("Formulir ini sudah diterima sebelumnya.")
    return ReceiveResult(existing, False, existing.status, message, {"lampiran": errors} if errors else {})


def _as_stored(data):
    """`data` as it reads back from a JSON field (tuples become lists, keys strings)."""
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def receive(actor, *, form_id, form_version="", instance_id, values, base, xml="", attachments=(),
            source=SubmissionSource.ODK) -> ReceiveResult:
    """Store one filled form and apply it (see the module docstring and forms4.md)."""
    _form_for(actor, form_id)
    instance_id = str(instance_id or "").strip()
    if instance_id and source == SubmissionSource.API:
        # A sync client's idempotency key is its own choice ("1", "item-1"): it is unique per
        # user, not across users, and never meets an ODK instanceID.
        instance_id = f"api:{actor.pk}:{instance_id}"
    if not instance_id or len(instance_id) > Submission._meta.get_field("instance_id").max_length:
        raise ValidationError({"instance_id": [_("ID kiriman (instanceID) tidak ada atau terlalu panjang.")]})
    form_version = str(form_version or "")
    limit = Submission._meta.get_field("form_version").max_length
    if len(form_version) > limit:  # refused, never cut: the version decides how the form is read
        raise ValidationError({"form_version": [_("%(field)s terlalu panjang (maksimal %(max)d karakter).")
                                                % {"field": "form_version", "max": limit}]})
    values = dict(values or {})
    base = dict(base or {})
    attachments = list(attachments or ())

    with transaction.atomic():
        existing = Submission.unscoped.select_for_update().filter(instance_id=instance_id).first()
        if existing is not None and existing.submitted_by_id != actor.pk:
            raise PermissionDenied(_("ID kiriman ini sudah dipakai oleh pengguna lain."))
        if existing is not None and existing.status != SubmissionStatus.INVALID:
            if (existing.form_id, existing.values, existing.base) != (form_id, _as_stored(values), _as_stored(base)):
                # A retry repeats the same form; other data under a used key would be dropped
                # while the sender believes it stored.
                raise ValidationError({"instance_id": [
                    _("ID kiriman ini sudah dipakai untuk isian lain; kirim isian baru dengan ID baru.")]})
            return _duplicate(actor, existing, form_id, attachments)

        sub = existing or Submission(instance_id=instance_id, submitted_by=actor)
        sub.form_id, sub.form_version, sub.source = form_id, form_version, source
        sub.values, sub.base, sub.xml = values, base, xml or ""
        sub.conflicts, sub.errors, sub.result = [], {}, {}
        visit, errors = resolve_visit(actor, form_id, values)
        desa, desa_errors = submission_desa(actor, values, visit)
        errors.update(desa_errors)
        sub.visit = visit
        set_region_any(sub, desa or actor.region_id or "")
        sub.status = SubmissionStatus.INVALID
        try:
            with transaction.atomic():
                sub.save()
        except IntegrityError:
            # The same instance arrived twice at once: the insert waited for the other request,
            # which has stored it by now; answer as for a retry.
            other = Submission.unscoped.select_for_update().filter(instance_id=instance_id).first()
            if other is None or other.submitted_by_id != actor.pk:
                raise PermissionDenied(_("ID kiriman ini sudah dipakai oleh pengguna lain."))
            return _duplicate(actor, other, form_id, attachments)
        attachment_errors = _store_attachments(sub, attachments)
        if attachment_errors:
            errors["lampiran"] = attachment_errors
        if not errors:
            _apply(actor, sub, visit)
        else:
            sub.errors = errors
        sub.save()
        record(actor, "submission.receive", sub, detail={
            "form": form_id, "status": sub.status, "source": source, "revalidated": existing is not None,
            "attachments": len(attachments), "visit": visit.pk if visit else None,
        })
    message = _message(sub.status)
    if sub.status == SubmissionStatus.INVALID:
        # Collect shows only the message: name every field to fix in it.
        message = " ".join([message, *(f"{k}: {m}" for k, ms in sub.errors.items() for m in ms)])
    return ReceiveResult(sub, True, sub.status, message, sub.errors)


def _apply(actor, sub, visit, *, choices=None):
    """Run the form's handler in a savepoint; set status, errors, conflicts and result on `sub`."""
    from .handlers import HANDLERS

    handler = HANDLERS[sub.form_id]
    try:
        with transaction.atomic():
            sub.result = handler(actor, sub, visit, choices=choices or {}) or {}
            if visit is not None and visit.status in workflow.OPEN_VISIT:
                _move_visit(actor, visit, "submit")
    except ValidationError as exc:
        sub.status = SubmissionStatus.INVALID
        sub.errors = _flat_errors(exc)
        sub.result = {}
        return
    except (DeskError, ConflictError) as exc:
        # A proposal or case service refused (state, role, stale version): named, not a 500.
        sub.status = SubmissionStatus.INVALID
        sub.errors = {"__all__": [str(exc.message)]}
        sub.result = {}
        return
    except Http404:
        sub.status = SubmissionStatus.INVALID
        sub.errors = {"__all__": [_("Data yang dirujuk formulir tidak ditemukan di wilayah Anda.")]}
        sub.result = {}
        return
    except PermissionDenied as exc:
        sub.status = SubmissionStatus.INVALID
        sub.errors = {"__all__": [str(exc) or _("Peran Anda tidak boleh melakukan perubahan ini.")]}
        sub.result = {}
        return
    except Conflicted as exc:
        sub.status = SubmissionStatus.CONFLICT
        sub.conflicts = exc.conflicts
        sub.result = {}
        return
    except Exception as exc:  # noqa: BLE001 -- the savepoint undid the handler's work; keep what was sent
        # Nothing a tablet sent is lost: kept INVALID, so Collect keeps the form and a resend is
        # validated again. Logged without the message (it may carry a NIK from a constraint).
        where = traceback.extract_tb(exc.__traceback__)[-1]
        log.error("submission %s (%s): handler failed with %s at %s:%s", sub.pk, sub.form_id,
                  type(exc).__name__, where.filename, where.lineno)
        sub.status = SubmissionStatus.INVALID
        sub.errors = {"__all__": [_("Formulir tersimpan tetapi belum dapat diproses karena gangguan di server; "
                                    "kirim lagi nanti atau hubungi supervisor.")]}
        sub.result = {}
        return
    sub.status = SubmissionStatus.REVIEW
    sub.errors = {}


# --- visits --------------------------------------------------------------------------------------


def _move_visit(actor, visit, action, **fields):
    target = workflow.visit_target(action, visit.status)
    if target is None:
        raise ValidationError({"status": [_("Kunjungan berstatus %(status)s; tindakan ini tidak dapat dilakukan.")
                                          % {"status": visit.get_status_display()}]})
    old = visit.status
    updated = Visit.unscoped.filter(pk=visit.pk, status=old).update(status=target, updated_at=timezone.now(),
                                                                   **fields)
    if not updated:
        raise ValidationError({"status": [_("Kunjungan baru saja diubah pengguna lain; muat ulang.")]})
    visit.status = target
    for k, v in fields.items():
        setattr(visit, k, v)
    record(actor, f"visit.{action}", visit, detail={"from": old, "to": target})
    log.info("visit %s %s: %s -> %s", visit.pk, action, old, target)
    return visit


def _check_assignee(assignee, desa_code, errors):
    if assignee is None:
        errors["assigned_to"] = [_("Pilih petugas yang ditugaskan.")]
    elif not (assignee.is_active and assignee.role in FIELD_ROLES and assignee.region_id
              and in_scope(assignee, desa_code)):
        errors["assigned_to"] = [_("Petugas harus fasilitator atau koordinator Puskesos aktif yang bertugas di "
                                   "desa kunjungan.")]


def _parse_due(due_date, errors):
    if isinstance(due_date, str):
        try:
            due_date = dt.date.fromisoformat(due_date.strip())
        except ValueError:
            due_date = None
    if not isinstance(due_date, dt.date):
        errors["due_date"] = [_("Isi tenggat kunjungan dengan tanggal yang sah (TTTT-BB-HH).")]
    elif due_date < timezone.localdate():
        errors["due_date"] = [_("Tenggat tidak boleh sebelum hari ini.")]
    return due_date


def assign_visit(actor, *, kind, assigned_to, due_date, note="", household=None, person=None, case=None,
                 referral=None, proposal=None) -> Visit:
    """Plan a visit for a facilitator; its desa comes from what it is about."""
    if not can(actor, "assign_visits"):
        raise PermissionDenied(_("Peran Anda tidak boleh menugaskan kunjungan."))
    errors = {}
    if kind not in VisitKind.values:
        errors["kind"] = [_("Pilih jenis kunjungan.")]
    if person is not None and household is None:
        household = person.household
    if referral is not None and case is None:
        case = referral.case
    subject = household or case or proposal
    desa = getattr(subject, "desa_code", "") if subject is not None else ""
    if kind == VisitKind.FOLLOW_UP and referral is None:
        errors["referral"] = [_("Kunjungan tindak lanjut harus untuk satu rujukan.")]
    if kind == VisitKind.VERIFICATION and household is None and proposal is None:
        errors["household"] = [_("Pilih rumah tangga (nomor KK) atau usulan yang diverifikasi.")]
    if not desa and "household" not in errors and "referral" not in errors:
        errors["household"] = [_("Rumah tangga atau kasus kunjungan belum dipilih.")]
    elif desa and not in_scope(actor, desa):
        raise Http404
    due_date = _parse_due(due_date, errors)
    if desa:
        _check_assignee(assigned_to, desa, errors)
    note = (note or "").strip()
    if len(note) > 2000:
        errors["note"] = [_("Catatan terlalu panjang (maksimal 2000 karakter).")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        visit = Visit(kind=kind, assigned_to=assigned_to, due_date=due_date, note=note, household=household,
                      person=person, case=case, referral=referral, proposal=proposal, created_by=actor)
        visit.set_region(desa)
        visit.save()
        record(actor, "visit.assign", visit, detail={"kind": kind, "assigned_to": assigned_to.pk})
    return visit


def _facilitator(desa_code: str):
    return User.objects.filter(role=Role.FASILITATOR, region_id=desa_code, is_active=True).order_by("pk").first()


def plan_verification_visit(resident) -> None:
    """The verification visit of the household proposed for a case's resident not in the registry.

    Registered on `cases.hooks.on_unregistered_resident` (apps.py) after the updates app's draft
    proposal, which it verifies; runs inside `create_case`'s transaction.
    """
    if resident.proposal is None:
        raise RuntimeError("the draft proposal comes first: slrt.updates before slrt.fieldwork in INSTALLED_APPS")
    case = resident.case
    visit = Visit(
        kind=VisitKind.VERIFICATION,
        case=case,
        proposal=resident.proposal,
        created_by=resident.actor,
        assigned_to=_facilitator(case.desa_code),
        due_date=timezone.localdate() + dt.timedelta(days=VERIFICATION_VISIT_DAYS),
        note=_("Verifikasi rumah tangga untuk usulan data baru (tiket %(ticket)s).") % {"ticket": case.ticket},
    )
    visit.set_region(case.desa_code)
    visit.save()
    resident.visit = visit


def _scoped_visit(actor, visit) -> Visit:
    locked = Visit.objects.for_user(actor).select_for_update().filter(pk=visit.pk).first()
    if locked is None:
        raise Http404
    return locked


def reassign(actor, visit, *, assigned_to, due_date=None, note=None) -> Visit:
    if not can(actor, "assign_visits"):
        raise PermissionDenied(_("Peran Anda tidak boleh menugaskan kunjungan."))
    with transaction.atomic():
        v = _scoped_visit(actor, visit)
        errors = {}
        if v.status not in workflow.OPEN_VISIT:
            errors["status"] = [_("Hanya kunjungan yang belum dikirim dapat dialihkan.")]
        _check_assignee(assigned_to, v.desa_code, errors)
        if due_date is not None:
            due_date = _parse_due(due_date, errors)
        if errors:
            raise ValidationError(errors)
        old = v.assigned_to_id
        v.assigned_to = assigned_to
        if due_date is not None:
            v.due_date = due_date
        if note is not None:
            v.note = note.strip()
        v.save()
        record(actor, "visit.reassign", v, detail={"from": old, "to": assigned_to.pk})
    return v


def cancel_visit(actor, visit, *, reason) -> Visit:
    if not can(actor, "assign_visits"):
        raise PermissionDenied(_("Peran Anda tidak boleh membatalkan kunjungan."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Tuliskan alasan pembatalan.")]})
    with transaction.atomic():
        v = _scoped_visit(actor, visit)
        note = (v.note + "\n" if v.note else "") + _("Dibatalkan: %(reason)s") % {"reason": reason}
        _move_visit(actor, v, "cancel", note=note)
    return v


# --- review --------------------------------------------------------------------------------------


def _scoped_submission(actor, submission) -> Submission:
    if not can(actor, "review_submissions"):
        raise PermissionDenied(_("Peran Anda tidak boleh meninjau kiriman lapangan."))
    locked = Submission.objects.for_user(actor).select_for_update().filter(pk=submission.pk).first()
    if locked is None:
        raise Http404
    if locked.submitted_by_id == actor.pk:
        raise PermissionDenied(_("Kiriman Anda sendiri ditinjau oleh supervisor lain."))
    return locked


def _move_submission(actor, sub, action):
    target = workflow.submission_target(action, sub.status)
    if target is None:
        raise ValidationError({"action": [_("Kiriman berstatus %(status)s; tindakan ini tidak dapat dilakukan.")
                                          % {"status": sub.get_status_display()}]})
    sub.status = target


def review_submission(actor, submission, action, note="") -> Submission:
    """approve: submission approved, visit done, the proposals it verified checked by the
    supervisor; return: back to the facilitator with the reason (proposals stay as they are)."""
    if action not in workflow.REVIEW_ACTIONS:
        raise ValidationError({"action": [_("Tindakan tinjauan tidak dikenal.")]})
    note = (note or "").strip()
    if action == "return" and not note:
        raise ValidationError({"note": [_("Tuliskan alasan kiriman dikembalikan.")]})
    if len(note) > 2000:
        raise ValidationError({"note": [_("Catatan terlalu panjang (maksimal 2000 karakter).")]})
    with transaction.atomic():
        sub = _scoped_submission(actor, submission)
        _move_submission(actor, sub, action)
        sub.review_note, sub.reviewed_by, sub.reviewed_at = note, actor, timezone.now()
        visit = Visit.unscoped.select_for_update().filter(pk=sub.visit_id).first() if sub.visit_id else None
        checked = []
        if action == "approve":
            if visit is not None and visit.status == VisitStatus.SUBMITTED:
                _move_visit(actor, visit, "approve", completed_at=timezone.now())
            checked = _check_proposals(actor, sub, note)
        elif (visit is not None and workflow.visit_target("return", visit.status)
              and not visit.submissions.filter(status__in=workflow.AWAITING_REVIEW).exclude(pk=sub.pk).exists()):
            # Also a conflicted submission (its visit was never moved): the facilitator sees why.
            _move_visit(actor, visit, "return", return_reason=note)
        sub.save()
        record(actor, f"submission.{action}", sub, detail={"form": sub.form_id, "proposals": checked})
    return sub


def _check_proposals(actor, sub, note) -> list[int]:
    """The supervisor's check (`terverifikasi` → `diperiksa`) of what the submission verified."""
    from slrt.updates import services as proposals
    from slrt.updates.models import Proposal, ProposalStatus

    ids = list((sub.result or {}).get("proposals") or [])
    done = []
    for p in Proposal.objects.for_user(actor).filter(pk__in=ids, status=ProposalStatus.VERIFIED).order_by("pk"):
        proposals.transition(actor, p, "check", p.version, note=note)
        done.append(p.pk)
    return done


def resolve_conflicts(actor, submission, choices: dict) -> Submission:
    """The supervisor decides each conflicted field ("server" or "submitted"); the submission is
    then applied with those values (in the submitter's name, as their field work)."""
    with transaction.atomic():
        sub = _scoped_submission(actor, submission)
        if sub.status != SubmissionStatus.CONFLICT:
            raise ValidationError({"status": [_("Kiriman ini tidak sedang menunggu keputusan konflik.")]})
        errors = {}
        conflicts = []
        for entry in sub.conflicts:
            choice = str((choices or {}).get(entry["field"]) or "")
            if choice not in ("server", "submitted"):
                errors[entry["field"]] = [_("%(label)s: pilih data server atau data kiriman.") % {
                    "label": entry.get("label") or entry["field"]}]
            conflicts.append({**entry, "choice": choice})
        if errors:
            raise ValidationError(errors)
        sub.conflicts = conflicts
        visit = Visit.unscoped.select_for_update().filter(pk=sub.visit_id).first() if sub.visit_id else None
        if visit is not None and visit.status not in workflow.OPEN_VISIT:
            raise ValidationError({"kunjungan": [_("Kunjungan ini sudah tidak terbuka.")]})
        worker = sub.submitted_by if (sub.submitted_by and sub.submitted_by.is_active) else actor
        chosen = {c["field"]: c for c in conflicts}
        _apply(worker, sub, visit, choices=chosen)
        if sub.status == SubmissionStatus.INVALID:
            raise ValidationError(sub.errors)
        if sub.status == SubmissionStatus.CONFLICT:
            # The server changed again meanwhile: the new conflicts are asked together with the
            # decided ones (which keep their choice), so the next decision covers every field.
            again = {c["field"] for c in sub.conflicts}
            sub.conflicts = sub.conflicts + [c for c in conflicts if c["field"] not in again]
            sub.save()
            record(actor, "submission.resolve", sub, detail={"again": True})
            return sub
        sub.conflicts = conflicts
        sub.save()
        record(actor, "submission.resolve", sub, detail={"fields": sorted(chosen)})
    return sub


def active_field_staff(desa_code: str):
    """Facilitators and Puskesos coordinators whose region covers a desa (assign-visit choices)."""
    return User.objects.filter(
        is_active=True, role__in=FIELD_ROLES, region_id__in=ancestor_codes(desa_code)
    ).order_by("username")
