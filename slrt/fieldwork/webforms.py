"""Web forms of field work (the ODK form contract is `formdefs`, not this module)."""

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from slrt.wilayah.forms import RegionField
from slrt.wilayah.models import Level
from slrt.wilayah.names import region_labels

from .models import VisitKind


class AssignVisitForm(forms.Form):
    kind = forms.ChoiceField(label=_("Jenis kunjungan"), choices=VisitKind.choices)
    nomor_kk = forms.CharField(label=_("Nomor KK rumah tangga"), max_length=16, required=False,
                               help_text=_("Untuk verifikasi rumah tangga: 16 digit nomor KK di registri."))
    referral_number = forms.CharField(label=_("Nomor rujukan"), max_length=40, required=False,
                                      help_text=_("Untuk tindak lanjut rujukan, mis. RJK-3201-2026-000001."))
    assigned_to = forms.ChoiceField(label=_("Petugas lapangan"))
    due_date = forms.DateField(label=_("Tenggat"), widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("Catatan untuk petugas"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, staff=(), **kwargs):
        super().__init__(*args, **kwargs)
        staff = list(staff)
        places = region_labels(u.region_id for u in staff)  # names, not codes; one query
        self.fields["assigned_to"].choices = [("", "—")] + [
            (str(u.pk), f"{u.get_full_name() or u.username} · {u.get_role_display()} · "
                        f"{places.get(u.region_id, u.region_id)}")
            for u in staff
        ]
        if not self.is_bound:
            self.fields["due_date"].initial = timezone.localdate() + dt.timedelta(days=7)


class VisitRegionForm(forms.Form):
    """The visit list's region filter (status stays a plain select on the page)."""

    wilayah = RegionField(label=_("Wilayah"), required=False, levels=(Level.KECAMATAN, Level.DESA))


class ReviewForm(forms.Form):
    action = forms.ChoiceField(choices=[("approve", _("Setujui")), ("return", _("Kembalikan"))])
    note = forms.CharField(label=_("Catatan / alasan"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))
