"""Spreadsheet cells that cannot run: the one writer of every CSV and XLSX meant for people.

A spreadsheet program reads a cell whose text begins with ``=``, ``+``, ``-`` or ``@`` (or with
a tab or carriage return before one of them) as a formula, so a name typed as
``=HYPERLINK("http://x","klik")`` in a form would become a live link, or worse, in the
operator's Excel. Following OWASP's CSV-injection guidance, every file written *for people to
open* (the import error report, the SIKS-NG-style proposal sheet, the targeting export) goes
through this module, which prefixes such text with a single quote (``'``) so that it shows as
typed and never runs. Numbers stay numbers: ``-5`` written as an int is a number, not text.
In XLSX every text value is stored as a string cell (openpyxl would otherwise store a string
starting with ``=`` as a formula).

The registry exchange file (SPEC columns; read back by the registry owner and
``import_registry``) must keep values exact, so it is *not* written through here. Instead the
same characters are refused where text enters the system (the registry import, forms, the
API and tablet submissions) with :func:`formula_error`, so the exchange file never carries them.

This module is foundation: it imports nothing from the apps.
"""

import csv
import datetime as dt
import re
import zipfile

from django.utils.translation import gettext as _

# First characters a spreadsheet reads as the start of a formula (and their fullwidth forms,
# which some spreadsheet programs normalise). Each is one character (neutralise_row relies on it).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")

# At entry, "-" alone (or a run of dashes, the registry's "unknown") and a plain number are
# legitimate; anything else that starts with a dash is refused like "=".
_PLAIN_DASH = re.compile(r"-+|-\d+(?:[.,]\d+)?")


def neutralise(value):
    """The value as a person's spreadsheet should see it: formula-like text gets a leading quote;
    None becomes ""; numbers, dates and booleans are returned unchanged."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


_FIRST_CHARS = frozenset(FORMULA_PREFIXES)  # every prefix is one character


def neutralise_row(values) -> list:
    # `neutralise` inlined (a million-row export calls this for every row): one set lookup per text.
    return [
        ("'" + v if v[:1] in _FIRST_CHARS else v) if isinstance(v, str) else ("" if v is None else v)
        for v in values
    ]


class CsvWriter:
    """``csv.writer`` for files meant for people: every field neutralised."""

    def __init__(self, out, **kwargs):
        self._writer = csv.writer(out, **kwargs)

    def writerow(self, values):
        return self._writer.writerow(neutralise_row(values))

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def xlsx_row(ws, values) -> list:
    """Cells for ``ws.append`` of a write-only sheet: neutralised, text stored as strings."""
    from openpyxl.cell import WriteOnlyCell

    cells = []
    for value in neutralise_row(values):
        cell = WriteOnlyCell(ws, value=value)
        if isinstance(value, str):
            cell.data_type = "s"
        cells.append(cell)
    return cells


def append_row(ws, values) -> None:
    """Append a neutralised row to an ordinary (not write-only) sheet, text stored as strings."""
    ws.append(neutralise_row(values))
    for cell in ws[ws.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"


def starts_like_formula(value) -> bool:
    """Whether text entering the system would run as a formula in a spreadsheet.

    The rule (documented in docs/architecture.md): text whose first character is ``=``, ``+``,
    ``@``, a tab or a carriage return (or fullwidth ``＝ ＋ － ＠``), or that starts with ``-``
    unless it is only dashes (``-``, ``--``) or a plain number (``-5``, ``-2,5``), is refused.
    Leading spaces are ignored when looking for the first character."""
    if not isinstance(value, str) or not value:
        return False
    text = value.lstrip(" ")
    if not text or not text.startswith(FORMULA_PREFIXES):
        return False
    if text[0] == "-":
        return not _PLAIN_DASH.fullmatch(text.rstrip())
    return True


def formula_message(label) -> str:
    return _(
        "Kolom %(field)s: tidak boleh diawali =, +, -, @, tab atau baris baru (dibaca sebagai rumus "
        "oleh program lembar kerja)."
    ) % {"field": label}


def formula_error(value, label) -> str | None:
    """The refusal naming the field, or None when the value may enter."""
    return formula_message(label) if starts_like_formula(value) else None


# --- a streaming XLSX writer --------------------------------------------------------------------
#
# openpyxl's write-only mode keeps memory flat but writes about 3,000 rows of ten cells a second
# (a Cell object per value); a list export of a million rows must reach 5,000 (issue 13). This
# writer streams the one sheet's XML straight into the ZIP (deflate level 1): inline strings, so
# no shared-string table grows in memory; numbers as numbers, dates and datetimes as Excel serial
# numbers with a date style. Every value passes `neutralise` first, like the CSV writer, and text
# is written as a string cell (`t="inlineStr"`), so nothing can become a formula.

_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_EPOCH = dt.datetime(1899, 12, 30)

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'styles" Target="styles.xml"/></Relationships>'
)
# Styles: 0 plain, 1 date (dd-mm-yyyy), 2 date and time (dd-mm-yyyy hh:mm), 3 bold (the header).
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="dd\\-mm\\-yyyy"/>'
    '<numFmt numFmtId="165" formatCode="dd\\-mm\\-yyyy\\ hh:mm"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


_XML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def _xml_text(text: str) -> str:
    if not text.isprintable():  # rare: only then look for characters XML cannot hold
        text = _XML_ILLEGAL.sub("", text)
    return text.translate(_XML_ESCAPES)


def _xlsx_cell(value, bold: bool = False) -> str:
    value = neutralise(value)
    kind = type(value)
    if isinstance(value, str) and not bold:
        return f'<c t="inlineStr"><is><t xml:space="preserve">{_xml_text(value)}</t></is></c>'
    if kind is bool:
        value = str(value)
    elif kind is int or kind is float:
        return f"<c><v>{value!r}</v></c>"
    elif kind is dt.datetime:
        value = value.replace(tzinfo=None) - _EPOCH
        return f'<c s="2"><v>{value.days + value.seconds / 86400!r}</v></c>'
    elif kind is dt.date:
        return f'<c s="1"><v>{(value - _EPOCH.date()).days}</v></c>'
    style = ' s="3"' if bold else ""
    text = _xml_text(value if isinstance(value, str) else str(value))
    return f'<c t="inlineStr"{style}><is><t xml:space="preserve">{text}</t></is></c>'


class XlsxStreamWriter:
    """One sheet, rows appended one at a time, written to `out` (a binary file) in constant memory.

    Use as a context manager; `close()` finishes the ZIP. Meant for people, like `CsvWriter`."""

    def __init__(self, out, *, sheet_title: str = "Sheet1", compresslevel: int = 1):
        self._zip = zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=compresslevel)
        self._zip.writestr("[Content_Types].xml", _CONTENT_TYPES)
        self._zip.writestr("_rels/.rels", _ROOT_RELS)
        self._zip.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        self._zip.writestr("xl/styles.xml", _STYLES)
        title = _xml_text(re.sub(r"[\[\]:*?/\\]", " ", sheet_title)[:31]) or "Sheet1"
        self._zip.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f'<sheets><sheet name="{title}" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        self._sheet = self._zip.open("xl/worksheets/sheet1.xml", "w", force_zip64=True)
        self._buffer: list[str] = [
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        ]
        self._closed = False

    def _flush(self):
        if self._buffer:
            self._sheet.write("".join(self._buffer).encode("utf-8"))
            self._buffer = []

    def writerow(self, values, *, bold: bool = False) -> None:
        self._buffer.append("<row>" + "".join(_xlsx_cell(v, bold) for v in values) + "</row>")
        if len(self._buffer) >= 500:
            self._flush()

    def writerows(self, rows) -> None:
        for row in rows:
            self.writerow(row)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._buffer.append("</sheetData></worksheet>")
        self._flush()
        self._sheet.close()
        self._zip.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
