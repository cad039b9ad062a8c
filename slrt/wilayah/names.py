"""Regions as people name them: labels for pages, suggestions for a typed name, and the
resolution of what someone typed (a name, a "name, parent" pair or a code) to one region
inside their scope.

Regions are public reference data, but suggestions and resolution stay inside the user's
scope so that a filter never offers a place whose rows the user could not see anyway.
Every function reads in one or two queries however many codes it is given (lists call
`region_labels` once per page).
"""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Case, IntegerField, Q, Value, When
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from .models import NATION_CODE, Level, Region, ancestor_codes, level_of, normalize_code

SUGGEST_LIMIT = 15
_CODE = re.compile(r"^\d{2}(\.?\d{2}(\.?\d{2}(\.?\d{4})?)?)?$")
# Words people put before a name; each also tells the level meant.
_PREFIXES = (
    ("kelurahan ", Level.DESA), ("kel. ", Level.DESA), ("kel ", Level.DESA), ("desa ", Level.DESA),
    ("kecamatan ", Level.KECAMATAN), ("kec. ", Level.KECAMATAN), ("kec ", Level.KECAMATAN),
    ("kab. ", Level.KABUPATEN), ("kab ", Level.KABUPATEN), ("provinsi ", Level.PROVINSI),
    ("prov. ", Level.PROVINSI),
)


_KIND_WORDS = {"desa": "desa", "kelurahan": "kelurahan", "kel.": "kelurahan", "kel": "kelurahan"}


def is_code(text: str) -> bool:
    return bool(_CODE.match(text.strip()))


def _prefixed(name: str, kind: str) -> str:
    if kind == "desa":
        return _("Desa %(name)s") % {"name": name}
    if kind == "kelurahan":
        return _("Kel. %(name)s") % {"name": name}
    if kind == "kecamatan":
        return _("Kec. %(name)s") % {"name": name}
    return name  # kabupaten/kota names carry their own word; provinces need none


def _label(code: str, rows: dict[str, tuple[str, str]]) -> str:
    """"Desa Sukamaju, Kec. Soreang" / "Kec. Soreang, Kabupaten Bandung" / "Kabupaten Bandung, Jawa Barat"."""
    if code not in rows:
        return code
    name, kind = rows[code]
    own = _prefixed(name, kind)
    parent = code.rsplit(".", 1)[0] if "." in code else ""
    if parent and parent in rows:
        return f"{own}, {_prefixed(*rows[parent])}"
    return own


def _rows(codes) -> dict[str, tuple[str, str]]:
    wanted = {a for c in codes if c and c != NATION_CODE for a in ancestor_codes(c)}
    if not wanted:
        return {}
    return {c: (n, k) for c, n, k in Region.objects.filter(code__in=wanted).values_list("code", "name", "kind")}


def region_labels(codes) -> dict[str, str]:
    """code -> "Desa Sukamaju, Kec. Soreang" for every code given (one query); unknown codes are left out."""
    codes = {c for c in codes if c}
    rows = _rows(codes)
    return {c: _label(c, rows) for c in codes if c in rows}


def region_label(code: str) -> str:
    return region_labels([code]).get(code, code or "")


# --- typed text -------------------------------------------------------------------------------


def _strip_prefix(part: str) -> tuple[str, int | None]:
    text = " ".join(part.split())
    low = text.lower()
    for prefix, level in _PREFIXES:
        if low.startswith(prefix):
            rest = text[len(prefix):].strip()
            # "Kab. Bandung" is stored as "Kabupaten Bandung".
            return (f"Kabupaten {rest}" if level == Level.KABUPATEN else rest), level
    return text, None


def _scope_q(user) -> Q | None:
    scope = getattr(user, "region_id", None)
    if not scope:
        return None
    if scope == NATION_CODE:
        return ~Q(code=NATION_CODE)
    return Q(code=scope) | Q(code__startswith=f"{scope}.")


def _in_scope(user, code: str) -> bool:
    scope = getattr(user, "region_id", None)
    return bool(scope) and (scope == NATION_CODE or scope in ancestor_codes(code))


@dataclass
class Suggestion:
    code: str
    name: str
    label: str  # what the input holds once picked; `resolve_region` reads it back
    level: str
    trail: str  # the parents, nearest first


def suggest_regions(user, q: str, levels=None, limit: int = SUGGEST_LIMIT) -> list[Suggestion]:
    """Regions inside the user's scope whose name contains `q` (exact and prefix matches first).

    An empty `q` lists the level right below the scope, so a focused empty box offers a start.
    """
    scope_q = _scope_q(user)
    if scope_q is None:
        return []
    qs = Region.objects.filter(scope_q)
    if levels:
        qs = qs.filter(level__in=levels)
    name, hint = _strip_prefix((q or "").split(",")[0])
    if hint is not None:
        qs = qs.filter(level=hint)
    if not name:
        scope = user.region_id
        # A desa-level scope has nothing below it: offer the desa itself.
        qs = qs.filter(code=scope) if level_of(scope) == Level.DESA else qs.filter(parent_id=scope).order_by("name")
    elif len(name) < 2:
        return []
    else:
        qs = qs.filter(name__icontains=name).annotate(
            rank=Case(
                When(name__iexact=name, then=Value(0)), When(name__istartswith=name, then=Value(1)),
                default=Value(2), output_field=IntegerField(),
            )
        ).order_by("rank", "level", "name", "code")
    found = list(qs.values_list("code", "name", "level", "kind")[:limit])
    rows = _rows(c for c, _n, _l, _k in found)
    out = []
    for code, nm, level, kind in found:
        parents = [a for a in reversed(ancestor_codes(code)[:-1]) if a in rows]
        out.append(Suggestion(
            code=code, name=nm, label=_label(code, rows), level=str(_KIND_LABELS.get(kind) or Level(level).label),
            trail=" · ".join(_prefixed(*rows[a]) for a in parents),
        ))
    return out


_KIND_LABELS = {
    "desa": _lazy("Desa"), "kelurahan": _lazy("Kelurahan"), "kecamatan": _lazy("Kecamatan"),
    "kabupaten": _lazy("Kabupaten"), "kota": _lazy("Kota"), "provinsi": _lazy("Provinsi"),
}


def _level_names(levels) -> str:
    return ", ".join(str(Level(lv).label).lower() for lv in sorted(levels))


def resolve_region(user, raw: str, levels=None) -> Region:
    """The one region inside the user's scope that `raw` names, or a ValidationError saying why not.

    `raw` is a Kemendagri code (dotted or not), a name ("Soreang", "Desa Sukamaju"), or a name
    with its parents ("Sukamaju, Kec. Soreang") as a picked suggestion writes it.
    """
    text = " ".join((raw or "").split())
    if is_code(text):
        region = Region.objects.filter(code=normalize_code(text)).first()
        if region is None:
            raise ValidationError(_("Kode wilayah %(code)s tidak dikenal."), code="unknown", params={"code": text})
        candidates = [region]
    else:
        parts = [p for p in (s.strip() for s in text.split(",")) if p]
        if not parts:
            raise ValidationError(_("Ketik nama wilayah."), code="required")
        name, hint = _strip_prefix(parts[0])
        qs = Region.objects.exclude(code=NATION_CODE)
        if hint is not None:
            qs = qs.filter(level=hint)
        kind = _KIND_WORDS.get(parts[0].strip().lower().split(" ", 1)[0])
        if kind:  # "Desa Cibinong" is not "Kel. Cibinong"
            qs = qs.filter(kind=kind)
        if levels:
            qs = qs.filter(level__in=levels)
        candidates = list(qs.filter(name__iexact=name)[:500])
        if not candidates and len(name) >= 3:
            # A unique beginning inside the scope is enough ("Rancaekek Wet" for Rancaekek Wetan).
            scope_q = _scope_q(user)
            if scope_q is not None:
                candidates = list(qs.filter(scope_q, name__istartswith=name)[:2])
                if len(candidates) > 1:
                    candidates = []
        if parts[1:] and candidates:
            rows = _rows(c.code for c in candidates)
            wanted = [_strip_prefix(p) for p in parts[1:]]

            def fits(region: Region) -> bool:
                names = {rows[a][0].lower(): level_of(a) for a in ancestor_codes(region.code)[:-1] if a in rows}
                return all(n.lower() in names and (lv is None or names[n.lower()] == lv) for n, lv in wanted)

            candidates = [c for c in candidates if fits(c)]
        if not candidates:
            raise ValidationError(
                _("Wilayah “%(text)s” tidak ditemukan. Ketik nama desa/kelurahan, kecamatan, atau kabupaten/kota, "
                  "lalu pilih dari saran."),
                code="unknown", params={"text": text},
            )
    inside = [c for c in candidates if _in_scope(user, c.code)]
    if not inside:
        raise ValidationError(
            _("Wilayah “%(text)s” berada di luar wilayah tugas Anda."), code="out_of_scope", params={"text": text}
        )
    if levels and not any(c.level in levels for c in inside):
        raise ValidationError(
            _("Pilih wilayah tingkat %(levels)s."), code="wrong_level", params={"levels": _level_names(levels)}
        )
    inside = [c for c in inside if not levels or c.level in levels]
    if len(inside) > 1:
        labels = region_labels(c.code for c in inside[:5])
        raise ValidationError(
            _("“%(text)s” cocok dengan beberapa wilayah: %(options)s. Pilih salah satu dari saran."),
            code="ambiguous", params={"text": text, "options": "; ".join(labels[c.code] for c in inside[:5])},
        )
    return inside[0]
