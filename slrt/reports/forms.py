"""The dashboard's period filter: month, quarter, year or a custom range, in the query parameters
that `slrt.reports.period.period_from_params` reads (bulan, triwulan, tahun, dari/sampai), so the
page, the report API and the links carried from page to page speak one language."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .period import period_from_params

PARAMS = ("bulan", "triwulan", "tahun", "dari", "sampai", "from", "to")


class PeriodForm(forms.Form):
    # Bounded before parsing: the longest valid value is a date (10 characters).
    bulan = forms.CharField(label=_("Bulan"), required=False, max_length=10)
    triwulan = forms.CharField(label=_("Triwulan"), required=False, max_length=10)
    tahun = forms.CharField(label=_("Tahun"), required=False, max_length=10)
    dari = forms.CharField(label=_("Dari tanggal"), required=False, max_length=10)
    sampai = forms.CharField(label=_("Sampai tanggal"), required=False, max_length=10)
    # SPEC's English names of the custom range (the report API's); accepted here too.
    to = forms.CharField(required=False, max_length=10)

    def __init__(self, data=None, *, region_code: str = ""):
        self.region_code = region_code
        # `from` is a Python keyword: declared here rather than as a class attribute.
        super().__init__(data)
        self.fields["from"] = forms.CharField(required=False, max_length=10)

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            cleaned["period"] = period_from_params({k: (cleaned.get(k) or "").strip() for k in PARAMS},
                                                   self.region_code)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None
        return cleaned


def quarter_choices(today=None) -> list[tuple[str, str]]:
    """The quarters of this year and the two before, newest first (the select of the filter)."""
    today = today or timezone.localdate()
    return [
        (f"{year}-Q{q}", str(_("Triwulan %(q)s %(y)s") % {"q": q, "y": year}))
        for year in range(today.year, today.year - 3, -1)
        for q in range(4, 0, -1)
        if (year, q) <= (today.year, (today.month - 1) // 3 + 1)
    ]


def year_choices(today=None) -> list[str]:
    today = today or timezone.localdate()
    return [str(y) for y in range(today.year, today.year - 5, -1)]


def error_messages(form: PeriodForm) -> list[str]:
    """The form's errors as sentences, each naming its field ("Bulan: …")."""
    messages = []
    for name, errors in form.errors.items():
        field = form.fields.get(name)
        label = field.label if field is not None and field.label else name
        for error in errors:
            messages.append(error if name == "__all__" else f"{label}: {error}")
    return messages
