"""Wording of timeline events (`CaseEvent.kind`), rendered with the event's params.

Apps that log case events add their kinds here, or, above cases, with `register_event_kinds` from
their AppConfig.ready(); a kind missing from the table is shown by its code.
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
    "case.proposal_drafted": _(
        "Warga belum terdaftar di registri: draf usulan #%(proposal)s dan kunjungan verifikasi #%(visit)s "
        "(tenggat %(due)s) dibuat."
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
}


# Params that hold a choice code (a kind or a status) are shown with the code's label.
CODED_PARAMS = ("type", "old", "new", "status")
_registered_choices: list = []  # of apps above cases, e.g. referrals' ReferralStatus


def register_event_kinds(texts: dict, *choices) -> None:
    """An app above cases adds the wording of the event kinds it logs on a case, and the choices
    (TextChoices) whose codes those events carry in their coded params."""
    EVENT_TEXT.update(texts)
    for c in choices:
        if c not in _registered_choices:  # ready() may run again (tests)
            _registered_choices.append(c)


def _code_labels() -> dict:
    from .models import CaseStatus, LetterKind, NeedStatus, RecommendationKind

    labels = {}
    # cases' own choices last, so theirs is the label of a code both use ("selesai").
    for choices in (*_registered_choices, CaseStatus, NeedStatus, LetterKind, RecommendationKind):
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
