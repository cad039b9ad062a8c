"""Stream the rows of an exchange file (CSV or XLSX) without holding the file in memory.

What kind of file it is comes from its first bytes, not its name: a PDF or a binary renamed
`.csv` gets a clear message instead of a thousand rejected rows.

A CSV row whose bytes are not valid UTF-8 (or that holds a NUL character) is handed on as
`None` so the row (not the file) is rejected: the text is decoded with `surrogateescape`,
which turns every invalid byte into a lone surrogate that no valid text contains.
"""

import csv
import datetime as dt
import io
import os
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from django.utils.translation import gettext as _

from .columns import HeaderError, header_score, parse_header

DELIMITERS = (",", ";", "|", "\t")
# Invalid bytes (as lone surrogates) and NUL, which no database text column accepts.
_UNUSABLE = re.compile("[\udc80-\udcff\x00]")
_SNIFF_BYTES = 64 * 1024
# A broken quote can make one "field" swallow the rest of the file; stop it at a sane size.
csv.field_size_limit(1024 * 1024)


class ImportFileError(Exception):
    """The file as a whole cannot be imported; `message` says why, in Indonesian."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class RowSource:
    kind: str  # "csv" or "xlsx"
    spec: object  # columns.FileSpec
    rows: Iterator[tuple[int, list[str] | None]]  # (line in the file, cells) ; None: undecodable row
    bytes_total: int
    _fh: object
    delimiter: str = ""

    def bytes_read(self) -> int:
        try:
            return min(self._fh.tell(), self.bytes_total)
        except (OSError, ValueError):
            return self.bytes_total

    def close(self):
        self._fh.close()


def open_rows(path) -> RowSource:
    try:
        size = os.path.getsize(path)
        fh = open(path, "rb")  # noqa: SIM115 - closed by RowSource.close()
    except OSError:
        raise ImportFileError(_("Berkas tidak dapat dibaca."))
    try:
        head = fh.read(_SNIFF_BYTES)
        _refuse_unusable(head)
        fh.seek(0)
        if head.startswith(b"PK\x03\x04"):
            return _open_xlsx(fh, size)
        return _open_csv(fh, head, size)
    except BaseException:
        fh.close()
        raise


def _refuse_unusable(head: bytes) -> None:
    if not head.strip(b" \t\r\n\xef\xbb\xbf"):
        raise ImportFileError(_("Berkas kosong: tidak ada baris judul kolom maupun data."))
    if head.startswith(b"%PDF"):
        raise ImportFileError(_("Berkas ini PDF, bukan CSV atau XLSX. Unggah data dalam format CSV atau XLSX."))
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(
            _("Berkas ini format Excel lama (.xls) yang tidak didukung. Simpan ulang sebagai .xlsx atau CSV (UTF-8).")
        )
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFileError(_("Berkas CSV ini berpengodean UTF-16. Simpan ulang sebagai CSV UTF-8."))
    if head.startswith(b"PK\x03\x04"):
        return
    if b"\x00" in head:
        raise ImportFileError(_("Berkas ini bukan CSV maupun XLSX (berisi data biner)."))


# --- CSV -------------------------------------------------------------------------------------


def _open_csv(fh, head: bytes, size: int) -> RowSource:
    first = head.split(b"\n", 1)[0].rstrip(b"\r")
    try:
        first_text = first.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(
            _("Baris judul kolom bukan teks UTF-8 yang sah. Simpan berkas sebagai CSV UTF-8.")
        )
    delimiter = _sniff_delimiter(first_text)
    text = io.TextIOWrapper(fh, encoding="utf-8-sig", errors="surrogateescape", newline="")
    reader = csv.reader(text, delimiter=delimiter)
    try:
        raw_header = next(reader)
    except (StopIteration, csv.Error):
        raise ImportFileError(_("Berkas kosong: tidak ada baris judul kolom maupun data."))
    try:
        spec = parse_header(raw_header)
    except HeaderError as e:
        raise ImportFileError(str(e))
    return RowSource("csv", spec, _csv_rows(reader), size, fh, delimiter)


def _sniff_delimiter(first_line: str) -> str:
    """The delimiter under which the header names the most known columns (ties: most fields)."""
    best, best_key = ",", (-1, -1)
    for d in DELIMITERS:
        cells = next(csv.reader([first_line], delimiter=d), [])
        key = (header_score(cells), len(cells))
        if key > best_key:
            best, best_key = d, key
    return best


def _csv_rows(reader) -> Iterator[tuple[int, list[str] | None]]:
    prev = reader.line_num
    search = _UNUSABLE.search
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error:
            # A malformed row (e.g. a stray NUL or an endless quoted field): reject it, go on.
            yield prev + 1, None
            prev = reader.line_num
            continue
        start, prev = prev + 1, reader.line_num
        if not row or (len(row) == 1 and not row[0].strip()):
            continue  # blank line
        if search("\x1f".join(row)):
            yield start, None
            continue
        yield start, row


# --- XLSX ------------------------------------------------------------------------------------


def _open_xlsx(fh, size: int) -> RowSource:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = openpyxl.load_workbook(fh, read_only=True, data_only=True)
        ws = wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        raw_header = None
        line = 0
        for cells in rows:
            line += 1
            if any(c not in (None, "") for c in cells):
                raw_header = [_cell_text(c) for c in cells]
                break
    except (zipfile.BadZipFile, InvalidFileException, KeyError, IndexError, ValueError, TypeError, OSError):
        raise ImportFileError(_("Berkas ini bukan XLSX yang sah (rusak, atau berkas ZIP/Office lain)."))
    if raw_header is None:
        raise ImportFileError(_("Berkas kosong: tidak ada baris judul kolom maupun data."))
    try:
        spec = parse_header(raw_header)
    except HeaderError as e:
        raise ImportFileError(str(e))
    return RowSource("xlsx", spec, _xlsx_rows(rows, line), size, fh)


def _xlsx_rows(rows, header_line: int) -> Iterator[tuple[int, list[str] | None]]:
    line = header_line
    for cells in rows:
        line += 1
        if not cells:
            continue
        values = [_cell_text(c) for c in cells]
        if not any(values):
            continue
        yield line, values


def _cell_text(value) -> str:
    """A spreadsheet cell as the text a CSV would have held."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
