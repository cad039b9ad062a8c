"""Duplicate detection: are two person records probably the same human, and why?

Pure logic, no database: the scan (`services.dedup`) feeds it `PersonFacts` read in bulk, the
review screen feeds it two `Person` rows. Each piece of evidence has a reason code (stored on
`DuplicateCandidate.reasons`) and an Indonesian label for the reviewer.

How the score works. Evidence adds weight (capped at 1), counter-evidence then subtracts its
own, floored at 0. A pair is only proposed when

* the names agree (same `name_key`, i.e. the same name after spelling normalisation, or a
  word-by-word rapidfuzz similarity of at least `NAME_MIN`; when the NIK or the mother's name
  already ties the two together, a weaker `NAME_MIN_STRONG` or a shortened name suffices), and
* at least one *identity* fact ties them: a NIK one keystroke away, the same or a day/month-swapped
  birth date, or the same mother's maiden name. A name with a village is not enough:
  Indonesian villages have many "Siti Aminah"s, and so does one family (a daughter named after
  her grandmother), and
* the score reaches `THRESHOLD`.

The NIK carries its own evidence: a mistyped digit (Hamming distance 1), two adjacent digits
swapped, or the DDMM part with day and month swapped (40 added to the day for women). Only
one NIK reason counts, and a NIK difference that merely restates a birth date difference
counts for nothing (see the note on the weights).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from django.utils.translation import gettext_lazy as _
from rapidfuzz import fuzz

from .search import name_key

# Reason codes that speak for the pair, with their weight.
WEIGHTS: dict[str, float] = {
    "nik_one_digit": 0.25,
    "nik_transposed": 0.25,
    "nik_date_swapped": 0.25,
    "same_birth_date": 0.30,
    "birth_date_swapped": 0.25,
    "birth_date_one_digit": 0.10,
    "same_mother": 0.25,
    "same_kk": 0.15,
    "same_desa": 0.10,
}
# NIK numbers are dense: neighbours one digit apart are common (kecamatan 10 and 30, serial
# 0001 and 0002 for two people born the same day). So a NIK one keystroke away is a modest
# hint, and none at all when the differing digits sit in the date part and each NIK agrees
# with its own birth date: then it only restates that the birth dates differ. A NIK whose date
# part is swapped together with the birth date is one error, counted mostly once.
NIK_DATE_SWAP_EXPLAINED_WEIGHT = 0.10
# The name's weight is scaled by its similarity (1.0 for the same normalised name).
NAME_WEIGHT = 0.35
NAME_REASONS = ("same_name", "name_variant", "name_part", "similar_name")

# Counter-evidence: facts that speak against the pair. Shown to the reviewer too. Two clearly
# different mothers' maiden names are strong: Dukcapil records it precisely to tell people apart.
PENALTIES: dict[str, float] = {
    "birth_date_differs": 0.30,
    "sex_differs": 0.20,
    "mother_differs": 0.35,
    "possible_twins": 0.30,
}

NIK_REASONS = ("nik_one_digit", "nik_transposed", "nik_date_swapped")
IDENTITY_REASONS = frozenset(NIK_REASONS) | {"same_birth_date", "birth_date_swapped", "same_mother"}

THRESHOLD = 0.60
NAME_MIN = 0.82
NAME_MIN_STRONG = 0.65
MOTHER_MIN = 0.90
# Two name words count as the same word from this similarity on (Rizki/Rizky, Aminah/Aminnah),
# but not Hasan/Husain.
WORD_MIN = 0.75
# Words of the longer name left without a partner weigh half: "Aminah" / "Siti Aminah" is
# plausibly one woman, "Hendra Hasanah" / "Lina Hasanah" are two people.
EXTRA_WORD_WEIGHT = 0.5
# The most a pair of names can score when a word of the shorter one has no partner.
CONFLICT_CAP = 0.5

REASON_LABELS = {
    "nik_one_digit": _("NIK berbeda satu digit (kemungkinan salah ketik)"),
    "nik_transposed": _("Dua digit NIK yang berdampingan tertukar"),
    "nik_date_swapped": _("Tanggal dan bulan pada NIK tertukar"),
    "same_birth_date": _("Tanggal lahir sama"),
    "birth_date_swapped": _("Tanggal dan bulan lahir tertukar"),
    "birth_date_one_digit": _("Tanggal lahir berbeda satu digit"),
    "same_mother": _("Nama ibu kandung sama"),
    "same_kk": _("Nomor KK sama"),
    "same_desa": _("Desa/kelurahan sama"),
    "same_name": _("Nama sama"),
    "name_variant": _("Nama sama setelah penyeragaman ejaan (mis. oe/u, dj/j, Muhammad/M., Siti/St.)"),
    "name_part": _("Nama yang satu bagian dari nama yang lain (mis. nama belakang tidak ditulis)"),
    "similar_name": _("Nama mirip"),
    "birth_date_differs": _("Tanggal lahir berbeda"),
    "sex_differs": _("Jenis kelamin berbeda"),
    "mother_differs": _("Nama ibu kandung berbeda"),
    "possible_twins": _("Mungkin anak kembar: KK dan tanggal lahir sama, nama berbeda"),
    "manual": _("Dipilih manual oleh petugas"),
}


def reason_label(code: str) -> str:
    """The Indonesian label of a reason code (the code itself if unknown)."""
    return str(REASON_LABELS.get(code, code))


def is_counter_evidence(code: str) -> bool:
    return code in PENALTIES


# --- merge choices -------------------------------------------------------------------------
# Fields a reviewer chooses between when merging a pair, in display order (the review screen
# shows them, `services.dedup.merge_people` applies them). `household` moves the survivor to the
# other record's KK (and so its region). Derived columns follow: `name_key` follows `nama`,
# `nik_warnings` follows `nik`.
MERGE_FIELDS = (
    "nik", "nama", "tempat_lahir", "tanggal_lahir", "jenis_kelamin", "household", "hubungan_keluarga",
    "nama_ibu_kandung", "pekerjaan", "pendidikan", "status_kawin", "disabilitas", "penyakit_kronis", "hamil",
    "jenis_ppks", "id_dtks",
)
SURVIVOR, MERGED = "survivor", "merged"


def merge_field_value(person, field: str):
    """The value of a `Person` that a merge choice of `field` keeps."""
    return person.household_id if field == "household" else getattr(person, field)


@dataclass(frozen=True, slots=True)
class PersonFacts:
    """What detection looks at of one person; built from a row or a `Person`."""

    id: int
    nik: str
    nama: str
    name_key: str
    tanggal_lahir: dt.date | None
    jenis_kelamin: str
    desa_code: str
    kab_code: str
    nama_ibu_kandung: str
    household_id: int | None

    # The column order of `from_row`, so the scan can read plain tuples.
    COLUMNS = (
        "id", "nik", "nama", "name_key", "tanggal_lahir", "jenis_kelamin", "desa_code", "kab_code",
        "nama_ibu_kandung", "household_id",
    )

    @classmethod
    def from_row(cls, row) -> PersonFacts:
        return cls(*row)

    @classmethod
    def of(cls, person) -> PersonFacts:
        return cls(*(getattr(person, c) for c in cls.COLUMNS))


@dataclass(frozen=True, slots=True)
class Assessment:
    """The verdict on one pair: score 0..1, evidence and counter-evidence, and whether to propose it."""

    score: float
    reasons: tuple[str, ...]
    counter: tuple[str, ...]
    name_similarity: float
    is_candidate: bool

    @property
    def codes(self) -> list[str]:
        """What `DuplicateCandidate.reasons` stores: evidence first, then counter-evidence."""
        return [*self.reasons, *self.counter]


# --- NIK -----------------------------------------------------------------------------------


def _is_nik(s: str) -> bool:
    return len(s) == 16 and s.isdigit()


def nik_one_digit(a: str, b: str) -> bool:
    """The two NIKs differ in exactly one digit (Hamming distance 1)."""
    return _is_nik(a) and _is_nik(b) and sum(x != y for x, y in zip(a, b, strict=True)) == 1


def nik_transposed(a: str, b: str) -> bool:
    """The two NIKs are equal but for two adjacent digits swapped."""
    if not (_is_nik(a) and _is_nik(b)):
        return False
    diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]


def _nik_day_month(nik: str) -> tuple[bool, int, int]:
    day, month = int(nik[6:8]), int(nik[8:10])
    female = day > 40
    return female, day - 40 if female else day, month


def nik_date_swapped(a: str, b: str) -> bool:
    """Equal NIKs except that day and month of the encoded birth date are swapped."""
    if not (_is_nik(a) and _is_nik(b)) or a == b or a[:6] != b[:6] or a[10:] != b[10:]:
        return False
    fa, da, ma = _nik_day_month(a)
    fb, db, mb = _nik_day_month(b)
    return fa == fb and da != ma and (da, ma) == (mb, db)


def nik_matches_birth(nik: str, born: dt.date | None, sex: str = "") -> bool:
    """The NIK's DDMMYY part encodes `born` (40 added to the day for women; either if sex unknown)."""
    if not born or not _is_nik(nik):
        return False
    tail = f"{born.month:02d}{born.year % 100:02d}"
    days = {"L": (born.day,), "P": (born.day + 40,)}.get(sex, (born.day, born.day + 40))
    return nik[6:12] in {f"{d:02d}{tail}" for d in days}


def _nik_reason(a: PersonFacts, b: PersonFacts) -> str | None:
    """The NIK evidence for a pair, if any (see the note on NIK weights above)."""
    x, y = a.nik, b.nik
    if len(x) != 16 or len(y) != 16:
        return None
    # One pass over the digits: the scan calls this for millions of pairs.
    diff = [i for i in range(16) if x[i] != y[i]]
    if len(diff) == 1:
        code = "nik_one_digit"
    elif len(diff) == 2 and diff[1] == diff[0] + 1 and x[diff[0]] == y[diff[1]] and x[diff[1]] == y[diff[0]]:
        code = "nik_transposed"
    elif 2 <= len(diff) <= 4 and diff[0] >= 6 and diff[-1] <= 9:
        return "nik_date_swapped" if nik_date_swapped(x, y) else None
    else:
        return None
    if not (x.isdigit() and y.isdigit()):
        return None
    explained = (
        diff[0] >= 6 and diff[-1] <= 11  # only date digits differ
        and a.tanggal_lahir != b.tanggal_lahir
        and nik_matches_birth(x, a.tanggal_lahir, a.jenis_kelamin)
        and nik_matches_birth(y, b.tanggal_lahir, b.jenis_kelamin)
    )
    return None if explained else code


# --- birth dates ---------------------------------------------------------------------------


def dates_swapped(a: dt.date | None, b: dt.date | None) -> bool:
    """Same year, and a's day is b's month and the other way round (3 April vs 4 March)."""
    return bool(a and b and a != b and a.year == b.year and a.day == b.month and a.month == b.day)


def _digits_apart(x: int, y: int, width: int) -> int:
    n = 0
    for _digit in range(width):
        n += x % 10 != y % 10
        x //= 10
        y //= 10
    return n


def dates_one_digit(a: dt.date | None, b: dt.date | None) -> bool:
    """The dates differ in exactly one digit of YYYYMMDD (a typing slip)."""
    if not (a and b) or a == b:
        return False
    return (
        _digits_apart(a.year, b.year, 4) + _digits_apart(a.month, b.month, 2) + _digits_apart(a.day, b.day, 2)
    ) == 1


# --- names ---------------------------------------------------------------------------------


def name_similarity(key_a: str, key_b: str) -> float:
    """Similarity 0..1 of two normalised names (`name_key`), word by word.

    Each word of the shorter name is paired with its closest word in the other (order free:
    "Rizki Ramadan" / "Ramadan Rizky"); a word with no partner of at least `WORD_MIN` makes
    the names different (at most `CONFLICT_CAP`); extra words of the longer name weigh half.
    Character-level ratios over whole names are not used on their own because a shared
    surname makes "Hendra Hasanah" and "Lina Hasanah" look 85 % alike.
    """
    return name_match(key_a, key_b)[0]


def name_match(key_a: str, key_b: str) -> tuple[float, bool]:
    """(similarity, compatible): compatible when every word of the shorter name has a partner
    in the longer one, as with a name written in full once and shortened once ("Ajat" /
    "Ajat Komarudin"). Such names agree when other identity facts tie the records."""
    if not key_a or not key_b:
        return 0.0, False
    if key_a == key_b:
        return 1.0, True
    return _name_match(*sorted((key_a, key_b)))


@lru_cache(maxsize=65536)
def _name_match(key_a: str, key_b: str) -> tuple[float, bool]:
    short, long_ = key_a.split(), key_b.split()
    if len(short) > len(long_):
        short, long_ = long_, short
    used = [False] * len(long_)
    matched = total = 0.0
    conflict = False
    for word in sorted(short, key=len, reverse=True):
        best, best_j = 0.0, -1
        for j, other in enumerate(long_):
            if not used[j]:
                r = fuzz.ratio(word, other) / 100.0
                if r > best:
                    best, best_j = r, j
        if best >= WORD_MIN:
            used[best_j] = True
            size = len(word) + len(long_[best_j])
            matched += size * best
            total += size
        else:
            total += len(word)
            conflict = True
    total += EXTRA_WORD_WEIGHT * sum(len(w) for w, u in zip(long_, used, strict=True) if not u)
    sim = matched / total if total else 0.0
    if conflict:
        # A word of the shorter name that matches nothing is a different given name
        # ("Iis Gunawan" / "Rizki Gunawan"): siblings share the rest, not the person.
        sim = min(sim, CONFLICT_CAP)
    # Words written together or apart ("Nurhayati" / "Nur Hayati").
    joined = fuzz.ratio(key_a.replace(" ", ""), key_b.replace(" ", "")) / 100.0
    if joined >= 0.92:
        return max(sim, joined), True
    return sim, not conflict


@lru_cache(maxsize=65536)
def mother_key(nama_ibu: str) -> str:
    return name_key(nama_ibu) if nama_ibu else ""


def _plain(nama: str) -> str:
    return " ".join(nama.casefold().split())


# --- the verdict ---------------------------------------------------------------------------


def assess(a: PersonFacts, b: PersonFacts) -> Assessment:
    """Weigh the evidence that `a` and `b` are the same human (order does not matter)."""
    reasons: list[str] = []
    counter: list[str] = []
    score = 0.0

    sim, compatible = name_match(a.name_key, b.name_key)
    if sim == 1.0:
        reasons.append("same_name" if a.nama == b.nama or _plain(a.nama) == _plain(b.nama) else "name_variant")
    elif compatible and a.name_key.count(" ") != b.name_key.count(" "):
        reasons.append("name_part")
    elif sim >= NAME_MIN_STRONG:
        reasons.append("similar_name")
    score += NAME_WEIGHT * sim

    nik_code = _nik_reason(a, b)
    if nik_code:
        reasons.append(nik_code)

    da, db = a.tanggal_lahir, b.tanggal_lahir
    if da and db:
        if da == db:
            reasons.append("same_birth_date")
        elif dates_swapped(da, db):
            reasons.append("birth_date_swapped")
        elif dates_one_digit(da, db):
            reasons.append("birth_date_one_digit")
        else:
            counter.append("birth_date_differs")

    ma, mb = mother_key(a.nama_ibu_kandung), mother_key(b.nama_ibu_kandung)
    if ma and mb:
        mother_sim, mother_compatible = name_match(ma, mb)
        if mother_sim >= MOTHER_MIN:
            reasons.append("same_mother")
        elif not mother_compatible:
            counter.append("mother_differs")

    if a.household_id is not None and a.household_id == b.household_id:
        reasons.append("same_kk")
        if da and da == db and not compatible:
            counter.append("possible_twins")
    if a.desa_code and a.desa_code == b.desa_code:
        reasons.append("same_desa")
    if a.jenis_kelamin and b.jenis_kelamin and a.jenis_kelamin != b.jenis_kelamin:
        counter.append("sex_differs")

    # Evidence saturates at 1; counter-evidence is taken off after, so it always shows.
    weights = sum(WEIGHTS[r] for r in reasons if r in WEIGHTS)
    if nik_code == "nik_date_swapped" and "birth_date_swapped" in reasons:
        weights -= WEIGHTS["nik_date_swapped"] - NIK_DATE_SWAP_EXPLAINED_WEIGHT
    score = min(1.0, score + weights)
    score = round(max(0.0, score - sum(PENALTIES[c] for c in counter)), 3)

    tied = any(r in IDENTITY_REASONS for r in reasons)
    strong_tie = any(r in NIK_REASONS or r == "same_mother" for r in reasons)
    names_agree = sim >= NAME_MIN or (strong_tie and (sim >= NAME_MIN_STRONG or compatible))
    return Assessment(
        score=score,
        reasons=tuple(reasons),
        counter=tuple(counter),
        name_similarity=round(sim, 3),
        is_candidate=names_agree and tied and score >= THRESHOLD,
    )


def quick_reject(a: PersonFacts, b: PersonFacts) -> bool:
    """A cheap test that `assess` would reject the pair: names too far apart to ever qualify.

    The scan compares many pairs that share only a household or a birth date; most fail here
    without the rest of the evidence being weighed.
    """
    sim, compatible = name_match(a.name_key, b.name_key)
    return sim < NAME_MIN_STRONG and not compatible
