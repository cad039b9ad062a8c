"""PDF documents of the desk (receipts, letters) with ReportLab, and QR codes with segno.

One layout for every document so that a receipt and a referral letter look like they come
from the same office: letterhead, title, number, a table of facts, free paragraphs, an
optional signature block and an optional QR code pointing at a public page.
"""

import io
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

import segno
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, A5
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle


@dataclass
class Section:
    """A titled table after the paragraphs (the copy of a resident's data has many): the first row
    is the header, repeated on each page; `empty` is printed when there are no other rows."""

    heading: str
    rows: list[list[str]] = field(default_factory=list)
    widths: list[float] = field(default_factory=list)  # fractions of the page width, one per column
    empty: str = ""


@dataclass
class Document:
    office: str  # e.g. "Dinas Sosial Kabupaten Bandung"
    office_lines: list[str]  # address, phone
    title: str
    number: str = ""
    facts: list[tuple[str, str]] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    signature: tuple[str, str, str] | None = None  # (place and date, title, name)
    signature_nip: str = ""  # printed under the signer's name
    logo_path: str = ""  # the desk's logo beside the letterhead
    addressee: list[str] = field(default_factory=list)  # "Yth. …" lines above the facts
    qr_url: str = ""
    qr_caption: str = ""
    small: bool = False  # A5 receipt instead of an A4 letter
    sections: list[Section] = field(default_factory=list)


def qr_png(url: str, scale: int = 4) -> bytes:
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="png", scale=scale, border=2)
    return out.getvalue()


def render(doc: Document) -> bytes:
    styles = getSampleStyleSheet()
    body, head = styles["BodyText"], styles["Title"]
    out = io.BytesIO()
    pdf = SimpleDocTemplate(
        out,
        pagesize=A5 if doc.small else A4,
        title=doc.title,
        author=doc.office,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
    )
    heading = [
        Paragraph(f"<b>{escape(doc.office.upper())}</b>", styles["Heading3"]),
        *[Paragraph(escape(line), body) for line in doc.office_lines if line],
    ]
    if doc.logo_path:
        # Logo left of the letterhead text, like a printed kop surat; its aspect ratio is kept.
        logo = Image(doc.logo_path)
        scale = (20 * mm) / max(logo.imageWidth, logo.imageHeight)
        logo.drawWidth, logo.drawHeight = logo.imageWidth * scale, logo.imageHeight * scale
        story = [Table([[logo, heading]], colWidths=[24 * mm, pdf.width - 24 * mm],
                       style=[("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("LEFTPADDING", (0, 0), (0, 0), 0)])]
    else:
        story = heading
    story += [
        Table([[""]], colWidths=[pdf.width], style=[("LINEABOVE", (0, 0), (-1, -1), 1.5, colors.black)]),
        Paragraph(escape(doc.title), head),
    ]
    if doc.number:
        story.append(Paragraph(f"<para alignment='center'>{escape(doc.number)}</para>", body))
    story.append(Spacer(1, 4 * mm))
    if doc.addressee:
        story += [Paragraph("<br/>".join(escape(line) for line in doc.addressee if line), body), Spacer(1, 4 * mm)]
    if doc.facts:
        rows = [[Paragraph(escape(k), body), Paragraph(escape(v), body)] for k, v in doc.facts]
        table = Table(rows, colWidths=[pdf.width * 0.35, pdf.width * 0.65])
        table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]))
        story += [table, Spacer(1, 4 * mm)]
    story += [Paragraph(escape(p), body) for p in doc.paragraphs]
    for section in doc.sections:
        story += _section(section, pdf.width, styles)
    tail = []
    if doc.qr_url:
        size = 28 * mm
        caption = Paragraph(f"<font size=7>{escape(doc.qr_caption)}<br/>{escape(doc.qr_url)}</font>", body)
        tail.append([Image(io.BytesIO(qr_png(doc.qr_url)), width=size, height=size), caption])
    if doc.signature:
        place, title, name = doc.signature
        nip = f"<br/>NIP {escape(doc.signature_nip)}" if doc.signature_nip else ""
        sign = Paragraph(
            f"{escape(place)}<br/>{escape(title)}<br/><br/><br/><br/><b><u>{escape(name)}</u></b>{nip}", body
        )
        if tail:
            tail[0].append(sign)
        else:
            tail.append(["", "", sign])
    if tail:
        widths = (
            [32 * mm, pdf.width - 32 * mm - 70 * mm, 70 * mm] if len(tail[0]) == 3 else [32 * mm, pdf.width - 32 * mm]
        )
        story += [Spacer(1, 8 * mm), Table(tail, colWidths=widths, style=[("VALIGN", (0, 0), (-1, -1), "TOP")])]
    pdf.build(story)
    return out.getvalue()


def _section(section: Section, width: float, styles) -> list:
    small = styles["BodyText"].clone("section-cell", fontSize=8, leading=10)
    out = [Spacer(1, 3 * mm), Paragraph(escape(section.heading), styles["Heading4"])]
    if len(section.rows) <= 1:
        return out + [Paragraph(escape(section.empty or "—"), styles["BodyText"])]
    n = len(section.rows[0])
    widths = [width * f for f in section.widths] if len(section.widths) == n else [width / n] * n
    rows = [[Paragraph(f"<b>{escape(c)}</b>" if i == 0 else escape(c), small) for c in row]
            for i, row in enumerate(section.rows)]
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"), ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
        ("TOPPADDING", (0, 0), (-1, -1), 1), ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
    ]))
    return out + [table]
