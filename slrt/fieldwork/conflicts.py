"""The three-way conflict rule for values a tablet downloaded, changed offline and sent back.

For each column the device downloaded (`base`), compare with the server's value now and with
the submitted value. The server changed since the download (server != base) and the tablet
would overwrite that change with something else (submitted != server): a conflict, which the
supervisor settles by choosing the server's or the submitted value. Anything else applies
without asking: an unchanged server takes the submitted value, and a submission that agrees
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
    """Conflict entries for `columns`; columns the device did not download are not judged,
    and columns in `chosen` (already decided by the supervisor) are skipped."""
    chosen = chosen or {}
    found = []
    for column in columns:
        if column not in base or column in chosen:
            continue
        b, s, v = _norm(base.get(column)), _norm(server.get(column)), _norm(submitted.get(column))
        if not v:
            continue
        if s != b and v != s:
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


def apply_choices(values: dict, conflicts: list[dict]) -> dict:
    """The submitted values with each decided conflict replaced by the chosen side."""
    merged = dict(values)
    for entry in conflicts:
        if entry.get("choice") == "server":
            merged[entry["field"]] = entry["server"]
        elif entry.get("choice") == "submitted":
            merged[entry["field"]] = entry["submitted"]
    return merged
