"""Name normalisation for typo-tolerant search: `name_key(nama)`.

The same key is stored on every person (`Person.name_key`, written by the importer) and
computed from the query, so two spellings of one name meet on one key, and what is left
(real typos) is handled by trigram similarity (PostgreSQL `pg_trgm`) and `rapidfuzz`.

Rules, in the order applied:

1. Case and accents: lower case; accents dropped (``é`` -> ``e``).
2. Punctuation: apostrophes and backticks vanish (``Ma'ruf`` -> ``maruf``); a comma, hyphen,
   slash, bracket, digit or other sign separates words. A dot separates words too, except
   that a dotted abbreviation is first looked up whole (``S.Pd`` -> ``spd``).
3. Titles are dropped: Islamic and honorific (``H.``, ``Hj.``, ``KH``, ``Haji``, ``Hajjah``,
   ``Ust.``, ``Ny.``, ``Tn.``), academic (``Dr.``, ``Drs.``, ``Dra.``, ``Ir.``, ``Prof.``)
   and degrees (``S.Pd``, ``S.Kom``, ``S.E.``, ``M.Si``, ``A.Md`` ...). A degree that could
   also be a name (``Se``, ``Ma``) is dropped only when written with dots. ``St.`` is *Siti*
   before a name and *Sarjana Teknik* (dropped) at the end.
4. Old spellings (Ejaan Soewandi / Van Ophuijsen) to EYD, inside each word:
   ``oe`` -> ``u``, ``dj`` -> ``j``, ``tj`` -> ``c``, ``sj`` -> ``sy``, ``nj`` -> ``ny``.
   ``ch`` is the old spelling of ``kh``, and ``kh`` is itself written ``h`` as often as not
   (Achmad/Akhmad/Ahmad, Chairul/Khairul/Hairul), so ``ch`` and ``kh`` both become ``h``.
   Arabic transliteration doublets go the same way: ``dh`` -> ``d`` (Ramadhan), ``th`` -> ``t``
   (Fathimah), ``dz`` -> ``z`` (Dzulkifli). The old ``j`` for ``y`` is undone only after ``h``
   and ``r`` (Wahjuni, Surjadi, Harjono -> wahyuni, suryadi, haryono), where modern spelling
   has no ``j``; elsewhere (Joko, Raja) ``j`` is ambiguous and left to fuzzy matching.
5. Doubled letters collapse (``Sitti`` -> ``siti``, ``Hassan`` -> ``hasan``; also after rule 4,
   so ``Mochammad`` -> ``mohamad``).
6. Name families become one token: Muhammad, Muhamad, Mohammad, Mochammad, Mohamad, Moch.,
   Moh., Muh., Mhd., Mohd. -> ``mhd`` (a short token, so that the *rest* of the name decides
   similarity); a lone ``M.`` or ``Md.`` counts as Muhammad only as the first word. Siti,
   Sitti, St. -> ``siti``. ``Abd.`` -> ``abdul``.
7. Words are joined with single spaces.

The key is for matching only; it is never shown. It must be cheap (the importer computes it
for every row), hence precompiled patterns, a fast path for plain names and a cache per word
(a registry has far fewer distinct words than names).
"""

import re
import unicodedata

# Titles and degrees, compared with dots removed. Ambiguous ones (could be a name or an
# initial) are dropped only when the written form carried a dot.
_TITLES_ALWAYS = frozenset(
    """
    hj hjh haji hajjah hajah kh drs dra drg prof ir ust ustd ustadz ustadzah ustazah
    spd spdi spdsd skom ssos ssi sag sked skep sfarm skm spt stp ssn sds sgz spsi sthi ssy sst
    ssit sikom shum mpd msi mkom mkes mhum mpdi mhi mked msos mkn msc amd amk amkep amkeb amdkeb
    amdkep phd bsc alm almh almarhum almarhumah
    """.split()
)
_TITLES_IF_DOTTED = frozenset(
    "h dr se sh ma mm mh mt mp ba tn ny sp ap shi sei sak str sip stat mba mag map mse".split()
)
# Written without dots, these are still titles when they open a name of several words.
_TITLES_IF_FIRST = frozenset("h dr".split())

_SIMPLE = {"mhd": "mhd", "siti": "siti", "abd": "abdul"}
# After rules 4-5: every spelling of Muhammad that is unambiguous anywhere in a name.
_MUHAMMAD = re.compile(r"m[ou]?hd|m[ou]h|m[ou]h?am[ae][dt]")
_OLD_SPELLING = re.compile(r"oe|dj|tj|sj|nj|ch|kh|dh|th|dz|hj|rj")
_OLD_TO_NEW = {
    "oe": "u", "dj": "j", "tj": "c", "sj": "sy", "nj": "ny",
    "ch": "h", "kh": "h", "dh": "d", "th": "t", "dz": "z", "hj": "hy", "rj": "ry",
}
_DOUBLED = re.compile(r"(.)\1+")
# Apostrophes join (dropped first); anything else that is not a letter or a dot separates.
_TOKEN = re.compile(r"[a-z.]+")


def _new_spelling(match: re.Match) -> str:
    return _OLD_TO_NEW[match.group()]


_WORD_CACHE: dict[str, str] = {}
_WORD_CACHE_MAX = 200_000


def _word(word: str) -> str:
    """Rules 4-6 for one word, cached: a registry has far fewer distinct words than names."""
    key = _WORD_CACHE.get(word)
    if key is None:
        if len(_WORD_CACHE) >= _WORD_CACHE_MAX:
            _WORD_CACHE.clear()
        key = _WORD_CACHE[word] = _normalise_word(word)
    return key


def _normalise_word(word: str) -> str:
    w = _OLD_SPELLING.sub(_new_spelling, word)
    if _OLD_SPELLING.search(w):  # a replacement can form a new pair: Tjhang -> chang -> hang
        w = _OLD_SPELLING.sub(_new_spelling, w)
    w = _DOUBLED.sub(r"\1", w)
    if w in _SIMPLE:
        return _SIMPLE[w]
    if _MUHAMMAD.fullmatch(w):
        return "mhd"
    return w


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _strip_titles(raw_tokens: list[str]) -> list[str]:
    several = len(raw_tokens) > 1
    words: list[str] = []
    for raw in raw_tokens:
        if "." in raw:
            compact = raw.replace(".", "")
            if not compact or compact in _TITLES_ALWAYS or compact in _TITLES_IF_DOTTED:
                continue
            if compact != "st":
                words.extend(p for p in raw.split(".") if p)
                continue
            raw = compact
        elif raw in _TITLES_ALWAYS or (several and not words and raw in _TITLES_IF_FIRST):
            continue
        words.append(raw)
    return words


def name_key(nama: str) -> str:
    """The normalised spelling of a person's name used for matching (see module docstring)."""
    s = nama.lower()
    if not s.isascii():
        s = _ascii(s)
    if "'" in s or "`" in s:
        s = s.replace("'", "").replace("`", "")
    if s.replace(" ", "").isalpha():
        # Fast path for the common case: letters and spaces, no title.
        words = s.split()
        if not _TITLES_ALWAYS.isdisjoint(words) or (len(words) > 1 and words[0] in _TITLES_IF_FIRST):
            words = _strip_titles(words)
    else:
        words = _strip_titles(_TOKEN.findall(s))
    last = len(words) - 1
    if last < 0:
        # Nothing but titles (or nothing at all): keep the letters so the key is never empty.
        return " ".join(s.replace(".", "").split())
    get = _WORD_CACHE.get
    out = [get(w) or _word(w) for w in words]
    first = words[0]
    if last > 0 and (first == "m" or first == "md"):
        out[0] = "mhd"
    if "st" in words:
        # ``St.`` before a name is Siti; at the end of a longer name it is a degree (S.T.).
        out = [("siti" if i < last else ("st" if last == 0 else "")) if w == "st" else o
               for i, (w, o) in enumerate(zip(words, out, strict=True))]
        out = [o for o in out if o]
    return " ".join(out)
