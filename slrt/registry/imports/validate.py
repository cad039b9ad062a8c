"""Check and normalise one row of an exchange file into a staging-table row.

This runs once per row of files with millions of rows, so it is written for speed: the
column positions are resolved once per file, repeated values (region codes, dates, periods)
are cached, and a row becomes a plain tuple in the staging table's column order
(`STAGE_COLUMNS`). Nothing about a row is kept after it is handed on, except its error
messages until they are flushed to the database.
"""

import datetime as dt
import json
import re
from collections import Counter
from hashlib import md5

from django.utils.translation import gettext_lazy as _

from slrt.accounts.scoping import region_columns
from slrt.core.sheets import formula_message, starts_like_formula
from slrt.registry.nik import MESSAGES as NIK_MESSAGES
from slrt.registry.nik import check_nik
from slrt.registry.search import name_key

from .columns import HOUSEHOLD_FIELDS, HOUSEHOLD_TEXT, PERSON_FIELDS, PERSON_TEXT, FileSpec
from .limits import limits, thousands
from .reader import RowProblem

# The staging table, in order. `p0`, `p1`, ... (one per programme column) follow.
STAGE_COLUMNS = (
    ("line", "integer"),
    ("nik", "text"),
    ("nomor_kk", "text"),
    ("prov_code", "text"),
    ("kab_code", "text"),
    ("kec_code", "text"),
    ("desa_code", "text"),
    ("nama", "text"),
    ("name_key", "text"),
    ("id_dtks", "text"),
    ("tempat_lahir", "text"),
    ("tanggal_lahir", "date"),
    ("jenis_kelamin", "text"),
    ("hubungan_keluarga", "text"),
    ("nama_ibu_kandung", "text"),
    ("pekerjaan", "text"),
    ("pendidikan", "text"),
    ("status_kawin", "text"),
    ("disabilitas", "text"),
    ("jenis_ppks", "text"),
    ("extra", "json"),
    ("nik_warnings", "json"),
    ("alamat", "text"),
    ("dusun", "text"),
    ("rt", "text"),
    ("rw", "text"),
    ("desil", "smallint"),
    ("row_hash", "text"),
    ("hh_hash", "text"),
)
assert tuple(c for c, _t in STAGE_COLUMNS[9:20]) == PERSON_FIELDS
assert tuple(c for c, _t in STAGE_COLUMNS[22:27]) == HOUSEHOLD_FIELDS

MSG = {
    "encoding": _("Baris ini berisi karakter yang bukan UTF-8 yang sah (pengodean rusak); simpan berkas sebagai "
                  "CSV UTF-8."),
    "nul": _("Baris ini berisi karakter NUL (bita 0), yang tidak boleh ada dalam teks; baris ini dilewati."),
    "field_too_long": _("Isian terlalu panjang: lebih dari %(max)s karakter dalam satu sel (batas sel Excel); "
                        "baris ini dilewati."),
    "row_too_long": _("Baris terlalu panjang: lebih dari %(max)s karakter; baris ini dilewati."),
    "malformed": _("Baris ini tidak dapat dibaca sebagai CSV (tanda kutip atau pemisah rusak)."),
    "required": _("Wajib diisi."),
    "name_letters": _("Nama harus memuat huruf."),
    "kk": _("Nomor KK harus terdiri dari 16 digit angka."),
    "region_format": _("Kode wilayah harus kode desa/kelurahan Kemendagri 10 digit (mis. 3201012001 atau "
                       "32.01.01.2001)."),
    "region_unknown": _("Kode desa/kelurahan tidak ada di data wilayah Kemendagri."),
    # One message for every scope refusal: the row's own village outside the importer's region,
    # or a NIK/KK that the registry holds outside it (pipeline.sql_messages), so that an import
    # never tells which NIKs exist in other districts.
    "region_scope": _("Di luar wilayah kewenangan akun yang menjalankan impor: baris ini hanya dapat diimpor oleh "
                      "akun yang berwenang atas wilayah datanya."),
    "date": _("Tanggal tidak sah; gunakan format YYYY-MM-DD atau DD-MM-YYYY."),
    "date_future": _("Tanggal lahir ada di masa depan."),
    "date_old": _("Tanggal lahir sebelum tahun 1900."),
    "sex": _("Jenis kelamin harus L atau P."),
    "desil": _("Desil harus bilangan bulat 1 sampai 10."),
    "rt": _("RT/RW harus angka, paling banyak 3 digit."),
    "period": _("Periode harus berformat YYYY-MM (mis. 2026-07)."),
    "program": _("Nilai program harus 1/0, Y/N, ya/tidak, atau true/false."),
    "too_long": _("Terlalu panjang (paling banyak %(max)d karakter)."),
}

_SEX = {"l": "L", "p": "P", "laki-laki": "L", "laki laki": "L", "lakilaki": "L", "pria": "L",
        "perempuan": "P", "wanita": "P"}
_FLAG = {"": None, "1": True, "0": False, "y": True, "n": False, "ya": True, "tidak": False, "t": False,
         "true": True, "false": False, "yes": True, "no": False}
_MISSING = object()
_SEPARATORS = re.compile(r"[\s.\-]")
_DOTTED_DESA = re.compile(r"\d{2}\.\d{2}\.\d{2}\.\d{4}")
_ISO_DATE = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})")
_DMY_DATE = re.compile(r"(\d{1,2})[-/](\d{1,2})[-/](\d{4})")
_PERIOD = re.compile(r"(\d{4})-(\d{2})(?:-\d{2})?")
_CACHE_MAX = 100_000
# A quick screen for text that a spreadsheet would run (slrt.core.sheets.starts_like_formula
# decides): the exchange file keeps values exact, so such text is refused where it enters.
_MAYBE_FORMULA = re.compile("(?:^|\x1f) *[=+\\-@\t\r\uff1d\uff0b\uff0d\uff20]")
_SHORTEST_LIMIT = min(min(PERSON_TEXT.values()), min(HOUSEHOLD_TEXT.values()))


def _digits16(raw: str) -> str | None:
    s = raw.strip().lstrip("'")
    if len(s) != 16 or not (s.isascii() and s.isdigit()):
        s = _SEPARATORS.sub("", s)
        if len(s) != 16 or not (s.isascii() and s.isdigit()):
            return None
    return s


def region_code(raw: str) -> str:
    """'3201011001' or '32.01.01.1001' -> '32.01.01.1001' (the caller knows it is a valid code)."""
    s = raw.strip()
    if _DOTTED_DESA.fullmatch(s):
        return s
    d = _SEPARATORS.sub("", s)
    return f"{d[0:2]}.{d[2:4]}.{d[4:6]}.{d[6:10]}"


def _hash(text: str) -> str:
    return md5(text.encode("utf-8", "surrogatepass"), usedforsecurity=False).hexdigest()


class RowValidator:
    """Turns (line, cells) into a staging tuple, or None after recording why the row is rejected.

    `errors` collects (line, column, value, reason, is_warning) until the caller flushes it.
    """

    def __init__(self, spec: FileSpec, *, desa_codes, scope: str = "", today: dt.date | None = None):
        self.spec = spec
        self.desa_codes = desa_codes
        self.scope = scope
        self.today = today or dt.date.today()
        self.msg = {k: str(v) for k, v in MSG.items()}
        lim = limits()
        self.msg["field_too_long"] %= {"max": thousands(lim.cell_chars)}
        self.msg["row_too_long"] %= {"max": thousands(lim.row_chars)}
        self.nik_msg = {k: str(v) for k, v in NIK_MESSAGES.items()}
        self.errors: list[tuple] = []
        self.rejected = 0
        self.warnings = 0
        self.periods: Counter = Counter()
        ix = spec.index
        self.i_nik, self.i_kk, self.i_nama, self.i_wil = ix["nik"], ix["nomor_kk"], ix["nama"], ix["kode_wilayah"]
        self.i_tgl = ix.get("tanggal_lahir")
        self.i_jk = ix.get("jenis_kelamin")
        self.i_desil = ix.get("desil")
        self.i_rt = ix.get("rt")
        self.i_rw = ix.get("rw")
        self.i_periode = ix.get("periode")
        # (field, position or None, max length) for the plain text fields, in staging order.
        self.person_text = [(f, ix.get(f), PERSON_TEXT[f]) for f in PERSON_FIELDS if f in PERSON_TEXT]
        self.household_text = [(f, ix.get(f), HOUSEHOLD_TEXT[f]) for f in ("alamat", "dusun")]
        self.rt_rw = (("rt", self.i_rt), ("rw", self.i_rw))
        self.programs = spec.programs
        self.extras = spec.extras
        person_cols = sorted(c for c in spec.index if c not in ("alamat", "dusun", "rt", "rw", "desil", "periode"))
        self.person_sig = "v1|" + ",".join(person_cols + [c for c, _i in spec.programs]) + (
            "|extra" if spec.extras else "")
        self.household_sig = "v1|" + ",".join(c for c in HOUSEHOLD_FIELDS if c in spec.index)
        self._region_cache: dict[str, tuple] = {}
        self._date_cache: dict[str, object] = {}
        self._period_cache: dict[str, str | None] = {}

    # -- cached parsers -----------------------------------------------------------------------

    def _region(self, raw: str):
        """(prov, kab, kec, desa) or an error message."""
        hit = self._region_cache.get(raw)
        if hit is not None:
            return hit
        s = raw.strip()
        if _DOTTED_DESA.fullmatch(s):
            code = s
        else:
            d = _SEPARATORS.sub("", s)
            if len(d) != 10 or not (d.isascii() and d.isdigit()):
                code = None
            else:
                code = f"{d[0:2]}.{d[2:4]}.{d[4:6]}.{d[6:10]}"
        if code is None:
            result = self.msg["region_format"]
        elif code not in self.desa_codes:
            result = self.msg["region_unknown"]
        elif self.scope and not (code == self.scope or code.startswith(self.scope + ".")):
            result = self.msg["region_scope"]
        else:
            result = region_columns(code)
        if len(self._region_cache) >= _CACHE_MAX:
            self._region_cache.clear()
        self._region_cache[raw] = result
        return result

    def _date(self, raw: str):
        """A date, or an error message."""
        hit = self._date_cache.get(raw)
        if hit is not None:
            return hit
        s = raw.strip()
        m = _ISO_DATE.fullmatch(s)
        if m:
            y, mo, d = int(m[1]), int(m[2]), int(m[3])
        else:
            m = _DMY_DATE.fullmatch(s)
            if m:
                d, mo, y = int(m[1]), int(m[2]), int(m[3])
        result = self.msg["date"]
        if m:
            try:
                value = dt.date(y, mo, d)
            except ValueError:
                pass
            else:
                if value > self.today:
                    result = self.msg["date_future"]
                elif value.year < 1900:
                    result = self.msg["date_old"]
                else:
                    result = value
        if len(self._date_cache) >= _CACHE_MAX:
            self._date_cache.clear()
        self._date_cache[raw] = result
        return result

    def _period(self, raw: str) -> str | None:
        if raw in self._period_cache:
            return self._period_cache[raw]
        m = _PERIOD.fullmatch(raw.strip())
        result = f"{m[1]}-{m[2]}" if m and 1 <= int(m[2]) <= 12 else None
        if len(self._period_cache) < _CACHE_MAX:
            self._period_cache[raw] = result
        return result

    # -- the row ------------------------------------------------------------------------------

    def reject_unreadable(self, line: int, problem: RowProblem) -> None:
        header = self.spec.header
        column = header[problem.column] if problem.column is not None and problem.column < len(header) else ""
        self.errors.append((line, column, "", self.msg[problem.code], False))
        self.rejected += 1

    def __call__(self, line: int, cells: "list[str] | RowProblem"):
        if type(cells) is not list:
            self.reject_unreadable(line, cells)
            return None
        if len(cells) < self.spec.width:
            cells = cells + [""] * (self.spec.width - len(cells))
        errs = []
        msg = self.msg

        nik_raw = cells[self.i_nik].strip()
        nama = " ".join(cells[self.i_nama].split())
        if not nama:
            errs.append(("nama", "", msg["required"]))
        elif not nama[0].isalpha() and not any(ch.isalpha() for ch in nama):
            errs.append(("nama", nama[:60], msg["name_letters"]))  # "-", "." or "?" for an unknown name
        elif len(nama) > 150:
            errs.append(("nama", nama[:60], msg["too_long"] % {"max": 150}))
        kk_raw = cells[self.i_kk]
        kk = _digits16(kk_raw)
        if kk is None:
            errs.append(("nomor_kk", kk_raw.strip(), msg["required"] if not kk_raw.strip() else msg["kk"]))
        wil_raw = cells[self.i_wil]
        region = self._region_cache.get(wil_raw) or (self._region(wil_raw) if wil_raw.strip() else msg["required"])
        if type(region) is str:
            # A scope refusal names the village as the SQL scope check does (dotted code), so the
            # two cannot be told apart in the report.
            shown = region_code(wil_raw) if region == msg["region_scope"] else wil_raw.strip()
            errs.append(("kode_wilayah", shown, region))
            region = ("", "", "", "")

        tgl = None
        if self.i_tgl is not None:
            raw = cells[self.i_tgl]
            if raw.strip():
                tgl = self._date_cache.get(raw) or self._date(raw)
                if type(tgl) is str:
                    errs.append(("tanggal_lahir", raw.strip(), tgl))
                    tgl = None
        jk = ""
        if self.i_jk is not None:
            raw = cells[self.i_jk].strip()
            if raw:
                jk = _SEX.get(raw.lower(), "")
                if not jk:
                    errs.append(("jenis_kelamin", raw, msg["sex"]))

        warnings = ()
        nik = None
        if not nik_raw:
            errs.append(("nik", "", msg["required"]))
        else:
            check = check_nik(nik_raw.lstrip("'"), jenis_kelamin=jk or None, tanggal_lahir=tgl, today=self.today)
            if check.errors:
                errs.extend(("nik", nik_raw, self.nik_msg[c]) for c in check.errors)
            else:
                nik = check.nik
                warnings = check.warnings

        # Text fields: strip all, check lengths only when something is longer than the
        # shortest limit (rarely).
        values = [cells[i].strip() if i is not None else "" for _f, i, _m in self.person_text]
        hh_values = [cells[i].strip() if i is not None else "" for _f, i, _m in self.household_text]
        if max(map(len, values)) > _SHORTEST_LIMIT or max(map(len, hh_values)) > _SHORTEST_LIMIT:
            for (field, _i, maxlen), v in zip(self.person_text + self.household_text, values + hh_values,
                                                strict=True):
                if len(v) > maxlen:
                    errs.append((field, v[:60], msg["too_long"] % {"max": maxlen}))
        if _MAYBE_FORMULA.search("\x1f".join([nama, *values, *hh_values])):
            for field, v in zip(("nama", *(f for f, _i, _m in self.person_text + self.household_text)),
                                (nama, *values, *hh_values), strict=True):
                if starts_like_formula(v):
                    errs.append((field, v[:60], formula_message(field)))
        for field, i in self.rt_rw:
            v = cells[i].strip() if i is not None else ""
            if v:
                if len(v) > 3 or not (v.isascii() and v.isdigit()):
                    errs.append((field, v, msg["rt"]))
                else:
                    v = v.zfill(3)
            hh_values.append(v)
        desil = None
        if self.i_desil is not None:
            raw = cells[self.i_desil].strip()
            if raw:
                if raw.isascii() and raw.isdigit() and 1 <= int(raw) <= 10:
                    desil = int(raw)
                else:
                    errs.append(("desil", raw, msg["desil"]))
        if self.i_periode is not None:
            raw = cells[self.i_periode]
            period = self._period_cache.get(raw, _MISSING)
            if period is _MISSING:
                period = self._period(raw) if raw.strip() else ""
            if period:
                self.periods[period] += 1
            elif period is None:
                errs.append(("periode", raw.strip(), msg["period"]))

        flags = [_FLAG.get(cells[i].strip().lower(), _MISSING) for _code, i in self.programs]
        if _MISSING in flags:
            for (code, i), flag in zip(self.programs, flags, strict=True):
                if flag is _MISSING:
                    errs.append((f"program_{code.lower()}", cells[i].strip(), msg["program"]))

        if errs:
            self.rejected += 1
            self.errors.extend((line, col, val[:255], reason, False) for col, val, reason in errs)
            return None

        extra = "{}"
        if self.extras:
            found = {name: cells[i].strip() for name, i in self.extras if cells[i].strip()}
            if found:
                extra = json.dumps(found, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        nik_warnings = "[]"
        if warnings:
            nik_warnings = json.dumps(list(warnings))
            self.warnings += len(warnings)
            self.errors.extend((line, "nik", nik, self.nik_msg[c], True) for c in warnings)

        tgl_text = tgl.isoformat() if tgl else ""
        values[2:2] = (tgl_text, jk)  # PERSON_FIELDS order: id_dtks, tempat_lahir, tanggal_lahir, jenis_kelamin, ...
        flag_text = "".join(["-" if f is None else ("1" if f else "0") for f in flags])
        row_hash = _hash("\x1f".join([self.person_sig, nik, kk, region[3], nama, *values, extra, flag_text]))
        hh_hash = _hash("\x1f".join([self.household_sig, region[3], *hh_values, str(desil or "")]))
        values[2] = tgl_text or None
        return (
            line, nik, kk, *region, nama, name_key(nama), *values, extra, nik_warnings, *hh_values, desil,
            row_hash, hh_hash, *flags,
        )
