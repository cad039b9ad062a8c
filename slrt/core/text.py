"""Free-text inputs that a workflow step requires (a reason, an outcome): trimmed, present, and
within what a TextField holds sensibly, never starting like a spreadsheet formula
(slrt.core.sheets), each error naming the field."""

from django.utils.translation import gettext as _

from .sheets import formula_message, starts_like_formula

MAX_TEXT = 2000


def required_texts(names, fields: dict, labels: dict, max_len: int = MAX_TEXT) -> tuple[dict, dict]:
    """(values, errors) for the required text fields `names` of `fields`."""
    values, errors = {}, {}
    for name in names:
        raw = fields.get(name)
        value = raw.strip() if isinstance(raw, str) else ("" if raw is None else str(raw))
        if not value:
            errors[name] = _("%(field)s wajib diisi.") % {"field": labels[name]}
        elif starts_like_formula(value):
            errors[name] = formula_message(labels[name])
        elif len(value) > max_len:
            errors[name] = _("%(field)s terlalu panjang (maksimal %(max)d karakter).") % {
                "field": labels[name], "max": max_len}
        else:
            values[name] = value
    return values, errors
