"""The monthly report as an XLSX workbook: a cover sheet, then one sheet per section.

Every cell goes through `slrt.core.sheets.append_row` (formula-like text is quoted and stored as
text), so a region, agency or programme name typed as `=HYPERLINK(…)` shows as typed.
"""

import io
import re

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from slrt.core.sheets import append_row

from .document import ReportHeader, cell_value, table_cells

_SHEET_BAD = re.compile(r"[\[\]:*?/\\']")
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)


def _sheet_title(title: str, taken: set[str]) -> str:
    base = _SHEET_BAD.sub(" ", title).strip()[:28] or _("Bagian")
    name, n = base, 2
    while name.lower() in taken:
        name, n = f"{base[:26]} {n}", n + 1
    taken.add(name.lower())
    return name


def _bold_last_row(ws, font=BOLD) -> None:
    for cell in ws[ws.max_row]:
        cell.font = font


def render_xlsx(header: ReportHeader, sections: list[dict]) -> bytes:
    wb = Workbook()
    cover = wb.active
    taken: set[str] = set()
    cover.title = _sheet_title(_("Laporan"), taken)
    append_row(cover, [header.title])
    _bold_last_row(cover, TITLE)
    for label, value in [
        (_("Wilayah"), header.region_name),
        (_("Kode wilayah"), header.region_code),
        (_("Bulan"), header.month_label),
        (_("Dibuat"), header.generated_label),
        (_("Dibuat oleh"), header.generated_by),
        (_("Versi"), header.version),
    ]:
        append_row(cover, [label, value])
    append_row(cover, [])
    append_row(cover, [_("Isi laporan")])
    _bold_last_row(cover)
    cover.column_dimensions["A"].width = 28
    cover.column_dimensions["B"].width = 48

    for section in sections:
        ws = wb.create_sheet(_sheet_title(section.get("title") or section.get("key") or "", taken))
        append_row(cover, [section.get("title", ""), ws.title])
        append_row(ws, [section.get("title", "")])
        _bold_last_row(ws, TITLE)
        append_row(ws, [header.region_name, header.month_label])
        append_row(ws, [])
        widest = 1
        figures = section.get("figures") or []
        if figures:
            append_row(ws, [_("Ringkasan")])
            _bold_last_row(ws)
            append_row(ws, [_("Ukuran"), _("Nilai"), _("Satuan")])
            _bold_last_row(ws)
            for fig in figures:
                append_row(ws, [fig.get("label", ""), cell_value(fig.get("value")), fig.get("unit", "")])
            append_row(ws, [])
            widest = 3
        for tbl in section.get("tables") or []:
            titles, rows = table_cells(tbl)
            append_row(ws, [tbl.get("title", "")])
            _bold_last_row(ws)
            append_row(ws, titles)
            _bold_last_row(ws)
            for row in rows:
                append_row(ws, [cell_value(v) for v in row])
            if not rows:
                append_row(ws, [_("Tidak ada data pada bulan ini.")])
            append_row(ws, [])
            widest = max(widest, len(titles))
        ws.column_dimensions["A"].width = 40
        for i in range(2, widest + 1):
            ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = 16
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
