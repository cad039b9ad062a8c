"""The English catalogue: complete, compiled, and used by the pages.

After adding strings, run `python manage.py makemessages -l en --ignore=.venv --ignore=node_modules`,
translate the new entries in `locale/en/LC_MESSAGES/django.po` and compile it
(`msgfmt -o locale/en/LC_MESSAGES/django.mo locale/en/LC_MESSAGES/django.po`); the compiled `.mo`
is committed so that a machine without GNU gettext serves English too.
"""

import ast
import gettext
from pathlib import Path

from django.conf import settings

LOCALE = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES"


def _unquote(line: str) -> str:
    return ast.literal_eval(line)


def _po_entries(path: Path) -> list[dict]:
    """msgid, msgid_plural, msgstr (list) and flags of each entry of a .po file."""
    entries, entry, field = [], None, None
    for raw in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = raw.strip()
        if not line:
            if entry is not None:
                entries.append(entry)
            entry, field = None, None
            continue
        entry = entry if entry is not None else {"msgid": "", "plural": None, "msgstr": [], "flags": ""}
        if line.startswith("#,"):
            entry["flags"] += line
        elif line.startswith("#"):
            continue
        elif line.startswith("msgid_plural "):
            entry["plural"], field = _unquote(line[13:]), "plural"
        elif line.startswith("msgid "):
            entry["msgid"], field = _unquote(line[6:]), "msgid"
        elif line.startswith("msgstr"):
            entry["msgstr"].append(_unquote(line.split(" ", 1)[1]))
            field = "msgstr"
        elif line.startswith('"'):
            if field == "msgstr":
                entry["msgstr"][-1] += _unquote(line)
            else:
                entry[field] += _unquote(line)
    return [e for e in entries if e["msgid"]]  # the header has an empty msgid


def test_every_string_of_the_english_catalogue_is_translated():
    entries = _po_entries(LOCALE / "django.po")
    assert len(entries) > 300
    untranslated = [e["msgid"] for e in entries if not all(e["msgstr"]) or "fuzzy" in e["flags"]]
    assert untranslated == []


def test_the_compiled_catalogue_holds_every_translation_of_the_source():
    with (LOCALE / "django.mo").open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    stale = []
    for entry in _po_entries(LOCALE / "django.po"):
        if entry["plural"] is None:
            if compiled.gettext(entry["msgid"]) != entry["msgstr"][0]:
                stale.append(entry["msgid"])
        elif compiled.ngettext(entry["msgid"], entry["plural"], 2) != entry["msgstr"][-1]:
            stale.append(entry["msgid"])
    assert stale == [], "django.mo is older than django.po: compile it again"
