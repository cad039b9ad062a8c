"""The shape every figure takes, so that one dashboard page, one monthly report writer (XLSX and
PDF), the report API and the frozen reports all read the same thing.

A section is a dict of plain JSON values (a stored monthly report keeps it as it was):

    {"key": "intake", "title": "Pengaduan masuk",
     "figures": [{"key": "total", "label": "Kasus baru", "value": 12, "unit": "", "url": "/layanan/?…"}],
     "tables": [{"key": "by_type", "title": "Menurut jenis keluhan", "chart": "bar",
                 "columns": [{"key": "label", "title": "Jenis"}, {"key": "n", "title": "Kasus"}],
                 "rows": [{"key": "bansos", "label": "Bantuan sosial", "n": 3, "url": "/layanan/?…"}]}]}

`url` (optional) opens the list of exactly the records counted; a table keyed `by_region` has
rows with `code` (a child region), which the dashboard links to that child's own dashboard.
`chart` is "bar", "line" or None; the first numeric column after `label` is the one charted.
"""

from dataclasses import dataclass

from django.http import Http404
from django.utils.translation import gettext as _

from slrt.accounts.scoping import in_scope
from slrt.wilayah.models import NATION_CODE, Region

from ..period import Period


@dataclass(frozen=True)
class Scope:
    """Whose figures, of which region, for which period."""

    user: object
    region: Region  # the nation is Region(code="00") when the user's scope is national
    period: Period

    @property
    def code(self) -> str:
        return self.region.code


def resolve_region(user, code: str = "") -> Region:
    """The region asked for (default: the user's own), inside the user's scope, else 404 exactly as
    if it did not exist (SPEC)."""
    code = (code or user.region_id or "").strip()
    if not code or not user.region_id or not in_scope(user, code):
        raise Http404
    if code == NATION_CODE:
        return Region.objects.filter(code=NATION_CODE).first() or Region(code=NATION_CODE, name=_("Indonesia"), level=0)
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise Http404
    return region


def figure(key: str, label, value, *, url: str = "", unit: str = "") -> dict:
    return {"key": key, "label": str(label), "value": value, "unit": str(unit), "url": url}


def column(key: str, title) -> dict:
    return {"key": key, "title": str(title)}


def table(key: str, title, columns: list[dict], rows: list[dict], *, chart: str | None = None) -> dict:
    return {"key": key, "title": str(title), "columns": columns, "rows": rows, "chart": chart}


def section(key: str, title, *, figures: list[dict] = (), tables: list[dict] = ()) -> dict:
    return {"key": key, "title": str(title), "figures": list(figures), "tables": list(tables)}
