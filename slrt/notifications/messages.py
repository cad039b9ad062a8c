"""Who is told what, per event.

Residents get SMS/WhatsApp (and email if they gave one) naming the ticket and the referral
number only: never a NIK or a name, since a text message can be read by anyone holding the
phone. Staff get email. Texts are rendered in the site language (Indonesian) whatever language
the staff member who triggered them uses.
"""

from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from slrt.core.public import public_url

from .models import ChannelKind


def _resident(case):
    if case.applicant_phone:
        yield (
            ChannelKind.WHATSAPP if settings.SLRT_RESIDENT_CHANNEL == "whatsapp" else ChannelKind.SMS,
            case.applicant_phone,
        )
    if case.applicant_email:
        yield ChannelKind.EMAIL, case.applicant_email


def _manajers(kab_code):
    """The e-mail addresses of the active Manajer SLRT accounts of a kabupaten/kota, once each."""
    from slrt.accounts.models import User
    from slrt.accounts.roles import Role

    seen = set()
    for email in (User.objects.filter(role=Role.MANAJER, region_id=kab_code, is_active=True).exclude(email="")
                  .order_by("id").values_list("email", flat=True)):
        if email.lower() not in seen:
            seen.add(email.lower())
            yield email


def _manajer_and_agency(referral):
    """The Manajer SLRT of the referral's kabupaten/kota, and the agency that holds it."""
    from slrt.accounts.models import User
    from slrt.accounts.roles import Role

    managers = (
        User.objects.filter(role=Role.MANAJER, region_id=referral.kab_code, is_active=True)
        .exclude(email="")
        .order_by("id")
    )
    seen = set()
    for user in managers:
        if user.email.lower() not in seen:
            seen.add(user.email.lower())
            yield user.email
    agency_email = referral.agency.email
    if agency_email and agency_email.lower() not in seen:
        yield agency_email


def messages_for(event: str, obj, context: dict):
    """Yield (channel, recipient, subject, body)."""
    with translation.override(settings.LANGUAGE_CODE):
        yield from list(_messages(event, obj, context))


def _messages(event: str, obj, context: dict):
    if event == "case.created":
        case = obj
        body = _(
            "SLRT: keluhan Anda tercatat dengan nomor tiket %(ticket)s. Cek status di %(url)s/status/ "
            "dengan nomor tiket dan kode status pada tanda terima."
        ) % {"ticket": case.ticket, "url": public_url()}
        for channel, to in _resident(case):
            yield channel, to, _("Tiket %(ticket)s") % {"ticket": case.ticket}, body
        return
    if event == "data_request.due":
        # A resident's data request (UU PDP art. 32) nearing its 3×24-hour deadline: the number and
        # the deadline only, never who asked.
        deadline = timezone.localtime(obj.deadline_at)
        params = {"reference": obj.reference, "deadline": formats.date_format(deadline, "d-m-Y H:i")}
        body = _(
            "Permintaan data pribadi %(reference)s harus dijawab paling lambat %(deadline)s (UU 27/2022, "
            "3×24 jam) dan belum dipenuhi. Mohon ditindaklanjuti.\n\n%(url)s/privasi/%(pk)s/"
        ) % {**params, "url": public_url(), "pk": obj.pk}
        for to in _manajers(obj.kab_code):
            yield ChannelKind.EMAIL, to, _("Permintaan data pribadi mendekati tenggat: %(reference)s") % params, body
        return
    referral = obj
    case = referral.case
    params = {"number": referral.number, "ticket": case.ticket, "agency": referral.agency.name}
    if event == "referral.accepted":
        body = _("SLRT: rujukan %(number)s (tiket %(ticket)s) telah diterima oleh %(agency)s.") % params
        for channel, to in _resident(case):
            yield channel, to, _("Rujukan %(number)s diterima") % params, body
    elif event == "referral.done":
        body = _("SLRT: layanan rujukan %(number)s (tiket %(ticket)s) oleh %(agency)s telah selesai.") % params
        for channel, to in _resident(case):
            yield channel, to, _("Rujukan %(number)s selesai") % params, body
    elif event == "referral.overdue":
        due = timezone.localtime(referral.due_at) if referral.due_at else None
        body = _(
            "Rujukan %(number)s (tiket %(ticket)s) ke %(agency)s melewati batas waktu layanan (%(due)s) "
            "dan masih berstatus %(status)s. Mohon ditindaklanjuti.\n\n%(url)s"
        ) % {
            **params,
            "due": formats.date_format(due, "d-m-Y H:i") if due else "-",
            "status": referral.get_status_display(),
            "url": public_url(),
        }
        for to in _manajer_and_agency(referral):
            yield ChannelKind.EMAIL, to, _("Rujukan terlambat: %(number)s") % params, body
    elif event == "referral.consent_withdrawn":
        withdrawn = timezone.localtime(referral.consent_withdrawn_at) if referral.consent_withdrawn_at else None
        body = _(
            "Warga pada rujukan %(number)s (tiket %(ticket)s) ke %(agency)s telah menarik persetujuan berbagi "
            "datanya dengan lembaga rujukan pada %(date)s (UU 27/2022 tentang Pelindungan Data Pribadi). "
            "Jangan memproses atau membagikan data warga ini lebih lanjut; hubungi Sekretariat SLRT bila "
            "layanan masih berjalan.\n\n%(url)s"
        ) % {
            **params,
            "date": formats.date_format(withdrawn, "d-m-Y H:i") if withdrawn else "-",
            "url": public_url(),
        }
        for to in _manajer_and_agency(referral):
            yield ChannelKind.EMAIL, to, _("Persetujuan berbagi data ditarik: %(number)s") % params, body
