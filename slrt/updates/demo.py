"""Demo registry proposals: one in every state, made by the demo staff through the services."""

import datetime as dt
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from slrt.registry.models import Household

from . import services
from .models import MeetingKind, Proposal, ProposalKind, RemovalReason


def _minutes_pdf(desa_name: str) -> SimpleUploadedFile:
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    pdf = canvas.Canvas(out)
    pdf.drawString(72, 760, f"Berita Acara Musyawarah Desa {desa_name}")
    pdf.drawString(72, 740, "Pembahasan usulan pemutakhiran data kesejahteraan sosial.")
    pdf.save()
    return SimpleUploadedFile("berita-acara-musdes.pdf", out.getvalue(), content_type="application/pdf")


def _previous_period(today: dt.date) -> str:
    first = today.replace(day=1) - dt.timedelta(days=1)
    return f"{first:%Y-%m}"


def seed_proposals(kab_code: str, *, fasilitator, supervisor, manajer, back_office) -> list[Proposal]:
    """Proposals in the facilitator's desa: last month's batch submitted, this month's in progress."""
    desa = fasilitator.region_id
    if Proposal.objects.system().filter(kab_code=kab_code, origin="manual").exists():
        return []
    households = list(
        Household.objects.system().filter(desa_code=desa).prefetch_related("members").order_by("nomor_kk")[:6]
    )
    if len(households) < 6:
        return []
    made = []
    meeting_kind = MeetingKind.MUSKEL if desa.rsplit(".", 1)[-1].startswith("1") else MeetingKind.MUSDES

    def draft(actor, kind, data, **kw):
        p = services.draft_proposal(actor, kind=kind, data=data, reason=kw.pop("reason", "Hasil kunjungan rumah"),
                                    **kw)
        made.append(p)
        return p

    def to_checked(p):
        services.verify(fasilitator, p, note="Diverifikasi saat kunjungan rumah")
        services.transition(supervisor, p, "check")

    def other_than(current, value, fallback):
        # Generated households may already hold the demo value; a change must differ from the registry.
        return fallback if current == value else value

    # Last month: two proposals through the whole path, in a batch already sent to the registry owner.
    earlier = [
        draft(fasilitator, ProposalKind.CHANGE, {
            "nomor_kk": households[0].nomor_kk,
            "alamat": other_than(households[0].alamat, "Kp. Cibodas RT 02", "Kp. Cibodas RT 03"),
        }),
        draft(fasilitator, ProposalKind.DESIL_REVIEW, {"nomor_kk": households[1].nomor_kk},
              reason="Kepala keluarga kehilangan pekerjaan; rumah rusak berat"),
    ]
    for p in earlier:
        to_checked(p)
    held_on = timezone.localdate() - dt.timedelta(days=35)
    services.record_meeting(
        supervisor, desa_code=desa, kind=meeting_kind, held_on=held_on, attendance=42,
        minutes=_minutes_pdf(fasilitator.region.name), notes="Disepakati seluruhnya", proposals=earlier,
    )
    for p in earlier:
        services.transition(manajer, p, "approve")
    batch = services.create_batch(manajer, kab_code=kab_code, period=_previous_period(timezone.localdate()))
    services.submit_batch(manajer, batch, note="Dikirim melalui SIKS-NG")

    # This month: one in each state before the batch.
    head = min(households[2].members.all(), key=lambda m: m.nik)
    removal = draft(fasilitator, ProposalKind.REMOVAL, {"nik": head.nik}, removal_reason=RemovalReason.DIED,
                    reason="Meninggal dunia, akta kematian dari desa")
    to_checked(removal)  # checked, waiting for the village meeting
    draft(back_office, ProposalKind.CHANGE, {"nomor_kk": households[3].nomor_kk,
                                              "rt": other_than(households[3].rt, "004", "005")},
          reason="Warga melapor pindah RT di desa yang sama")  # draft
    member = draft(fasilitator, ProposalKind.ADD_MEMBER, {
        "nomor_kk": households[4].nomor_kk, "nama": "Bayi Demo Lestari", "tanggal_lahir": "2026-09-14",
        "jenis_kelamin": "P", "hubungan_keluarga": "anak",
    })
    services.verify(fasilitator, member, note="Bayi baru lahir, akta kelahiran ada")  # verified
    approved = draft(fasilitator, ProposalKind.DESIL_REVIEW, {"nomor_kk": households[5].nomor_kk},
                     reason="Anggota keluarga sakit kronis, pengeluaran naik")
    to_checked(approved)
    services.record_meeting(
        supervisor, desa_code=desa, kind=meeting_kind, held_on=timezone.localdate() - dt.timedelta(days=2),
        attendance=37, minutes=_minutes_pdf(fasilitator.region.name), proposals=[approved],
    )
    services.transition(manajer, approved, "approve")  # waits for this month's batch
    return made
