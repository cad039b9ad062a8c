"""What both writers (XLSX and PDF) print around the figures, and how they print a value.

The writers read the section dicts of `reports.figures.base` generically: a section is a heading,
its figures a block of label and value, each table a table with its own columns. So a section
added to `figures.SECTIONS` appears in the monthly report without touching the writers.
"""

from dataclasses import dataclass, field

from django.utils import formats


@dataclass(frozen=True)
class ReportHeader:
    title: str  # "Laporan Bulanan SLRT"
    region_name: str  # "Kabupaten Bandung"
    region_code: str
    month_label: str  # "November 2026", in Indonesian
    generated_label: str  # "1 Desember 2026 00.05 WIB"
    generated_by: str  # a person's name, or "Penjadwal otomatis"
    version: int = 1
    office: str = ""  # the letterhead's first line (the PDF)
    office_lines: list[str] = field(default_factory=list)
    logo: object = ""  # a path or BytesIO (wilayah.desks.Letterhead.logo_path), or ""


def cell_value(value):
    """A value as a spreadsheet cell: numbers stay numbers, anything else becomes text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return value
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def text_value(value, unit: str = "") -> str:
    """A value as printed text (the PDF, the page): Indonesian digit grouping, its unit after."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        text = str(value)
    elif isinstance(value, int):
        text = formats.number_format(value, use_l10n=True, force_grouping=True)
    elif isinstance(value, float):
        text = formats.number_format(round(value, 2), decimal_pos=0 if value == int(value) else 2,
                                     use_l10n=True, force_grouping=True)
    else:
        text = cell_value(value)
    return f"{text} {unit}".strip() if unit and unit != "%" else f"{text}{unit}"


def table_cells(tbl: dict) -> tuple[list[str], list[list]]:
    """(column titles, rows of raw values in column order) of one table dict."""
    columns = tbl.get("columns") or []
    titles = [str(c.get("title", c.get("key", ""))) for c in columns]
    rows = [[row.get(c.get("key")) for c in columns] for row in tbl.get("rows") or []]
    return titles, rows
