"""API shapes of the registry, and the functions that fill them.

Identity numbers (NIK, No. KK) and the mother's maiden name (a common verification secret)
leave the server in full only for roles with `see_full_nik`; everyone else gets them masked
or empty (UU PDP: minimum data).
"""

import datetime as dt

from ninja import Field, Schema

from slrt.accounts.roles import can
from slrt.registry.nik import mask_nik

# Values in history records that identify a person and are masked like the NIK.
_SECRET_FIELDS = {"nik", "nomor_kk"}
_HIDDEN_FIELDS = {"nama_ibu_kandung"}


class PersonHit(Schema):
    id: int
    nik: str = Field(description="NIK; disamarkan bila peran tidak berhak melihat NIK lengkap")
    nik_masked: bool
    nama: str
    jenis_kelamin: str
    tanggal_lahir: dt.date | None
    tempat_lahir: str
    hubungan_keluarga: str
    household_id: int
    nomor_kk: str
    desa_code: str
    is_active: bool
    score: float = Field(description="Kedekatan dengan pencarian, 0-1 (1 = sama persis)")


class PeoplePage(Schema):
    items: list[PersonHit]
    count: int = Field(description="Jumlah hasil di halaman ini")
    limit: int
    offset: int


class ParticipationOut(Schema):
    """One programme a person takes part in (from the registry release), not the programme catalogue."""

    person_id: int
    program_code: str
    since_period: str
    until_period: str
    active: bool
    source_release: str | None


class PersonDetail(Schema):
    id: int
    nik: str
    nik_masked: bool
    nik_warnings: list[str]
    id_dtks: str
    nama: str
    jenis_kelamin: str
    tempat_lahir: str
    tanggal_lahir: dt.date | None
    hubungan_keluarga: str
    nama_ibu_kandung: str | None = Field(description="Hanya untuk peran yang berhak melihat NIK lengkap")
    pekerjaan: str
    pendidikan: str
    status_kawin: str
    disabilitas: str
    penyakit_kronis: str
    hamil: bool | None
    jenis_ppks: str
    household_id: int
    nomor_kk: str
    prov_code: str
    kab_code: str
    kec_code: str
    desa_code: str
    is_active: bool
    merged_into_id: int | None
    last_release: str | None
    programs: list[ParticipationOut]


class MemberOut(Schema):
    id: int
    nik: str
    nama: str
    jenis_kelamin: str
    tanggal_lahir: dt.date | None
    hubungan_keluarga: str
    disabilitas: str
    penyakit_kronis: str
    hamil: bool | None


class AppearanceOut(Schema):
    source: str
    period: str


class ChangeOut(Schema):
    at: dt.datetime
    kind: str
    person_id: int | None
    release: str | None
    changes: dict


class HouseholdDetail(Schema):
    id: int
    nomor_kk: str
    nik_masked: bool
    alamat: str
    dusun: str
    rt: str
    rw: str
    prov_code: str
    kab_code: str
    kec_code: str
    desa_code: str
    desil: int | None
    lantai: str
    dinding: str
    atap: str
    sumber_air: str
    penerangan: str
    jamban: str
    bahan_bakar: str
    status_bangunan: str
    luas_lantai: int | None
    aset: dict
    members: list[MemberOut]
    programs: list[ParticipationOut]
    appearances: list[AppearanceOut]
    history: list[ChangeOut]


def _release(release) -> str | None:
    return str(release) if release is not None else None


def _number(value: str, full: bool) -> str:
    return value if full else mask_nik(value)


def person_hit(person, *, full: bool) -> dict:
    return {
        "id": person.pk, "nik": _number(person.nik, full), "nik_masked": not full, "nama": person.nama,
        "jenis_kelamin": person.jenis_kelamin, "tanggal_lahir": person.tanggal_lahir,
        "tempat_lahir": person.tempat_lahir, "hubungan_keluarga": person.hubungan_keluarga,
        "household_id": person.household_id, "nomor_kk": _number(person.household.nomor_kk, full),
        "desa_code": person.desa_code, "is_active": person.is_active, "score": getattr(person, "score", 1.0),
    }


def program_out(participation) -> dict:
    return {
        "person_id": participation.person_id, "program_code": participation.program_code,
        "since_period": participation.since_period, "until_period": participation.until_period,
        "active": participation.active, "source_release": _release(participation.source_release),
    }


def person_detail(person, user) -> dict:
    full = can(user, "see_full_nik")
    programs = person.programs.select_related("source_release").order_by("-active", "program_code")
    return {
        "id": person.pk, "nik": _number(person.nik, full), "nik_masked": not full,
        "nik_warnings": person.nik_warnings, "id_dtks": person.id_dtks, "nama": person.nama,
        "jenis_kelamin": person.jenis_kelamin, "tempat_lahir": person.tempat_lahir,
        "tanggal_lahir": person.tanggal_lahir, "hubungan_keluarga": person.hubungan_keluarga,
        "nama_ibu_kandung": person.nama_ibu_kandung if full else None,
        "pekerjaan": person.pekerjaan, "pendidikan": person.pendidikan, "status_kawin": person.status_kawin,
        "disabilitas": person.disabilitas, "penyakit_kronis": person.penyakit_kronis, "hamil": person.hamil,
        "jenis_ppks": person.jenis_ppks, "household_id": person.household_id,
        "nomor_kk": _number(person.household.nomor_kk, full),
        "prov_code": person.prov_code, "kab_code": person.kab_code, "kec_code": person.kec_code,
        "desa_code": person.desa_code, "is_active": person.is_active, "merged_into_id": person.merged_into_id,
        "last_release": _release(person.last_release), "programs": [program_out(p) for p in programs],
    }


def _masked_changes(changes: dict, full: bool) -> dict:
    if full:
        return changes
    out = {}
    for name, values in changes.items():
        if name in _HIDDEN_FIELDS:
            out[name] = [None for _ in values] if isinstance(values, list) else None
        elif name in _SECRET_FIELDS and isinstance(values, list):
            out[name] = [mask_nik(v) if isinstance(v, str) else v for v in values]
        else:
            out[name] = values
    return out


def household_detail(profile: dict, user) -> dict:
    full = can(user, "see_full_nik")
    household = profile["household"]
    housing = {
        name: getattr(household, name)
        for name in (
            "alamat", "dusun", "rt", "rw", "prov_code", "kab_code", "kec_code", "desa_code", "lantai",
            "dinding", "atap", "sumber_air", "penerangan", "jamban", "bahan_bakar", "status_bangunan",
            "luas_lantai", "aset",
        )
    }
    return {
        "id": household.pk, "nomor_kk": _number(household.nomor_kk, full), "nik_masked": not full,
        "desil": profile["desil"], **housing,
        "members": [
            {
                "id": p.pk, "nik": _number(p.nik, full), "nama": p.nama, "jenis_kelamin": p.jenis_kelamin,
                "tanggal_lahir": p.tanggal_lahir, "hubungan_keluarga": p.hubungan_keluarga,
                "disabilitas": p.disabilitas, "penyakit_kronis": p.penyakit_kronis, "hamil": p.hamil,
            }
            for p in profile["members"]
        ],
        "programs": [program_out(p) for p in profile["programs"]],
        "appearances": [
            {"source": a.release.source, "period": a.release.period} for a in profile["appearances"]
        ],
        "history": [
            {
                "at": c.at, "kind": c.kind, "person_id": c.person_id, "release": _release(c.release),
                "changes": _masked_changes(c.changes, full),
            }
            for c in profile["history"]
        ],
    }
