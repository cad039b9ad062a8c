"""Forms of the service desk pages: they check the shape of input and carry `version`.

Rules (search before create, consent, scope, close only when allowed) live in `services`;
its ValidationError is put back on the form with `apply_errors`, so the page shows every
problem next to what the user typed.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from slrt.programs.models import Sector
from slrt.wilayah.forms import RegionField, bind_user
from slrt.wilayah.models import Level

from . import consent
from .models import CaseStatus, Channel, ComplaintType, NeedStatus, RecommendationStatus, Urgency

DEFAULT_PURPOSE = _("Penanganan keluhan, asesmen kebutuhan, dan rujukan layanan sosial oleh SLRT")


def apply_errors(form, exc: ValidationError, mapping: dict | None = None) -> None:
    """Put a service ValidationError onto a form, field by field (unknown keys become form errors)."""
    mapping = mapping or {}
    if not hasattr(exc, "error_dict"):
        for message in exc.messages:
            form.add_error(None, message)
        return
    for key, messages in exc.message_dict.items():
        field = mapping.get(key, key)
        for message in messages:
            form.add_error(field if field in form.fields else None, message)


class YesNoField(forms.TypedChoiceField):
    """A required Ya/Tidak question shown as two radio buttons with neither one checked."""

    def __init__(self, **kwargs):
        super().__init__(
            choices=consent.YES_NO,
            coerce=consent.answer,
            empty_value=None,
            widget=forms.RadioSelect,
            **kwargs,
        )


class VersionField(forms.IntegerField):
    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(
            min_value=1, error_messages={"required": _("Versi data hilang; muat ulang halaman.")}, **kwargs
        )


class IntakeSearchForm(forms.Form):
    q = forms.CharField(
        label=_("NIK, nomor KK, atau nama"),
        max_length=150,
        required=False,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "autocomplete": "off",
                "autofocus": True,
                "placeholder": _("mis. 3201014506900001 atau Siti Aminah"),
            }
        ),
    )

    def clean_q(self):
        q = " ".join((self.cleaned_data.get("q") or "").split())
        digits = q.replace(".", "").replace("-", "").replace(" ", "")
        if digits.isdigit() and len(digits) != 16:
            raise forms.ValidationError(
                _("NIK dan nomor KK terdiri dari 16 digit; yang diketik %(n)d digit."), params={"n": len(digits)}
            )
        if q and not digits.isdigit() and len(q) < 2:
            raise forms.ValidationError(_("Ketik paling sedikit 2 huruf nama."))
        return q


class IntakeForm(forms.Form):
    # Exactly one of these two: a registry person picked from the search, or a search token.
    orang = forms.IntegerField(required=False, widget=forms.HiddenInput)
    token = forms.CharField(required=False, widget=forms.HiddenInput)

    name = forms.CharField(label=_("Nama lengkap"), max_length=150, required=False)
    nik = forms.CharField(
        label=_("NIK (bila ada)"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    # Typed by name with suggestions (or a code), resolved to one desa inside the user's scope.
    desa_code = RegionField(label=_("Desa/kelurahan tempat tinggal"), required=False, levels=(Level.DESA,),
                            codes_to_service=True)
    address = forms.CharField(label=_("Alamat (dusun, RT/RW)"), max_length=255, required=False)
    phone = forms.CharField(
        label=_("Nomor telepon/WA"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "placeholder": "0812…"}),
    )
    email = forms.CharField(label=_("Email"), max_length=254, required=False, widget=forms.EmailInput())

    complaint_type = forms.ChoiceField(
        label=_("Jenis keluhan"), choices=ComplaintType.choices, initial=ComplaintType.PENGADUAN
    )
    channel = forms.ChoiceField(label=_("Saluran"), choices=Channel.choices)
    urgency = forms.ChoiceField(label=_("Tingkat urgensi"), choices=Urgency.choices, initial=Urgency.NORMAL)
    summary = forms.CharField(
        label=_("Uraian keluhan"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )

    # Two separate questions, nothing chosen in advance (UU PDP): the resident answers each one.
    consent_given = YesNoField(
        label=consent.RECORD_QUESTION,
        help_text=consent.RECORD_PURPOSE,
        error_messages={"required": consent.RECORD_UNANSWERED},
    )
    consent_purpose = forms.CharField(
        label=_("Tujuan pemrosesan data"), max_length=255, required=False, initial=DEFAULT_PURPOSE
    )
    consent_share_agencies = YesNoField(
        label=consent.SHARE_QUESTION,
        help_text=consent.SHARE_PURPOSE,
        error_messages={"required": consent.SHARE_UNANSWERED},
    )


class NeedForm(forms.Form):
    sector = forms.ChoiceField(label=_("Sektor"), choices=[("", "—"), *Sector.choices], required=False)
    description = forms.CharField(
        label=_("Uraian kebutuhan"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


NeedFormSet = forms.formset_factory(NeedForm, extra=3, max_num=20, validate_max=True)


class NeedEditForm(forms.Form):
    version = VersionField()
    sector = forms.ChoiceField(label=_("Sektor"), choices=Sector.choices)
    description = forms.CharField(
        label=_("Uraian kebutuhan"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Uraikan kebutuhannya.")},
    )


class NeedStatusForm(forms.Form):
    version = VersionField()
    status = forms.ChoiceField(
        label=_("Status baru"),
        choices=[
            (NeedStatus.HANDLED, NeedStatus.HANDLED.label),
            (NeedStatus.CLOSED, NeedStatus.CLOSED.label),
            (NeedStatus.OPEN, _("Buka lagi")),
        ],
    )
    outcome = forms.CharField(
        label=_("Hasil / alasan"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class TaskForm(forms.Form):
    title = forms.CharField(
        label=_("Tindak lanjut"),
        max_length=255,
        error_messages={"required": _("Tuliskan tindak lanjut yang harus dilakukan.")},
    )
    due_date = forms.DateField(
        label=_("Tenggat"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": _("Isi tenggat."), "invalid": _("Tenggat harus tanggal yang sah.")},
    )
    assigned_to = forms.ModelChoiceField(
        label=_("Petugas"), queryset=None, required=False, empty_label=_("— belum ditentukan —")
    )
    need = forms.ModelChoiceField(label=_("Kebutuhan"), queryset=None, required=False, empty_label=_("— umum —"))

    def __init__(self, *args, staff=None, needs=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].queryset = staff
        self.fields["assigned_to"].label_from_instance = lambda u: u.get_full_name() or u.username
        self.fields["need"].queryset = needs
        self.fields["need"].label_from_instance = lambda n: f"#{n.pk} {n.get_sector_display()}"


class TaskDoneForm(forms.Form):
    result = forms.CharField(
        label=_("Hasil"), max_length=2000, error_messages={"required": _("Tuliskan hasil tindak lanjut.")}
    )


class CloseForm(forms.Form):
    version = VersionField()
    reason = forms.CharField(
        label=_("Catatan penutupan"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReopenForm(forms.Form):
    version = VersionField()
    reason = forms.CharField(
        label=_("Alasan dibuka kembali"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Tuliskan alasan kasus dibuka kembali.")},
    )


class CaseEditForm(forms.Form):
    version = VersionField()
    urgency = forms.ChoiceField(label=_("Tingkat urgensi"), choices=Urgency.choices)
    summary = forms.CharField(
        label=_("Uraian keluhan"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    applicant_phone = forms.CharField(label=_("Nomor telepon/WA"), max_length=20, required=False)
    applicant_email = forms.CharField(label=_("Email"), max_length=254, required=False)
    applicant_address = forms.CharField(label=_("Alamat"), max_length=255, required=False)


YES_NO_ANY = [("", _("Semua")), ("ya", _("Ya")), ("tidak", _("Tidak"))]


def _select(label, choices) -> forms.CharField:
    """A drop-down on a plain text field: case_filters_from checks the value and names the parameter
    in its message (a figure's link may carry a desk or programme that is not among today's options)."""
    return forms.CharField(label=label, required=False, max_length=200, widget=forms.Select(choices=choices))


class CaseFilterForm(forms.Form):
    """The filter widgets of the case list. Parsing is `selectors.case_filters_from` (the one parser,
    shared with the exports and the figures' links); its error goes on the field it names."""

    # A work queue of the home page (cases.selectors.CASE_QUEUES), offered only if the role has it.
    antrian = _select(_("Antrian"), [])
    tiket = forms.CharField(label=_("Nomor tiket"), required=False, max_length=32)
    status = _select(_("Status"), [])
    jenis = _select(_("Jenis keluhan"), [("", _("Semua")), *ComplaintType.choices])
    sector = _select(_("Sektor kebutuhan"), [("", _("Semua")), *Sector.choices])
    kebutuhan = _select(_("Status kebutuhan"), [("", _("Semua")), *NeedStatus.choices])
    urgency = _select(_("Urgensi"), [("", _("Semua")), *Urgency.choices])
    channel = _select(_("Saluran"), [("", _("Semua")), *Channel.choices])
    loket = _select(_("Loket"), [])
    registri = _select(_("Terdaftar di registri"), YES_NO_ANY)
    # A typed name (with suggestions) or a code, resolved inside the user's scope at any level.
    desa = RegionField(label=_("Wilayah"), required=False)
    # Plain text fields under a date widget: case_filters_from names a bad date (YYYY-MM-DD).
    dari = forms.CharField(label=_("Masuk dari tanggal"), required=False, max_length=10,
                           widget=forms.DateInput(attrs={"type": "date"}))
    sampai = forms.CharField(label=_("Masuk sampai tanggal"), required=False, max_length=10,
                             widget=forms.DateInput(attrs={"type": "date"}))
    overdue = forms.BooleanField(label=_("Ada tindak lanjut terlambat"), required=False)
    rek_program = _select(_("Rekomendasi program"), [])
    rek_status = _select(_("Status rekomendasi"), [("", _("Semua")), *RecommendationStatus.choices])
    rek_override = _select(_("Menyimpangi hasil pencocokan"), YES_NO_ANY)
    # Set by the figures' links (no widget of their own: shown in the "filter active" line).
    rek_lembaga = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)
    rek_layanan = forms.CharField(required=False, max_length=12, widget=forms.HiddenInput)
    rekomendasi = forms.CharField(required=False, max_length=5, widget=forms.HiddenInput)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        bind_user(self, user)
        from slrt.accounts.roles import can
        from slrt.programs.models import Program

        from .selectors import CASE_QUEUES, OPEN_GROUP, desk_choices

        self.fields["antrian"].widget.choices = [("", _("Semua kasus"))] + [
            (q.name, q.label) for q in CASE_QUEUES.values() if can(user, q.capability)
        ]
        self.fields["status"].widget.choices = [
            ("", _("Semua")), (OPEN_GROUP, _("Belum selesai (baru atau diproses)")), *CaseStatus.choices
        ]
        self.fields["loket"].widget.choices = [("", _("Semua")), *desk_choices(user)]
        self.fields["rek_program"].widget.choices = [("", _("Semua")),
                                                     *Program.objects.order_by("name").values_list("code", "name")]
        self.filters = None

    def clean(self):
        from .selectors import FilterError, case_filters_from

        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            self.filters = case_filters_from(self.data, self.user)
        except FilterError as exc:
            self.add_error(exc.param if exc.param in self.fields else None, str(exc))
        return cleaned


class PublicStatusForm(forms.Form):
    tiket = forms.CharField(
        label=_("Nomor tiket"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"placeholder": "SLRT-3204-2026-000123", "autocomplete": "off", "autocapitalize": "characters"}
        ),
        error_messages={"required": _("Isi nomor tiket.")},
    )
    kode = forms.CharField(
        label=_("Kode status"),
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "placeholder": "ABCD-EFGH"}
        ),
        error_messages={"required": _("Isi kode status dari tanda terima.")},
    )
