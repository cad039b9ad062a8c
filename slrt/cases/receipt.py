"""The intake receipt (*tanda terima*): an A5 PDF the resident takes home.

It carries the ticket and the status code (the only place besides the intake screen where the
code appears: it is stored hashed), what was recorded, what happens next, and a QR code that
opens the public status page for the ticket.
"""

from urllib.parse import urlencode

from django.utils import timezone
from django.utils.translation import gettext as _

from slrt.core.pdf import Document, render
from slrt.core.public import public_url
from slrt.wilayah.desks import issuing_desk, letterhead_of
from slrt.wilayah.models import Region

from .consent import receipt_facts as consent_facts
from .models import Case
from .tickets import format_status_code


def status_url(ticket: str) -> str:
    return f"{public_url()}/status/?{urlencode({'tiket': ticket})}"


def desk_name(case: Case) -> str:
    if case.puskesos_id:
        return case.puskesos.name
    if case.secretariat_id:
        return case.secretariat.name
    region = Region.objects.filter(code=case.kab_code).first()
    return _("Sekretariat SLRT %(name)s") % {"name": region.name if region else case.kab_code}


def receipt_pdf(case: Case, status_code: str) -> bytes:
    kab = Region.objects.filter(code=case.kab_code).first()
    office = _("Dinas Sosial %(name)s") % {"name": kab.name if kab else case.kab_code}
    # The letterhead of the desk the resident came to (the Puskesos post, else the secretariat).
    head = letterhead_of(case.puskesos if case.puskesos_id else issuing_desk(case))
    lines = [head.address, _("Telp. %(phone)s") % {"phone": head.phone} if head.phone else "",
             head.email] if head else []
    needs = "; ".join(f"{n.get_sector_display()}: {n.description[:120]}" for n in case.needs.all())
    doc = Document(
        office=office,
        office_lines=[line for line in lines if line],
        logo_path=head.logo_path if head else "",
        title=_("Tanda Terima Layanan SLRT"),
        number=case.ticket,
        facts=[
            (_("Nomor tiket"), case.ticket),
            (_("Kode status"), format_status_code(status_code)),
            (_("Tanggal"), timezone.localtime(case.created_at).strftime("%d-%m-%Y %H:%M")),
            (_("Tempat layanan"), desk_name(case)),
            (_("Jenis keluhan"), str(case.get_complaint_type_display())),
            (_("Kebutuhan"), needs or "—"),
            *consent_facts(case),  # what the resident agreed to (UU PDP)
        ],
        paragraphs=[
            _(
                "Langkah berikutnya: petugas memeriksa data Anda di registri, menilai kebutuhan, lalu menetapkan "
                "layanan atau merujuk ke lembaga terkait. Anda akan dihubungi bila ada perkembangan."
            ),
            _(
                "Cek status kapan saja di halaman status dengan nomor tiket dan kode status di atas. Simpan kode "
                "status; jangan berikan kepada orang lain. Bila tanda terima dicetak ulang, kode lama tidak "
                "berlaku lagi."
            ),
        ],
        qr_url=status_url(case.ticket),
        qr_caption=_("Pindai untuk cek status layanan"),
        small=True,
    )
    return render(doc)
