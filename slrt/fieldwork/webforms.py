"""Web forms of field work (the ODK form contract is `formdefs`, not this module)."""

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from slrt.wilayah.forms import RegionField
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


class ReviewForm(forms.Form):
    action = forms.ChoiceField(choices=[("approve", _("Setujui")), ("return", _("Kembalikan"))])
    note = forms.CharField(label=_("Catatan / alasan"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))


def _first_error(form) -> str:
    """The first problem of a filter form, naming the parameter and its label."""
    for name, errors in form.errors.items():
        field = form.fields.get(name)
        label = (field.label or name) if field is not None else name
        return _("Parameter %(param)s (%(label)s): %(error)s") % {"param": name, "label": label, "error": errors[0]}
    return ""


class VisitFilterForm(forms.Form):
    """The visit list's filters (and what the field-work figures drill into)."""

    antrian = forms.ChoiceField(label=_("Antrian"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    kind = forms.ChoiceField(label=_("Jenis"), required=False)
    wilayah = RegionField(label=_("Wilayah"), required=False)
    facilitator = forms.TypedChoiceField(label=_("Petugas"), required=False, coerce=int, empty_value=None)
    assigned_from = forms.DateField(label=_("Ditugaskan dari"), required=False,
                                    widget=forms.DateInput(attrs={"type": "date"}))
    assigned_to = forms.DateField(label=_("Ditugaskan sampai"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}))
    overdue = forms.BooleanField(label=_("Hanya yang lewat tenggat"), required=False)

    def __init__(self, *args, user=None, queues=(), staff=(), **kwargs):
        from .models import VisitStatus

        super().__init__(*args, **kwargs)
        self.fields["antrian"].choices = [("", _("Semua kunjungan"))] + [(q.name, q.label) for q in queues]
        self.fields["status"].choices = [("", _("Semua"))] + list(VisitStatus.choices)
        self.fields["kind"].choices = [("", _("Semua"))] + list(VisitKind.choices)
        self.fields["facilitator"].choices = [("", _("Semua petugas"))] + [
            (u.pk, u.get_full_name() or u.username) for u in staff
        ]
        self.fields["wilayah"].user = user

    def clean(self):
        data = super().clean()
        if data.get("assigned_from") and data.get("assigned_to") and data["assigned_from"] > data["assigned_to"]:
            self.add_error("assigned_to", _("Tanggal akhir harus sesudah tanggal awal."))
        return data

    first_error = _first_error


class SubmissionFilterForm(forms.Form):
    """The review queue's filters: what waits (for review, or in conflict), where, from whom."""

    antrian = forms.ChoiceField(label=_("Antrian"), required=False)
    wilayah = RegionField(label=_("Wilayah"), required=False)
    submitted_by = forms.TypedChoiceField(label=_("Petugas"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, user=None, queues=(), staff=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["antrian"].choices = [("", _("Semua yang menunggu"))] + [(q.name, q.label) for q in queues]
        self.fields["submitted_by"].choices = [("", _("Semua petugas"))] + [
            (u.pk, u.get_full_name() or u.username) for u in staff
        ]
        self.fields["wilayah"].user = user

    first_error = _first_error
