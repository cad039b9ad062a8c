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
import re

from django.utils.translation import gettext as _

# First characters a spreadsheet reads as the start of a formula (and their fullwidth forms,
# which some spreadsheet programs normalise).
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


def neutralise_row(values) -> list:
    return [neutralise(v) for v in values]


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
