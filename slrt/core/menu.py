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
    Item(_("Beranda"), "core:home", ns="core", exclude=("admin",)),
    # The monthly reports open from the dashboard (its head links them), and are current under it.
    Item(_("Dasbor"), "dashboard:index", ("view_dashboard",), ns="dashboard"),
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
    Item(_("Wilayah"), "wilayah:index", ("view_regions",), ns="wilayah", exclude=("desk",)),
)

# Administration: one menu entry opens a page of these (core:admin), so the menu still fits one
# row on a 1280 px tablet whatever the role; each page is current under that entry.
ADMIN = (
    Item(_("Pengguna"), "manage:accounts", ("manage_users",), ns="manage"),
    Item(_("Lembaga rujukan"), "programs:agencies", ("manage_agencies",), ns="programs", names=("agenc",)),
    Item(_("Kantor dan kop surat"), "wilayah:desks", ("manage_letterhead",), ns="wilayah", names=("desk",)),
    Item(_("Notifikasi"), "notifications:outbox", ("view_outbox",), ns="notifications"),
    Item(_("Log audit"), "audit_log:list", ("view_audit_log",), ns="audit_log"),
)
ADMIN_ENTRY = Item(_("Pengelolaan"), "core:admin", ns="core", names=("admin",))


def _current(item: Item, ns: str, url_name: str) -> bool:
    if ns != item.ns:
        return False
    url_name = url_name or ""
    if item.names and not any(n in url_name for n in item.names):
        return False
    return not any(n in url_name for n in item.exclude)


def _entries(user, items, ns: str, url_name: str) -> list[dict]:
    return [
        {"label": item.label, "url": reverse(item.url_name), "current": _current(item, ns, url_name)}
        for item in items
        if (not item.caps or any(can(user, c) for c in item.caps)) and not any(can(user, c) for c in item.unless)
    ]


def admin_for(user, ns: str = "", url_name: str = "") -> list[dict]:
    """The administration pages this user can use (the page behind "Pengelolaan")."""
    return _entries(user, ADMIN, ns, url_name)


def menu_for(user, ns: str = "", url_name: str = "") -> list[dict]:
    items = _entries(user, MENU, ns, url_name)
    admin = admin_for(user, ns, url_name)
    if admin:  # current on its own page and on every page it leads to
        entry = _entries(user, [ADMIN_ENTRY], ns, url_name)[0]
        items.append({**entry, "current": entry["current"] or any(a["current"] for a in admin)})
    return items
