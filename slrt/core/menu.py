"""The main menu as data: one line per entry, shown only to roles that can use it.

`base.html` loops over `menu_for(user, namespace, url_name)`; adding a page to the menu is one
`Item` here. An entry is shown if the user has any of `caps` (none = everyone signed in) and
none of `unless`; it is current when the route's namespace is `ns` and, if given, the URL name
contains one of `names` (or, with `exclude`, none of them).
"""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from slrt.accounts.roles import can


@dataclass(frozen=True)
class Item:
    label: str
    url_name: str
    caps: tuple = ()
    ns: str = ""
    names: tuple = ()
    exclude: tuple = ()
    unless: tuple = ()


# The desk's daily work first, then the registry, then administration. One's own account (every
# role) is in the user box of base.html, next to signing out.
MENU = (
    Item(_("Beranda"), "core:home", ns="core"),
    Item(_("Layanan"), "cases:list", ("view_cases",), ns="cases"),
    Item(_("Rujukan"), "referrals:list", ("view_cases",), ns="referrals"),
    Item(_("Kotak masuk rujukan"), "referrals:inbox", ("respond_referral",), ns="referrals"),
    Item(_("Tinjauan lapangan"), "fieldwork:review_queue", ("review_submissions",), ns="fieldwork"),
    Item(_("Kunjungan"), "fieldwork:tasks", ("use_field_forms",), ns="fieldwork", unless=("review_submissions",)),
    Item(_("Cari warga"), "registry:search", ("view_registry",), ns="registry",
         names=("search", "person", "household")),
    Item(_("Program"), "programs:list", ("view_cases",), ns="programs"),
    Item(_("Usulan"), "updates:list", ("draft_proposal", "approve_proposal"), ns="updates"),
    Item(_("Impor data"), "registry:imports", ("view_imports",), ns="registry", names=("import",)),
    Item(_("Duplikat"), "registry:duplicates", ("review_duplicates",), ns="registry", names=("duplicate",)),
    Item(_("Notifikasi"), "notifications:outbox", ("view_outbox",), ns="notifications"),
    Item(_("Kop surat"), "wilayah:desks", ("manage_letterhead",), ns="wilayah", names=("desk",)),
    Item(_("Wilayah"), "wilayah:index", ("view_regions",), ns="wilayah", exclude=("desk",)),
)


def _current(item: Item, ns: str, url_name: str) -> bool:
    if ns != item.ns:
        return False
    url_name = url_name or ""
    if item.names and not any(n in url_name for n in item.names):
        return False
    return not any(n in url_name for n in item.exclude)


def menu_for(user, ns: str = "", url_name: str = "") -> list[dict]:
    items = []
    for item in MENU:
        if item.caps and not any(can(user, c) for c in item.caps):
            continue
        if any(can(user, c) for c in item.unless):
            continue
        items.append({"label": item.label, "url": reverse(item.url_name), "current": _current(item, ns, url_name)})
    return items
