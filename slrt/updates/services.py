"""Write side of registry proposals: drafting one, editing its data, and moving it through
`workflow.TRANSITIONS`.

The proposed data is kept in the registry exchange file's column names and checked by the
importer's own row validator (`registry.imports.validate.RowValidator`), so a proposal that passes
here is a row the registry import would accept. `transition` is the single interpreter of the
state machine for actions taken by a person; `move` applies the same table set-based for the
actions that happen as part of a village meeting, a monthly batch or a registry release.
"""

import datetime as dt
import logging
import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from slrt.accounts.roles import can
from slrt.accounts.scoping import in_scope
from slrt.audit.services import record
from slrt.cases.models import Case
from slrt.core.exceptions import Forbidden, FourEyes, InvalidTransition
from slrt.core.locking import ConflictError, save_versioned
from slrt.core.sheets import formula_message, starts_like_formula
from slrt.core.text import required_texts
from slrt.registry.imports.columns import normalize_header, parse_header
from slrt.registry.imports.validate import STAGE_COLUMNS, RowValidator
from slrt.registry.models import Household, Person
from slrt.registry.nik import check_nik
from slrt.wilayah.models import Level, Region, normalize_code

from .export import count_rows
from .models import (
    BatchStatus,
    MeetingKind,
    Proposal,
    ProposalBatch,
    ProposalKind,
    ProposalOrigin,
    ProposalStatus,
    ProposalTransition,
    RemovalReason,
    VillageMeeting,
)
from .rows import HOUSEHOLD_COLUMNS, ROW_COLUMNS, household_row, person_row
from .workflow import BY_BATCH, BY_MEETING, BY_SYSTEM, BY_USER, EDITABLE, FIELD_LABELS, OPEN_STATES, TRANSITIONS

log = logging.getLogger(__name__)

MAX_TEXT = 2000
MAX_MEMBERS = 30
# A village meeting, however large; also keeps the number inside the database column.
MAX_ATTENDANCE = 100_000
MINUTES_MAX_BYTES = 10 * 1024 * 1024
# Accepted minutes files: extension -> leading bytes of such a file (checked, not trusted from the name).
MINUTES_TYPES = {
    ".pdf": (b"%PDF",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
}
_PERIOD = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")

_SPEC = parse_header(list(ROW_COLUMNS))
_STAGE_NAMES = tuple(c for c, _t in STAGE_COLUMNS)
# Stand-ins for an optional NIK / KK that is not known yet (a newborn, a household without KK):
# the row validator requires both, the stand-in is never stored.
_PLACEHOLDER = {"nik": "3201010101900001", "nomor_kk": "3201010101900001"}


def _head_of(household):
    members = list(Person.objects.system().filter(household=household, is_active=True).order_by("pk"))
    for m in members:
        if "kepala" in (m.hubungan_keluarga or "").lower():
            return m
    return members[0] if members else None


# -- row validation ------------------------------------------------------------------------------


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    return str(value)


class _KnownDesa:
    """`code in KNOWN_DESA`: one indexed lookup. A proposal checks a row or a few; loading all
    83,762 codes (as the importer does once per file) would cost more than the whole check."""

    def __contains__(self, code) -> bool:
        return bool(code) and Region.objects.filter(code=code, level=Level.DESA).exists()


KNOWN_DESA = _KnownDesa()


def check_row(row: dict, *, optional=("nik", "nomor_kk")) -> tuple[dict, dict]:
    """Validate one exchange row with the importer's validator.

    Returns (normalised values of the columns the row holds, {column: [messages]}). Columns in
    `optional` may be left empty.
    """
    cells = []
    for col in ROW_COLUMNS:
        value = _text(row.get(col)).strip()
        if not value and col in optional:
            value = _PLACEHOLDER[col]
        cells.append(value)
    validator = RowValidator(_SPEC, desa_codes=KNOWN_DESA, today=timezone.localdate())
    staged = validator(1, cells)
    errors: dict[str, list[str]] = {}
    for _line, col, _value, reason, is_warning in validator.errors:
        if not is_warning:
            errors.setdefault(col or "data", []).append(str(reason))
    if staged is None:
        return {}, errors
    values = dict(zip(_STAGE_NAMES, staged, strict=False))
    out = {}
    for col in row:
        if col == "kode_wilayah":
            out[col] = values["desa_code"]
        elif col == "desil":
            out[col] = values["desil"]
        elif col in ("nik", "nomor_kk") and not _text(row.get(col)).strip():
            out[col] = ""
        else:
            out[col] = values.get(col) or ""
    return out, errors


def _normalise_keys(data, errors, where="data") -> dict:
    if not isinstance(data, dict):
        errors.setdefault(where, []).append(_("Data usulan harus berupa pasangan kolom dan nilai."))
        return {}
    out = {}
    for key, value in data.items():
        name = normalize_header(key)
        if name == "anggota" and where == "data":
            out[name] = value
        elif name not in ROW_COLUMNS:
            errors.setdefault(name or "data", []).append(
                _("Kolom %(column)s tidak dikenal dalam format pertukaran registri.") % {"column": name or key}
            )
        else:
            out[name] = value
    return out


def _merge_errors(errors: dict, more: dict, prefix: str = ""):
    for col, messages in more.items():
        for m in messages:
            if prefix:
                errors.setdefault("anggota", []).append(
                    _("%(row)s, kolom %(column)s: %(message)s") % {"row": prefix, "column": col, "message": m}
                )
            else:
                errors.setdefault(col, []).append(_("Kolom %(column)s: %(message)s") % {"column": col, "message": m})


def _desa_code(raw) -> str:
    """The dotted desa code of a raw kode_wilayah, or "" (for the scope check of a row with other errors)."""
    try:
        code = normalize_code(_text(raw))
    except (ValueError, TypeError):
        return ""
    return code if code in KNOWN_DESA else ""


def _need(errors, column, message):
    errors.setdefault(column, []).append(message)


def _person_in_scope(actor, nik):
    return (
        Person.objects.for_user(actor).select_related("household").filter(nik=nik, is_active=True).first()
        if nik else None
    )


def _household_in_scope(actor, kk):
    return Household.objects.for_user(actor).filter(nomor_kk=kk).first() if kk else None


def _open_duplicate(kind, *, person=None, household=None, exclude=None) -> bool:
    qs = Proposal.objects.system().filter(kind=kind, status__in=OPEN_STATES)
    qs = qs.filter(person=person) if person is not None else qs.filter(household=household)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return qs.exists()


class _Clean:
    """The outcome of checking a proposal's data for its kind."""

    def __init__(self):
        self.data: dict = {}
        self.base: dict = {}
        self.region = ""
        self.household = None
        self.person = None


def _clean_new_household(actor, data, errors, c: _Clean):
    members = data.pop("anggota", None) or []
    head, errs = check_row(data)
    _merge_errors(errors, errs)
    if not _text(data.get("nama")).strip() and "nama" not in errs:
        _need(errors, "nama", _("Kolom nama: wajib diisi."))
    code = head.get("kode_wilayah") or _desa_code(data.get("kode_wilayah"))
    if code and not in_scope(actor, code):
        _need(errors, "kode_wilayah", _("Kolom kode_wilayah: desa/kelurahan ini di luar wilayah kewenangan Anda."))
    niks = []
    if head.get("nik"):
        niks.append(head["nik"])
    if head.get("nomor_kk") and Household.objects.system().filter(nomor_kk=head["nomor_kk"]).exists():
        _need(errors, "nomor_kk", _("Kolom nomor_kk: nomor KK ini sudah ada di registri; gunakan usulan tambah "
                                    "anggota atau perubahan data."))
    if not isinstance(members, list):
        _need(errors, "anggota", _("Anggota harus berupa daftar baris."))
        members = []
    if len(members) > MAX_MEMBERS:
        _need(errors, "anggota", _("Paling banyak %(n)d anggota per usulan.") % {"n": MAX_MEMBERS})
        members = []
    rows = []
    for i, member in enumerate(members, start=1):
        label = _("Anggota %(n)d") % {"n": i}
        m_errors: dict = {}
        member = _normalise_keys(member, m_errors, where="anggota")
        # Members share the head's KK and desa; household columns are the head's.
        for col in ("nomor_kk", "kode_wilayah", *HOUSEHOLD_COLUMNS):
            member.pop(col, None)
        row, errs = check_row({**member, "nomor_kk": data.get("nomor_kk") or "", "kode_wilayah": code or
                               data.get("kode_wilayah") or ""})
        if "kode_wilayah" in errs or "nomor_kk" in errs:
            errs = {k: v for k, v in errs.items() if k not in ("kode_wilayah", "nomor_kk")}
        m_errors.update(errs)
        if not _text(member.get("nama")).strip() and "nama" not in m_errors:
            m_errors["nama"] = [_("wajib diisi.")]
        _merge_errors(errors, m_errors, prefix=label)
        if row.get("nik"):
            niks.append(row["nik"])
        rows.append({k: v for k, v in row.items() if k not in ("nomor_kk", "kode_wilayah") and v not in ("", None)})
    if len(niks) != len(set(niks)):
        _need(errors, "nik", _("Kolom nik: NIK yang sama muncul lebih dari sekali dalam usulan ini."))
    if niks and Person.objects.system().filter(nik__in=niks).exists():
        _need(errors, "nik", _("Kolom nik: NIK sudah terdaftar di registri; gunakan usulan perubahan data."))
    c.data = {k: v for k, v in head.items() if v not in ("", None)}
    if rows:
        c.data["anggota"] = rows
    c.region = code


def _clean_add_member(actor, data, errors, c: _Clean, household):
    kk = _text(data.get("nomor_kk")).strip() or (household.nomor_kk if household is not None else "")
    hh = _household_in_scope(actor, kk)
    if hh is None:
        _need(errors, "nomor_kk", _("Kolom nomor_kk: keluarga dengan nomor KK ini tidak ditemukan di registri "
                                    "dalam wilayah Anda.") if kk else _("Kolom nomor_kk: wajib diisi."))
        return
    extra = sorted(set(data) & HOUSEHOLD_COLUMNS)
    if extra:
        _need(errors, extra[0], _("Kolom %(column)s: data keluarga tidak diubah lewat usulan tambah anggota; "
                                  "buat usulan perubahan data.") % {"column": extra[0]})
    row, errs = check_row({**data, "nomor_kk": hh.nomor_kk, "kode_wilayah": hh.desa_code}, optional=("nik",))
    _merge_errors(errors, errs)
    if not _text(data.get("nama")).strip() and "nama" not in errs:
        _need(errors, "nama", _("Kolom nama: wajib diisi."))
    if row.get("nik") and Person.objects.system().filter(nik=row["nik"]).exists():
        _need(errors, "nik", _("Kolom nik: NIK sudah terdaftar di registri; untuk pindah KK gunakan usulan "
                               "perubahan data (kolom nomor_kk)."))
    c.data = {k: v for k, v in row.items() if v not in ("", None)}
    c.data["nomor_kk"] = hh.nomor_kk
    c.data["kode_wilayah"] = hh.desa_code
    c.household, c.region = hh, hh.desa_code


def _clean_change(actor, data, errors, c: _Clean, household, person):
    nik = _text(data.get("nik")).strip() or (person.nik if person is not None else "")
    if nik:
        p = _person_in_scope(actor, nik)
        if p is None:
            _need(errors, "nik", _("Kolom nik: orang dengan NIK ini tidak ditemukan di registri dalam wilayah Anda."))
            return
        current = person_row(p)
        changes = {k: v for k, v in data.items() if k != "nik"}
        c.person, c.household, c.region = p, p.household, p.desa_code
    else:
        kk = _text(data.get("nomor_kk")).strip() or (household.nomor_kk if household is not None else "")
        if not kk:
            _need(errors, "nik", _("Kolom nik: isi NIK orang yang datanya berubah (atau nomor_kk untuk data "
                                   "keluarga)."))
            return
        hh = _household_in_scope(actor, kk)
        if hh is None:
            _need(errors, "nomor_kk", _("Kolom nomor_kk: keluarga dengan nomor KK ini tidak ditemukan di registri "
                                        "dalam wilayah Anda."))
            return
        changes = {k: v for k, v in data.items() if k != "nomor_kk"}
        others = sorted(set(changes) - HOUSEHOLD_COLUMNS)
        if others:
            _need(errors, others[0], _("Kolom %(column)s: tanpa NIK hanya kolom keluarga (alamat, dusun, rt, rw, "
                                       "desil) yang dapat diubah.") % {"column": others[0]})
            return
        head = _head_of(hh)
        current = person_row(head) if head is not None else {
            **household_row(hh), "nik": "", "nama": "-"}
        c.household, c.region = hh, hh.desa_code
    merged = {**current, **changes}
    # A registry value the importer accepted with a warning must not block an unrelated change.
    row, errs = check_row(merged, optional=("nik",) if not nik else ())
    errs = {k: v for k, v in errs.items() if k in changes}
    _merge_errors(errors, errs)
    if errs:
        return
    changed = {k: row.get(k) for k in changes if row.get(k) != current.get(k)}
    if changed.get("kode_wilayah") and not in_scope(actor, changed["kode_wilayah"]):
        _need(errors, "kode_wilayah", _("Kolom kode_wilayah: desa/kelurahan ini di luar wilayah kewenangan Anda."))
        return
    if not changed:
        _need(errors, "data", _("Tidak ada kolom yang berbeda dari data registri; isi minimal satu kolom yang "
                                "berubah."))
        return
    c.data = {"nik": nik, **changed} if nik else {"nomor_kk": c.household.nomor_kk, **changed}
    c.base = {k: current.get(k) for k in changed}


def _clean_removal(actor, data, errors, c: _Clean, person, removal_reason, proposal):
    nik = _text(data.get("nik")).strip() or (person.nik if person is not None else "")
    if removal_reason not in RemovalReason.values:
        _need(errors, "removal_reason", _("Pilih alasan penghapusan: meninggal atau pindah."))
    p = _person_in_scope(actor, nik)
    if p is None:
        _need(errors, "nik", _("Kolom nik: orang dengan NIK ini tidak ditemukan di registri dalam wilayah Anda.")
              if nik else _("Kolom nik: wajib diisi."))
        return
    if _open_duplicate(ProposalKind.REMOVAL, person=p, exclude=proposal):
        _need(errors, "nik", _("Kolom nik: sudah ada usulan penghapusan yang masih berjalan untuk orang ini."))
    current = person_row(p)
    c.data = {k: current[k] for k in ("nik", "nomor_kk", "nama", "kode_wilayah")}
    c.base = {"nomor_kk": current["nomor_kk"]}
    c.person, c.household, c.region = p, p.household, p.desa_code


def _clean_desil(actor, data, errors, c: _Clean, household, reason, proposal):
    kk = _text(data.get("nomor_kk")).strip() or (household.nomor_kk if household is not None else "")
    if not reason:
        _need(errors, "reason", _("Alasan wajib diisi: jelaskan mengapa desil keluarga ini perlu ditinjau."))
    hh = _household_in_scope(actor, kk)
    if hh is None:
        _need(errors, "nomor_kk", _("Kolom nomor_kk: keluarga dengan nomor KK ini tidak ditemukan di registri "
                                    "dalam wilayah Anda.") if kk else _("Kolom nomor_kk: wajib diisi."))
        return
    others = sorted(set(data) - {"nomor_kk", "desil", "kode_wilayah"})
    if others:
        _need(errors, others[0], _("Kolom %(column)s: peninjauan desil hanya memuat nomor_kk dan desil usulan.")
              % {"column": others[0]})
    c.data = {"nomor_kk": hh.nomor_kk, "kode_wilayah": hh.desa_code}
    raw = _text(data.get("desil")).strip()
    if raw:
        if raw.isdigit() and 1 <= int(raw) <= 10:
            c.data["desil"] = int(raw)
        else:
            _need(errors, "desil", _("Kolom desil: desil harus bilangan bulat 1 sampai 10."))
    if _open_duplicate(ProposalKind.DESIL_REVIEW, household=hh, exclude=proposal):
        _need(errors, "nomor_kk", _("Kolom nomor_kk: sudah ada peninjauan desil yang masih berjalan untuk "
                                    "keluarga ini."))
    c.base = {"desil": hh.desil}
    c.household, c.region = hh, hh.desa_code


def clean_proposal(actor, kind, data, *, household=None, person=None, reason="", removal_reason="",
                   proposal=None) -> _Clean:
    """Check `data` for a proposal of `kind`; raises ValidationError naming each wrong column."""
    errors: dict[str, list[str]] = {}
    c = _Clean()
    if kind not in ProposalKind.values:
        raise ValidationError({"kind": [_("Jenis usulan tidak dikenal.")]})
    data = _normalise_keys(data, errors)
    if "anggota" in data and kind != ProposalKind.NEW_HOUSEHOLD:
        _need(errors, "anggota", _("Daftar anggota hanya untuk usulan rumah tangga baru."))
        data.pop("anggota")
    if len(reason or "") > MAX_TEXT:
        _need(errors, "reason", _("Alasan terlalu panjang (maksimal 2000 karakter)."))
    if starts_like_formula(reason):
        _need(errors, "reason", formula_message(_("alasan")))
    if kind == ProposalKind.NEW_HOUSEHOLD:
        _clean_new_household(actor, data, errors, c)
    elif kind == ProposalKind.ADD_MEMBER:
        _clean_add_member(actor, data, errors, c, household)
    elif kind == ProposalKind.CHANGE:
        _clean_change(actor, data, errors, c, household, person)
    elif kind == ProposalKind.REMOVAL:
        _clean_removal(actor, data, errors, c, person, removal_reason, proposal)
    else:
        _clean_desil(actor, data, errors, c, household, reason, proposal)
    if errors:
        raise ValidationError(errors)
    return c


# -- the services -------------------------------------------------------------------------------


def _stamp(actor, proposal, action, from_status, note=""):
    ProposalTransition.objects.create(
        proposal=proposal, action=action, from_status=from_status, to_status=proposal.status,
        actor=actor if getattr(actor, "is_authenticated", False) else None, note=note,
    )


def draft_proposal(actor, *, kind, data, base=None, case=None, household=None, person=None,
                   origin=ProposalOrigin.MANUAL, reason="", removal_reason="") -> Proposal:
    """Draft a proposal. `base` is only kept for a new household (others take it from the registry)."""
    if not can(actor, "draft_proposal"):
        raise Forbidden(_("Peran Anda tidak boleh menyusun usulan pemutakhiran."))
    reason = (reason or "").strip()
    with transaction.atomic():
        if case is not None and not Case.objects.for_user(actor).filter(pk=case.pk).exists():
            raise Http404
        c = clean_proposal(actor, kind, data, household=household, person=person, reason=reason,
                           removal_reason=removal_reason or "")
        proposal = Proposal(
            kind=kind, origin=origin, case=case, household=c.household, person=c.person, data=c.data,
            base=c.base or (dict(base) if base and kind == ProposalKind.NEW_HOUSEHOLD else {}),
            removal_reason=removal_reason if kind == ProposalKind.REMOVAL else "", reason=reason,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        proposal.set_region(c.region)
        proposal.save()
        _stamp(actor, proposal, "draft", ProposalStatus.DRAFT)
        record(actor, "proposal.draft", proposal, detail={"kind": kind, "origin": origin,
                                                          "case": case.pk if case else None})
    log.info("proposal drafted id=%s kind=%s", proposal.pk, kind)
    return proposal


def draft_for_unregistered_resident(resident) -> None:
    """A draft registry proposal (exchange-file columns) for a case's resident not in the registry.

    Registered on `cases.hooks.on_unregistered_resident` (apps.py); runs inside `create_case`'s
    transaction and puts the proposal on `resident` for the visit, the timeline and the audit.
    """
    case = resident.case
    nik = resident.nik
    data = {
        "nik": nik,
        "nomor_kk": "",
        "nama": " ".join(resident.name.split()),
        "kode_wilayah": case.desa_code,
        "alamat": resident.address,
    }
    if nik:
        check = check_nik(nik)
        if check.birth_date:
            data["tanggal_lahir"] = check.birth_date.isoformat()
        if check.sex:
            data["jenis_kelamin"] = check.sex
    proposal = Proposal(
        kind=ProposalKind.NEW_HOUSEHOLD,
        origin=ProposalOrigin.CASE,
        case=case,
        data=data,
        created_by=resident.actor,
        reason=_("Warga dilayani SLRT (tiket %(ticket)s) belum terdaftar di registri.") % {"ticket": case.ticket},
    )
    proposal.set_region(case.desa_code)
    proposal.save()
    resident.proposal = proposal


_SYNC = ("status", "version", "data", "base", "household_id", "person_id", "reason", "prov_code", "kab_code",
         "kec_code", "desa_code", "updated_at")


def _sync(target, source):
    """Keep the caller's instance current (callers such as visit submissions hold on to it)."""
    if target is not source:
        for name in _SYNC:
            setattr(target, name, getattr(source, name))


def _locked(actor, proposal) -> Proposal:
    p = Proposal.objects.for_user(actor).select_for_update().filter(pk=proposal.pk).first()
    if p is None:
        raise Http404
    return p


def _check_version(p, expected_version):
    if expected_version in (None, ""):
        return
    try:
        expected = int(expected_version)
    except (TypeError, ValueError):
        raise ValidationError({"version": _("Versi data tidak valid; muat ulang halaman.")})
    if expected != p.version:
        raise ConflictError(p)


def _apply_data(actor, p, data, reason):
    c = clean_proposal(actor, p.kind, data, household=p.household, person=p.person,
                       reason=p.reason if reason is None else reason, removal_reason=p.removal_reason, proposal=p.pk)
    p.data, p.household, p.person = c.data, c.household, c.person
    if p.kind != ProposalKind.NEW_HOUSEHOLD:
        p.base = c.base
    p.set_region(c.region)
    fields = ["data", "base", "household", "person", "prov_code", "kab_code", "kec_code", "desa_code"]
    if reason is not None:
        p.reason = reason
        fields.append("reason")
    return fields


def update_data(actor, proposal, expected_version, *, data, reason=None) -> Proposal:
    """Replace the proposed data (only while draf or terverifikasi), with optimistic locking:
    a stale `expected_version` raises ConflictError and writes nothing."""
    if not can(actor, "draft_proposal"):
        raise Forbidden(_("Peran Anda tidak boleh mengubah usulan pemutakhiran."))
    reason = reason.strip() if isinstance(reason, str) else reason
    with transaction.atomic():
        p = _locked(actor, proposal)
        # None: system code (a visit submission) that holds no earlier read; the row lock suffices.
        if expected_version == "":
            raise ValidationError({"version": _("Versi data tidak dikirim; muat ulang halaman.")})
        _check_version(p, expected_version)
        if p.status not in EDITABLE:
            raise InvalidTransition(_("Usulan berstatus %(status)s; datanya tidak dapat diubah lagi.")
                                    % {"status": p.get_status_display()})
        fields = _apply_data(actor, p, data, reason)
        save_versioned(p, p.version, fields)
        record(actor, "proposal.update", p, detail={"kind": p.kind, "status": p.status})
    _sync(proposal, p)
    return p


def _apply(actor, p, action, *, note="", fields=()):
    """Move one locked proposal along `action` (the caller checked role and state)."""
    t = TRANSITIONS[action]
    from_status = p.status
    p.status = t.target
    save_versioned(p, p.version, ["status", *fields])
    _stamp(actor, p, action, from_status, note)
    record(actor, f"proposal.{action}", p, detail={"kind": p.kind, "from": from_status, "to": t.target})
    log.info("proposal %s id=%s %s->%s", action, p.pk, from_status, t.target)


def _clean_fields(t, fields) -> dict:
    values, errors = required_texts(t.required, fields, FIELD_LABELS, MAX_TEXT)
    if errors:
        raise ValidationError(errors)
    return values


VIA_MESSAGES = {
    BY_MEETING: gettext_lazy("Usulan disepakati hanya lewat pencatatan musyawarah desa/kelurahan."),
    BY_BATCH: gettext_lazy("Usulan diekspor dan diajukan hanya lewat berkas usulan bulanan."),
    BY_SYSTEM: gettext_lazy("Usulan diterima atau ditolak otomatis saat rilis registri berikutnya diimpor."),
}


def transition(actor, proposal, action: str, expected_version=None, **fields) -> Proposal:
    """Take one action of `workflow.TRANSITIONS` by hand. Scope (404), role (403), four eyes (403),
    stale version (409 conflict), state (409), required fields (422)."""
    t = TRANSITIONS.get(action)
    if t is None:
        raise InvalidTransition(_("Tindakan usulan tidak dikenal."))
    if t.via != BY_USER:
        raise InvalidTransition(VIA_MESSAGES[t.via])
    with transaction.atomic():
        p = _locked(actor, proposal)
        if actor.role not in t.roles:
            raise Forbidden(_("Peran Anda tidak boleh melakukan tindakan ini pada usulan."))
        # Someone else acted since the caller read the page: say so before judging the state.
        _check_version(p, expected_version)
        if p.status not in t.sources:
            raise InvalidTransition(_("Usulan berstatus %(status)s; tindakan ini tidak dapat dilakukan.")
                                    % {"status": p.get_status_display()})
        values = _clean_fields(t, fields)
        if action == "approve" and p.created_by_id == actor.pk:
            raise FourEyes(_("Anda menyusun usulan ini; persetujuan harus diberikan petugas Dinas Sosial lain "
                             "(prinsip empat mata)."))
        _apply(actor, p, action, note=values.get("reason", "") or _text(fields.get("note")).strip()[:MAX_TEXT])
    _sync(proposal, p)
    return p


def verify(actor, proposal, *, data=None, note="", visit=None) -> Proposal:
    """The facilitator's verification (normally a visit): draf -> terverifikasi, optionally with the
    data as found in the field."""
    t = TRANSITIONS["verify"]
    with transaction.atomic():
        p = _locked(actor, proposal)
        if actor.role not in t.roles:
            raise Forbidden(_("Peran Anda tidak boleh memverifikasi usulan."))
        if p.status not in t.sources:
            raise InvalidTransition(_("Usulan berstatus %(status)s; tindakan ini tidak dapat dilakukan.")
                                    % {"status": p.get_status_display()})
        fields = _apply_data(actor, p, data, None) if data is not None else []
        note = (note or "").strip()[:MAX_TEXT]
        if visit is not None:
            note = (note + " " if note else "") + _("(kunjungan #%(id)s)") % {"id": visit.pk}
        _apply(actor, p, "verify", note=note, fields=fields)
        if visit is not None and getattr(visit, "proposal_id", None) is None:
            type(visit)._base_manager.filter(pk=visit.pk).update(proposal=p)
    _sync(proposal, p)
    return p


def move(actor, ids, action: str, *, note="", **fields) -> int:
    """Apply a meeting/batch/system action to many proposals at once (set-based).

    Rows must be locked by the caller; every id must be in a source state, or nothing moves.
    """
    t = TRANSITIONS[action]
    ids = list(ids)
    if not ids:
        return 0
    rows = list(Proposal.objects.system().filter(pk__in=ids).values_list("pk", "status"))
    wrong = [pk for pk, status in rows if status not in t.sources]
    if wrong or len(rows) != len(set(ids)):
        raise InvalidTransition(_("Sebagian usulan sudah berubah status; muat ulang dan ulangi."))
    n = Proposal.objects.system().filter(pk__in=ids).update(
        status=t.target, version=F("version") + 1, updated_at=timezone.now(), **fields
    )
    who = actor if getattr(actor, "is_authenticated", False) else None
    ProposalTransition.objects.bulk_create(
        [ProposalTransition(proposal_id=pk, action=action, from_status=status, to_status=t.target, actor=who,
                            note=note) for pk, status in rows],
        batch_size=1000,
    )
    return n


def _parse_date(raw, errors, field, label):
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    s = _text(raw).strip()
    if not s:
        errors[field] = _("%(field)s wajib diisi.") % {"field": label}
        return None
    try:
        return dt.date.fromisoformat(s)
    except ValueError:
        errors[field] = _("%(field)s tidak valid (format TTTT-BB-HH).") % {"field": label}
        return None


def _check_minutes(minutes, errors):
    if minutes is None:
        errors["minutes"] = _("Unggah berita acara musyawarah (PDF, JPG atau PNG).")
        return
    name = getattr(minutes, "name", "") or ""
    ext = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    size = getattr(minutes, "size", None) or 0
    if ext not in MINUTES_TYPES:
        errors["minutes"] = _("Berita acara harus berkas PDF, JPG atau PNG.")
        return
    if size > MINUTES_MAX_BYTES:
        errors["minutes"] = _("Berkas berita acara terlalu besar (maksimal %(mb)d MB).") % {
            "mb": MINUTES_MAX_BYTES // (1024 * 1024)}
        return
    if size == 0:
        errors["minutes"] = _("Berkas berita acara kosong.")
        return
    minutes.seek(0)
    head = minutes.read(8)
    minutes.seek(0)
    if not any(head.startswith(magic) for magic in MINUTES_TYPES[ext]):
        errors["minutes"] = _("Isi berkas berita acara bukan %(type)s yang sah.") % {"type": ext[1:].upper()}


def record_meeting(actor, *, desa_code, kind, held_on, attendance, minutes, notes="", proposals) -> VillageMeeting:
    """Record a musdes/muskel with its minutes; the proposals it agreed on become `disepakati`."""
    if not can(actor, "record_meeting"):
        raise Forbidden(_("Peran Anda tidak boleh mencatat musyawarah desa/kelurahan."))
    errors = {}
    desa = Region.objects.filter(code=desa_code or "", level=Level.DESA).first()
    if desa is None or not in_scope(actor, desa.code):
        errors["desa_code"] = _("Pilih desa/kelurahan di wilayah Anda.")
    if kind not in MeetingKind.values:
        errors["kind"] = _("Pilih jenis musyawarah: musdes atau muskel.")
    elif desa is not None and (desa.kind == "kelurahan") != (kind == MeetingKind.MUSKEL):
        errors["kind"] = _("Di kelurahan yang diadakan muskel, di desa musdes.")
    held = _parse_date(held_on, errors, "held_on", _("Tanggal musyawarah"))
    if held and held > timezone.localdate():
        errors["held_on"] = _("Tanggal musyawarah tidak boleh di masa depan.")
    try:
        attendance = int(attendance)
    except (TypeError, ValueError):
        attendance = 0
    if attendance < 1:
        errors["attendance"] = _("Jumlah hadir minimal 1 orang.")
    elif attendance > MAX_ATTENDANCE:
        errors["attendance"] = _("Jumlah hadir tidak masuk akal (maksimal %(n)d orang).") % {"n": MAX_ATTENDANCE}
    notes = (notes or "").strip()
    if len(notes) > MAX_TEXT:
        errors["notes"] = _("Catatan terlalu panjang (maksimal 2000 karakter).")
    _check_minutes(minutes, errors)
    ids = sorted({getattr(p, "pk", p) for p in (proposals or [])})
    if not ids:
        errors["proposals"] = _("Pilih usulan yang disepakati dalam musyawarah.")
    with transaction.atomic():
        if ids and desa is not None:
            locked = list(Proposal.objects.for_user(actor).select_for_update().filter(pk__in=ids))
            if len(locked) != len(ids):
                raise Http404
            if any(p.desa_code != desa.code for p in locked):
                errors["proposals"] = _("Semua usulan harus dari desa/kelurahan musyawarah ini.")
            elif any(p.status != ProposalStatus.CHECKED for p in locked):
                errors["proposals"] = _("Hanya usulan berstatus Diperiksa supervisor yang dapat disepakati.")
        if errors:
            raise ValidationError(errors)
        meeting = VillageMeeting(kind=kind, held_on=held, attendance=attendance, notes=notes,
                                 minutes_name=(minutes.name or "")[-255:].rsplit("/", 1)[-1],
                                 recorded_by=actor if getattr(actor, "is_authenticated", False) else None)
        meeting.set_region(desa.code)
        ext = "." + minutes.name.rsplit(".", 1)[-1].lower()
        # The stored name carries no personal data; the uploaded name is kept in minutes_name.
        meeting.minutes.save(f"berita-acara-{desa.digits if hasattr(desa, 'digits') else desa.code}{ext}",
                             minutes, save=False)
        meeting.save()
        n = move(actor, ids, "agree", note=_("Musyawarah #%(id)s") % {"id": meeting.pk}, meeting=meeting)
        record(actor, "meeting.record", meeting, detail={"kind": kind, "proposals": n, "attendance": attendance})
    log.info("meeting recorded id=%s proposals=%s", meeting.pk, n)
    return meeting


def current_period() -> str:
    return timezone.localdate().strftime("%Y-%m")


def create_batch(actor, *, kab_code, period=None) -> ProposalBatch:
    """The monthly proposal file of one kabupaten/kota: every approved proposal of it, exported."""
    if not can(actor, "export_proposals"):
        raise Forbidden(_("Peran Anda tidak boleh membuat berkas usulan."))
    period = (period or current_period()).strip()
    errors = {}
    kab = Region.objects.filter(code=kab_code or "", level=Level.KABUPATEN).first()
    if kab is None or not in_scope(actor, kab.code):
        errors["kab_code"] = _("Pilih kabupaten/kota di wilayah Anda.")
    if not _PERIOD.fullmatch(period):
        errors["period"] = _("Periode harus berformat YYYY-MM (mis. 2026-07).")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        # One batch-making at a time per kabupaten/kota: a second one waits here, then sees the
        # first batch (instead of an empty selection or a unique-constraint error).
        Region.objects.select_for_update().filter(pk=kab.pk).first()
        if ProposalBatch.objects.filter(region=kab, period=period).exists():
            raise ValidationError({"period": _("Berkas usulan %(kab)s periode %(period)s sudah dibuat.")
                                   % {"kab": kab.name, "period": period}})
        ids = list(Proposal.objects.system().select_for_update()
                   .filter(kab_code=kab.code, status=ProposalStatus.APPROVED).values_list("pk", flat=True))
        if not ids:
            raise ValidationError({"period": _("Belum ada usulan berstatus Disetujui di %(kab)s; berkas kosong "
                                               "tidak dibuat.") % {"kab": kab.name}})
        batch = ProposalBatch.objects.create(region=kab, period=period,
                                             created_by=actor if actor.is_authenticated else None)
        move(actor, ids, "export", note=_("Berkas %(period)s") % {"period": period}, batch=batch)
        batch.row_count = count_rows(batch)
        batch.save(update_fields=["row_count"])
        record(actor, "proposal_batch.create", batch, region_code=kab.code,
               detail={"period": period, "proposals": len(ids), "rows": batch.row_count})
    log.info("proposal batch id=%s kab=%s period=%s proposals=%s", batch.pk, kab.code, period, len(ids))
    return batch


def submit_batch(actor, batch, *, note="") -> ProposalBatch:
    """Mark a batch as submitted to the registry owner; its proposals become `diajukan`."""
    if not can(actor, "export_proposals"):
        raise Forbidden(_("Peran Anda tidak boleh mengajukan berkas usulan."))
    note = (note or "").strip()
    if len(note) > 255:
        raise ValidationError({"note": _("Catatan pengajuan terlalu panjang (maksimal 255 karakter).")})
    with transaction.atomic():
        b = ProposalBatch.objects.select_for_update().filter(pk=batch.pk).first()
        if b is None or not in_scope(actor, b.region_id):
            raise Http404
        if b.status != BatchStatus.EXPORTED:
            raise InvalidTransition(_("Berkas usulan ini sudah diajukan."))
        ids = list(Proposal.objects.system().select_for_update()
                   .filter(batch=b, status=ProposalStatus.EXPORTED).values_list("pk", flat=True))
        move(actor, ids, "submit", note=note)
        b.status = BatchStatus.SUBMITTED
        b.submitted_by = actor if actor.is_authenticated else None
        b.submitted_at = timezone.now()
        b.submission_note = note
        b.save(update_fields=["status", "submitted_by", "submitted_at", "submission_note"])
        record(actor, "proposal_batch.submit", b, region_code=b.region_id, detail={"proposals": len(ids)})
    return b
