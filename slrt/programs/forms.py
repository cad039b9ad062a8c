"""Forms of the programme pages: input checks only; the rule vocabulary lives in `rules`."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from slrt.wilayah.forms import RegionField, bind_user
from slrt.wilayah.models import Level

from .models import MAX_BENEFIT, Agency, AgencyService, BenefitPeriod, TargetingError, TargetUnit
from .rules import FIELDS, OPS

RANGE_SPLIT = re.compile(r"\s*(?:–|—|-|s/d|sampai|,)\s*")


def parse_value(field_key: str, op: str, raw: str):
    """Text typed in a rule row -> the value `rules.validate` expects (it reports what is wrong)."""
    raw = (raw or "").strip()
    f = FIELDS.get(field_key)
    if f is None:
        return raw
    if op == "between":
        parts = [p for p in RANGE_SPLIT.split(raw) if p]
        return parts if len(parts) == 2 else raw
    if f.kind == "bool":
        return {"ya": True, "tidak": False, "true": True, "false": False}.get(raw.lower(), raw)
    if f.kind in ("choice", "programs"):
        return [p.strip() for p in raw.split(",") if p.strip()]
    return raw


def format_value(criterion: dict) -> str:
    value = criterion.get("value")
    if criterion.get("op") == "between" and isinstance(value, list):
        return "–".join(str(v) for v in value)
    if isinstance(value, bool):
        return "ya" if value else "tidak"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


def rows_from_post(data) -> list[dict]:
    """The editor's rows as typed (field, op, text), blank rows dropped."""
    fields, ops, values = data.getlist("field"), data.getlist("op"), data.getlist("value")
    rows = []
    for i in range(max(len(fields), len(ops), len(values))):
        row = {
            "field": fields[i] if i < len(fields) else "",
            "op": ops[i] if i < len(ops) else "",
            "text": values[i] if i < len(values) else "",
        }
        if row["field"] or row["text"].strip():
            rows.append(row)
    return rows[:40]


def criteria_from_rows(rows) -> list[dict]:
    return [{"field": r["field"], "op": r["op"], "value": parse_value(r["field"], r["op"], r["text"])} for r in rows]


def rows_from_criteria(criteria) -> list[dict]:
    return [{"field": c["field"], "op": c["op"], "text": format_value(c)} for c in criteria]


def vocabulary():
    return [
        {"key": f.key, "label": f.label, "ops": [(o, OPS[o]) for o in f.ops], "choices": f.choices, "kind": f.kind}
        for f in FIELDS.values()
    ]


class RuleMetaForm(forms.Form):
    note = forms.CharField(
        label=_("Catatan perubahan"),
        max_length=255,
        required=True,
        help_text=_('Mengapa aturan diubah, mis. "Juknis PKH 2026".'),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class AgencyForm(forms.ModelForm):
    class Meta:
        model = Agency
        fields = ["code", "name", "kind", "region", "address", "phone", "email", "active"]
        widgets = {"region": forms.TextInput(attrs={"placeholder": "32.04"})}
        labels = {"region": _("Kode kabupaten/kota")}

    def clean_code(self):
        code = self.cleaned_data["code"].strip().upper()
        if not re.fullmatch(r"[A-Z0-9][A-Z0-9\-]{1,39}", code):
            raise forms.ValidationError(_("Kode hanya huruf besar, angka dan tanda hubung, mis. RSUD-3204."))
        return code


class AgencyServiceForm(forms.ModelForm):
    class Meta:
        model = AgencyService
        fields = ["code", "name", "sector", "sla_days", "active"]

    def clean_code(self):
        code = self.cleaned_data["code"].strip().upper()
        if not re.fullmatch(r"[A-Z0-9][A-Z0-9\-]{0,39}", code):
            raise forms.ValidationError(_("Kode hanya huruf besar, angka dan tanda hubung."))
        return code

    def clean_sla_days(self):
        days = self.cleaned_data["sla_days"]
        if not 1 <= days <= 365:
            raise forms.ValidationError(_("Batas waktu layanan antara 1 dan 365 hari."))
        return days


class TargetingStartForm(forms.Form):
    region = RegionField(label=_("Kabupaten/kota"), levels=(Level.KABUPATEN,),
                         help_text=_("Ketik nama lalu pilih dari saran, mis. Kabupaten Bandung (atau kodenya, 32.04)."))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        bind_user(self, user)


class ErrorFilterForm(forms.Form):
    program = forms.CharField(required=False, max_length=40)
    kind = forms.ChoiceField(required=False, choices=[("", _("Semua"))] + list(TargetingError.Kind.choices))
    desa = RegionField(label=_("Wilayah (desa/kecamatan)"), required=False, levels=(Level.KECAMATAN, Level.DESA))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        bind_user(self, user)


def _kab_only(form):
    region = form.cleaned_data.get("region")
    if region is not None and region.level not in (Level.PROVINSI, Level.KABUPATEN):
        raise forms.ValidationError(_("Wilayah lembaga harus provinsi atau kabupaten/kota."))
    return region


AgencyForm.clean_region = _kab_only


def rules_describe(criteria):
    from .rules import describe_criteria

    return describe_criteria(criteria)


class BenefitForm(forms.Form):
    """A programme's benefit as typed: "3000000", "3.000.000" or "Rp3.000.000" (whole rupiah)."""

    amount = forms.CharField(label=_("Besaran (rupiah)"), max_length=20,
                             help_text=_("Rupiah tanpa sen, mis. 3.000.000."))
    unit = forms.ChoiceField(label=_("Per"), choices=TargetUnit.choices)
    period = forms.ChoiceField(label=_("Periode"), choices=BenefitPeriod.choices)
    note = forms.CharField(label=_("Catatan perubahan / sumber"), max_length=255,
                           help_text=_('Mengapa besaran diubah, mis. "Juknis PKH 2026".'))
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=1_000_000)

    def clean_amount(self):
        raw = re.sub(r"^\s*rp\.?\s*", "", self.cleaned_data["amount"], flags=re.IGNORECASE)
        digits = re.sub(r"[.\s]", "", raw)
        if not re.fullmatch(r"\d{1,12}", digits):
            raise forms.ValidationError(_("Besaran harus bilangan bulat rupiah tanpa sen, mis. 3.000.000."))
        amount = int(digits)
        if amount > MAX_BENEFIT:
            raise forms.ValidationError(_("Besaran antara Rp0 dan Rp1.000.000.000."))
        return amount
