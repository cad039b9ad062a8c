"""How large an import file, and each part of it, may be: sized from a real registry export.

A DTSEN/DTKS export for one kabupaten/kota holds one row per resident: about 220 bytes of CSV
per row with the exchange file's 25 columns (measured on `generate_registry` output), about
1.4 KB of worksheet XML per row in an XLSX (text stored inline; ~10× smaller once zipped), and
in a workbook saved by Excel about 130 bytes of shared-string XML per row (NIK, KK, id_dtks and
names are text, mostly unique). An XLSX sheet holds at most 1,048,576 rows and a cell at most
32,767 characters (Excel's own limits), so no genuine export is larger than that. Everything
beyond these bounds is refused (the file) or rejected (the row) before memory grows; each bound
is a setting (`SLRT_IMPORT_*`, see settings.py) with the default below.
"""

from dataclasses import dataclass

from django.conf import settings

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    # The web upload (the command line reads any size: CSV streams, XLSX is bounded below).
    # 256 MB: a CSV of ~1.1 million residents (the median kab/kota has ~0.5 million), or an XLSX
    # of a full 1,048,576-row sheet (~140 MB zipped). Larger districts: the command line, or one
    # file per kecamatan.
    upload_bytes: int = 256 * MB
    # Excel's own cell limit: no spreadsheet export holds a longer field.
    cell_chars: int = 32_767
    # A real row is 200-2,000 characters (25 columns, or 100 with extra DTSEN columns).
    row_chars: int = 64 * 1024
    # The 25 exchange columns, up to ~50 programmes and the extra DTSEN columns with room to spare.
    columns: int = 500
    # Programme columns become staging columns and joins of one query; SQLite joins at most 64
    # tables (five are the importer's), PostgreSQL tables hold at most 1,600 columns.
    program_columns: int = 50
    xlsx_rows: int = 1_048_576
    # The sum of the declared sizes of the workbook's parts: a full sheet is ~1.4 GB of XML.
    xlsx_uncompressed_bytes: int = 2048 * MB
    # Shared strings are held while the sheet is read (compactly: ~1 byte per character plus 4
    # per string); a full 1,048,576-row sheet needs ~140 MB.
    xlsx_shared_strings_bytes: int = 192 * MB
    # Worksheet XML zips ~10×, shared strings ~4×; a ZIP bomb of one repeated character ~1,000×.
    xlsx_ratio: int = 100
    # Imports running at once on this server (each holds up to ~200 MB; on PostgreSQL they merge
    # one after the other anyway): more are refused with "try again later".
    concurrent: int = 2


_SETTINGS = {
    "upload_bytes": "SLRT_IMPORT_MAX_BYTES",
    "cell_chars": "SLRT_IMPORT_MAX_CELL_CHARS",
    "row_chars": "SLRT_IMPORT_MAX_ROW_CHARS",
    "columns": "SLRT_IMPORT_MAX_COLUMNS",
    "program_columns": "SLRT_IMPORT_MAX_PROGRAM_COLUMNS",
    "xlsx_rows": "SLRT_IMPORT_XLSX_MAX_ROWS",
    "xlsx_uncompressed_bytes": "SLRT_IMPORT_XLSX_MAX_UNCOMPRESSED_BYTES",
    "xlsx_shared_strings_bytes": "SLRT_IMPORT_XLSX_MAX_SHARED_STRINGS_BYTES",
    "xlsx_ratio": "SLRT_IMPORT_XLSX_MAX_RATIO",
    "concurrent": "SLRT_IMPORT_MAX_CONCURRENT",
}
DEFAULTS = Limits()


def limits() -> Limits:
    """The limits in force: each setting, or its default."""
    return Limits(**{field: int(getattr(settings, name, None) or getattr(DEFAULTS, field))
                     for field, name in _SETTINGS.items()})


def megabytes(n: int) -> str:
    """'256' for 256 MiB, '1,5' for 1.5 MiB (Indonesian decimal comma)."""
    value = n / MB
    return f"{value:.0f}" if value >= 10 or value.is_integer() else f"{value:.1f}".replace(".", ",")


def thousands(n: int) -> str:
    """1048576 -> '1.048.576' (Indonesian digit grouping)."""
    return f"{n:,}".replace(",", ".")
