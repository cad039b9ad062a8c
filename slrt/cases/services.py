"""Writes of the service desk: intake, needs, follow-up tasks, closing and reopening.

Each function validates, runs in one transaction, writes the audit record and the timeline
event, and (for intake) queues the notification. Callers pass objects they read through the
scoped selectors, so a function never reaches outside the caller's region.

Consent (UU PDP). Personal data of a resident is recorded only with their consent (purpose
stated, sharing with agencies yes/no). Without consent the desk may still record the
question, suggestion or complaint **anonymously**: no registry link, no NIK, phone, email or
address, no registry proposal and no home visit, and no message to the resident (there is no
contact to send it to). Referrals need `consent_share_agencies` (checked by the referrals app).
Both questions must be answered at every intake (`consent.consent_errors`); nothing defaults to
yes or no. Withdrawal of consent to share is `referrals.services.withdraw_share_consent`.
"""

import datetime as dt
import re
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from slrt.accounts.roles import can
from slrt.accounts.scoping import in_scope
from slrt.audit.services import record
from slrt.core.locking import save_versioned
from slrt.core.sheets import formula_message, starts_like_formula
from slrt.notifications.services import notify
from slrt.programs.models import Sector
from slrt.registry.nik import check_nik
from slrt.registry.selectors.people import clean_number
from slrt.wilayah.models import Level, Puskesos, Region, Secretariat, normalize_code

from . import hooks, tickets, workflow
from .consent import consent_errors
from .events import log_event
from .models import Case, CaseStatus, Channel, ComplaintType, FollowUpTask, Need, NeedStatus, Urgency

MAX_NEEDS = 20
MAX_TEXT = 2000  # free text of a need: long enough for any story, short enough to read
MAX_SUMMARY = 4000  # the complaint in the resident's words (the intake form's limit too)
PHONE = re.compile(r"^\+?\d{8,15}$")
PHONE_NOISE = re.compile(r"[\s\-().]")


@dataclass
class NewPerson:
    """A resident not found in the registry, as the desk typed them in."""

    name: str
    desa_code: str
    nik: str = ""
    address: str = ""


@dataclass
class Intake:
    complaint_type: str
    channel: str
    needs: list[dict]  # [{"sector": ..., "description": ...}]
    # The resident's two answers (UU PDP), never defaulted: None means not asked, and is refused.
    consent_given: bool | None
    consent_share_agencies: bool | None
    consent_purpose: str = ""
    urgency: str = Urgency.NORMAL
    summary: str = ""
    phone: str = ""
    email: str = ""


@dataclass
class IntakeResult:
    case: Case
    status_code: str  # shown once (screen and receipt); only its hash is stored


def _require(actor, *capabilities: str) -> None:
    if not any(can(actor, c) for c in capabilities):
        raise PermissionDenied(_("Peran Anda tidak boleh melakukan tindakan ini."))


def clean_phone(raw: str) -> str:
    return PHONE_NOISE.sub("", raw or "")


def _check_length(model, field: str, value: str, errors: dict, key: str | None = None, limit: int | None = None):
    """A value longer than the column (or `limit`, for a TextField) is a named error, never a
    truncation or a database 500; text that a spreadsheet would run as a formula is refused
    (slrt.core.sheets)."""
    model_field = model._meta.get_field(field)
    if starts_like_formula(value):
        errors.setdefault(key or field, []).append(formula_message(model_field.verbose_name))
    limit = model_field.max_length or limit
    if value and limit and len(value) > limit:
        errors.setdefault(key or field, []).append(
            _("%(field)s terlalu panjang: %(length)d karakter, paling banyak %(limit)d.")
            % {"field": capfirst(model_field.verbose_name), "length": len(value), "limit": limit}
        )


def _check_needs(needs: list[dict], errors: dict) -> list[tuple[str, str]]:
    cleaned = []
    for i, need in enumerate(needs or [], start=1):
        sector = (need.get("sector") or "").strip()
        description = (need.get("description") or "").strip()
        if not sector and not description:
            continue
        if sector not in Sector.values:
            errors.setdefault("needs", []).append(_("Kebutuhan %(n)d: pilih sektor dari daftar.") % {"n": i})
        if not description:
            errors.setdefault("needs", []).append(_("Kebutuhan %(n)d: uraikan kebutuhannya.") % {"n": i})
        elif len(description) > MAX_TEXT:
            errors.setdefault("needs", []).append(
                _("Kebutuhan %(n)d: uraian kebutuhan terlalu panjang: %(length)d karakter, paling banyak %(limit)d.")
                % {"n": i, "length": len(description), "limit": MAX_TEXT}
            )
        cleaned.append((sector, description))
    if not cleaned:
        errors.setdefault("needs", []).append(_("Catat paling sedikit satu kebutuhan (sektor dan uraiannya)."))
    if len(cleaned) > MAX_NEEDS:
        errors.setdefault("needs", []).append(_("Paling banyak %(n)d kebutuhan per kasus.") % {"n": MAX_NEEDS})
    return cleaned


def _desk(actor, kab_code: str):
    """The secretariat of the case's kabupaten; the Puskesos too when the desk sits at a desa."""
    secretariat = Secretariat.objects.filter(region_id=kab_code).first()
    puskesos = None
    if actor.region_id and actor.region_id.count(".") == 3:
        # A closed post takes no new cases (wilayah: posts are closed, never deleted).
        puskesos = Puskesos.objects.filter(region_id=actor.region_id, active=True).select_related("secretariat").first()
        if puskesos is not None:
            secretariat = puskesos.secretariat
    return secretariat, puskesos


def create_case(
    actor, intake: Intake, *, person=None, new_person: NewPerson | None = None, search_token: str | None = None
) -> IntakeResult:
    """Record a case for a registry `person` (read through the actor's scope) or a `new_person`.

    A new person is accepted only after a registry search (search before create): a valid
    `search_token` from the intake search, or a NIK that the server itself looks up here.
    Without consent see the module docstring. Raises ValidationError with Indonesian messages.
    """
    _require(actor, "intake_case")
    errors: dict[str, list[str]] = {}
    if intake.complaint_type not in ComplaintType.values:
        errors["complaint_type"] = [_("Pilih jenis keluhan: pertanyaan, saran, atau pengaduan.")]
    if intake.channel not in Channel.values:
        errors["channel"] = [_("Pilih saluran datangnya keluhan.")]
    if intake.urgency not in Urgency.values:
        errors["urgency"] = [_("Pilih tingkat urgensi.")]
    needs = _check_needs(intake.needs, errors)
    phone = clean_phone(intake.phone)
    if phone and not PHONE.match(phone):
        errors["phone"] = [_("Nomor telepon/WA harus 8–15 digit, boleh diawali +, mis. 081234567890.")]
    email = (intake.email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = [_("Alamat email tidak sah, mis. nama@contoh.id.")]
        else:
            _check_length(Case, "applicant_email", email, errors, "email")
    purpose = (intake.consent_purpose or "").strip()
    _check_length(Case, "consent_purpose", purpose, errors)
    _check_length(Case, "summary", (intake.summary or "").strip(), errors, limit=MAX_SUMMARY)
    errors.update(consent_errors(intake.consent_given, intake.consent_share_agencies))
    anonymous = intake.consent_given is not True
    if intake.consent_given and not purpose:
        errors["consent_purpose"] = [_("Tuliskan tujuan pemrosesan data yang disetujui warga.")]
    if person is not None and new_person is not None:
        errors["person"] = [_("Pilih warga dari registri atau daftarkan warga baru, tidak keduanya.")]

    desa_code = ""
    nik = ""
    name = ""
    address = ""
    if anonymous:
        # No consent, no personal data: only an anonymous record of what was asked.
        personal = person is not None or (new_person and (new_person.nik or new_person.address)) or phone or email
        if intake.consent_given is False and personal:
            errors.setdefault("consent_given", []).append(
                _(
                    "Tanpa persetujuan warga, data pribadi (registri, NIK, telepon, email, alamat) tidak boleh "
                    "dicatat. Mintalah persetujuan, atau catat keluhan tanpa identitas."
                )
            )
        desa_code = normalize_code(new_person.desa_code) if new_person else ""
        if not desa_code and actor.region_id and actor.region_id.count(".") == 3:
            desa_code = actor.region_id
    elif person is not None:
        desa_code, nik, name = person.desa_code, person.nik, person.nama
        address = person.household.alamat if person.household_id else ""
    elif new_person is not None:
        name = " ".join((new_person.name or "").split())
        if len(name) < 2:
            errors["name"] = [_("Tuliskan nama warga (minimal 2 huruf).")]
        _check_length(Case, "applicant_name", name, errors, "name")
        address = (new_person.address or "").strip()
        _check_length(Case, "applicant_address", address, errors, "address")
        desa_code = normalize_code(new_person.desa_code or "")
        nik = clean_number(new_person.nik)
        if nik:
            check = check_nik(nik)
            if not check.valid:
                errors["nik"] = check.messages()
        searched = tickets.search_token_valid(actor, search_token)
        if nik and not errors.get("nik"):
            from slrt.registry.models import Person

            found = Person.objects.for_user(actor).filter(nik=nik, is_active=True).first()
            if found is not None:
                errors["nik"] = [_("NIK ini sudah ada di registri. Pilih warga tersebut dari hasil pencarian.")]
            searched = True  # the server just searched the registry by this NIK itself
        if not searched:
            errors["search"] = [_("Cari warga di registri (NIK, nomor KK, atau nama) sebelum mendaftarkan warga baru.")]
    else:
        errors["person"] = [_("Pilih warga dari hasil pencarian atau daftarkan warga baru.")]

    if not errors.get("consent_given") and (person is None):
        region = Region.objects.filter(code=desa_code, level=Level.DESA).first() if desa_code else None
        if region is None:
            errors["desa_code"] = [_("Pilih desa/kelurahan tempat tinggal warga (kode 10 digit, mis. 32.04.01.2001).")]
        elif not in_scope(actor, region.code):
            errors["desa_code"] = [_("Desa %(code)s berada di luar wilayah tugas Anda.") % {"code": region.code}]
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        case = Case(
            person=None if anonymous else person,
            household=person.household if (person is not None and not anonymous) else None,
            in_registry=person is not None and not anonymous,
            applicant_name="" if anonymous else name,
            applicant_nik="" if anonymous else nik,
            applicant_phone="" if anonymous else phone,
            applicant_email="" if anonymous else email,
            applicant_address="" if anonymous else address,
            complaint_type=intake.complaint_type,
            channel=intake.channel,
            urgency=intake.urgency,
            summary=(intake.summary or "").strip(),
            consent_given=intake.consent_given,
            consent_purpose=purpose if intake.consent_given else "",
            consent_share_agencies=bool(intake.consent_given and intake.consent_share_agencies),
            consent_at=timezone.now() if intake.consent_given else None,
            created_by=actor,
        )
        case.set_region(desa_code)
        case.secretariat, case.puskesos = _desk(actor, case.kab_code)
        case.ticket = tickets.next_ticket(case.kab_code)
        status_code = tickets.new_status_code()
        case.status_code_hash = tickets.hash_status_code(case.ticket, status_code)
        case.save()
        Need.objects.bulk_create([Need(case=case, sector=s, description=d) for s, d in needs])
        proposal = visit = None
        if new_person is not None and not anonymous:
            # A draft registry proposal and its verification visit: updates and fieldwork
            # register them on this hook; a failing one rolls the whole intake back.
            resident = hooks.unregistered_resident(
                hooks.UnregisteredResident(actor=actor, case=case, name=new_person.name, nik=nik, address=address)
            )
            proposal, visit = resident.proposal, resident.visit
        log_event(
            case,
            actor,
            "case.created",
            ticket=case.ticket,
            needs=len(needs),
            in_registry=case.in_registry,
            anonymous=anonymous,
        )
        if proposal is not None:
            log_event(
                case,
                actor,
                "case.proposal_drafted",
                proposal=proposal.pk,
                visit=visit.pk,
                due=visit.due_date.isoformat(),
            )
        record(
            actor,
            "case.create",
            case,
            detail={
                "needs": len(needs),
                "in_registry": case.in_registry,
                "anonymous": anonymous,
                "proposal": proposal.pk if proposal else None,
                "visit": visit.pk if visit else None,
            },
        )
        if not anonymous:
            notify("case.created", case, status_code=status_code)
    return IntakeResult(case=case, status_code=status_code)


def reissue_status_code(actor, case: Case) -> str:
    """A new status code for a reprinted receipt; the old one stops working at once."""
    _require(actor, "intake_case", "assess_case")
    code = tickets.new_status_code()
    with transaction.atomic():
        Case.unscoped.filter(pk=case.pk).update(status_code_hash=tickets.hash_status_code(case.ticket, code))
        case.status_code_hash = tickets.hash_status_code(case.ticket, code)
        log_event(case, actor, "case.receipt_reprinted")
        record(actor, "case.receipt_reprint", case)
    return code


# --- case edits --------------------------------------------------------------------------------

CASE_EDIT_FIELDS = ("summary", "urgency", "applicant_phone", "applicant_email", "applicant_address")


def update_case(actor, case: Case, expected_version, **values) -> Case:
    """Edit what the desk may correct after intake (contact, summary, urgency); versioned."""
    _require(actor, "intake_case", "assess_case")
    errors = {}
    if "urgency" in values and values["urgency"] not in Urgency.values:
        errors["urgency"] = [_("Pilih tingkat urgensi.")]
    if "applicant_phone" in values:
        values["applicant_phone"] = clean_phone(values["applicant_phone"])
        if values["applicant_phone"] and not PHONE.match(values["applicant_phone"]):
            errors["applicant_phone"] = [_("Nomor telepon/WA harus 8–15 digit, boleh diawali +.")]
    if values.get("applicant_email"):
        try:
            validate_email(values["applicant_email"])
        except ValidationError:
            errors["applicant_email"] = [_("Alamat email tidak sah, mis. nama@contoh.id.")]
    for f in ("summary", "applicant_email", "applicant_address"):
        if f not in errors and values.get(f):
            _check_length(Case, f, values[f], errors, limit=MAX_SUMMARY)
    if not case.consent_given and any(
        values.get(f) for f in ("applicant_phone", "applicant_email", "applicant_address")
    ):
        errors["consent_given"] = [_("Kasus ini dicatat tanpa persetujuan; data pribadi tidak boleh ditambahkan.")]
    if errors:
        raise ValidationError(errors)
    fields = [f for f in CASE_EDIT_FIELDS if f in values]
    with transaction.atomic():
        locked = _lock_open_case(actor, case.pk)
        for f in fields:
            setattr(locked, f, values[f] if values[f] is not None else "")
        save_versioned(locked, expected_version, fields)
        log_event(locked, actor, "case.updated", fields=fields)
        record(actor, "case.update", locked, detail={"fields": fields})
    _copy_state(case, locked)
    return case


# --- needs -------------------------------------------------------------------------------------


def _lock_case(actor, case_pk) -> Case:
    """The case row, locked until the transaction ends, so the status checked is the one written on.

    Callers read the case through the scoped selectors; the scope is applied again here.
    """
    case = Case.objects.for_user(actor).select_for_update().filter(pk=case_pk).first()
    if case is None:
        raise Http404
    return case


def _lock_open_case(actor, case_pk) -> Case:
    case = _lock_case(actor, case_pk)
    if case.status == CaseStatus.CLOSED:
        raise ValidationError({"case": [_("Kasus sudah ditutup; buka kembali kasus sebelum mengubahnya.")]})
    return case


def _copy_state(target: Case, source: Case) -> None:
    """Bring the caller's (possibly stale) case object up to what was written."""
    for f in Case._meta.concrete_fields:
        setattr(target, f.attname, getattr(source, f.attname))


def add_need(actor, case: Case, *, sector: str, description: str) -> Need:
    _require(actor, "intake_case", "assess_case")
    errors: dict = {}
    cleaned = _check_needs([{"sector": sector, "description": description}], errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = _lock_open_case(actor, case.pk)
        need = Need.objects.create(case=locked, sector=cleaned[0][0], description=cleaned[0][1])
        workflow.refresh_status(locked)
        log_event(locked, actor, "need.added", need=need.pk, sector=need.sector)
        record(actor, "need.add", locked, detail={"need": need.pk})
    _copy_state(case, locked)
    return need


def edit_need(actor, need: Need, expected_version, *, sector: str, description: str) -> Need:
    _require(actor, "intake_case", "assess_case")
    errors: dict = {}
    cleaned = _check_needs([{"sector": sector, "description": description}], errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        case = _lock_open_case(actor, need.case_id)
        need.sector, need.description = cleaned[0]
        save_versioned(need, expected_version, ["sector", "description"])
        log_event(case, actor, "need.edited", need=need.pk, sector=need.sector)
        record(actor, "need.edit", case, detail={"need": need.pk})
    return need


NEED_FINAL_CHOICES = (NeedStatus.HANDLED, NeedStatus.CLOSED)
NEED_SETTABLE = (*NEED_FINAL_CHOICES, NeedStatus.OPEN)  # "diproses" follows from the case's work


def set_need_status(actor, need: Need, expected_version, *, status: str, outcome: str) -> Need:
    """Mark a need handled (with its outcome) or closed (with the reason), or open it again."""
    _require(actor, "assess_case", "close_case")
    outcome = (outcome or "").strip()
    if status not in NEED_SETTABLE:
        raise ValidationError({"status": [_("Pilih status: tertangani, ditutup dengan alasan, atau terbuka lagi.")]})
    if status == NeedStatus.HANDLED and not outcome:
        raise ValidationError({"outcome": [_("Tuliskan hasil penanganan kebutuhan ini.")]})
    if status == NeedStatus.CLOSED and not outcome:
        raise ValidationError({"outcome": [_("Tuliskan alasan kebutuhan ini ditutup tanpa ditangani.")]})
    if len(outcome) > MAX_TEXT:
        raise ValidationError(
            {
                "outcome": [
                    _("Hasil/alasan terlalu panjang: %(length)d karakter, paling banyak %(limit)d.")
                    % {"length": len(outcome), "limit": MAX_TEXT}
                ]
            }
        )
    with transaction.atomic():
        case = _lock_open_case(actor, need.case_id)
        if status in NEED_FINAL_CHOICES:
            # The agency is still working on it (or a draft may still go out): finish or cancel that first.
            numbers = workflow.open_referrals(case, need)
            if numbers:
                raise ValidationError(
                    {
                        "status": [
                            _(
                                "Kebutuhan ini masih punya rujukan yang terbuka: %(numbers)s. Selesaikan atau "
                                "batalkan rujukan itu lebih dulu."
                            )
                            % {"numbers": ", ".join(numbers)}
                        ]
                    }
                )
        old = need.status
        need.status = status
        need.outcome = outcome if status != NeedStatus.OPEN else ""
        save_versioned(need, expected_version, ["status", "outcome"])
        # An opened need goes back to what its referrals and recommendations say; a new case moves on.
        workflow.refresh_status(case)
        log_event(case, actor, "need.status", need=need.pk, old=old, new=status)
        record(actor, "need.status", case, detail={"need": need.pk, "old": old, "new": status})
    return need


# --- follow-up tasks ---------------------------------------------------------------------------


def add_task(actor, case: Case, *, title: str, due_date, assigned_to=None, need=None) -> FollowUpTask:
    _require(actor, "assess_case", "close_case", "intake_case")
    errors = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = [_("Tuliskan tindak lanjut yang harus dilakukan.")]
    _check_length(FollowUpTask, "title", title, errors)
    if not isinstance(due_date, dt.date):
        errors["due_date"] = [_("Isi tenggat dengan tanggal yang sah.")]
    elif due_date < timezone.localdate():
        errors["due_date"] = [_("Tenggat tidak boleh sebelum hari ini.")]
    if assigned_to is not None and not (
        assigned_to.is_active
        and assigned_to.region_id
        and can(assigned_to, "view_cases")
        and (in_scope(assigned_to, case.desa_code))
    ):
        errors["assigned_to"] = [_("Petugas yang dipilih tidak bertugas di wilayah kasus ini.")]
    if need is not None and need.case_id != case.pk:
        errors["need"] = [_("Kebutuhan itu bukan bagian dari kasus ini.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = _lock_open_case(actor, case.pk)
        task = FollowUpTask.objects.create(
            case=locked, need=need, title=title, due_date=due_date, assigned_to=assigned_to, created_by=actor
        )
        log_event(locked, actor, "task.added", task=task.pk, due=due_date.isoformat())
        record(actor, "task.add", locked, detail={"task": task.pk})
    _copy_state(case, locked)
    return task


def complete_task(actor, task: FollowUpTask, *, result: str) -> FollowUpTask:
    _require(actor, "assess_case", "close_case", "intake_case")
    result = (result or "").strip()
    if not result:
        raise ValidationError({"result": [_("Tuliskan hasil tindak lanjut.")]})
    errors = {}
    _check_length(FollowUpTask, "result", result, errors, limit=MAX_TEXT)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        _lock_open_case(actor, task.case_id)
        # Conditional update: two people finishing the same task cannot both succeed.
        done = FollowUpTask.objects.filter(pk=task.pk, done_at__isnull=True).update(
            done_at=timezone.now(), done_by=actor, result=result
        )
        if not done:
            raise ValidationError({"result": [_("Tindak lanjut ini sudah diselesaikan.")]})
        task.refresh_from_db()
        log_event(task.case, actor, "task.done", task=task.pk)
        record(actor, "task.done", task.case, detail={"task": task.pk})
    return task


# --- close and reopen --------------------------------------------------------------------------


def open_need_labels(case: Case) -> list[str]:
    return [f"#{n.pk} {n.get_sector_display()}" for n in case.needs.exclude(status__in=workflow.FINAL_NEED)]


def close_case(actor, case: Case, expected_version, *, reason: str = "") -> Case:
    _require(actor, "close_case")
    errors = {}
    _check_length(Case, "close_reason", (reason or "").strip(), errors, "reason", limit=MAX_TEXT)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = _lock_case(actor, case.pk)
        if locked.status == CaseStatus.CLOSED:
            raise ValidationError({"case": [_("Kasus sudah ditutup.")]})
        before = locked.version
        workflow.refresh_status(locked)
        # refresh_status may itself move a new case forward (a version bump that is not a conflict).
        expected = locked.version if expected_version is None or int(expected_version) == before else expected_version
        if not workflow.close_allowed(locked):
            problems = []
            open_needs = open_need_labels(locked)
            if open_needs:
                problems.append(
                    _(
                        "Kasus belum dapat ditutup: kebutuhan berikut belum tertangani atau ditutup dengan alasan: "
                        "%(needs)s."
                    )
                    % {"needs": ", ".join(open_needs)}
                )
            numbers = workflow.open_referrals(locked)
            if numbers:
                problems.append(
                    _(
                        "Kasus belum dapat ditutup: rujukan berikut masih terbuka di lembaga atau masih draf: "
                        "%(numbers)s. Selesaikan atau batalkan rujukan itu lebih dulu."
                    )
                    % {"numbers": ", ".join(numbers)}
                )
            raise ValidationError({"case": problems or [_("Kasus belum dapat ditutup.")]})
        old = locked.status
        locked.status = CaseStatus.CLOSED
        locked.close_reason = (reason or "").strip()
        locked.closed_at = timezone.now()
        save_versioned(locked, expected, ["status", "close_reason", "closed_at"])
        log_event(locked, actor, "case.closed", old=old)
        record(actor, "case.close", locked)
    _copy_state(case, locked)
    return case


def reopen_case(actor, case: Case, expected_version, *, reason: str) -> Case:
    _require(actor, "close_case")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Tuliskan alasan kasus dibuka kembali.")]})
    errors = {}
    _check_length(Case, "reopen_reason", reason, errors, "reason", limit=MAX_TEXT)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = _lock_case(actor, case.pk)
        if locked.status != CaseStatus.CLOSED:
            raise ValidationError({"case": [_("Hanya kasus yang sudah ditutup yang dapat dibuka kembali.")]})
        locked.status = workflow.CASE_TRANSITIONS["reopen"][1]
        locked.closed_at = None
        locked.reopen_reason = reason
        # Free text may name people: it lives on the case row, not in timeline params or the audit.
        save_versioned(locked, expected_version, ["status", "closed_at", "reopen_reason"])
        log_event(locked, actor, "case.reopened")
        record(actor, "case.reopen", locked)
    _copy_state(case, locked)
    return case
