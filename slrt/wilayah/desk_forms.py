"""Forms of the desk settings page (letterhead, signatories). Checks live in wilayah.desks."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .desks import LOGO_MAX_BYTES, LOGO_MAX_PIXELS
from .forms import RegionField, RegionInput, bind_user
from .models import Level


class LetterheadForm(forms.Form):
    address = forms.CharField(label=_("Alamat kantor"), required=False, max_length=500,
                              widget=forms.Textarea(attrs={"rows": 3}))
    phone = forms.CharField(label=_("Telepon"), required=False, max_length=40)
    email = forms.CharField(label=_("Email"), required=False, max_length=254)
    logo = forms.FileField(
        label=_("Logo"), required=False,
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg"}),
        help_text=_("PNG atau JPEG, paling besar %(kb)s KB dan %(px)s piksel per sisi.") % {
            "kb": LOGO_MAX_BYTES // 1024, "px": LOGO_MAX_PIXELS},
    )
    remove_logo = forms.BooleanField(label=_("Hapus logo"), required=False)


class SignatoryForm(forms.Form):
    name = forms.CharField(label=_("Nama penanda tangan"), max_length=120, required=False)
    title = forms.CharField(label=_("Jabatan"), max_length=160, required=False,
                            help_text=_("Contoh: Kepala Dinas Sosial Kabupaten Bandung"))
    nip = forms.CharField(label=_("NIP"), max_length=30, required=False, help_text=_("18 angka"))
    is_default = forms.BooleanField(label=_("Jadikan penanda tangan utama"), required=False)


class DeskNameForm(forms.Form):
    name = forms.CharField(label=_("Nama kantor"), max_length=200,
                           error_messages={"required": _("Isi nama kantor.")})


class NewDeskForm(forms.Form):
    """A new secretariat (kab/kota) or Puskesos post (desa): where, its name and its contacts."""

    region = RegionField(label=_("Wilayah"), error_messages={"required": _("Isi wilayahnya.")})
    name = forms.CharField(label=_("Nama kantor"), max_length=200, error_messages={"required": _("Isi nama kantor.")})
    address = forms.CharField(label=_("Alamat kantor"), required=False, max_length=500,
                              widget=forms.Textarea(attrs={"rows": 3}))
    phone = forms.CharField(label=_("Telepon"), required=False, max_length=40)
    email = forms.CharField(label=_("Email"), required=False, max_length=254)

    def __init__(self, *args, user=None, kind="puskesos", **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["region"]
        if kind == "puskesos":
            field.label, field.levels = _("Desa/kelurahan"), (Level.DESA,)
            field.help_text = _("Ketik nama desa lalu pilih dari saran, mis. Cibinong.")
        else:
            field.label, field.levels = _("Kabupaten/kota"), (Level.KABUPATEN,)
        field.widget = RegionInput(levels=field.levels)
        bind_user(self, user)
