"""The three-way conflict rule for values a tablet downloaded, changed offline and sent back.

For each column the device downloaded (`base`), compare with the server's value now and with
the submitted value. The server changed since the download (server != base) and the facilitator
edited the column too, to something else (base != submitted != server): a conflict, which the
supervisor settles by choosing the server's or the submitted value. Anything else applies
without asking: an unchanged server takes the submitted value; a column the facilitator left as
downloaded keeps the server's newer value (`keep_server_changes`); a submission that agrees
with the server changes nothing. An empty submitted value means "not filled in", not "erase".
"""

from django.utils.translation import gettext_lazy as _

from .formdefs import VERIFICATION_BASE

LABELS = {
    "nomor_kk": _("Nomor KK"),
    "alamat": _("Alamat"),
    "dusun": _("Dusun"),
    "rt": _("RT"),
    "rw": _("RW"),
}
CHOICES = ("server", "submitted")


class Conflicted(Exception):
    """Raised by a handler: applying would overwrite values changed on the server."""

    def __init__(self, conflicts: list[dict]):
        super().__init__("conflict")
        self.conflicts = conflicts


def _norm(value) -> str:
    return " ".join(str(value if value is not None else "").split())


def find_conflicts(base: dict, server: dict, submitted: dict, *, columns=VERIFICATION_BASE,
                   target="household", chosen=None) -> list[dict]:
    """Conflict entries for `columns`.

    A column the device did not download (an old form version without base_* fields, or a push
    without `base`) has an unknown base: a submitted value that differs from a non-empty server
    value is a conflict, never a silent overwrite. A column in `chosen` (decided by the
    supervisor) is skipped while the server still holds the value the supervisor saw; changed
    again, it is asked again (choosing "server" must not revert a newer server change)."""
    chosen = chosen or {}
    found = []
    for column in columns:
        s, v = _norm(server.get(column)), _norm(submitted.get(column))
        decided = chosen.get(column)
        if decided is not None:
            if _norm(decided.get("server")) == s:
                continue
            b = _norm(decided.get("base"))
        elif column not in base:
            if not v or not s or v == s:  # an empty server value is nothing to overwrite
                continue
            b = ""
        else:
            b = _norm(base.get(column))
            if not v or s == b or v == s or v == b:
                continue
        found.append(
            {
                "target": target,
                "field": column,
                "label": str(LABELS.get(column, column)),
                "base": b,
                "server": s,
                "submitted": v,
                "choice": "",
            }
        )
    return found


def keep_server_changes(base: dict, server: dict, submitted: dict, *, columns=VERIFICATION_BASE) -> dict:
    """The submitted values, where a column left as downloaded takes the server's newer value
    (the tablet's copy is only stale, not an edit: it must not propose the old value back)."""
    merged = dict(submitted)
    for column in columns:
        if column in base and _norm(submitted.get(column)) == _norm(base.get(column)) != _norm(server.get(column)):
            merged[column] = server.get(column)
    return merged


def apply_choices(values: dict, conflicts: list[dict]) -> dict:
    """The submitted values with each decided conflict replaced by the chosen side."""
    merged = dict(values)
    for entry in conflicts:
        if entry.get("choice") == "server":
            merged[entry["field"]] = entry["server"]
        elif entry.get("choice") == "submitted":
            merged[entry["field"]] = entry["submitted"]
    return merged
