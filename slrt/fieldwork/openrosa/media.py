"""The per-user CSV media files of the field forms (columns fixed in the field form contract).

Built for the authenticated user at each request, through scoped selectors, so a facilitator's
tablet only ever holds the desa of their scope and their own open visits. The manifest lists
each file's MD5 as built now: when the user's list changes, the hash changes and Collect
downloads it again.
"""

import csv
import hashlib
import io

from django.db.models import Q
from django.utils.translation import gettext as _

from slrt.fieldwork.models import VisitKind
from slrt.fieldwork.selectors import open_visits_for, visit_label, visit_snapshot
from slrt.programs.models import Program, Sector
from slrt.programs.rules import PPKS
from slrt.registry.tables import region_names
from slrt.wilayah.models import NATION_CODE, Level, Region, ancestor_codes

from ..formdefs import VERIFICATION_BASE
from ..xforms import choice_name


def _desa_in_scope(user):
    qs = Region.objects.filter(level=Level.DESA)
    code = user.region_id
    if not code:
        return qs.none()
    if code != NATION_CODE:
        qs = qs.filter(Q(code=code) | Q(code__startswith=f"{code}."))
    return qs.select_related("parent").order_by("code")


def desa_rows(user):
    for desa in _desa_in_scope(user):
        kec = desa.parent.name if desa.parent_id else ""
        yield {"name": desa.code, "label": _("%(desa)s, Kec. %(kec)s") % {"desa": desa.name, "kec": kec}}


def sektor_rows(user):
    for value, label in Sector.choices:
        yield {"name": value, "label": str(label)}


def ppks_rows(user):
    for text in PPKS:
        yield {"name": choice_name(text), "label": text[:1].upper() + text[1:]}


def program_rows(user):
    # National programmes, and local ones (BLT Dana Desa, CSR) of a region the user sits in.
    region = user.region_id or ""
    local = Q(pk__in=[])
    if region:
        local = Q(region_id__in=ancestor_codes(region)) | Q(region__code__startswith=f"{region}.")
    for program in Program.objects.filter(Q(region__isnull=True) | local, active=True).order_by("code"):
        yield {"name": program.code, "label": program.name}


def _visit_label(visit, desa_names) -> str:
    due = visit.due_date.strftime("%d/%m/%Y") if visit.due_date else _("tanpa tenggat")
    desa = desa_names.get(visit.desa_code, visit.desa_code)
    return " · ".join([due, desa, visit_label(visit)])


def kunjungan_rows(user):
    visits = list(open_visits_for(user, VisitKind.VERIFICATION))
    names = region_names(v.desa_code for v in visits)
    for visit in visits:
        snapshot = visit_snapshot(visit)
        yield {"name": str(visit.pk), "label": _visit_label(visit, names),
               **{c: snapshot.get(c, "") for c in (*VERIFICATION_BASE, "versi")}}


def kunjungan_rujukan_rows(user):
    visits = list(open_visits_for(user, VisitKind.FOLLOW_UP))
    names = region_names(v.desa_code for v in visits)
    for visit in visits:
        status = visit.referral.status if visit.referral_id else ""
        yield {"name": str(visit.pk), "label": _visit_label(visit, names), "status_rujukan": status}


MEDIA = {
    "desa": (("name", "label"), desa_rows),
    "sektor": (("name", "label"), sektor_rows),
    "ppks": (("name", "label"), ppks_rows),
    "program": (("name", "label"), program_rows),
    "kunjungan": (("name", "label", *VERIFICATION_BASE, "versi"), kunjungan_rows),
    "kunjungan_rujukan": (("name", "label", "status_rujukan"), kunjungan_rujukan_rows),
}
# The lists that carry households (KK numbers, addresses): handing them out is an audited read.
PERSONAL = frozenset({"kunjungan", "kunjungan_rujukan"})


def build_csv(name: str, user) -> bytes:
    """The media file `name` (without .csv) as it is for `user` now."""
    columns, rows = MEDIA[name]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows(user))
    return out.getvalue().encode("utf-8")


def md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()
