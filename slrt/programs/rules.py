"""Eligibility rules as data: a fixed vocabulary of criteria over a household and its members.

A rule is a list of criteria `{"field": ..., "op": ..., "value": ...}`; all must hold. Each
field of `FIELDS` knows its Indonesian label, the operators it allows, how to check a value,
how to evaluate itself in Python (for one household: the case page, the explanation) and how to
compile itself to SQL (for the batch run over a whole district). Both evaluators read the same
facts with the same semantics, and a property test holds them to it:

* Only active members count (`Person.is_active`); programme receipt is an active
  `ProgramParticipation` of an active member, matched by registry code (PKH, BPNT, ...).
* An unknown value (no desil, no floor area, no members) satisfies no numeric comparison.
* Ages are taken at a reference date (the day of the evaluation). An age range becomes a
  birth-date range before anything is evaluated, so Python and SQL compare the same dates.
* Text fields compare trimmed and lower-cased against the fixed choice keys (ASCII).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# --- choice lists (registry/visit vocabulary, BPS Susenas/Regsosek style), lower-case keys ----

LANTAI = (
    "marmer/granit",
    "keramik",
    "parket/vinil/karpet",
    "ubin/tegel/teraso",
    "kayu/papan kualitas tinggi",
    "semen/bata merah",
    "bambu",
    "kayu/papan kualitas rendah",
    "tanah",
    "lainnya",
)
DINDING = (
    "tembok",
    "plesteran anyaman bambu/kawat",
    "kayu/papan",
    "anyaman bambu",
    "batang kayu",
    "bambu",
    "tembok tanpa plester",
    "lainnya",
)
ATAP = (
    "beton",
    "genteng",
    "seng",
    "asbes",
    "sirap",
    "bambu",
    "jerami/ijuk/daun/rumbia",
    "lainnya",
)
STATUS_BANGUNAN = ("milik sendiri", "kontrak/sewa", "bebas sewa", "dinas", "lainnya")
# Materials that make a house unfit to live in (Permen PUPR 7/2018 on BSPS, simplified).
POOR_LANTAI = ("tanah", "bambu", "kayu/papan kualitas rendah")
POOR_DINDING = ("anyaman bambu", "batang kayu", "bambu", "tembok tanpa plester")
POOR_ATAP = ("jerami/ijuk/daun/rumbia", "bambu", "seng")
# Functional difficulties counted as severe disability (besides anything marked "berat").
SEVERE_DISABILITY = ("disabilitas ganda", "kesulitan mengurus diri sendiri")
PPKS = (
    "anak balita terlantar",
    "anak terlantar",
    "anak yang berhadapan dengan hukum",
    "anak jalanan",
    "anak dengan kedisabilitasan",
    "anak yang menjadi korban tindak kekerasan",
    "anak yang memerlukan perlindungan khusus",
    "lanjut usia terlantar",
    "penyandang disabilitas",
    "tuna susila",
    "gelandangan",
    "pengemis",
    "pemulung",
    "kelompok minoritas",
    "bekas warga binaan lembaga pemasyarakatan",
    "orang dengan hiv/aids",
    "korban penyalahgunaan napza",
    "korban perdagangan orang",
    "korban tindak kekerasan",
    "pekerja migran bermasalah sosial",
    "korban bencana alam",
    "korban bencana sosial",
    "perempuan rawan sosial ekonomi",
    "fakir miskin",
    "keluarga bermasalah sosial psikologis",
    "komunitas adat terpencil",
)
ELDERLY_AGE = 60
MAX_AGE = 130

OPS = {
    "eq": gettext_lazy("sama dengan"),
    "lte": gettext_lazy("paling banyak"),
    "gte": gettext_lazy("paling sedikit"),
    "between": gettext_lazy("antara"),
    "is": gettext_lazy("adalah"),
    "in": gettext_lazy("salah satu dari"),
    "not_in": gettext_lazy("bukan salah satu dari"),
}
NUMBER_OPS = ("eq", "lte", "gte", "between")
VALUE_MAX_LENGTH = 1000  # one text value of a criterion (a number, or choices separated by commas)


def norm(text: str | None) -> str:
    return (text or "").strip().lower()


def years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a non-leap year
        return day.replace(year=day.year - years, day=28)


def age_bounds(ref: dt.date, low: int, high: int) -> tuple[dt.date, dt.date]:
    """Birth dates of people aged low..high (inclusive) on `ref`: (after, until], exclusive-inclusive."""
    return years_before(ref, high + 1), years_before(ref, low)


def age_on(birth: dt.date, ref: dt.date) -> int:
    return ref.year - birth.year - ((ref.month, ref.day) < (birth.month, birth.day))


# --- the facts of one household -------------------------------------------------------------


@dataclass
class Member:
    birth: dt.date | None = None
    hamil: bool | None = None
    disabilitas: str = ""
    penyakit_kronis: str = ""
    jenis_ppks: str = ""


@dataclass
class Facts:
    """What the Python evaluator reads: a household, its active members, its programme codes."""

    desil: int | None = None
    lantai: str = ""
    dinding: str = ""
    atap: str = ""
    status_bangunan: str = ""
    luas_lantai: int | None = None
    members: list[Member] = field(default_factory=list)
    programs: set[str] = field(default_factory=set)

    @classmethod
    def of_household(cls, household, members, program_codes) -> Facts:
        return cls(
            desil=household.desil,
            lantai=household.lantai,
            dinding=household.dinding,
            atap=household.atap,
            status_bangunan=household.status_bangunan,
            luas_lantai=household.luas_lantai,
            members=[
                Member(
                    birth=p.tanggal_lahir,
                    hamil=p.hamil,
                    disabilitas=p.disabilitas,
                    penyakit_kronis=p.penyakit_kronis,
                    jenis_ppks=p.jenis_ppks,
                )
                for p in members
                if p.is_active
            ],
            programs={c.upper() for c in program_codes},
        )


# --- SQL building ---------------------------------------------------------------------------


class SqlContext:
    """Collects the member aggregates a set of rules needs, for one query over many households.

    Aliases: `h` registry_household, `m` the member aggregate (one row per household), `r` the
    programme-receipt aggregate. Every expression returns a true boolean, never NULL.
    """

    def __init__(self, ref: dt.date):
        self.ref = ref
        self.member_cols: list[tuple[str, list]] = []  # (predicate over p, params)
        self.program_codes: list[str] = []

    def member_flag(self, predicate: str, params: list) -> str:
        key = (predicate, params)
        if key not in self.member_cols:
            self.member_cols.append(key)
        return f"m.f{self.member_cols.index(key)}"

    def program_flag(self, code: str) -> str:
        if code not in self.program_codes:
            self.program_codes.append(code)
        return f"r.p{self.program_codes.index(code)}"

    def joins(self, kab_param: bool = True) -> tuple[str, list]:
        """LEFT JOINs of the aggregates, limited to one kab/kota when `kab_param` (param first)."""
        params: list = []
        cols = ["COUNT(*) AS n"]
        for i, (pred, p) in enumerate(self.member_cols):
            cols.append(f"MAX(CASE WHEN {pred} THEN 1 ELSE 0 END) AS f{i}")
            params.extend(p)
        where_kab = "AND p.kab_code = %s" if kab_param else ""
        sql = (
            f" LEFT JOIN (SELECT p.household_id, {', '.join(cols)} FROM registry_person p "
            f"WHERE p.is_active = %s {where_kab} GROUP BY p.household_id) m ON m.household_id = h.id"
        )
        params.append(True)
        if kab_param:
            params.append(None)  # placeholder, filled by the caller
        if self.program_codes:
            pcols = []
            for i, code in enumerate(self.program_codes):
                pcols.append(f"MAX(CASE WHEN pp.program_code = %s THEN 1 ELSE 0 END) AS p{i}")
                params.append(code)
            sql += (
                f" LEFT JOIN (SELECT p.household_id, {', '.join(pcols)} FROM registry_person p "
                f"JOIN registry_programparticipation pp ON pp.person_id = p.id "
                f"WHERE p.is_active = %s AND pp.active = %s {where_kab} GROUP BY p.household_id) r "
                f"ON r.household_id = h.id"
            )
            params.extend([True, True])
            if kab_param:
                params.append(None)
        return sql, params


def _flag(expr: str) -> str:
    return f"COALESCE({expr}, 0) = 1"


# --- the vocabulary -------------------------------------------------------------------------


class Field:
    key: str
    label: str
    ops: tuple[str, ...]
    kind: str  # number | range | bool | choice | programs
    choices: tuple[str, ...] = ()

    def __init__(self, key, label, kind, ops, choices=(), minimum=0, maximum=None):
        self.key, self.label, self.kind, self.ops, self.choices = key, label, kind, ops, choices
        self.minimum, self.maximum = minimum, maximum

    # validation: returns an error message or None, and the cleaned value
    def clean(self, op, value):
        texts = value if isinstance(value, list | tuple) else [value]
        if any(isinstance(v, str) and len(v) > VALUE_MAX_LENGTH for v in texts):
            return _("%(field)s terlalu panjang (maksimal %(max)d karakter).").rstrip(".") % {
                "field": "value", "max": VALUE_MAX_LENGTH}, None
        if self.kind in ("number", "range"):
            values = value if op == "between" else [value]
            if op == "between" and (not isinstance(value, list | tuple) or len(value) != 2):
                return _("perlu dua angka (dari dan sampai)"), None
            cleaned = []
            for v in values:
                if isinstance(v, bool) or not isinstance(v, int | str):
                    return _("harus berupa bilangan bulat"), None
                try:
                    v = int(str(v).strip())
                except ValueError:
                    return _("harus berupa bilangan bulat"), None
                if v < self.minimum or (self.maximum is not None and v > self.maximum):
                    return _("harus antara %(lo)s dan %(hi)s") % {"lo": self.minimum, "hi": self.maximum}, None
                cleaned.append(v)
            if op == "between":
                if cleaned[0] > cleaned[1]:
                    return _("batas bawah lebih besar dari batas atas"), None
                return None, cleaned
            return None, cleaned[0]
        if self.kind == "bool":
            if value in (True, "true", "1", 1, "ya"):
                return None, True
            if value in (False, "false", "0", 0, "tidak"):
                return None, False
            return _("harus ya atau tidak"), None
        # choice / programs: a non-empty list
        if isinstance(value, str):
            value = [v for v in value.split(",")]
        if not isinstance(value, list | tuple):
            return _("harus berupa daftar pilihan"), None
        items = [norm(v) if self.kind == "choice" else str(v).strip().upper() for v in value]
        items = [v for v in items if v]
        if not items:
            return _("pilih paling sedikit satu nilai"), None
        if self.kind == "choice":
            unknown = [v for v in items if v not in self.choices]
            if unknown:
                return _("nilai tidak dikenal: %(v)s") % {"v": ", ".join(unknown)}, None
        else:
            bad = [v for v in items if not v.replace("_", "").replace("-", "").isalnum() or len(v) > 40]
            if bad:
                return _("kode program tidak sah: %(v)s") % {"v": ", ".join(bad)}, None
        return None, sorted(set(items))

    # Python side
    def actual(self, facts: Facts, value, ref: dt.date):
        raise NotImplementedError

    def test(self, op, value, actual) -> bool:
        if self.kind in ("number",):
            if actual is None:
                return False
            return {
                "eq": lambda: actual == value,
                "lte": lambda: actual <= value,
                "gte": lambda: actual >= value,
                "between": lambda: value[0] <= actual <= value[1],
            }[op]()
        if self.kind in ("bool", "range"):
            return bool(actual) == value
        if op == "in":
            return bool(set(actual) & set(value)) if isinstance(actual, set) else actual in value
        return not (set(actual) & set(value)) if isinstance(actual, set) else actual not in value

    # SQL side: (expression, params)
    def sql(self, ctx: SqlContext, op, value) -> tuple[str, list]:
        raise NotImplementedError

    def number_sql(self, expr: str, op, value) -> tuple[str, list]:
        if op == "between":
            return f"({expr} IS NOT NULL AND {expr} BETWEEN %s AND %s)", list(value)
        sym = {"eq": "=", "lte": "<=", "gte": ">="}[op]
        return f"({expr} IS NOT NULL AND {expr} {sym} %s)", [value]

    # Texts
    def requirement(self, op, value) -> str:
        if self.kind == "number":
            if op == "between":
                return _("%(label)s %(lo)s–%(hi)s") % {"label": self.unit_label, "lo": value[0], "hi": value[1]}
            word = {"eq": "", "lte": _("paling tinggi") + " ", "gte": _("paling rendah") + " "}[op]
            return f"{self.unit_label} {word}{value}"
        raise NotImplementedError

    def describe(self, actual) -> str:
        raise NotImplementedError

    @property
    def unit_label(self):
        return str(self.label).lower()


class Desil(Field):
    def actual(self, facts, value, ref):
        return facts.desil

    def sql(self, ctx, op, value):
        return self.number_sql("h.desil", op, value)

    def describe(self, actual):
        return _("Desil %(d)s") % {"d": actual} if actual is not None else _("Desil belum diketahui")

    def requirement(self, op, value):
        if op == "between":
            return _("desil %(lo)s–%(hi)s") % {"lo": value[0], "hi": value[1]}
        return {"eq": _("desil %(v)s"), "lte": _("desil paling tinggi %(v)s"), "gte": _("desil paling rendah %(v)s")}[
            op
        ] % {"v": value}


class MemberCount(Field):
    def actual(self, facts, value, ref):
        return len(facts.members)

    def sql(self, ctx, op, value):
        return self.number_sql("COALESCE(m.n, 0)", op, value)

    def describe(self, actual):
        return _("%(n)s anggota keluarga") % {"n": actual}

    def requirement(self, op, value):
        if op == "between":
            return _("%(lo)s–%(hi)s anggota keluarga") % {"lo": value[0], "hi": value[1]}
        return {
            "eq": _("%(v)s anggota keluarga"),
            "lte": _("paling banyak %(v)s anggota keluarga"),
            "gte": _("paling sedikit %(v)s anggota keluarga"),
        }[op] % {"v": value}


class AreaPerPerson(Field):
    """Floor area per member, compared without division: area <= v * members (exact in both)."""

    def actual(self, facts, value, ref):
        if facts.luas_lantai is None or not facts.members:
            return None
        return facts.luas_lantai / len(facts.members)

    def test(self, op, value, actual):
        return actual is not None and super().test(op, value, actual)

    def sql(self, ctx, op, value):
        n = "m.n"
        area = "h.luas_lantai"
        known = f"{area} IS NOT NULL AND {n} IS NOT NULL AND {n} > 0"
        if op == "between":
            return f"({known} AND {area} >= %s * {n} AND {area} <= %s * {n})", list(value)
        sym = {"eq": "=", "lte": "<=", "gte": ">="}[op]
        return f"({known} AND {area} {sym} %s * {n})", [value]

    def describe(self, actual):
        if actual is None:
            return _("Luas lantai per orang belum diketahui")
        return _("Luas lantai %(v)s m² per orang") % {"v": f"{actual:.1f}".replace(".", ",")}

    def requirement(self, op, value):
        if op == "between":
            return _("luas lantai %(lo)s–%(hi)s m² per orang") % {"lo": value[0], "hi": value[1]}
        return {
            "eq": _("luas lantai %(v)s m² per orang"),
            "lte": _("luas lantai paling luas %(v)s m² per orang"),
            "gte": _("luas lantai paling sempit %(v)s m² per orang"),
        }[op] % {"v": value}


class PoorHousing(Field):
    """How many of floor, wall, roof are of poor material (0-3)."""

    def actual(self, facts, value, ref):
        return sum(
            (norm(facts.lantai) in POOR_LANTAI, norm(facts.dinding) in POOR_DINDING, norm(facts.atap) in POOR_ATAP)
        )

    def sql(self, ctx, op, value):
        parts, params = [], []
        for col, poor in (("lantai", POOR_LANTAI), ("dinding", POOR_DINDING), ("atap", POOR_ATAP)):
            parts.append(f"(CASE WHEN LOWER(TRIM(h.{col})) IN ({', '.join(['%s'] * len(poor))}) THEN 1 ELSE 0 END)")
            params.extend(poor)
        expr, p2 = self.number_sql(f"({' + '.join(parts)})", op, value)
        # number_sql writes the expression twice (IS NOT NULL, then the comparison).
        return expr, params + params + p2

    def describe(self, actual):
        return _("%(n)s dari 3 komponen rumah (lantai, dinding, atap) berbahan tidak layak") % {"n": actual}

    def requirement(self, op, value):
        if op == "between":
            return _("%(lo)s–%(hi)s komponen rumah tidak layak") % {"lo": value[0], "hi": value[1]}
        return {
            "eq": _("%(v)s komponen rumah tidak layak"),
            "lte": _("paling banyak %(v)s komponen rumah tidak layak"),
            "gte": _("paling sedikit %(v)s komponen rumah tidak layak"),
        }[op] % {"v": value}


class HouseChoice(Field):
    def actual(self, facts, value, ref):
        return norm(getattr(facts, self.key))

    def sql(self, ctx, op, value):
        neg = "NOT " if op == "not_in" else ""
        return f"(COALESCE(LOWER(TRIM(h.{self.key})), '') {neg}IN ({', '.join(['%s'] * len(value))}))", list(value)

    def describe(self, actual):
        unknown = _("belum diketahui")
        return f"{self.label}: {actual or unknown}"

    def requirement(self, op, value):
        word = _("salah satu dari") if op == "in" else _("bukan")
        return f"{self.unit_label} {word} {', '.join(value)}"


class MemberAged(Field):
    """Some active member aged `value[0]`..`value[1]` on the reference date; op `between`."""

    def actual(self, facts, value, ref):
        after, until = age_bounds(ref, *value)
        return sum(1 for m in facts.members if m.birth and after < m.birth <= until)

    def test(self, op, value, actual):
        return actual > 0

    def sql(self, ctx, op, value):
        after, until = age_bounds(ctx.ref, *value)
        return _flag(ctx.member_flag("p.tanggal_lahir > %s AND p.tanggal_lahir <= %s", [after, until])), []

    def describe(self, actual):
        return (
            _("%(n)s anggota dalam rentang usia itu") % {"n": actual}
            if actual
            else _("Tidak ada anggota dalam rentang usia itu")
        )

    def requirement(self, op, value):
        return _("ada anggota berusia %(lo)s–%(hi)s tahun") % {"lo": value[0], "hi": value[1]}


class MemberFlag(Field):
    """Whether some active member matches a predicate; value True (there is) or False (there is none)."""

    def __init__(self, key, label, present, absent, predicate, params, python):
        super().__init__(key, label, "bool", ("is",))
        self.present, self.absent = present, absent
        self.predicate, self.params, self.python = predicate, params, python

    def actual(self, facts, value, ref):
        return any(self.python(m, ref) for m in facts.members)

    def sql(self, ctx, op, value):
        params = self.params(ctx.ref) if callable(self.params) else list(self.params)
        flag = _flag(ctx.member_flag(self.predicate, params))
        return (flag if value else f"NOT ({flag})"), []

    def describe(self, actual):
        return str(self.present if actual else self.absent)

    def requirement(self, op, value):
        return str(self.present if value else self.absent).lower()


class MemberPpks(Field):
    def actual(self, facts, value, ref):
        return {norm(m.jenis_ppks) for m in facts.members if norm(m.jenis_ppks)}

    def sql(self, ctx, op, value):
        flag = _flag(ctx.member_flag(f"LOWER(TRIM(p.jenis_ppks)) IN ({', '.join(['%s'] * len(value))})", list(value)))
        return (flag if op == "in" else f"NOT ({flag})"), []

    def describe(self, actual):
        return _("PPKS: %(v)s") % {"v": ", ".join(sorted(actual))} if actual else _("Tidak ada anggota PPKS")

    def requirement(self, op, value):
        if op == "in":
            return _("ada anggota PPKS %(v)s") % {"v": ", ".join(value)}
        return _("tidak ada anggota PPKS %(v)s") % {"v": ", ".join(value)}


class Receives(Field):
    def actual(self, facts, value, ref):
        return set(facts.programs)

    def sql(self, ctx, op, value):
        flags = " OR ".join(_flag(ctx.program_flag(code)) for code in value)
        return (f"({flags})" if op == "in" else f"NOT ({flags})"), []

    def describe(self, actual):
        return _("Menerima %(v)s") % {"v": ", ".join(sorted(actual))} if actual else _("Belum menerima program apa pun")

    def requirement(self, op, value):
        if op == "in":
            word = _("atau")
            return _("menerima %(v)s") % {"v": f" {word} ".join(value)}
        word = _("maupun")
        return _("tidak menerima %(v)s") % {"v": f" {word} ".join(value)}


def _elderly_params(ref):
    return [years_before(ref, ELDERLY_AGE)]


FIELDS: dict[str, Field] = {
    f.key: f
    for f in (
        Desil("desil", gettext_lazy("Desil"), "number", NUMBER_OPS, minimum=1, maximum=10),
        MemberCount(
            "jumlah_anggota", gettext_lazy("Jumlah anggota keluarga"), "number", NUMBER_OPS, minimum=0, maximum=50
        ),
        MemberAged(
            "anggota_usia",
            gettext_lazy("Ada anggota berusia (tahun)"),
            "range",
            ("between",),
            minimum=0,
            maximum=MAX_AGE,
        ),
        MemberFlag(
            "anggota_hamil",
            gettext_lazy("Anggota sedang hamil"),
            gettext_lazy("Ada anggota sedang hamil"),
            gettext_lazy("Tidak ada anggota sedang hamil"),
            "p.hamil = %s",
            [True],
            lambda m, ref: m.hamil is True,
        ),
        MemberFlag(
            "anggota_disabilitas",
            gettext_lazy("Anggota penyandang disabilitas"),
            gettext_lazy("Ada anggota penyandang disabilitas"),
            gettext_lazy("Tidak ada anggota penyandang disabilitas"),
            "TRIM(COALESCE(p.disabilitas, '')) <> %s",
            [""],
            lambda m, ref: bool((m.disabilitas or "").strip()),
        ),
        MemberFlag(
            "anggota_disabilitas_berat",
            gettext_lazy("Anggota disabilitas berat"),
            gettext_lazy("Ada anggota dengan disabilitas berat"),
            gettext_lazy("Tidak ada anggota dengan disabilitas berat"),
            f"(LOWER(TRIM(p.disabilitas)) IN ({', '.join(['%s'] * len(SEVERE_DISABILITY))}) "
            "OR LOWER(p.disabilitas) LIKE %s)",
            [*SEVERE_DISABILITY, "%berat%"],
            lambda m, ref: norm(m.disabilitas) in SEVERE_DISABILITY or "berat" in (m.disabilitas or "").lower(),
        ),
        MemberFlag(
            "anggota_lansia",
            gettext_lazy("Anggota lanjut usia (60+)"),
            gettext_lazy("Ada anggota lanjut usia (60+)"),
            gettext_lazy("Tidak ada anggota lanjut usia (60+)"),
            "p.tanggal_lahir <= %s",
            _elderly_params,
            lambda m, ref: m.birth is not None and m.birth <= years_before(ref, ELDERLY_AGE),
        ),
        MemberFlag(
            "anggota_penyakit_kronis",
            gettext_lazy("Anggota berpenyakit kronis"),
            gettext_lazy("Ada anggota berpenyakit kronis"),
            gettext_lazy("Tidak ada anggota berpenyakit kronis"),
            "TRIM(COALESCE(p.penyakit_kronis, '')) <> %s",
            [""],
            lambda m, ref: bool((m.penyakit_kronis or "").strip()),
        ),
        MemberPpks("jenis_ppks", gettext_lazy("Kategori PPKS anggota"), "choice", ("in", "not_in"), PPKS),
        HouseChoice("lantai", gettext_lazy("Lantai"), "choice", ("in", "not_in"), LANTAI),
        HouseChoice("dinding", gettext_lazy("Dinding"), "choice", ("in", "not_in"), DINDING),
        HouseChoice("atap", gettext_lazy("Atap"), "choice", ("in", "not_in"), ATAP),
        HouseChoice(
            "status_bangunan", gettext_lazy("Status kepemilikan rumah"), "choice", ("in", "not_in"), STATUS_BANGUNAN
        ),
        PoorHousing(
            "rumah_tidak_layak", gettext_lazy("Komponen rumah tidak layak"), "number", NUMBER_OPS, minimum=0, maximum=3
        ),
        AreaPerPerson(
            "luas_per_orang", gettext_lazy("Luas lantai per orang (m²)"), "number", NUMBER_OPS, minimum=0, maximum=1000
        ),
        Receives("menerima", gettext_lazy("Menerima program"), "programs", ("in", "not_in")),
    )
}


# --- public API -----------------------------------------------------------------------------


class RuleError(ValueError):
    """`faults` runs beside `errors`: (criterion number, "field" | "op" | "value") or None, so an
    editor can mark the control at fault."""

    def __init__(self, errors: list[str], faults: list | None = None):
        super().__init__("; ".join(errors))
        self.errors = errors
        self.faults = faults or [None] * len(errors)


def validate(criteria) -> list[dict]:
    """Cleaned criteria, or RuleError with one Indonesian message per bad criterion (1-based)."""
    if not isinstance(criteria, list):
        raise RuleError([_("Aturan harus berupa daftar kriteria.")])
    errors, faults, cleaned = [], [], []
    if not criteria:
        errors.append(_("Aturan harus memuat paling sedikit satu kriteria."))
        faults.append(None)
    for n, c in enumerate(criteria, 1):
        if not isinstance(c, dict):
            errors.append(_("Kriteria %(n)s: format tidak dikenal.") % {"n": n})
            faults.append((n, "field"))
            continue
        f = FIELDS.get(c.get("field"))
        if f is None:
            errors.append(_('Kriteria %(n)s: kolom "%(f)s" tidak dikenal.') % {"n": n, "f": c.get("field") or ""})
            faults.append((n, "field"))
            continue
        op = c.get("op")
        if op not in f.ops:
            errors.append(
                _('Kriteria %(n)s (%(label)s): operator "%(op)s" tidak berlaku; pilih %(ops)s.')
                % {"n": n, "label": f.label, "op": op or "", "ops": ", ".join(str(OPS[o]) for o in f.ops)}
            )
            faults.append((n, "op"))
            continue
        problem, value = f.clean(op, c.get("value"))
        if problem:
            errors.append(_("Kriteria %(n)s (%(label)s): %(p)s.") % {"n": n, "label": f.label, "p": problem})
            faults.append((n, "value"))
            continue
        cleaned.append({"field": f.key, "op": op, "value": value})
    if errors:
        raise RuleError(errors, faults)
    return cleaned


def evaluate(criteria: list[dict], facts: Facts, ref: dt.date) -> bool:
    for c in criteria:
        f = FIELDS[c["field"]]
        if not f.test(c["op"], c["value"], f.actual(facts, c["value"], ref)):
            return False
    return True


@dataclass
class Line:
    field: str
    passed: bool
    text: str


def explain(criteria: list[dict], facts: Facts, ref: dt.date, program_label: str) -> list[Line]:
    """One line per criterion: actual value; requirement; verdict ("memenuhi"/"tidak memenuhi")."""
    lines = []
    for c in criteria:
        f = FIELDS[c["field"]]
        actual = f.actual(facts, c["value"], ref)
        passed = f.test(c["op"], c["value"], actual)
        text = _("%(actual)s; %(program)s mensyaratkan %(req)s: %(verdict)s") % {
            "actual": f.describe(actual),
            "program": program_label,
            "req": f.requirement(c["op"], c["value"]),
            "verdict": _("memenuhi") if passed else _("tidak memenuhi"),
        }
        lines.append(Line(c["field"], passed, text))
    return lines


def describe_criteria(criteria: list[dict]) -> list[str]:
    return [FIELDS[c["field"]].requirement(c["op"], c["value"]) for c in criteria]


def compile_expr(criteria: list[dict], ctx: SqlContext) -> tuple[str, list]:
    """A boolean SQL expression over aliases h, m, r for `criteria` (aggregates recorded in ctx)."""
    parts, params = [], []
    for c in criteria:
        sql, p = FIELDS[c["field"]].sql(ctx, c["op"], c["value"])
        parts.append(sql)
        params.extend(p)
    return ("(" + " AND ".join(parts) + ")") if parts else "(1 = 1)", params


def compile_sql(criteria: list[dict], ref: dt.date, kab_code: str | None = None) -> tuple[str, list]:
    """A standalone query listing the ids of eligible households (of one kab/kota if given)."""
    ctx = SqlContext(ref)
    expr, expr_params = compile_expr(criteria, ctx)
    joins, join_params = ctx.joins(kab_param=kab_code is not None)
    join_params = [kab_code if p is None else p for p in join_params]
    where = "h.kab_code = %s AND " if kab_code else ""
    sql = f"SELECT h.id FROM registry_household h{joins} WHERE {where}{expr}"
    return sql, join_params + ([kab_code] if kab_code else []) + expr_params
