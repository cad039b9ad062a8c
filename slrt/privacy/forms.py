"""Forms of the data-request pages: they only parse input; the rules are in `services`."""

from django import forms
from django.utils.translation import gettext_lazy as _

from slrt.cases.services import CASE_EDIT_FIELDS
from slrt.updates.webforms import COLUMN_LABELS

from .models import IdentityMethod, RequestChannel, RequestKind, RequestStatus

# The registry columns a resident can ask to correct about themselves (a desil is reviewed, not
# corrected; NIK, KK and region are the registry owner's keys).
CORRECTABLE_COLUMNS = ("nama", "tempat_lahir", "tanggal_lahir", "jenis_kelamin", "hubungan_keluarga",
                       "nama_ibu_kandung", "pekerjaan", "pendidikan", "status_kawin", "disabilitas", "alamat",
                       "dusun", "rt", "rw")
CASE_FIELD_LABELS = {"summary": _("Uraian keluhan"), "urgency": _("Tingkat urgensi"),
                     "applicant_phone": _("Nomor telepon/WA"), "applicant_email": _("Email"),
                     "applicant_address": _("Alamat")}


class ReceiveForm(forms.Form):
    kind = forms.ChoiceField(label=_("Jenis permintaan"), choices=RequestKind.choices, widget=forms.RadioSelect)
    channel = forms.ChoiceField(label=_("Diterima melalui"), choices=RequestChannel.choices,
                                initial=RequestChannel.DESK)
    received_at = forms.DateTimeField(
        label=_("Waktu surat/email diterima"), required=False,
        help_text=_("Hanya untuk surat atau email; tenggat 3×24 jam dihitung dari waktu ini."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    details = forms.CharField(label=_("Uraian permintaan"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 3}),
                              help_text=_("Untuk perbaikan: data apa yang keliru dan apa yang benar."))


class VerifyForm(forms.Form):
    identity_method = forms.ChoiceField(label=_("Dokumen yang diperlihatkan"), choices=IdentityMethod.choices)
    identity_digits = forms.CharField(label=_("Empat digit terakhir nomor dokumen"), max_length=4, min_length=4,
                                      widget=forms.TextInput(attrs={"inputmode": "numeric", "pattern": "[0-9]{4}",
                                                                    "autocomplete": "off"}))
    identity_note = forms.CharField(label=_("Catatan (wajib untuk kuasa: nomor dan tanggal surat kuasa)"),
                                    required=False, max_length=255)


class ProposalCorrectionForm(forms.Form):
    column = forms.ChoiceField(label=_("Kolom registri"),
                               choices=[(c, COLUMN_LABELS.get(c, c)) for c in CORRECTABLE_COLUMNS])
    value = forms.CharField(label=_("Nilai yang benar"), max_length=255)
    reason = forms.CharField(label=_("Alasan"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class CaseCorrectionForm(forms.Form):
    case = forms.TypedChoiceField(label=_("Kasus"), coerce=int)
    case_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    field = forms.ChoiceField(label=_("Data kasus"), choices=[(f, CASE_FIELD_LABELS[f]) for f in CASE_EDIT_FIELDS])
    value = forms.CharField(label=_("Nilai yang benar"), max_length=2000)

    def __init__(self, *args, cases=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["case"].choices = [(c.pk, c.ticket) for c in cases]


class FilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("Semua status"))] + list(RequestStatus.choices))
    kind = forms.ChoiceField(label=_("Jenis"), required=False,
                             choices=[("", _("Semua jenis"))] + list(RequestKind.choices))

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v}
