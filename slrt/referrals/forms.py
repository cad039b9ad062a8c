"""Filters of the referral list and the Mitra inbox (the state-machine fields are checked by the
service, which names each missing one)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from slrt.programs.models import Sector
from slrt.wilayah.forms import RegionField, bind_user

from .models import ReferralStatus

FILTER_FIELDS = ("status", "agency", "sector", "region", "date_from", "date_to", "overdue", "sent_from", "sent_to",
                 "sla", "accepted", "escalated", "reason")
SLA_CHOICES = (("tepat", _("Selesai dalam batas waktu")), ("lewat", _("Selesai melewati batas waktu")))


class ReferralFilterForm(forms.Form):
    # A work queue of the home page (selectors.REFERRAL_QUEUES / INBOX_QUEUES) the role may have.
    antrian = forms.ChoiceField(label=_("Antrian"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("Semua"))] + ReferralStatus.choices)
    agency = forms.ChoiceField(label=_("Lembaga"), required=False)
    sector = forms.ChoiceField(label=_("Sektor"), required=False, choices=[("", _("Semua"))] + Sector.choices)
    date_from = forms.DateField(label=_("Dari tanggal"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("Sampai tanggal"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    region = RegionField(label=_("Wilayah"), required=False)
    overdue = forms.BooleanField(label=_("Hanya yang terlambat"), required=False)
    # What the dashboard's figures drill into (reports.figures.referrals): sent in a period (the
    # reports' rule), accepted at some point, escalated, done within or after the SLA, rejected
    # for one reason (its digest: the words never go into a URL).
    sent_from = forms.DateField(label=_("Dikirim dari"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    sent_to = forms.DateField(label=_("Dikirim sampai"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    sla = forms.ChoiceField(label=_("Batas waktu layanan"), required=False)
    accepted = forms.BooleanField(label=_("Pernah diterima lembaga"), required=False)
    escalated = forms.BooleanField(label=_("Dieskalasi"), required=False)
    reason = forms.RegexField(label=_("Alasan penolakan"), required=False, regex=r"^[0-9a-f]{32}$",
                              widget=forms.HiddenInput,
                              error_messages={"invalid": _("Kode alasan penolakan tidak dikenal.")})

    def __init__(self, *args, agencies=(), inbox=False, user=None, queues=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.queues = {q.name: q for q in queues}
        self.fields["antrian"].choices = [("", _("Semua rujukan"))] + [(q.name, q.label) for q in queues]
        self.fields["sla"].choices = [("", _("Semua"))] + list(SLA_CHOICES)
        bind_user(self, user)
        if inbox:
            # A Mitra user only ever sees its own agency, and never drafts; its scope is the agency.
            del self.fields["agency"]
            del self.fields["region"]
            self.fields["status"].choices = [c for c in self.fields["status"].choices if c[0] != ReferralStatus.DRAFT]
        else:
            self.fields["agency"].choices = [("", _("Semua"))] + [(a.code, a.name) for a in agencies]

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("Tanggal akhir harus sesudah tanggal awal."))
        if data.get("sent_from") and data.get("sent_to") and data["sent_from"] > data["sent_to"]:
            self.add_error("sent_to", _("Tanggal akhir harus sesudah tanggal awal."))
        return data

    def first_error(self) -> str:
        """The first problem, naming the parameter and its label (for the API, exports, the page)."""
        for name, errors in self.errors.items():
            field = self.fields.get(name)
            label = field.label if field is not None else name
            return _("Parameter %(param)s (%(label)s): %(error)s") % {"param": name, "label": label, "error": errors[0]}
        return ""

    def filters(self) -> dict:
        if not self.is_bound or not self.is_valid():
            return {}
        c = self.cleaned_data
        found = {k: c.get(k) for k in FILTER_FIELDS if c.get(k)}
        if c.get("antrian"):
            found["queue"] = self.queues[c["antrian"]]
        return found
