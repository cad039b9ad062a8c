"""Wording of the events referrals logs on a case's timeline; registered with the case's own
table (`cases.timeline.register_event_kinds`) in `ReferralsConfig.ready()`."""

from django.utils.translation import gettext_lazy as _

EVENT_TEXT = {
    "referral.drafted": _("Draf rujukan %(number)s ke %(agency)s dibuat."),
    "referral.send": _("Rujukan %(number)s dikirim ke lembaga."),
    "referral.accept": _("Rujukan %(number)s diterima lembaga."),
    "referral.reject": _("Rujukan %(number)s ditolak lembaga."),
    "referral.start": _("Layanan rujukan %(number)s dimulai."),
    "referral.done": _("Layanan rujukan %(number)s selesai."),
    "referral.return": _("Rujukan %(number)s dikembalikan oleh lembaga."),
    "referral.cancel": _("Rujukan %(number)s dibatalkan."),
    "referral.overdue": _("Rujukan %(number)s melewati batas waktu layanan (%(due)s) dan dieskalasi ke Manajer SLRT."),
    "case.consent_withdrawn": _(
        "Warga menarik persetujuan berbagi data dengan lembaga rujukan. Rujukan yang belum dikirim dibatalkan: "
        "%(cancelled)s. Rujukan yang sudah di lembaga ditandai dan lembaga serta Manajer SLRT diberi tahu: "
        "%(flagged)s."
    ),
}
