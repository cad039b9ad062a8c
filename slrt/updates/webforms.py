"""Django forms of the proposal pages: they only parse input; the rules are in `services`."""

from django import forms
from django.utils.translation import gettext_lazy as _

from slrt.wilayah.forms import RegionField, bind_user

from .models import MeetingKind, ProposalKind, ProposalStatus, RemovalReason
from .rows import ROW_COLUMNS

# Labels of the exchange columns on the create form (the column name is shown too, so that
# what the user types maps one-to-one onto the file the registry owner receives).
COLUMN_LABELS = {
    "nik": _("NIK"), "nomor_kk": _("Nomor KK"), "nama": _("Nama"), "kode_wilayah": _("Kode desa/kelurahan"),
    "id_dtks": _("ID DTKS"), "tanggal_lahir": _("Tanggal lahir"), "tempat_lahir": _("Tempat lahir"),
    "jenis_kelamin": _("Jenis kelamin (L/P)"), "hubungan_keluarga": _("Hubungan keluarga"),
    "nama_ibu_kandung": _("Nama ibu kandung"), "alamat": _("Alamat"), "dusun": _("Dusun"), "rt": _("RT"),
    "rw": _("RW"), "pekerjaan": _("Pekerjaan"), "pendidikan": _("Pendidikan"), "status_kawin": _("Status kawin"),
    "disabilitas": _("Disabilitas"), "desil": _("Desil"), "jenis_ppks": _("Jenis PPKS"),
}
MEMBER_COLUMNS = ("nik", "nama", "tanggal_lahir", "jenis_kelamin", "hubungan_keluarga")


class ProposalFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("Semua status"))] + list(ProposalStatus.choices))
    kind = forms.ChoiceField(label=_("Jenis"), required=False,
                             choices=[("", _("Semua jenis"))] + list(ProposalKind.choices))
    # Any level: a dashboard of a province or kabupaten/kota drills into its own proposals.
    desa = RegionField(label=_("Wilayah"), required=False)
    q = forms.CharField(label=_("Cari (NIK, KK, nama, nomor)"), required=False, max_length=100)
    batch = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    # What the registry-loop figures drill into (reports.figures.referrals.registry_loop).
    release = forms.TypedChoiceField(label=_("Rilis registri yang memutuskan"), required=False, coerce=int,
                                     empty_value=None)
    created_from = forms.DateField(label=_("Diusulkan dari"), required=False,
                                   widget=forms.DateInput(attrs={"type": "date"}))
    created_to = forms.DateField(label=_("Diusulkan sampai"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}))
    accepted_from = forms.DateField(label=_("Diterima registri dari"), required=False,
                                    widget=forms.DateInput(attrs={"type": "date"}))
    accepted_to = forms.DateField(label=_("Diterima registri sampai"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, user=None, releases=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["release"].choices = [("", _("Semua rilis"))] + [(r.pk, release_name(r)) for r in releases]
        bind_user(self, user)

    def clean(self):
        data = super().clean()
        for a, b in (("created_from", "created_to"), ("accepted_from", "accepted_to")):
            if data.get(a) and data.get(b) and data[a] > data[b]:
                self.add_error(b, _("Tanggal akhir harus sesudah tanggal awal."))
        return data

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v}

    def first_error(self) -> str:
        """The first problem, naming the parameter and its label (for the page and exports)."""
        for name, errors in self.errors.items():
            field = self.fields.get(name)
            label = (field.label or name) if field is not None else name
            return _("Parameter %(param)s (%(label)s): %(error)s") % {"param": name, "label": label, "error": errors[0]}
        return ""


def release_name(release) -> str:
    """'DTSEN 2026-07': the source's name and the month, never an id."""
    return f"{release.get_source_display()} {release.period}"


class ProposalForm(forms.Form):
    """Kind, the exchange columns, reasons; new-household members one per line."""

    kind = forms.ChoiceField(label=_("Jenis usulan"), choices=ProposalKind.choices)
    reason = forms.CharField(label=_("Alasan"), required=False, max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))
    removal_reason = forms.ChoiceField(label=_("Alasan penghapusan"), required=False,
                                       choices=[("", "—")] + list(RemovalReason.choices))
    anggota = forms.CharField(
        label=_("Anggota lain (rumah tangga baru)"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Satu anggota per baris: NIK; nama; tanggal lahir; jenis kelamin; hubungan keluarga."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for col in ROW_COLUMNS:
            self.fields[f"col_{col}"] = forms.CharField(label=COLUMN_LABELS.get(col, col), required=False,
                                                        max_length=255)

    def column_fields(self):
        return [self[f"col_{c}"] for c in ROW_COLUMNS]

    def data_dict(self) -> dict:
        """The exchange row typed (only filled columns) plus members for a new household."""
        cd = self.cleaned_data
        data = {c: cd[f"col_{c}"].strip() for c in ROW_COLUMNS if cd.get(f"col_{c}", "").strip()}
        members = []
        for line in (cd.get("anggota") or "").splitlines():
            if not line.strip():
                continue
            cells = [c.strip() for c in line.split(";")]
            members.append({k: v for k, v in zip(MEMBER_COLUMNS, cells, strict=False) if v})
        if members:
            data["anggota"] = members
        return data


def member_lines(members) -> str:
    """New-household members as the textarea holds them (one per line, MEMBER_COLUMNS order)."""
    return "\n".join("; ".join(str(m.get(c, "") or "") for c in MEMBER_COLUMNS) for m in members or [])


class ProposalEditForm(ProposalForm):
    """The data of a proposal still at home (draf, terverifikasi): its kind and removal reason stay."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1,
                                 error_messages={"required": _("Versi data hilang; muat ulang halaman.")})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["kind"]
        del self.fields["removal_reason"]

    @classmethod
    def initial_for(cls, proposal) -> dict:
        data = proposal.data or {}
        initial = {f"col_{c}": data[c] for c in ROW_COLUMNS if data.get(c) not in (None, "")}
        initial.update(version=proposal.version, reason=proposal.reason, anggota=member_lines(data.get("anggota")))
        return initial

    def data_dict(self, previous=None) -> dict:
        """As ProposalForm.data_dict; a member line that names an earlier member (same NIK, or same
        name without NIK) keeps that member's other columns, which the textarea does not show."""
        data = super().data_dict()
        earlier = (previous or {}).get("anggota") or []
        if data.get("anggota") and earlier:
            def key(m):
                return ("nik", m["nik"]) if m.get("nik") else ("nama", str(m.get("nama", "")).strip().lower())

            by_key = {key(m): m for m in earlier if isinstance(m, dict)}
            data["anggota"] = [
                {**{k: v for k, v in by_key.get(key(m), {}).items() if k not in MEMBER_COLUMNS}, **m}
                for m in data["anggota"]
            ]
        return data


class MeetingForm(forms.Form):
    desa_code = forms.ChoiceField(label=_("Desa/kelurahan"))
    kind = forms.ChoiceField(label=_("Jenis musyawarah"), choices=MeetingKind.choices)
    held_on = forms.DateField(label=_("Tanggal musyawarah"), widget=forms.DateInput(attrs={"type": "date"}))
    attendance = forms.IntegerField(label=_("Jumlah hadir"), min_value=1)
    minutes = forms.FileField(label=_("Berita acara (PDF/JPG/PNG, maks. 10 MB)"))
    notes = forms.CharField(label=_("Catatan"), required=False, max_length=2000,
                            widget=forms.Textarea(attrs={"rows": 2}))
    proposals = forms.MultipleChoiceField(label=_("Usulan yang disepakati"), required=False,
                                          widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, desa_choices=(), proposal_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["desa_code"].choices = [("", "—")] + list(desa_choices)
        self.fields["proposals"].choices = list(proposal_choices)


class BatchForm(forms.Form):
    kab_code = forms.ChoiceField(label=_("Kabupaten/kota"))
    period = forms.RegexField(label=_("Periode (TTTT-BB)"), regex=r"^\d{4}-(0[1-9]|1[0-2])$", max_length=7)

    def __init__(self, *args, kab_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kab_code"].choices = list(kab_choices)
