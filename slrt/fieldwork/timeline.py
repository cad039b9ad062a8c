"""Wording of the events fieldwork logs on a case's timeline; registered with the case's own
table (`cases.timeline.register_event_kinds`) in `FieldworkConfig.ready()`."""

from django.utils.translation import gettext_lazy as _

EVENT_TEXT = {
    "visit.follow_up": _(
        "Kunjungan tindak lanjut #%(visit)s (rujukan %(number)s): layanan diterima warga: %(layanan)s."
    ),
}
