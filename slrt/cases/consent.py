"""What the resident is asked at intake (UU PDP): two separate questions, each answered Ya or Tidak
with nothing chosen in advance, and each shown with its purpose in plain words.

One wording for the web form, the receipt and the case page; the ODK complaint form carries the
same Indonesian text in its hints (a test keeps them equal). The rule on the answers lives in
`consent_errors`, used by every channel that takes an intake (web, API, ODK, sync API).
"""

from django.utils import timezone
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

YES, NO = "ya", "tidak"
YES_NO = [(YES, _("Ya")), (NO, _("Tidak"))]

RECORD_QUESTION = _("Apakah warga setuju data pribadinya dicatat dan diproses oleh SLRT?")
RECORD_PURPOSE = _(
    "Untuk apa: mencatat keluhan, memeriksa data di registri sosial (DTSEN), menilai kebutuhan, dan "
    "menghubungi warga tentang perkembangannya. Siapa yang melihat: hanya petugas SLRT dan Puskesos di "
    "wilayah ini. Bila Tidak: keluhan tetap dicatat, tetapi tanpa nama, NIK, kontak, dan alamat."
)
SHARE_QUESTION = _("Apakah warga setuju datanya dibagikan ke lembaga rujukan?")
SHARE_PURPOSE = _(
    "Untuk apa: agar lembaga tujuan rujukan (mis. rumah sakit, Puskesmas, Dukcapil, Dinas Pendidikan) dapat "
    "melayani warga. Yang dikirim: nama, NIK yang disamarkan, nomor telepon, dan kebutuhan yang dirujuk. "
    "Bila Tidak: rujukan tidak dapat dikirim. Persetujuan ini dapat ditarik kapan saja."
)

RECORD_UNANSWERED = _("Tanyakan kepada warga lalu pilih Ya atau Tidak: setuju data pribadinya dicatat?")
SHARE_UNANSWERED = _("Tanyakan kepada warga lalu pilih Ya atau Tidak: setuju datanya dibagikan ke lembaga rujukan?")
SHARE_WITHOUT_RECORD = _(
    "Warga tidak setuju datanya dicatat, jadi tidak ada data yang dapat dibagikan ke lembaga rujukan. "
    "Pilih Tidak, atau tanyakan lagi persetujuan pencatatan."
)


def answer(value) -> bool | None:
    """A yes/no answer as sent by a form ("ya"/"tidak") or a client (true/false); None if unanswered."""
    if isinstance(value, bool):
        return value
    return {YES: True, NO: False}.get(str(value or "").strip().lower())


def consent_errors(consent_given, consent_share_agencies) -> dict[str, list[str]]:
    """Both questions answered, and no sharing of data the resident did not let the desk record."""
    errors: dict[str, list[str]] = {}
    if consent_given not in (True, False):
        errors["consent_given"] = [str(RECORD_UNANSWERED)]
    if consent_share_agencies not in (True, False):
        errors["consent_share_agencies"] = [str(SHARE_UNANSWERED)]
    elif consent_share_agencies and consent_given is False:
        errors["consent_share_agencies"] = [str(SHARE_WITHOUT_RECORD)]
    return errors


def receipt_facts(case) -> list[tuple[str, str]]:
    """What the resident agreed to, as rows of the receipt: both answers, the purpose and the date."""
    if case.consent_share_withdrawn_at:
        share = _t("Ya, lalu ditarik pada %(date)s") % {
            "date": timezone.localtime(case.consent_share_withdrawn_at).strftime("%d-%m-%Y")
        }
    else:
        share = _t("Ya") if case.consent_share_agencies else _t("Tidak")
    at = case.consent_at or case.created_at
    return [
        (
            _t("Setuju data dicatat"),
            _t("Ya") if case.consent_given else _t("Tidak (keluhan dicatat tanpa identitas)"),
        ),
        (_t("Setuju data dibagikan ke lembaga rujukan"), share),
        (_t("Tujuan pemrosesan data"), case.consent_purpose or "—"),
        (_t("Tanggal persetujuan"), timezone.localtime(at).strftime("%d-%m-%Y %H:%M") if at else "—"),
    ]
