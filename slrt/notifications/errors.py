"""What a delivery error means, in words for the outbox page.

The outbox stores `code: detail` (HTTP status or exception class, nothing personal; see
`sending.describe_error`); staff read what happened and what to do, never the raw code.
"""

from django.utils.translation import gettext_lazy as _

_BY_CODE = {
    "invalid_recipient": _("Nomor atau alamat penerima tidak dapat dipakai; perbaiki data kontak warga."),
    "no_gateway": _("Gateway SMS/WhatsApp belum diatur; pesan menunggu sampai diatur."),
    "config": _("Alamat gateway SMS/WhatsApp salah diatur (harus diawali http:// atau https://)."),
    "timeout": _("Gateway tidak menjawab tepat waktu; pesan dicoba lagi otomatis."),
    "connection": _("Server tidak dapat terhubung ke gateway; periksa jaringan. Pesan dicoba lagi otomatis."),
    "smtp": _("Server email menolak pesan."),
    "error": _("Pengiriman gagal karena galat tak terduga; pesan dicoba lagi otomatis."),
}

_BY_HTTP = {
    400: _("Gateway menolak isi pesan (permintaan tidak sah)."),
    401: _("Gateway menolak izin akses server; periksa token gateway."),
    403: _("Gateway menolak izin akses server; periksa token gateway."),
    404: _("Alamat gateway tidak ditemukan; periksa pengaturan gateway."),
    413: _("Pesan terlalu panjang untuk gateway."),
    429: _("Gateway membatasi jumlah pesan; pesan dicoba lagi nanti."),
}

_BY_SMTP = {
    "SMTPAuthenticationError": _("Server email menolak login akun pengirim; periksa pengaturan email."),
    "SMTPRecipientsRefused": _("Server email menolak alamat penerima."),
    "SMTPSenderRefused": _("Server email menolak alamat pengirim."),
    "SMTPServerDisconnected": _("Server email memutus sambungan; pesan dicoba lagi otomatis."),
    "SMTPConnectError": _("Server tidak dapat terhubung ke server email; pesan dicoba lagi otomatis."),
}


def error_text(last_error: str) -> str:
    """'http_error: HTTP 503' -> 'Gateway sedang bermasalah …'; '' for no error."""
    if not last_error:
        return ""
    code, _sep, detail = last_error.partition(":")
    code, detail = code.strip(), detail.strip()
    if code == "http_error":
        status = int(detail.rsplit(" ", 1)[-1]) if detail.rsplit(" ", 1)[-1].isdigit() else 0
        if status in _BY_HTTP:
            return str(_BY_HTTP[status])
        if status >= 500:
            return str(_("Gateway sedang bermasalah; pesan dicoba lagi otomatis."))
        return str(_("Gateway menolak pesan."))
    if code == "smtp" and detail in _BY_SMTP:
        return str(_BY_SMTP[detail])
    return str(_BY_CODE.get(code, _BY_CODE["error"]))
