"""The first worksheet of an XLSX workbook, streamed row by row with bounded memory.

openpyxl (even read-only) loads every shared string before the first row and pads each row to
the sheet's declared width: a 1 MB workbook holding one huge string, or millions of blank
rows, exhausted the server. This reader instead

1. inspects the ZIP's central directory before decompressing anything: each part's declared
   size, its compression ratio and the total (`zipfile` never returns more than a member's
   declared size: a lying header ends in a CRC error, not in more data);
2. parses the XML with expat in 64 KiB pieces, no DTD allowed (so no entity expansion), and
   keeps at most one row: text beyond the cell limit is dropped and the row rejected ("field
   too long"), cells beyond the column limit are dropped, blank rows are skipped as they
   are parsed, and a sheet past the row limit is refused;
3. holds the shared strings as UTF-8 in one buffer with an offset array (~1 byte per
   character and 4 per string, instead of ~60 per Python string).

Values come out as the CSV text would have been: numbers without a needless ".0", dates
(numbers in a date format, or ISO cells) as YYYY-MM-DD, booleans as 1/0, the cached value of a
formula. openpyxl's number-format helpers decide which formats are dates.
"""

import datetime as dt
import posixpath
import zipfile
from array import array
from collections.abc import Iterator
from xml.parsers import expat

from django.utils.translation import gettext as _

from .limits import Limits, megabytes, thousands

CHUNK = 64 * 1024
# Rows are handed on after each piece of this size: a piece holds at most ~128 rows, however
# long the shared strings they point at, so rows waiting to be read stay bounded.
PIECE = 4 * 1024
# Small parts (workbook, relationships, styles) are read whole; none is near this in practice.
SMALL_PART_BYTES = 16 * 1024 * 1024
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


class XlsxRefused(Exception):
    """The workbook cannot be read; `message` says why, in Indonesian."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def not_a_workbook(detail: str = "") -> XlsxRefused:
    text = _("Berkas ini bukan XLSX yang sah (rusak, atau berkas ZIP/Office lain).")
    return XlsxRefused(f"{text} {detail}".strip())


class TooLong:
    """A cell whose text is longer than the cell limit (the row is rejected, naming its column)."""

    __slots__ = ()

    def __repr__(self):
        return "<too long>"


TOO_LONG = TooLong()


class Row:
    """One non-blank row: its sheet row number and its cells by column (0-based) up to the limit."""

    __slots__ = ("number", "cells", "too_long_at", "row_too_long", "columns_beyond")

    def __init__(self, number: int, cells: list, too_long_at: int | None, row_too_long: bool, columns_beyond: int):
        self.number = number
        self.cells = cells  # list of str
        self.too_long_at = too_long_at  # column of the first over-long cell
        self.row_too_long = row_too_long
        self.columns_beyond = columns_beyond  # non-empty cells past the column limit


def _local(name: str) -> str:
    return name.rpartition(" ")[2]


def _parser() -> expat.XMLParserType:
    p = expat.ParserCreate(namespace_separator=" ")
    p.buffer_text = True
    p.buffer_size = CHUNK

    def refuse_dtd(*_args):
        raise XlsxRefused(_("Berkas XLSX ini memuat deklarasi DTD/entitas, yang tidak pernah ada dalam lembar kerja "
                            "Excel; berkas ditolak."))

    p.StartDoctypeDeclHandler = refuse_dtd
    p.EntityDeclHandler = refuse_dtd
    return p


def _feed(parser, stream, part: str, until=lambda: False) -> Iterator[None]:
    """Feed `stream` to `parser` piece by piece, yielding after each piece."""
    try:
        while not until():
            data = stream.read(CHUNK)
            if not data:
                parser.Parse(b"", True)
                return
            for start in range(0, len(data), PIECE):
                parser.Parse(data[start:start + PIECE], False)
                yield
                if until():
                    return
    except expat.ExpatError as e:
        raise not_a_workbook(
            _("(XML rusak di %(part)s: %(error)s)") % {"part": part, "error": expat.ErrorString(e.code)})
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as e:
        raise not_a_workbook(_("(isi %(part)s rusak)") % {"part": part}) from e


class Workbook:
    """The parts of one XLSX file that the importer reads, checked before any is decompressed."""

    def __init__(self, fh, limits: Limits):
        self.limits = limits
        try:
            self.zip = zipfile.ZipFile(fh)
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            raise not_a_workbook()
        self.members = {i.filename: i for i in infos}
        self._check_sizes(infos)
        workbook = self._target("_rels/.rels", "", "/officeDocument") or "xl/workbook.xml"
        if workbook not in self.members:
            raise not_a_workbook()
        base = posixpath.dirname(workbook)
        rels_path = posixpath.join(base, "_rels", posixpath.basename(workbook) + ".rels")
        rels = self._relationships(rels_path, base)
        self.sheet, self.epoch_1904 = self._first_sheet(workbook, rels)
        self.shared_path = next((t for t, kind in rels.values() if kind.endswith("/sharedStrings")), None)
        self.styles_path = next((t for t, kind in rels.values() if kind.endswith("/styles")), None)
        for path in (self.sheet, self.shared_path, self.styles_path):
            if path is not None and path not in self.members:
                raise not_a_workbook()
        if self.shared_path:
            size = self.members[self.shared_path].file_size
            if size > limits.xlsx_shared_strings_bytes:
                raise XlsxRefused(_(
                    "Teks bersama (shared strings) berkas XLSX ini %(size)s MB setelah dibuka; batasnya %(max)s MB. "
                    "Bagi berkas per kecamatan, atau unggah CSV (UTF-8).") % {
                    "size": megabytes(size), "max": megabytes(limits.xlsx_shared_strings_bytes)})

    # -- the central directory ----------------------------------------------------------------

    def _check_sizes(self, infos) -> None:
        lim = self.limits
        if len(infos) > 10_000:
            raise not_a_workbook(_("(terlalu banyak bagian di dalam ZIP)"))
        total = sum(i.file_size for i in infos)
        if total > lim.xlsx_uncompressed_bytes:
            raise XlsxRefused(_(
                "Isi berkas XLSX ini %(size)s MB setelah dibuka; batasnya %(max)s MB. Bagi berkas per kecamatan, "
                "atau unggah CSV (UTF-8).") % {"size": megabytes(total), "max": megabytes(lim.xlsx_uncompressed_bytes)})
        for i in infos:
            # Tiny parts compress oddly (a few hundred bytes of zeros); only sizable ones count.
            if i.file_size > 1024 * 1024 and i.file_size > lim.xlsx_ratio * max(i.compress_size, 1):
                raise XlsxRefused(_(
                    "Berkas XLSX ini tidak wajar: bagian %(part)s mengembang %(ratio)s kali lipat saat dibuka "
                    "(lembar kerja asli paling banyak sekitar 10–30 kali; batasnya %(max)s kali). Berkas seperti ini "
                    "biasanya bom ZIP. Simpan ulang dari Excel, atau unggah CSV (UTF-8).") % {
                    "part": i.filename[:80], "ratio": thousands(i.file_size // max(i.compress_size, 1)),
                    "max": lim.xlsx_ratio})

    # -- small parts --------------------------------------------------------------------------

    def _small(self, path: str, start, end=None) -> None:
        info = self.members.get(path)
        if info is None:
            return
        if info.file_size > SMALL_PART_BYTES:
            raise not_a_workbook(_("(bagian %(part)s terlalu besar)") % {"part": path[:80]})
        p = _parser()
        p.StartElementHandler = start
        if end is not None:
            p.EndElementHandler = end
        with self.zip.open(info) as stream:
            for _none in _feed(p, stream, path):
                pass

    def _relationships(self, path: str, base: str) -> dict[str, tuple[str, str]]:
        rels: dict[str, tuple[str, str]] = {}

        def start(name, attrs):
            if _local(name) == "Relationship" and attrs.get("TargetMode") != "External":
                target = attrs.get("Target", "")
                target = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
                    posixpath.join(base, target))
                rels[attrs.get("Id", "")] = (target, attrs.get("Type", ""))

        self._small(path, start)
        return rels

    def _target(self, rels_path: str, base: str, kind: str) -> str | None:
        return next((t for t, k in self._relationships(rels_path, base).values() if k.endswith(kind)), None)

    def _first_sheet(self, workbook: str, rels) -> tuple[str, bool]:
        sheets: list[str] = []
        flags = {"1904": False}

        def start(name, attrs):
            local = _local(name)
            if local == "sheet":
                rid = attrs.get(f"{NS_REL} id") or next((v for k, v in attrs.items() if _local(k) == "id"), "")
                target, kind = rels.get(rid, ("", ""))
                if kind.endswith("/worksheet"):
                    sheets.append(target)
            elif local == "workbookPr":
                flags["1904"] = attrs.get("date1904") in ("1", "true")

        self._small(workbook, start)
        if not sheets:
            raise not_a_workbook(_("(tidak ada lembar kerja)"))
        return sheets[0], flags["1904"]

    def date_styles(self) -> tuple[frozenset[int], frozenset[int]]:
        """The cell-style indexes whose number format is a date (and those that are durations)."""
        from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format

        formats: dict[int, str] = dict(BUILTIN_FORMATS)
        xfs: list[int] = []
        depth = {"cellXfs": False}

        def start(name, attrs):
            local = _local(name)
            if local == "numFmt":
                try:
                    formats[int(attrs.get("numFmtId", ""))] = attrs.get("formatCode", "")[:255]
                except ValueError:
                    pass
            elif local == "cellXfs":
                depth["cellXfs"] = True
            elif local == "xf" and depth["cellXfs"]:
                try:
                    xfs.append(int(attrs.get("numFmtId", "0")))
                except ValueError:
                    xfs.append(0)

        def end(name):
            if _local(name) == "cellXfs":
                depth["cellXfs"] = False

        if self.styles_path:
            self._small(self.styles_path, start, end)
        dates, durations = set(), set()
        for index, fmt_id in enumerate(xfs):
            fmt = formats.get(fmt_id, "")
            if fmt and is_date_format(fmt):
                (durations if is_timedelta_format(fmt) else dates).add(index)
        return frozenset(dates), frozenset(durations)

    # -- shared strings -----------------------------------------------------------------------

    def shared_strings(self) -> "SharedStrings":
        strings = SharedStrings(self.limits.xlsx_shared_strings_bytes)
        if not self.shared_path:
            return strings
        cell_chars = self.limits.cell_chars
        state = {"collect": False, "rph": 0, "len": 0, "long": False}
        parts: list[str] = []

        kind = _SHEET_NAMES.get

        def start(name, attrs):
            local = kind(name)
            if local == "t" and not state["rph"]:
                state["collect"] = True
            elif local == "rPh":
                state["rph"] += 1
            elif local == "si":
                parts.clear()
                state["len"], state["long"] = 0, False

        def end(name):
            local = kind(name)
            if local == "t":
                state["collect"] = False
            elif local == "rPh":
                state["rph"] -= 1
            elif local == "si":
                strings.add(None if state["long"] else "".join(parts))

        def text(data):
            if state["collect"] and not state["long"]:
                state["len"] += len(data)
                if state["len"] > cell_chars:
                    state["long"] = True
                    parts.clear()
                else:
                    parts.append(data)

        p = _parser()
        p.StartElementHandler, p.EndElementHandler, p.CharacterDataHandler = start, end, text
        with self.zip.open(self.members[self.shared_path]) as stream:
            for _none in _feed(p, stream, self.shared_path):
                pass
        return strings

    # -- the sheet ----------------------------------------------------------------------------

    def rows(self) -> Iterator[Row]:
        """The sheet's non-blank rows, in order."""
        lim = self.limits
        shared = self.shared_strings()
        date_styles, duration_styles = self.date_styles()
        epoch = _epoch(self.epoch_1904)
        max_rows, max_cols, cell_chars, row_chars = lim.xlsx_rows, lim.columns, lim.cell_chars, lim.row_chars
        ready: list[Row] = []
        parts: list[str] = []
        st = _SheetState()
        # Element names come interned from expat: one dict lookup per element says what it is.
        kind = _SHEET_NAMES.get
        column = _column

        def start(name, attrs):
            k = kind(name)
            if k is None:
                return
            if k == "c":
                ref = attrs.get("r")
                st.col = column(ref) if ref else st.col + 1
                st.ctype = attrs.get("t", "n")
                st.style = attrs.get("s")
                st.clen = 0
                st.clong = False
                parts.clear()
            elif k == "v":
                st.collect = True
            elif k == "t":
                st.collect = st.inline and not st.rph
            elif k == "is":
                st.inline = True
            elif k == "rPh":
                st.rph += 1
            elif k == "row":
                r = attrs.get("r")
                try:
                    st.row = int(r) if r else st.row + 1
                except ValueError:
                    raise not_a_workbook(_("(nomor baris tidak sah di lembar kerja)"))
                if st.row > max_rows:
                    raise XlsxRefused(_(
                        "Lembar kerja ini melewati %(max)s baris (batas Excel), biasanya karena jutaan baris kosong "
                        "atau berformat di bawah data. Hapus baris kosong di bawah data lalu simpan ulang, atau "
                        "unggah CSV (UTF-8).") % {"max": thousands(max_rows)})
                st.cells, st.col, st.rlen = {}, 0, 0
                st.too_long_at, st.row_long, st.beyond = None, False, 0

        def end(name):
            k = kind(name)
            if k is None:
                return
            if k == "c":
                st.collect = st.inline = False
                if st.clong:
                    value = TOO_LONG
                elif parts:
                    value = _value(st.ctype, "".join(parts), st.style, shared, date_styles, duration_styles, epoch)
                else:
                    return
                if value == "":
                    return
                col = st.col - 1
                # The header row is kept whole (up to Excel's 16,384 columns, within the row
                # limit), so that a refusal can count its columns; data rows stop at the limit.
                if col >= (max_cols if st.header_seen else 16_384):
                    st.beyond += 1
                elif value is TOO_LONG:
                    if st.too_long_at is None:
                        st.too_long_at = col
                else:
                    st.rlen += len(value)
                    if st.rlen > row_chars:
                        st.row_long = True
                    else:
                        st.cells[col] = value
            elif k == "v" or k == "t":
                st.collect = False
            elif k == "row":
                if st.cells or st.too_long_at is not None or st.row_long or st.beyond:
                    cells = [""] * (max(st.cells) + 1 if st.cells else 0)
                    for i, v in st.cells.items():
                        cells[i] = v
                    ready.append(Row(st.row, cells, st.too_long_at, st.row_long, st.beyond))
                    st.header_seen = True
                st.cells = {}
            elif k == "rPh":
                st.rph -= 1
            elif k == "sheetData":
                st.done = True

        def text(data):
            if st.collect and not st.clong:
                st.clen += len(data)
                if st.clen > cell_chars:
                    st.clong = True
                    parts.clear()
                else:
                    parts.append(data)

        p = _parser()
        p.StartElementHandler, p.EndElementHandler, p.CharacterDataHandler = start, end, text
        with self.zip.open(self.members[self.sheet]) as stream:
            for _none in _feed(p, stream, self.sheet, until=lambda: st.done):
                if ready:
                    yield from ready
                    ready.clear()
        yield from ready

    def close(self) -> None:
        self.zip.close()


_MAIN_NAMESPACES = ("http://schemas.openxmlformats.org/spreadsheetml/2006/main",  # transitional
                    "http://purl.oclc.org/ooxml/spreadsheetml/main")  # strict
_LOCALS = ("c", "v", "t", "is", "rPh", "row", "sheetData", "si")
_SHEET_NAMES = {f"{ns} {local}": local for ns in _MAIN_NAMESPACES
                for local in _LOCALS}
_SHEET_NAMES.update({local: local for local in _LOCALS})


class _SheetState:
    __slots__ = ("row", "col", "ctype", "style", "clen", "clong", "collect", "inline", "rph", "cells", "rlen",
                 "too_long_at", "row_long", "beyond", "in_data", "done", "header_seen")

    def __init__(self):
        self.row = self.col = self.clen = self.rph = self.rlen = self.beyond = 0
        self.ctype, self.style = "n", None
        self.clong = self.collect = self.inline = self.row_long = self.in_data = self.done = False
        self.header_seen = False
        self.cells: dict[int, object] = {}
        self.too_long_at = None


class SharedStrings:
    """The workbook's shared strings as UTF-8 in one buffer; None marks one over the cell limit."""

    def __init__(self, max_bytes: int):
        self.buf = bytearray()
        self.ends = array("I" if max_bytes < 2**32 else "Q")
        self.too_long: set[int] = set()

    def add(self, text: str | None) -> None:
        if text is None:
            self.too_long.add(len(self.ends))
        else:
            self.buf += text.encode("utf-8", "surrogatepass")
        self.ends.append(len(self.buf))

    def get(self, index: int):
        if index < 0:
            raise IndexError(index)
        if index in self.too_long:
            return TOO_LONG
        start = self.ends[index - 1] if index else 0
        return self.buf[start:self.ends[index]].decode("utf-8", "surrogatepass")

    def __len__(self):
        return len(self.ends)


_COLUMNS: dict[str, int] = {}


def _column(ref: str) -> int:
    """'AB12' -> 28 (1-based)."""
    letters = ref.rstrip("0123456789")
    n = _COLUMNS.get(letters)
    if n is None:
        n = 0
        for ch in letters.upper():
            if not "A" <= ch <= "Z":
                raise not_a_workbook(_("(alamat sel tidak sah di lembar kerja)"))
            n = n * 26 + ord(ch) - 64
        if not 1 <= n <= 16_384:
            raise not_a_workbook(_("(alamat sel tidak sah di lembar kerja)"))
        if len(_COLUMNS) < 20_000:
            _COLUMNS[letters] = n
    return n


def _epoch(is_1904: bool):
    from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900

    return CALENDAR_MAC_1904 if is_1904 else CALENDAR_WINDOWS_1900


def _value(ctype: str, raw: str, style, shared, date_styles, duration_styles, epoch):
    """A cell's text as a CSV would have held it (or TOO_LONG)."""
    if ctype == "s":
        try:
            return shared.get(int(raw))
        except (ValueError, IndexError):
            raise not_a_workbook(_("(rujukan teks bersama tidak sah)"))
    if ctype in ("str", "inlineStr", "e"):
        return raw
    if ctype == "b":
        return "1" if raw.strip() in ("1", "true") else "0"
    if ctype == "d":
        text = raw.strip()
        try:
            return dt.datetime.fromisoformat(text).date().isoformat()
        except ValueError:
            return text
    text = raw.strip()
    if not text:
        return ""
    try:
        number = float(text) if any(ch in text for ch in ".eE") else int(text)
    except ValueError:
        return text
    if style is not None and (date_styles or duration_styles):
        try:
            index = int(style)
        except ValueError:
            index = -1
        if index in date_styles or index in duration_styles:
            from openpyxl.utils.datetime import from_excel

            try:
                when = from_excel(number, epoch, timedelta=index in duration_styles)
            except (ValueError, OverflowError, TypeError):
                return text
            if isinstance(when, dt.datetime):
                return when.date().isoformat()
            return when.isoformat() if hasattr(when, "isoformat") else str(when)
    if isinstance(number, float):
        if number != number or number in (float("inf"), float("-inf")):
            return text
        return str(int(number)) if number.is_integer() else str(number)
    return str(number)
