"""One form field for every region filter: a typed name (with HTMX suggestions) or a code,
resolved to one region code inside the user's scope."""

import json

from django import forms
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .models import Level, normalize_code
from .names import is_code, region_label, resolve_region

ALL_LEVELS = (Level.PROVINSI, Level.KABUPATEN, Level.KECAMATAN, Level.DESA)


class RegionInput(forms.TextInput):
    """A text box that asks `/wilayah/saran/` for names as the user types (a combobox)."""

    def __init__(self, levels=ALL_LEVELS, attrs=None):
        self.levels = tuple(levels)
        base = {"autocomplete": "off", "spellcheck": "false", "placeholder": _("ketik nama wilayah, mis. Soreang")}
        super().__init__({**base, **(attrs or {})})

    def format_value(self, value):
        # A code from a link or a saved value shows as its name; what the user typed stays as typed.
        value = super().format_value(value)
        if value and is_code(value):
            return region_label(value)
        return value

    def render(self, name, value, attrs=None, renderer=None):
        attrs = dict(attrs or {})
        box_id = attrs.get("id") or f"id_{name}"
        list_id = f"{box_id}-saran"
        attrs.update({
            "id": box_id, "role": "combobox", "aria-autocomplete": "list", "aria-controls": list_id,
            "aria-expanded": "false", "hx-get": reverse("wilayah:suggest"),
            "hx-trigger": "input changed delay:250ms, focus[!this.value]", "hx-target": f"#{list_id}",
            "hx-swap": "innerHTML", "hx-sync": "this:replace",
            "hx-vals": json.dumps({"field": name, "tingkat": ",".join(str(int(lv)) for lv in self.levels)}),
        })
        box = super().render(name, value, attrs, renderer)
        return render_to_string("wilayah/_region_input.html", {"box": box, "list_id": list_id})


class RegionField(forms.CharField):
    """Cleans to the region code ('' when empty). Set `field.user` (see `bind_user`) before validation."""

    widget = RegionInput

    def __init__(self, *, levels=ALL_LEVELS, codes_to_service=False, **kwargs):
        self.levels = tuple(levels)
        # A form whose service checks the code itself (intake) lets a code through, so that the
        # service reports every problem at once; names are still resolved here.
        self.codes_to_service = codes_to_service
        kwargs.setdefault("max_length", 200)
        kwargs.setdefault("widget", RegionInput(levels=self.levels))
        super().__init__(**kwargs)
        self.user = None

    def clean(self, value):
        text = super().clean(value)
        if not text:
            return ""
        if self.codes_to_service and is_code(text):
            return normalize_code(text)
        return resolve_region(self.user, text, self.levels).code


def bind_user(form, user):
    """Give every RegionField of `form` the user whose scope it resolves in."""
    for field in form.fields.values():
        if isinstance(field, RegionField):
            field.user = user
    return form
