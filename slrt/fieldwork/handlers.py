"""One handler per field form: turns a stored submission into domain changes through the same
services the web UI uses (registry proposals via `slrt.updates.services`, cases via
`slrt.cases.services`). A handler validates (ValidationError naming the form's fields),
raises `Conflicted` when the three-way rule finds a conflict, and returns what it created
(stored as `Submission.result`). It runs inside `services._apply`'s savepoint.

Signature: handler(actor, submission, visit, *, choices) -> dict; `choices` maps a conflicted
field to the supervisor's decided conflict entry.
"""

import datetime as dt
import functools
import re

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from slrt.core.sheets import formula_error
from slrt.registry.nik import check_nik
from slrt.registry.search import name_key

from .conflicts import Conflicted, apply_choices, find_conflicts, keep_server_changes
from .formdefs import VERIFICATION_BASE
from .selectors import visit_snapshot

KK = re.compile(r"^\d{16}$")
RT_RW = re.compile(r"^\d{1,3}$")
HASIL = ("ditemukan", "tidak_ditemukan", "pindah")
AKSI = ("tambah", "ubah", "meninggal", "pindah")
# The registry's text for the XLSForms' choice names (slugs, `xforms.choice_name`):
# values are stored as the registry holds them (slrt.registry.vocabulary), so a member
# whose data did not change proposes nothing. A text instead of a slug (sync API) maps too.
RELATION_TEXT = ("Kepala Keluarga", "Istri", "Suami", "Anak", "Menantu", "Cucu", "Orang Tua", "Mertua",
                 "Famili Lain", "Lainnya")
EDUCATION_TEXT = ("Tidak/Belum Sekolah", "Belum Tamat SD/Sederajat", "Tamat SD/Sederajat", "SLTP/Sederajat",
                  "SLTA/Sederajat", "Diploma I/II", "Akademi/Diploma III/Sarjana Muda", "Diploma IV/Strata I",
                  "Strata II", "Strata III")
MARITAL_TEXT = ("Belum Kawin", "Kawin", "Cerai Hidup", "Cerai Mati")
# House condition lists of the verification form: the programme rules' vocabulary where it has
# one (lower-case keys), else the form's own label.
HOUSE_FIELDS = ("lantai", "dinding", "atap", "sumber_air", "penerangan", "jamban", "bahan_bakar",
                "status_bangunan")
# Exchange-file columns of one member, in the order the form asks them.
MEMBER_COLUMNS = (
    "nik", "nama", "tempat_lahir", "tanggal_lahir", "jenis_kelamin", "hubungan_keluarga", "nama_ibu_kandung",
    "pendidikan", "pekerjaan", "status_kawin", "disabilitas",
)
# Household columns a proposal may change (exchange columns; the house condition fields are not
# in the exchange file and stay in the submission for the reviewer).
HOUSEHOLD_COLUMNS = ("alamat", "dusun", "rt", "rw")
FOLLOW_UP_TASK_DAYS = 7
MAX_MEMBERS = 50


def _s(value) -> str:
    return " ".join(str(value if value is not None else "").split())


def _add(errors, key, message):
    errors.setdefault(key, []).append(message)


def _refuse_formulas(values, keys, errors):
    """Free text of the tablet that a spreadsheet would run is refused, named by the form's field
    (the registry columns are checked by the proposal's own validation; slrt.core.sheets)."""
    for key in keys:
        message = formula_error(values.get(key), key)
        if message:
            _add(errors, key, message)


def _date(raw, errors, key, label):
    raw = _s(raw)
    if not raw:
        return None
    try:
        value = dt.date.fromisoformat(raw[:10])
    except ValueError:
        _add(errors, key, _("%(label)s tidak valid (format TTTT-BB-HH).") % {"label": label})
        return None
    if value > timezone.localdate():
        _add(errors, key, _("%(label)s tidak boleh di masa depan.") % {"label": label})
    return value


def _text_of(raw, vocabulary, labels=None) -> str:
    """The vocabulary text of a choice name (or of a text in any case); else the form's label;
    else the value as sent."""
    from .xforms import choice_name

    raw = _s(raw)
    if not raw:
        return ""
    name = choice_name(raw)
    found = {choice_name(v): v for v in vocabulary}.get(name)
    if found is None and labels:
        found = labels.get(name) or labels.get(raw)
    return found or raw


def _labels(list_name) -> dict:
    from .xforms import get_xform

    return _form_labels(get_xform("slrt_verifikasi_rt").version, list_name)


@functools.lru_cache(maxsize=64)
def _form_labels(version, list_name) -> dict:
    """Per form version: the XForm is parsed once per list, not once per member row."""
    from .xforms import choice_labels

    return choice_labels("slrt_verifikasi_rt", list_name)


def _ppks(slug) -> str:
    from slrt.registry.vocabulary import PPKS

    return _text_of(slug, PPKS)


def _relation(slug, sex="") -> str:
    text = _text_of(slug, RELATION_TEXT, _labels("hubungan_keluarga"))
    if text.lower() in ("istri/suami", "suami/istri"):
        # One choice for both on the form; the registry says which.
        return {"P": "Istri", "L": "Suami"}.get(sex, text)
    return text


def house_condition(values) -> dict:
    """The verification form's house condition as text (kept in the result for the reviewer)."""
    from slrt.programs import rules

    vocab = {"lantai": rules.LANTAI, "dinding": rules.DINDING, "atap": rules.ATAP,
             "status_bangunan": rules.STATUS_BANGUNAN}
    out = {}
    for name in HOUSE_FIELDS:
        text = _text_of(values.get(name), vocab.get(name, ()), _labels(name))
        if text:
            out[name] = text
    luas = _s(values.get("luas_lantai"))
    if luas:
        out["luas_lantai"] = luas
    return out


def clean_members(rows, errors) -> list[dict]:
    """The `anggota` repeat: each row checked (aksi, NIK, dates, L/P); errors named by row."""
    if rows in ("", None):
        rows = []
    if isinstance(rows, dict):
        rows = [rows]
    if not isinstance(rows, list):
        _add(errors, "anggota", _("Daftar anggota tidak terbaca."))
        return []
    if len(rows) > MAX_MEMBERS:
        # Each row becomes a proposal: a runaway repeat must not flood the review queue.
        _add(errors, "anggota", _("Paling banyak %(n)d perubahan anggota per formulir.") % {"n": MAX_MEMBERS})
        return []
    members = []
    seen = set()
    for i, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            _add(errors, "anggota", _("Anggota ke-%(n)d tidak terbaca.") % {"n": i})
            continue
        key = f"anggota[{i}]"
        aksi = _s(row.get("aksi"))
        member = {"aksi": aksi, "row": i}
        if aksi not in AKSI:
            _add(errors, f"{key}.aksi", _("Anggota ke-%(n)d: pilih tindakan (tambah, ubah, meninggal, pindah).")
                 % {"n": i})
        nik = _s(row.get("nik")).replace(" ", "")
        if not nik:
            _add(errors, f"{key}.nik", _("Anggota ke-%(n)d: NIK wajib diisi.") % {"n": i})
        else:
            birth = _date(row.get("tanggal_lahir"), errors, f"{key}.tanggal_lahir",
                          _("Anggota ke-%(n)d: tanggal lahir") % {"n": i})
            sex = _s(row.get("jenis_kelamin")).upper()
            if sex and sex not in ("L", "P"):
                _add(errors, f"{key}.jenis_kelamin", _("Anggota ke-%(n)d: jenis kelamin harus L atau P.") % {"n": i})
            check = check_nik(nik)
            if not check.valid:
                for message in check.messages():
                    _add(errors, f"{key}.nik", _("Anggota ke-%(n)d: %(msg)s") % {"n": i, "msg": message})
            elif nik in seen:
                _add(errors, f"{key}.nik", _("Anggota ke-%(n)d: NIK sama dengan anggota lain.") % {"n": i})
            seen.add(nik)
            member["tanggal_lahir"] = birth.isoformat() if birth else ""
            member["jenis_kelamin"] = sex
        member["nik"] = nik
        for column in MEMBER_COLUMNS:
            if column not in member:
                member[column] = _s(row.get(column))
        member["hubungan_keluarga"] = _relation(row.get("hubungan_keluarga"), member.get("jenis_kelamin", ""))
        member["pendidikan"] = _text_of(member["pendidikan"], EDUCATION_TEXT, _labels("pendidikan"))
        member["status_kawin"] = _text_of(member["status_kawin"], MARITAL_TEXT, _labels("status_kawin"))
        if aksi == "tambah" and len(member["nama"]) < 2:
            _add(errors, f"{key}.nama", _("Anggota ke-%(n)d: nama wajib diisi.") % {"n": i})
        members.append(member)
    return members


def _row(member) -> dict:
    return {c: member[c] for c in MEMBER_COLUMNS if member.get(c)}


def _key(kind, data, household) -> tuple:
    return (kind, str((data or {}).get("nik") or ""), household.pk if household is not None else None)


def prior_proposals(actor, visit, sub) -> dict:
    """Proposals an earlier, returned submission of the same visit left open: a resubmission
    updates these instead of drafting them twice."""
    from slrt.updates.models import Proposal, ProposalStatus

    from .models import Submission, SubmissionStatus

    if visit is None:
        return {}
    ids = []
    for result in (Submission.objects.for_user(actor).filter(visit=visit, status=SubmissionStatus.RETURNED)
                   .exclude(pk=sub.pk).values_list("result", flat=True)):
        ids += list((result or {}).get("proposals") or [])
    open_states = (ProposalStatus.DRAFT, ProposalStatus.VERIFIED)
    return {_key(p.kind, p.data, p.household): p
            for p in Proposal.objects.for_user(actor).filter(pk__in=ids, status__in=open_states)
            .select_related("household").order_by("pk")}


def _draft_verified(actor, visit, *, kind, data, base=None, household=None, person=None, reason="",
                    removal_reason="", note="", prior=None):
    from slrt.updates import services as proposals
    from slrt.updates.models import ProposalKind, ProposalOrigin, ProposalStatus

    earlier = (prior or {}).pop(_key(kind, data, household), None)
    if earlier is not None:
        if kind != ProposalKind.REMOVAL:
            earlier = proposals.update_data(actor, earlier, earlier.version, data=data, reason=reason) or earlier
        if earlier.status == ProposalStatus.DRAFT:
            earlier = proposals.verify(actor, earlier, note=note, visit=visit) or earlier
        return earlier
    proposal = proposals.draft_proposal(
        actor, kind=kind, data=data, base=base, case=visit.case if visit else None, household=household,
        person=person, origin=ProposalOrigin.VISIT, reason=reason, removal_reason=removal_reason,
    )
    return proposals.verify(actor, proposal, note=note, visit=visit) or proposal


def _cancel_leftovers(actor, prior, visit):
    """Earlier proposals of this visit that the corrected submission no longer asks for."""
    from slrt.updates import services as proposals

    for p in prior.values():
        proposals.transition(actor, p, "cancel", p.version,
                             reason=_("Tidak lagi diusulkan oleh kiriman ulang kunjungan #%(id)s.") % {"id": visit.pk})


def _existing_household(actor, visit, nomor_kk, errors):
    """(household, is_new): the registry household the submission is about, or None when new."""
    from slrt.registry.models import Household
    from slrt.updates.models import ProposalKind

    if visit is not None:
        if visit.household_id:
            return visit.household, False
        if visit.person_id:
            return visit.person.household, False
        if visit.proposal_id and visit.proposal.kind == ProposalKind.NEW_HOUSEHOLD:
            return None, True
    if nomor_kk:
        found = Household.objects.system().filter(nomor_kk=nomor_kk).first()
        if found is not None:
            if not Household.objects.for_user(actor).filter(pk=found.pk).exists():
                _add(errors, "nomor_kk", _("Nomor KK ini terdaftar di wilayah lain; hubungi supervisor."))
                return None, False
            return found, False
    return None, True


def verification(actor, sub, visit, *, choices):
    values = sub.values
    errors: dict = {}
    hasil = _s(values.get("hasil"))
    if hasil not in HASIL:
        _add(errors, "hasil", _("Pilih hasil kunjungan: ditemukan, tidak ditemukan, atau pindah."))
    nomor_kk = _s(values.get("nomor_kk")).replace(" ", "")
    if nomor_kk and not KK.match(nomor_kk):
        _add(errors, "nomor_kk", _("Nomor KK harus 16 digit angka."))
    for column in ("rt", "rw"):
        raw = _s(values.get(column))
        if raw and not RT_RW.match(raw):
            _add(errors, column, _("%(col)s harus 1–3 digit angka.") % {"col": column.upper()})
    luas = _s(values.get("luas_lantai"))
    if luas and not luas.isdigit():
        _add(errors, "luas_lantai", _("Luas lantai harus bilangan bulat (m²)."))
    if _s(values.get("minta_tinjau_desil")) == "ya" and not _s(values.get("alasan_desil")):
        _add(errors, "alasan_desil", _("Tuliskan alasan peninjauan desil."))
    members = clean_members(values.get("anggota"), errors)
    _refuse_formulas(values, ("catatan", "alasan_desil"), errors)
    if errors:
        raise ValidationError(errors)
    note = _s(values.get("catatan"))[:2000]
    if hasil == "tidak_ditemukan":
        return {"hasil": hasil, "proposals": [], "note": _("Rumah tangga tidak ditemukan di alamat.")}

    # The three-way rule on the household columns the tablet downloaded (a visit sent without
    # them is judged too: see find_conflicts).
    if visit is not None:
        server = visit_snapshot(visit)
        base = sub.base if isinstance(sub.base, dict) else {}
        if choices or not base.get("versi") or base.get("versi") != server["versi"]:
            found = find_conflicts(base, server, values, chosen=choices)
            if found:
                raise Conflicted(found)
            values = keep_server_changes(base, server, values)
    values = apply_choices(values, list(choices.values()))
    nomor_kk = _s(values.get("nomor_kk")).replace(" ", "")

    household, is_new = _existing_household(actor, visit, nomor_kk, errors)
    if errors:
        raise ValidationError(errors)
    if is_new:
        return _new_household(actor, sub, visit, values, members, hasil, note)
    return _changes(actor, sub, visit, household, values, members, hasil, note)


def _new_household(actor, sub, visit, values, members, hasil, note):
    from slrt.updates import services as proposals
    from slrt.updates.models import ProposalKind, ProposalStatus

    if hasil == "pindah":
        return {"hasil": hasil, "proposals": [], "note": _("Rumah tangga baru sudah pindah; tidak ada usulan.")}
    rows = [_row(m) for m in members if m["aksi"] in ("tambah", "ubah")]
    head_index = next((i for i, r in enumerate(rows) if r.get("hubungan_keluarga") == "Kepala Keluarga"), 0)
    existing = visit.proposal if (visit is not None and visit.proposal_id) else None
    data = dict(existing.data) if existing is not None else {}
    data.pop("anggota", None)
    if rows:
        data.update(rows[head_index])
    desa = sub.desa_code or (visit.desa_code if visit else "")
    data["kode_wilayah"] = desa
    nomor_kk = _s(values.get("nomor_kk")).replace(" ", "")
    if nomor_kk:
        data["nomor_kk"] = nomor_kk
    data.setdefault("nomor_kk", "")
    for column in HOUSEHOLD_COLUMNS:
        if _s(values.get(column)):
            data[column] = _s(values.get(column))
    ppks = _ppks(values.get("jenis_ppks"))
    if ppks:
        data["jenis_ppks"] = ppks
    others = [dict(r, nomor_kk=data["nomor_kk"], kode_wilayah=desa) for i, r in enumerate(rows) if i != head_index]
    if others:
        data["anggota"] = others
    if not data.get("nama"):
        raise ValidationError({"anggota": [_("Isi paling sedikit kepala keluarga (nama dan NIK) untuk rumah "
                                             "tangga baru.")]})
    reason = note or _("Rumah tangga baru hasil kunjungan lapangan.")
    if existing is not None and existing.status in (ProposalStatus.DRAFT, ProposalStatus.VERIFIED):
        if existing.status == ProposalStatus.DRAFT:
            proposal = proposals.verify(actor, existing, data=data, note=note, visit=visit) or existing
        else:
            proposal = proposals.update_data(actor, existing, existing.version, data=data, reason=reason) or existing
    elif existing is not None:
        raise ValidationError({"kunjungan": [
            _("Usulan #%(id)s untuk rumah tangga ini sudah %(status)s; datanya tidak dapat diubah dari lapangan.")
            % {"id": existing.pk, "status": existing.get_status_display().lower()}]})
    else:
        proposal = _draft_verified(actor, visit, kind=ProposalKind.NEW_HOUSEHOLD, data=data, reason=reason,
                                   note=note)
    return {"hasil": hasil, "proposals": [proposal.pk], "new_household": True, "rumah": house_condition(values)}


def _changes(actor, sub, visit, household, values, members, hasil, note):
    from slrt.registry.models import Person
    from slrt.updates.models import ProposalKind, RemovalReason

    prior = prior_proposals(actor, visit, sub)
    created = []
    notes = []
    people = {p.nik: p for p in Person.objects.for_user(actor).filter(household=household, is_active=True)}
    if hasil == "pindah":
        for person in people.values():
            created.append(_draft_verified(
                actor, visit, kind=ProposalKind.REMOVAL, data={"nik": person.nik}, person=person,
                household=household, removal_reason=RemovalReason.MOVED,
                reason=note or _("Seluruh rumah tangga pindah (kunjungan lapangan)."), note=note, prior=prior,
            ).pk)
        _cancel_leftovers(actor, prior, visit)
        return {"hasil": hasil, "proposals": created, "household": household.pk}

    changed = {}
    for column in HOUSEHOLD_COLUMNS:
        value = _s(values.get(column))
        if value and value != _s(getattr(household, column)):
            changed[column] = value
    nomor_kk = _s(values.get("nomor_kk")).replace(" ", "")
    if nomor_kk and nomor_kk != household.nomor_kk:
        notes.append(_("Nomor KK di lapangan berbeda dengan registri; periksa dokumen KK."))
    if changed:
        created.append(_draft_verified(
            actor, visit, kind=ProposalKind.CHANGE, data={"nomor_kk": household.nomor_kk, **changed},
            base={c: _s(getattr(household, c)) for c in changed}, household=household,
            reason=note or _("Perubahan data rumah tangga (kunjungan lapangan)."), note=note, prior=prior,
        ).pk)

    errors: dict = {}
    for m in members:
        key = f"anggota[{m['row']}]"
        person = people.get(m["nik"])
        if m["aksi"] == "tambah":
            if person is not None:
                _add(errors, f"{key}.nik", _("Anggota ke-%(n)d sudah terdaftar di rumah tangga ini; pilih 'ubah'.")
                     % {"n": m["row"]})
                continue
            created.append(_draft_verified(
                actor, visit, kind=ProposalKind.ADD_MEMBER,
                data={"nomor_kk": household.nomor_kk, "kode_wilayah": household.desa_code, **_row(m)},
                household=household, reason=note or _("Anggota baru (kunjungan lapangan)."), note=note,
                prior=prior,
            ).pk)
            continue
        if person is None:
            _add(errors, f"{key}.nik", _("Anggota ke-%(n)d: NIK tidak terdaftar di rumah tangga ini.")
                 % {"n": m["row"]})
            continue
        if m["aksi"] == "ubah":
            diff = {}
            if m.get("hubungan_keluarga") and not m.get("jenis_kelamin"):
                m["hubungan_keluarga"] = _relation(m["hubungan_keluarga"], person.jenis_kelamin)
            for column in MEMBER_COLUMNS[1:]:
                value = m.get(column) or ""
                current = getattr(person, column)
                current = current.isoformat() if isinstance(current, dt.date) else _s(current)
                # Registry texts come in any case from imports: "KAWIN" is no change to "Kawin".
                if value and value.casefold() != current.casefold():
                    diff[column] = value
            if diff:
                created.append(_draft_verified(
                    actor, visit, kind=ProposalKind.CHANGE, data={"nik": person.nik, **diff}, person=person,
                    household=household, base={c: _base_value(person, c) for c in diff},
                    reason=note or _("Perubahan data anggota (kunjungan lapangan)."), note=note, prior=prior,
                ).pk)
        else:
            reason = RemovalReason.DIED if m["aksi"] == "meninggal" else RemovalReason.MOVED
            created.append(_draft_verified(
                actor, visit, kind=ProposalKind.REMOVAL, data={"nik": person.nik}, person=person,
                household=household, removal_reason=reason,
                reason=note or str(RemovalReason(reason).label), note=note, prior=prior,
            ).pk)
    if errors:
        raise ValidationError(errors)
    if _s(values.get("minta_tinjau_desil")) == "ya":
        created.append(_draft_verified(
            actor, visit, kind=ProposalKind.DESIL_REVIEW, data={"nomor_kk": household.nomor_kk},
            base={"desil": household.desil}, household=household, reason=_s(values.get("alasan_desil")),
            note=note, prior=prior,
        ).pk)
    _cancel_leftovers(actor, prior, visit)
    result = {"hasil": hasil, "proposals": created, "household": household.pk, "rumah": house_condition(values)}
    if notes:
        result["notes"] = [str(n) for n in notes]
    return result


def _base_value(person, column):
    value = getattr(person, column)
    return value.isoformat() if isinstance(value, dt.date) else _s(value)


# --- slrt_pengaduan ------------------------------------------------------------------------------

# create_case's error keys → the form's field names, so Collect's message names what to fix.
INTAKE_FIELDS = {
    "complaint_type": "jenis_keluhan",
    "urgency": "urgensi",
    "needs": "sektor",
    "consent_purpose": "tujuan_persetujuan",
    "consent_given": "persetujuan",
    "consent_share_agencies": "boleh_dibagikan",
    "phone": "telepon",
    "desa_code": "kode_wilayah",
    "name": "nama",
    "address": "alamat",
}


def complaint(actor, sub, visit, *, choices):
    from slrt.cases import services as cases
    from slrt.cases import tickets
    from slrt.cases.consent import answer, consent_errors
    from slrt.cases.models import Channel
    from slrt.registry.models import Person

    values = sub.values
    errors: dict = {}
    # Both consent questions are required with no default: a submission that lacks one is invalid
    # (the same rule as the web form and the API), named by the form's own field.
    record_ok, share_ok = answer(values.get("persetujuan")), answer(values.get("boleh_dibagikan"))
    for key, messages in consent_errors(record_ok, share_ok).items():
        for message in messages:
            _add(errors, INTAKE_FIELDS[key], message)
    consent = record_ok is True
    desa = sub.desa_code
    if not desa:
        _add(errors, "kode_wilayah", _("Pilih desa/kelurahan tempat tinggal warga."))
    sectors = [s for s in _s(values.get("sektor")).split(" ") if s]
    uraian = str(values.get("uraian") or "").strip()
    if not uraian:
        _add(errors, "uraian", _("Uraikan keluhan atau permohonan warga."))
    if not sectors:
        _add(errors, "sektor", _("Pilih paling sedikit satu sektor."))
    nik = _s(values.get("nik")).replace(" ", "") if consent else ""
    if nik and not KK.match(nik):
        _add(errors, "nik", _("NIK harus 16 digit angka."))
    if errors:
        raise ValidationError(errors)
    intake = cases.Intake(
        complaint_type=_s(values.get("jenis_keluhan")),
        channel=Channel.HOME_VISIT,
        needs=[{"sector": s, "description": uraian} for s in sectors],
        consent_given=record_ok,
        consent_purpose=_s(values.get("tujuan_persetujuan")) if consent else "",
        consent_share_agencies=share_ok,
        urgency=_s(values.get("urgensi")) or "biasa",
        summary=uraian,
        phone=_s(values.get("telepon")) if consent else "",
    )
    person = new_person = None
    token = None
    if consent:
        people = Person.objects.for_user(actor).filter(is_active=True).select_related("household")
        if nik:
            person = people.filter(nik=nik).first()
        else:
            # No NIK at the door: an unambiguous name match in the desa is the registry person.
            matches = list(people.filter(name_key=name_key(_s(values.get("nama"))), desa_code=desa)[:2])
            person = matches[0] if len(matches) == 1 else None
            # The server itself searched the registry by name in the desa (search before create).
            token = tickets.issue_search_token(actor, "lapangan")
        if person is None:
            new_person = cases.NewPerson(name=_s(values.get("nama")), desa_code=desa, nik=nik,
                                         address=_s(values.get("alamat")))
    else:
        new_person = cases.NewPerson(name="", desa_code=desa)
    try:
        result = cases.create_case(actor, intake, person=person, new_person=new_person, search_token=token)
    except ValidationError as exc:
        mapped = {}
        for key, messages in exc.message_dict.items():
            mapped.setdefault(INTAKE_FIELDS.get(key, key), []).extend(messages)
        raise ValidationError(mapped)
    return {"case": result.case.pk, "ticket": result.case.ticket, "in_registry": result.case.in_registry}


# --- slrt_tindak_lanjut --------------------------------------------------------------------------


def follow_up(actor, sub, visit, *, choices):
    from slrt.cases import services as cases
    from slrt.cases.events import log_event
    from slrt.cases.models import Case, CaseStatus

    values = sub.values
    errors: dict = {}
    layanan = _s(values.get("layanan_diterima"))
    if layanan not in ("sudah", "belum", "ditolak"):
        _add(errors, "layanan_diterima", _("Pilih apakah layanan sudah diterima, belum, atau ditolak."))
    served_on = _date(values.get("tanggal_layanan"), errors, "tanggal_layanan", _("Tanggal layanan"))
    if not str(values.get("kondisi") or "").strip():
        _add(errors, "kondisi", _("Tuliskan kondisi warga saat ini."))
    perlu = _s(values.get("perlu_tindak_lanjut"))
    if perlu not in ("ya", "tidak"):
        _add(errors, "perlu_tindak_lanjut", _("Pilih apakah perlu tindak lanjut."))
    _refuse_formulas(values, ("kondisi", "catatan"), errors)
    referral = visit.referral if visit is not None else None
    case_id = visit.case_id if visit is not None else None
    if case_id is None and referral is not None:
        case_id = referral.case_id
    case = Case.objects.for_user(actor).filter(pk=case_id).first() if case_id else None
    if case is None:
        _add(errors, "kunjungan", _("Kunjungan ini tidak terkait dengan kasus yang dapat Anda akses."))
    if errors:
        raise ValidationError(errors)
    result = {"case": case.pk, "layanan_diterima": layanan}
    if referral is not None:
        result["referral"] = referral.pk
        base_status = _s((sub.base or {}).get("status_rujukan"))
        result["status_rujukan"] = {"base": base_status, "now": referral.status,
                                    "changed": bool(base_status) and base_status != referral.status}
    log_event(case, actor, "visit.follow_up", visit=visit.pk, number=referral.number if referral else "",
              layanan=layanan, date=served_on.isoformat() if served_on else "")
    if (perlu == "ya" or layanan in ("belum", "ditolak")) and case.status != CaseStatus.CLOSED:
        task = cases.add_task(
            actor, case,
            title=_("Tindak lanjut kunjungan #%(visit)s: layanan %(layanan)s") % {"visit": visit.pk,
                                                                                 "layanan": layanan},
            due_date=timezone.localdate() + dt.timedelta(days=FOLLOW_UP_TASK_DAYS),
        )
        result["task"] = task.pk
    return result


HANDLERS = {
    "slrt_verifikasi_rt": verification,
    "slrt_pengaduan": complaint,
    "slrt_tindak_lanjut": follow_up,
}

__all__ = ["HANDLERS", "VERIFICATION_BASE"]
