"""The field forms: which exist, who gets them, which per-user choice files they use, and the
field names their instances carry. This is the contract between the XLSForm files (in
`xlsforms/`, converted with pyxform), the OpenRosa transport (`openrosa/`) and the handlers
that apply a submission through the same services as the web UI (`handlers`).

Choice lists that depend on the user (desa of their scope, their assigned visits) or on the
database (sectors, PPKS, programmes) are not baked into the XForm: they are CSV media files
listed in the form's manifest and built per user, so one validated XForm serves every user and
Collect re-downloads a list only when its hash changes.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from slrt.accounts.roles import Role


@dataclass(frozen=True)
class FieldForm:
    form_id: str
    title: str  # shown in Collect's form list; the XLSForm's own title is Indonesian too
    xlsform: str  # file name in xlsforms/
    roles: frozenset
    media: tuple[str, ...]  # CSV media files (names without the .csv ending)


# Media files, each built per user by openrosa.media:
#   desa             name=desa code (dotted), label=“Desa X, Kec. Y” — desa/kelurahan in the user's scope
#   sektor           name=sector value of cases.Sector, label
#   ppks             name=PPKS value, label
#   program          name=programme code, label
#   kunjungan        the user's open verification visits: name=visit id, label, and the base
#                    columns of VERIFICATION_BASE plus `versi` (see selectors.visit_snapshot)
#   kunjungan_rujukan the user's open follow-up visits: name=visit id, label, status_rujukan
FORMS: dict[str, FieldForm] = {
    form.form_id: form
    for form in (
        FieldForm(
            "slrt_verifikasi_rt",
            _("Pendaftaran dan verifikasi rumah tangga"),
            "slrt_verifikasi_rt.xlsx",
            frozenset({Role.FASILITATOR, Role.SUPERVISOR}),
            ("desa", "ppks", "program", "kunjungan"),
        ),
        FieldForm(
            "slrt_pengaduan",
            _("Pengaduan dan permohonan di lapangan"),
            "slrt_pengaduan.xlsx",
            frozenset({Role.FASILITATOR, Role.SUPERVISOR, Role.KOORDINATOR_PUSKESOS}),
            ("desa", "sektor"),
        ),
        FieldForm(
            "slrt_tindak_lanjut",
            _("Kunjungan tindak lanjut rujukan"),
            "slrt_tindak_lanjut.xlsx",
            frozenset({Role.FASILITATOR, Role.KOORDINATOR_PUSKESOS}),
            ("kunjungan_rujukan",),
        ),
    )
}

# Household columns a verification visit may change, compared three ways (the value the tablet
# downloaded, the value on the server now, the value submitted) by the conflict rule.
VERIFICATION_BASE = ("nomor_kk", "alamat", "dusun", "rt", "rw")


def forms_for(user) -> list[FieldForm]:
    return [f for f in FORMS.values() if user.role in f.roles]
