"""Who is told what, per event. Messages to residents are in Indonesian (they are SMS/WA texts
for people who may not read English); each names the ticket, never the NIK."""

from django.conf import settings

from .models import ChannelKind


def _resident(case):
    if case.applicant_phone:
        yield (
            ChannelKind.WHATSAPP if settings.SLRT_RESIDENT_CHANNEL == "whatsapp" else ChannelKind.SMS,
            case.applicant_phone,
        )
    if case.applicant_email:
        yield ChannelKind.EMAIL, case.applicant_email


def messages_for(event: str, obj, context: dict):
    """Yield (channel, recipient, subject, body)."""
    if event == "case.created":
        case = obj
        body = (
            f"SLRT: keluhan Anda tercatat dengan nomor tiket {case.ticket}. "
            f"Cek status di {settings.SLRT_PUBLIC_URL}/status/ dengan nomor tiket dan kode status pada tanda terima."
        )
        for channel, to in _resident(case):
            yield channel, to, f"Tiket {case.ticket}", body
        return
    referral = obj
    case = referral.case
    if event == "referral.accepted":
        body = f"SLRT: rujukan {referral.number} (tiket {case.ticket}) telah diterima oleh {referral.agency.name}."
        for channel, to in _resident(case):
            yield channel, to, f"Rujukan {referral.number} diterima", body
    elif event == "referral.done":
        body = (
            f"SLRT: layanan rujukan {referral.number} (tiket {case.ticket}) oleh {referral.agency.name} telah selesai."
        )
        for channel, to in _resident(case):
            yield channel, to, f"Rujukan {referral.number} selesai", body
    elif event == "referral.overdue":
        from slrt.accounts.models import User
        from slrt.accounts.roles import Role

        body = (
            f"Rujukan {referral.number} (tiket {case.ticket}) ke {referral.agency.name} melewati batas waktu "
            f"layanan ({referral.due_at:%d-%m-%Y}) dan masih berstatus {referral.get_status_display()}."
        )
        managers = User.objects.filter(role=Role.MANAJER, region_id=referral.kab_code, is_active=True).exclude(email="")
        for user in managers:
            yield ChannelKind.EMAIL, user.email, f"Rujukan terlambat: {referral.number}", body
