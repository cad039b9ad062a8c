"""Wording of timeline events (`CaseEvent.kind`), rendered with the event's params.

Apps that log case events add their kinds here; a kind missing from the table is shown by its code.
"""

from django.utils.translation import gettext_lazy as _

EVENT_TEXT = {
    "case.created": _("Kasus dicatat (tiket %(ticket)s)."),
    "recommendation.drafted": _("Rekomendasi #%(recommendation)s untuk kebutuhan #%(need)s disusun (%(type)s)."),
    "recommendation.approved": _("Rekomendasi #%(recommendation)s disetujui."),
    "recommendation.rejected": _("Rekomendasi #%(recommendation)s ditolak."),
    "recommendation.override": _(
        "Rekomendasi #%(recommendation)s disetujui menyimpangi hasil pencocokan: keluarga tidak memenuhi "
        "%(failed)s kriteria %(program)s. Alasan: %(reason)s"
    ),
    "letter.issued": _("%(type)s nomor %(number)s diterbitkan."),
    "referral.drafted": _("Draf rujukan %(number)s ke %(agency)s dibuat."),
    "referral.send": _("Rujukan %(number)s dikirim ke lembaga."),
    "referral.accept": _("Rujukan %(number)s diterima lembaga."),
    "referral.reject": _("Rujukan %(number)s ditolak lembaga."),
    "referral.start": _("Layanan rujukan %(number)s dimulai."),
    "referral.done": _("Layanan rujukan %(number)s selesai."),
    "referral.return": _("Rujukan %(number)s dikembalikan oleh lembaga."),
    "referral.cancel": _("Rujukan %(number)s dibatalkan."),
    "case.proposal_drafted": _(
        "Warga belum terdaftar di registri: draf usulan #%(proposal)s dan kunjungan verifikasi #%(visit)s "
        "(tenggat %(due)s) dibuat."
    ),
    "case.consent_withdrawn": _(
        "Warga menarik persetujuan berbagi data dengan lembaga rujukan. Rujukan yang belum dikirim dibatalkan: "
        "%(cancelled)s. Rujukan yang sudah di lembaga ditandai dan lembaga serta Manajer SLRT diberi tahu: "
        "%(flagged)s."
    ),
    "case.receipt_reprinted": _("Tanda terima dicetak ulang; kode status lama tidak berlaku."),
    "case.updated": _("Data kasus diubah."),
    "case.closed": _("Kasus ditutup."),
    "case.reopened": _("Kasus dibuka kembali."),
    "need.added": _("Kebutuhan #%(need)s ditambahkan."),
    "need.edited": _("Kebutuhan #%(need)s diubah."),
    "need.status": _("Status kebutuhan #%(need)s: %(old)s → %(new)s."),
    "task.added": _("Tindak lanjut #%(task)s dijadwalkan (tenggat %(due)s)."),
    "task.done": _("Tindak lanjut #%(task)s selesai."),
    "referral.overdue": _("Rujukan %(number)s melewati batas waktu layanan (%(due)s) dan dieskalasi ke Manajer SLRT."),
    "visit.follow_up": _(
        "Kunjungan tindak lanjut #%(visit)s (rujukan %(number)s): layanan diterima warga: %(layanan)s."
    ),
}


# Params that hold a choice code (a kind or a status) are shown with the code's label.
CODED_PARAMS = ("type", "old", "new", "status")


def _code_labels() -> dict:
    from slrt.referrals.models import ReferralStatus

    from .models import CaseStatus, LetterKind, NeedStatus, RecommendationKind

    labels = {}
    for choices in (ReferralStatus, CaseStatus, NeedStatus, LetterKind, RecommendationKind):
        labels.update(dict(choices.choices))
    return labels


def describe(event) -> str:
    text = EVENT_TEXT.get(event.kind)
    if text is None:
        return event.kind
    labels = _code_labels()
    params = {k: labels.get(v, v) if k in CODED_PARAMS and isinstance(v, str) else v for k, v in event.params.items()}
    try:
        return str(text) % params
    except (KeyError, TypeError, ValueError):
        return str(text)
