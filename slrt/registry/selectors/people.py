"""Reads of the registry: finding people, one person, one household and its profile.

Everything goes through `Model.objects.for_user(user)`, so the caller's region scope is
applied before anything else; an out-of-scope record behaves exactly like a missing one.

Name search compares `name_key`s (registry.search), which already unify Indonesian spelling
variants, so what remains to tolerate is typing errors:

1. Similar keys. Names repeat (a million people share some tens of thousands of keys), so
   similarity is computed over distinct keys, not people:
   * PostgreSQL: the dictionary `registry_name_key` (filled by triggers, migrations 0005-6)
     with a `pg_trgm` GIN index; `query <% key` (word similarity, so a query naming part of
     a name also matches) above a threshold, best first. If no one in scope holds any of
     them, once more with a lower threshold.
   * SQLite: the distinct keys inside the filtered scope, scored in C by rapidfuzz.
2. People. The people of the filtered scope holding the best keys (btree on `name_key`),
   read in tiers so that a common name does not load everyone who has it.
3. Re-ranking in Python by `name_score`.

The final score (0-1) puts an exact name (ignoring case and spacing) first (1.0), then a
spelling variant with the same key (0.95), then fuzzy matches (at most 0.9, by edit and
token similarity), so exact > variant > typo holds by construction.
"""

import datetime as dt
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connections, transaction
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _
from rapidfuzz import fuzz, process

from slrt.accounts.scoping import in_scope, region_q
from slrt.audit.services import record
from slrt.core.dbrouter import replica_reads
from slrt.registry.models import (
    Household,
    HouseholdAppearance,
    Person,
    ProgramParticipation,
    RegistryChange,
)
from slrt.registry.search import name_key
from slrt.wilayah.models import ancestor_codes, normalize_code
from slrt.wilayah.names import resolve_region

SEPARATORS = re.compile(r"[\s.\-/]+")

# Word similarity a name key must reach on PostgreSQL, by query length: a short query shares
# a couple of trigrams with thousands of names, a long one few. If that finds no one scoring
# at least GOOD_SCORE, the search is widened to the fallback threshold.
TRIGRAM_THRESHOLDS = ((5, 0.6), (8, 0.5), (None, 0.4))
TRIGRAM_FALLBACK_THRESHOLD = 0.3
GOOD_SCORE = 0.8
# Score (rapidfuzz WRatio, 0-100) a name key must reach on SQLite.
FUZZY_CUTOFF = 60
# At most this many similar keys are considered, read in tiers of these cumulative sizes.
MAX_KEYS = 2000
KEY_TIERS = (10, 50, 200, 1000, MAX_KEYS)
# At most this many people per tier (a query like "Dewi" in a whole province).
PAIR_CAP = 20_000
# How many people are re-ranked in Python (at least; grows with offset+limit).
MIN_CANDIDATES = 200

EXACT_SCORE = 1.0
VARIANT_SCORE = 0.95
FUZZY_CEILING = 0.9


def clean_number(raw: str | None) -> str:
    """'3201 0145-0690.0001' -> '3201014506900001': NIK and KK as people type them."""
    return SEPARATORS.sub("", raw or "")


def _plain(nama: str) -> str:
    return " ".join(nama.casefold().split())


def name_score(query: str, nama: str, *, query_key: str | None = None, key: str | None = None) -> float:
    """Closeness of a stored name to a query, 0-1 (see module docstring for the scale)."""
    if _plain(query) == _plain(nama):
        return EXACT_SCORE
    query_key = name_key(query) if query_key is None else query_key
    key = name_key(nama) if key is None else key
    if query_key == key:
        return VARIANT_SCORE
    whole = max(fuzz.ratio(query_key, key), fuzz.token_sort_ratio(query_key, key))
    # A query naming only part of the person ("aminah" for "siti aminah") is a good, not a perfect, match.
    part = 0.9 * fuzz.token_set_ratio(query_key, key)
    return round(FUZZY_CEILING * max(whole, part) / 100, 4)


def _region_filter(user, region: str | None) -> Q | None:
    """The filter for a region asked for, or None when nothing can match.

    A region that contains the user's scope adds nothing; one inside it narrows; any other is
    outside the scope and yields nothing (the same as an empty region, revealing nothing).
    """
    if not region:
        return Q()
    code = normalize_code(region)
    scope = getattr(user, "region_id", None)  # None for anonymous users
    if not code or not scope:
        return None
    if in_scope(user, code):
        return region_q(code)
    if code in ancestor_codes(scope):
        return Q()
    return None


def search_people(
    user, *, nik: str | None = None, nomor_kk: str | None = None, q: str | None = None,
    region: str | None = None, birth_year: int | None = None, limit: int = 50, offset: int = 0,
    include_inactive: bool = False,
) -> list[Person]:
    """People inside the user's scope matching every criterion given, best first, each with `.score`.

    `nik` and `nomor_kk` match exactly (separators ignored); `q` matches names with spelling
    variants and typos; `region` (a Kemendagri code of any level) and `birth_year` narrow.
    Without any criterion, people are listed by name.
    """
    where = _region_filter(user, region)
    if where is None or limit <= 0:
        return []
    qs = Person.objects.for_user(user).filter(where).select_related("household")
    if not include_inactive:
        qs = qs.filter(is_active=True)
    if nik:
        qs = qs.filter(nik=clean_number(nik))
    if nomor_kk:
        qs = qs.filter(household__nomor_kk=clean_number(nomor_kk))
    if birth_year:
        qs = qs.filter(tanggal_lahir__year=int(birth_year))
    if q:
        query_key = name_key(q)
        if not query_key:  # only punctuation: nothing to look for
            return []
        return _rank_by_name(qs, q, query_key, limit=limit, offset=offset)
    people = list(qs.order_by("name_key", "pk")[offset : offset + limit])
    for person in people:
        person.score = EXACT_SCORE
    return people


def _rank_by_name(qs, query: str, query_key: str, *, limit: int, offset: int) -> list[Person]:
    wanted = offset + limit
    size = max(MIN_CANDIDATES, 3 * wanted)
    scores: dict[tuple[str, str], float] = {}

    def score(nama: str, key: str) -> float:
        value = scores.get((nama, key))
        if value is None:
            value = scores[(nama, key)] = name_score(query, nama, query_key=query_key, key=key)
        return value

    if connections[qs.db].vendor == "postgresql":
        threshold = next(t for length, t in TRIGRAM_THRESHOLDS if length is None or len(query_key) <= length)
        rows = _rows_with_keys(qs, _trigram_keys(qs.db, query_key, threshold), size)
        if not any(score(nama, key) >= GOOD_SCORE for _pk, nama, key, _sim in rows):
            # Nothing close: a short name with one letter off shares few trigrams ("Sita" and
            # "Sinta"), so look wider and let the scores sort it out.
            seen = {row[0] for row in rows}
            wider = _rows_with_keys(qs, _trigram_keys(qs.db, query_key, TRIGRAM_FALLBACK_THRESHOLD), size)
            rows += [row for row in wider if row[0] not in seen]
    else:
        rows = _rows_with_keys(qs, _fuzzy_keys(qs, query_key), size)
    # Rank light (pk, nama, key) rows and build model instances for one page only.
    ranked = sorted((-score(nama, key), -key_similarity, key, pk) for pk, nama, key, key_similarity in rows)
    page = ranked[offset:wanted]
    people = {p.pk: p for p in qs.filter(pk__in=[pk for *_rest, pk in page])} if page else {}
    result = []
    for neg_score, _sim, _key, pk in page:
        person = people[pk]
        person.score = -neg_score
        result.append(person)
    return result


# Distinct name keys trigram-similar to the query, best first (see migration 0005).
TRIGRAM_KEYS_SQL = (
    "SELECT key, similarity(%(q)s, key) FROM registry_name_key WHERE %(q)s <%% key "
    "ORDER BY word_similarity(%(q)s, key) DESC, 2 DESC, key LIMIT %(n)s"
)


def trigram_settings(cursor, threshold: float) -> None:
    """Session settings for TRIGRAM_KEYS_SQL, local to the current transaction.

    The `<%` operator (and its index scan) reads its threshold from a setting; `true` keeps
    it to this transaction, leaving pooled connections as they were. The planner underrates
    word_similarity() per row and would rather scan the whole dictionary (250 ms for 25,000
    keys) than use the trigram index (1-10 ms); the index is always the right plan here.
    """
    cursor.execute(
        "SELECT set_config('pg_trgm.word_similarity_threshold', %s, true), set_config('enable_seqscan', 'off', true)",
        [str(threshold)],
    )


def _trigram_keys(db: str, query_key: str, threshold: float) -> list[tuple[str, float]]:
    with transaction.atomic(using=db), connections[db].cursor() as cursor:
        trigram_settings(cursor, threshold)
        cursor.execute(TRIGRAM_KEYS_SQL, {"q": query_key, "n": MAX_KEYS})
        # dict.fromkeys: a key inserted twice by concurrent imports (migration 0006) counts once.
        return list(dict.fromkeys(cursor.fetchall()))


def _fuzzy_keys(qs, query_key: str) -> list[tuple[str, float]]:
    """Distinct name keys inside the filtered scope, scored in C by rapidfuzz, best first."""
    keys = list(qs.order_by().values_list("name_key", flat=True).distinct())
    best = process.extract(
        query_key, keys, scorer=fuzz.WRatio, processor=None, score_cutoff=FUZZY_CUTOFF, limit=MAX_KEYS
    )
    return [(key, score / 100) for key, score, _index in best]


def _rows_with_keys(qs, ranked_keys: list[tuple[str, float]], size: int) -> list[tuple]:
    """(pk, nama, name_key, key similarity) of up to `size` people of `qs` with the best keys.

    Keys are taken in growing tiers, best first, and the next tier is read only while fewer
    than `size` people were found, so a query like "Siti" does not load every Siti.
    """
    similarity = dict(ranked_keys)
    order = {key: i for i, (key, _sim) in enumerate(ranked_keys)}
    keys = [key for key, _sim in ranked_keys]
    found: list[tuple] = []
    start = 0
    for stop in KEY_TIERS:
        chunk = keys[start:stop]
        if not chunk:
            break
        rows = qs.filter(name_key__in=chunk).order_by().values_list("pk", "nama", "name_key")[:PAIR_CAP]
        found.extend((order[key], pk, nama, key) for pk, nama, key in rows)
        if len(found) >= size:
            break
        start = stop
    found.sort()
    return [(pk, nama, key, similarity[key]) for _rank, pk, nama, key in found[:size]]


def get_person(user, pk) -> Person:
    """One person in the user's scope (inactive ones too, e.g. merged); 404 if missing or outside."""
    try:
        person = Person.objects.for_user(user).select_related("household", "last_release").get(pk=pk)
    except (Person.DoesNotExist, ValueError, TypeError):
        raise Http404
    record(user, "person.view", person)
    return person


def get_household(user, pk) -> Household:
    """One household in the user's scope; 404 if missing or outside."""
    try:
        household = Household.objects.for_user(user).get(pk=pk)
    except (Household.DoesNotExist, ValueError, TypeError):
        raise Http404
    record(user, "household.view", household)
    return household


def _member_order(person: Person):
    head = "kepala" in person.hubungan_keluarga.casefold()
    return (not head, person.tanggal_lahir is None, person.tanggal_lahir, person.pk)


def household_profile(user, pk, *, history_limit: int = 200) -> dict:
    """A household with what a desk needs to see: members, desil, programmes, releases, history.

    Returns a dict: `household`, `desil`, `members` (active, head first, then by age),
    `programs` (ProgramParticipation of all members, active and past, with `.person`),
    `appearances` (HouseholdAppearance with `.release`, newest first) and `history`
    (RegistryChange of the household and of anyone recorded in it, newest first).
    """
    household = get_household(user, pk)
    everyone = list(Person.objects.for_user(user).filter(household=household))
    members = sorted((p for p in everyone if p.is_active), key=_member_order)
    by_id = {p.pk: p for p in everyone}
    programs = list(
        ProgramParticipation.objects.filter(person_id__in=by_id)
        .select_related("source_release")
        .order_by("-active", "program_code", "person_id")
    )
    for participation in programs:
        participation.person = by_id[participation.person_id]
    appearances = list(
        HouseholdAppearance.objects.filter(household=household)
        .select_related("release")
        .order_by("-release__period", "release__source")
    )
    history = list(
        RegistryChange.objects.filter(Q(household=household) | Q(person_id__in=by_id))
        .select_related("release")
        .order_by("-at", "-id")[:history_limit]
    )
    for change in history:
        change.person_obj = by_id.get(change.person_id)
    return {
        "household": household,
        "desil": household.desil,
        "members": members,
        "programs": programs,
        "appearances": appearances,
        "history": history,
    }


# --- the list's filters from a query (people search and households; the exports use them) ------

DIGITS16 = re.compile(r"\d{16}")
MAX_NAME = 150


@dataclass(frozen=True)
class PeopleFilters:
    """A people search: `number` (16 digits: a NIK, else a KK's members, as the search box reads
    it), or an exact `nik`/`kk`, and/or a `name`; narrowed by `region` (a code) and `birth_year`."""

    number: str = ""
    nik: str = ""
    kk: str = ""
    name: str = ""
    region: str = ""
    birth_year: int | None = None

    @property
    def by(self) -> list[str]:
        """How the search was made, for the access log (never the terms)."""
        return [k for k, v in (("nomor", self.number), ("nik", self.nik), ("kk", self.kk), ("nama", self.name)) if v]


def _sixteen(params, field: str, message: str) -> str:
    raw = str(params.get(field) or "").strip()
    if not raw:
        return ""
    digits = clean_number(raw)
    if not DIGITS16.fullmatch(digits):
        raise ValidationError({field: message})
    return digits


def _region_code(params, user, field: str = "region") -> str:
    """A region asked for by code or by name (the search box's typed name), inside the scope."""
    values = params.getlist(field) if hasattr(params, "getlist") else [params.get(field)]
    values = [v.strip() for v in values if isinstance(v, str) and v.strip()]
    if not values:
        return ""
    raw = max(values, key=len)  # the cascade of selects posts one code per level: the deepest counts
    try:
        region = resolve_region(user, raw)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from None
    if not in_scope(user, region.code) and region.code not in ancestor_codes(getattr(user, "region_id", "") or ""):
        raise ValidationError({field: _("Wilayah %(code)s berada di luar wilayah tugas Anda.") % {"code": region.code}})
    return region.code


def people_filters_from(params, user) -> PeopleFilters:
    """The people search's filters from a query or a posted search form: the search box `q` (16
    digits are a NIK or KK number, anything else a name), SPEC's `nik`, `kk`, `q` (name) and
    `region` (code or name), and `birth_year`. At least one term is required (a search, not the
    registry). Bad input is a ValidationError naming the field."""
    nik = _sixteen(params, "nik", _("NIK harus terdiri dari 16 digit angka."))
    kk = _sixteen(params, "kk", _("Nomor KK harus terdiri dari 16 digit angka."))
    text = " ".join(str(params.get("q") or "").split())
    compact = clean_number(text)
    number = compact if DIGITS16.fullmatch(compact) else ""
    name = "" if number else text
    if compact.isdigit() and not number:
        raise ValidationError({"q": _("NIK dan nomor KK terdiri dari 16 digit; yang diketik %(n)s digit.") % {
            "n": len(compact)}})
    if len(name) > MAX_NAME:
        raise ValidationError({"q": _("Nama yang dicari terlalu panjang (maksimal 150 karakter).")})
    if name and len(name_key(name).replace(" ", "")) < 2:
        raise ValidationError({"q": _("Nama yang dicari terlalu pendek (minimal 2 huruf).")})
    region = _region_code(params, user)
    raw_year = str(params.get("birth_year") or "").strip()
    year = None
    if raw_year:
        if not raw_year.isdigit() or not 1900 <= int(raw_year) <= dt.date.today().year:
            raise ValidationError({"birth_year": _("Tahun lahir harus berupa tahun antara 1900 dan tahun ini.")})
        year = int(raw_year)
    if not (nik or kk or number or name):
        raise ValidationError({"q": _("Isi salah satu: nik, kk, atau q (nama).")})
    return PeopleFilters(number=number, nik=nik, kk=kk, name=name, region=region, birth_year=year)


def find_people(user, f: PeopleFilters, *, limit: int, offset: int = 0) -> list[Person]:
    """The people of a search, best first, as the search page pages through them."""
    common = {"region": f.region or None, "birth_year": f.birth_year, "limit": limit, "offset": offset}
    if f.number:
        people = search_people(user, nik=f.number, q=f.name or None, **common)
        return people or search_people(user, nomor_kk=f.number, q=f.name or None, **common)
    return search_people(user, nik=f.nik or None, nomor_kk=f.kk or None, q=f.name or None, **common)


@dataclass(frozen=True)
class HouseholdFilters:
    region: str = ""
    desil: int | None = None
    kk: str = ""


def household_filters_from(params, user) -> HouseholdFilters:
    """Households of the scope narrowed by `region` (code or name), `desil` (1-10) and `kk` (a
    16-digit KK number). Bad input is a ValidationError naming the field."""
    kk = _sixteen(params, "kk", _("Nomor KK harus terdiri dari 16 digit angka."))
    region = _region_code(params, user)
    raw = str(params.get("desil") or "").strip()
    desil = None
    if raw:
        if not raw.isdigit() or not 1 <= int(raw) <= 10:
            raise ValidationError({"desil": _("Desil harus angka 1 sampai 10.")})
        desil = int(raw)
    return HouseholdFilters(region=region, desil=desil, kk=kk)


def households_for(user, f: HouseholdFilters):
    """Households inside the user's scope matching the filters, by desa then KK number."""
    where = _region_filter(user, f.region or None)
    if where is None:
        return Household.objects.for_user(user).none()
    qs = Household.objects.for_user(user).filter(where)
    if f.desil is not None:
        qs = qs.filter(desil=f.desil)
    if f.kk:
        qs = qs.filter(nomor_kk=f.kk)
    return qs.order_by("desa_code", "nomor_kk", "pk")


def search_page(user, cleaned: dict, *, page: int = 1, page_size: int = 25) -> tuple[list[Person], bool, list[str]]:
    """One page of a people search from a valid `registry.forms.SearchForm` (the registry's
    *Cari warga* and the intake's search share it): (people, has_more, how it searched).

    Sixteen digits are a NIK, else a KK number (its members); anything else is a name.
    The caller audits the search (how and how many, never the terms).
    """
    region = cleaned["region"].code if cleaned.get("region") else None
    common = {"region": region, "birth_year": cleaned.get("birth_year"), "limit": page_size + 1,
              "offset": (max(page, 1) - 1) * page_size}
    with replica_reads(user):  # a page to look at: the read replica may answer (read-your-writes)
        if cleaned.get("number"):
            people = search_people(user, nik=cleaned["number"], **common)
            if not people:
                people = search_people(user, nomor_kk=cleaned["number"], **common)
        else:
            people = search_people(user, q=cleaned.get("name") or None, **common)
    by = [k for k, v in (("nomor", cleaned.get("number")), ("nama", cleaned.get("name"))) if v]
    return people[:page_size], len(people) > page_size, by
