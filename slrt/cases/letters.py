"""The letters of a decision as PDF: Surat Rekomendasi, Surat Keterangan, Surat Rujukan.

Rendered on request from the `Letter` row and the records it points at, so a reprint always
matches the register. The QR code opens the public verification page (`/v/<token>`).
"""

from django.utils import formats
from django.utils.translation import gettext as _

from slrt.accounts.roles import can
from slrt.core.pdf import Document, render
from slrt.core.public import public_url
from slrt.registry.nik import mask_nik
from slrt.registry.tables import initials as initials  # re-exported: the verification page prints them
from slrt.wilayah.desks import issuing_desk, letter_desk, letterhead_of
from slrt.wilayah.models import Region

from .models import LetterKind


def verify_url(letter) -> str:
    return f"{public_url()}/v/{letter.token}"


def office_of(case, desk=None) -> tuple[str, list[str], str]:
    """(office name, letterhead lines, place) for a letter of the case: the Dinas Sosial of the
    case's kabupaten/kota, then the issuing desk's own letterhead (name, address, phone, email)."""
    kab = Region.objects.filter(code=case.kab_code).first()
    kab_name = kab.name if kab else case.kab_code
    lower = kab_name.lower()
    if not (lower.startswith("kab") or lower.startswith("kota")):
        kind = _("Kabupaten") if kab and kab.kind != "kota" else _("Kota")
        kab_name = f"{kind} {kab_name}"
    office = _("Dinas Sosial %(region)s") % {"region": kab_name}
    head = letterhead_of(desk if desk is not None else issuing_desk(case))
    lines = [head.name if head else _("Sekretariat Sistem Layanan dan Rujukan Terpadu (SLRT)")]
    if head:
        contact = [_("Telp. %(phone)s") % {"phone": head.phone} if head.phone else "",
                   _("Email %(email)s") % {"email": head.email} if head.email else ""]
        lines += [head.address, " · ".join(c for c in contact if c)]
    place = kab_name.split(" ", 1)[-1] if " " in kab_name else kab_name
    return office, [line for line in lines if line], place


def addressee_of(referral) -> list[str]:
    """*Yth.* the head of the receiving agency, its name and address."""
    agency = referral.agency
    return [_("Kepada Yth."), _("Kepala %(agency)s") % {"agency": agency.name}, agency.address, _("di tempat")]


TITLES = {
    LetterKind.REKOMENDASI: _("SURAT REKOMENDASI"),
    LetterKind.KETERANGAN: _("SURAT KETERANGAN"),
    LetterKind.RUJUKAN: _("SURAT RUJUKAN"),
}


def document_for(letter, viewer) -> Document:
    case = letter.case
    desk = letter_desk(letter)
    office, lines, place = office_of(case, desk)
    head = letterhead_of(desk)
    nik = case.applicant_nik
    shown_nik = (nik if can(viewer, "see_full_nik") else mask_nik(nik)) if nik else "—"
    facts = [
        (_("Nomor tiket"), case.ticket),
        (_("Nama"), case.applicant_name),
        (_("NIK"), shown_nik),
    ]
    rec, ref = letter.recommendation, letter.referral
    need = (ref or rec).need if (ref or rec) else None
    if need is not None:
        facts.append((_("Kebutuhan"), f"{need.get_sector_display()}: {need.description}"))
    paragraphs = []
    if ref is not None:
        facts += [(_("Nomor rujukan"), ref.number), (_("Lembaga tujuan"), ref.agency.name)]
        if ref.service_id:
            facts.append((_("Layanan"), ref.service.name))
        if ref.note:
            facts.append((_("Catatan"), ref.note))
        if ref.due_at:
            facts.append((_("Batas waktu layanan"), formats.date_format(ref.due_at, "d-m-Y")))
        paragraphs.append(
            _(
                "Dengan hormat, bersama ini kami rujuk warga tersebut di atas untuk memperoleh layanan "
                "sesuai kebutuhannya. Mohon konfirmasi penerimaan dan hasil layanan melalui aplikasi SLRT."
            )
        )
    elif rec is not None and letter.kind == LetterKind.REKOMENDASI:
        program = rec.program
        facts += [
            (_("Program"), program.name if program else "—"),
            (_("Pemilik program"), program.owner if program else "—"),
        ]
        if rec.note:
            facts.append((_("Pertimbangan"), rec.note))
        if rec.eligibility_override:
            # The letter file records that this approval departs from the matching, and why.
            facts.append(
                (
                    _("Penyimpangan hasil pencocokan"),
                    _("Disetujui walau tidak memenuhi: %(criteria)s")
                    % {"criteria": "; ".join(c.get("text", "") for c in rec.failed_criteria) or "—"},
                )
            )
            facts.append((_("Alasan penyimpangan"), rec.override_reason))
        paragraphs.append(
            _(
                "Berdasarkan asesmen SLRT, warga tersebut di atas direkomendasikan untuk memperoleh program "
                "bantuan di atas sesuai ketentuan pemilik program."
            )
        )
    else:
        if rec is not None and rec.note:
            facts.append((_("Pertimbangan"), rec.note))
        paragraphs.append(
            _(
                "Menerangkan bahwa warga tersebut di atas sedang dilayani oleh SLRT dan kebutuhannya "
                "ditangani melalui Puskesos setempat."
            )
        )
    date = formats.date_format(letter.issued_at, "j F Y")
    return Document(
        office=office,
        office_lines=lines,
        title=str(TITLES[letter.kind]),
        number=_("Nomor: %(number)s") % {"number": letter.number},
        facts=[(str(k), str(v)) for k, v in facts],
        paragraphs=[str(p) for p in paragraphs],
        signature=(f"{place}, {date}", letter.signer_title, letter.signer_name),
        signature_nip=letter.signer_nip,
        logo_path=head.logo_path if head else "",
        addressee=[str(line) for line in addressee_of(ref) if line] if ref is not None else [],
        qr_url=verify_url(letter),
        qr_caption=_("Pindai untuk memeriksa keaslian surat ini"),
    )


def render_letter(letter, viewer) -> bytes:
    return render(document_for(letter, viewer))


def filename(letter) -> str:
    return f"{letter.kind}-{letter.number.replace('/', '-')}.pdf"
