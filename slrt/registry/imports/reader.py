"""Stream the rows of an exchange file (CSV or XLSX) without holding the file in memory.

What kind of file it is comes from its first bytes, not its name: a PDF, a binary or a UTF-16
text renamed `.csv` gets a clear message instead of a thousand rejected rows.

A row that cannot be used is handed on as a `RowProblem` so the row (not the file) is rejected
with the real reason: bytes that are not valid UTF-8 (decoded with `surrogateescape`, which
turns every invalid byte into a lone surrogate that no valid text contains), a NUL character,
a field longer than a spreadsheet cell can be, a row longer than any real one. Memory stays
bounded whatever the file holds: CSV lines are read with a length limit, XLSX through
`xlsx.Workbook` (see there), and the limits come from `limits`.
"""

import csv
import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.utils.translation import gettext as _

from . import xlsx
from .columns import HeaderError, header_score, parse_header
from .limits import Limits, limits, thousands

DELIMITERS = (",", ";", "|", "\t")
# Invalid bytes (as lone surrogates), NUL (which no database text column accepts) and the
# marker of a line cut at the row limit.
_UNUSABLE = re.compile("[\udc00\udc80-\udcff\x00]")
_SNIFF_BYTES = 64 * 1024
# Put in place of the rest of a line longer than the row limit: a lone surrogate that decoding
# never produces (surrogateescape yields only U+DC80-U+DCFF).
_CUT = "\udc00"
# Control bytes that text never holds (tab, line breaks and ESC aside).
_BINARY_BYTES = bytes(b for b in range(32) if b not in (9, 10, 13, 27))


class ImportFileError(Exception):
    """The file as a whole cannot be imported; `message` says why, in Indonesian."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class RowProblem:
    """Why a row cannot be read at all: `code` names a message of `validate.MSG`; `column` is the
    position of the offending cell when known."""

    __slots__ = ("code", "column")

    def __init__(self, code: str, column: int | None = None):
        self.code = code
        self.column = column

    def __reduce__(self):  # sent to validation workers
        return (RowProblem, (self.code, self.column))

    def __eq__(self, other):
        return isinstance(other, RowProblem) and (self.code, self.column) == (other.code, other.column)

    def __repr__(self):
        return f"RowProblem({self.code!r}, {self.column!r})"


@dataclass
class RowSource:
    kind: str  # "csv" or "xlsx"
    spec: object  # columns.FileSpec
    rows: Iterator[tuple[int, "list[str] | RowProblem"]]  # (line in the file, cells or why not)
    bytes_total: int
    _fh: object
    delimiter: str = ""
    _book: object = None  # the xlsx.Workbook of an XLSX source

    def bytes_read(self) -> int:
        try:
            return min(self._fh.tell(), self.bytes_total)
        except (OSError, ValueError):
            return self.bytes_total

    def close(self):
        if self._book is not None:
            self._book.close()
        self._fh.close()


def open_rows(path, lim: Limits | None = None) -> RowSource:
    lim = lim or limits()
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
            return _open_xlsx(fh, size, lim)
        return _open_csv(fh, head, size, lim)
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
    first_line = head.split(b"\n", 1)[0]
    if b"\x00" in first_line and _looks_utf16(head):
        raise ImportFileError(
            _("Berkas CSV ini berpengodean UTF-16 (tanpa penanda BOM). Simpan ulang sebagai CSV UTF-8.")
        )
    # Text has no control bytes; a stray NUL further down rejects its row, not the file.
    if b"\x00" in first_line or len(head.translate(None, _BINARY_BYTES)) < 0.9 * len(head):
        raise ImportFileError(_("Berkas ini bukan CSV maupun XLSX (berisi data biner)."))


def _looks_utf16(head: bytes) -> bool:
    """UTF-16 without a byte-order mark: ASCII text with a NUL in every other byte."""
    sample = head[: len(head) // 2 * 2][:4096]
    if len(sample) < 4:
        return False
    even, odd = sample[0::2], sample[1::2]
    for text, zeros in ((even, odd), (odd, even)):  # little-endian, big-endian
        if zeros.count(0) >= 0.9 * len(zeros) and text.count(0) <= 0.1 * len(text):
            return True
    return False


# --- CSV -------------------------------------------------------------------------------------


def _open_csv(fh, head: bytes, size: int, lim: Limits) -> RowSource:
    first = head.split(b"\n", 1)[0].rstrip(b"\r")
    try:
        first_text = first.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(
            _("Baris judul kolom bukan teks UTF-8 yang sah. Simpan berkas sebagai CSV UTF-8.")
        )
    delimiter = _sniff_delimiter(first_text)
    text = io.TextIOWrapper(fh, encoding="utf-8-sig", errors="surrogateescape", newline="")
    # The field limit is process-wide in the csv module; every reader here uses the same one.
    csv.field_size_limit(lim.cell_chars)
    reader = csv.reader(_bounded_lines(text, lim.row_chars), delimiter=delimiter)
    try:
        raw_header = next(reader)
    except StopIteration:
        raise ImportFileError(_("Berkas kosong: tidak ada baris judul kolom maupun data."))
    except csv.Error:
        raise ImportFileError(_header_too_long(lim))
    if _CUT in "".join(raw_header):
        raise ImportFileError(_header_too_long(lim))
    try:
        spec = parse_header(raw_header)
    except HeaderError as e:
        raise ImportFileError(str(e))
    return RowSource("csv", spec, _csv_rows(reader), size, fh, delimiter)


def _header_too_long(lim: Limits) -> str:
    return _("Baris judul kolom terlalu panjang (lebih dari %(max)s karakter): ini bukan berkas pertukaran data "
             "registri.") % {"max": thousands(lim.row_chars)}


def _bounded_lines(text, limit: int) -> Iterator[str]:
    """The physical lines of `text`, each at most `limit` characters: the rest of a longer line is
    skipped and replaced by the _CUT marker, so a file without line breaks never fills memory."""
    readline = text.readline
    while True:
        line = readline(limit)
        if not line:
            return
        if len(line) < limit or line[-1] in "\r\n":
            yield line
            continue
        while True:  # skip to the end of this line
            rest = readline(limit)
            if not rest or rest[-1] in "\r\n":
                break
        yield line + _CUT + "\n"


def _sniff_delimiter(first_line: str) -> str:
    """The delimiter under which the header names the most known columns (ties: most fields)."""
    best, best_key = ",", (-1, -1)
    for d in DELIMITERS:
        cells = next(csv.reader([first_line], delimiter=d), [])
        key = (header_score(cells), len(cells))
        if key > best_key:
            best, best_key = d, key
    return best


def _csv_rows(reader) -> Iterator[tuple[int, "list[str] | RowProblem"]]:
    prev = reader.line_num
    search = _UNUSABLE.search
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            # A field past the cell limit (often an endless quoted field): reject the row, go on.
            yield prev + 1, RowProblem("field_too_long" if "field limit" in str(e) else "malformed")
            prev = reader.line_num
            continue
        start, prev = prev + 1, reader.line_num
        if not row or (len(row) == 1 and not row[0].strip()):
            continue  # blank line
        joined = "\x1f".join(row)
        if search(joined):
            yield start, _csv_problem(joined)
            continue
        yield start, row


def _csv_problem(joined: str) -> RowProblem:
    if _CUT in joined:
        return RowProblem("row_too_long")
    if "\x00" in joined:
        return RowProblem("nul")
    return RowProblem("encoding")


# --- XLSX ------------------------------------------------------------------------------------


def _open_xlsx(fh, size: int, lim: Limits) -> RowSource:
    try:
        book = xlsx.Workbook(fh, lim)
        rows = book.rows()
        header = next(rows, None)
    except xlsx.XlsxRefused as e:
        raise ImportFileError(e.message)
    if header is None:
        raise ImportFileError(_("Berkas kosong: tidak ada baris judul kolom maupun data."))
    if header.too_long_at is not None or header.row_too_long:
        raise ImportFileError(_header_too_long(lim))
    try:
        spec = parse_header(header.cells)
    except HeaderError as e:
        raise ImportFileError(str(e))
    return RowSource("xlsx", spec, _xlsx_rows(rows, spec.width), size, fh, _book=book)


def _xlsx_rows(rows, width: int) -> Iterator[tuple[int, "list[str] | RowProblem"]]:
    try:
        for row in rows:
            if row.too_long_at is not None and row.too_long_at < width:
                yield row.number, RowProblem("field_too_long", row.too_long_at)
            elif row.row_too_long:
                yield row.number, RowProblem("row_too_long")
            elif any(row.cells):
                yield row.number, row.cells
    except xlsx.XlsxRefused as e:
        raise ImportFileError(e.message)
