"""The monthly report as a PDF (ReportLab through `slrt.core.pdf`): the desk's letterhead, the
title, the region, the month and when it was made, then each section's figures and tables."""

from django.utils.translation import gettext as _

from slrt.core.pdf import Document, Section, render

from .document import ReportHeader, table_cells, text_value


def _sections(sections: list[dict]) -> list[Section]:
    out = []
    for section in sections:
        title = section.get("title", "")
        figures = section.get("figures") or []
        out.append(Section(
            heading=title,
            rows=[[_("Ukuran"), _("Nilai")]] + [[f.get("label", ""), text_value(f.get("value"), f.get("unit", ""))]
                                               for f in figures],
            widths=[0.7, 0.3],
            empty=_("Tidak ada angka ringkasan."),
        ))
        for tbl in section.get("tables") or []:
            titles, rows = table_cells(tbl)
            n = len(titles)
            # The label column is wider; the numbers share the rest.
            widths = [1.0] if n == 1 else [0.34] + [0.66 / (n - 1)] * (n - 1)
            out.append(Section(
                heading=f"{title} — {tbl.get('title', '')}",
                rows=[titles] + [[text_value(v) if not isinstance(v, str) else v for v in row] for row in rows],
                widths=widths,
                empty=_("Tidak ada data pada bulan ini."),
            ))
    return out


def render_pdf(header: ReportHeader, sections: list[dict]) -> bytes:
    return render(Document(
        office=header.office or _("Sistem Layanan dan Rujukan Terpadu (SLRT)"),
        office_lines=header.office_lines,
        logo_path=header.logo,
        title=header.title,
        number=f"{header.region_name} · {header.month_label}",
        facts=[
            (_("Wilayah"), f"{header.region_name} ({header.region_code})"),
            (_("Bulan"), header.month_label),
            (_("Dibuat"), header.generated_label),
            (_("Dibuat oleh"), header.generated_by),
            (_("Versi"), str(header.version)),
        ],
        paragraphs=[_("Angka dalam laporan ini dibekukan saat laporan dibuat; perubahan data sesudahnya tidak "
                      "mengubahnya. Setiap angka adalah jumlah agregat, tanpa data pribadi.")],
        sections=_sections(sections),
    ))
