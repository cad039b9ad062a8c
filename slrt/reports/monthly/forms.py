"""The one input of the monthly report page: which month to make (the region is the page's)."""

from django import forms
from django.utils.translation import gettext_lazy as _


class RequestForm(forms.Form):
    # YYYY-MM; checked (format, not in the future) by services.parse_month, which names the field.
    month = forms.CharField(label=_("Bulan"), max_length=7,
                            widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-11"}),
                            help_text=_("Bulan berjalan menghasilkan laporan sementara sampai hari ini."))
    region = forms.CharField(max_length=20, widget=forms.HiddenInput)
