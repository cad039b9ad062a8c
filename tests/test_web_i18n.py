"""The English catalogue: complete, compiled, and used by the pages.

After adding strings, run
`python manage.py makemessages -l en --ignore=.venv --ignore=node_modules --no-obsolete`,
translate the new and fuzzy entries in `locale/en/LC_MESSAGES/django.po` and compile it
(`msgfmt --check -o locale/en/LC_MESSAGES/django.mo locale/en/LC_MESSAGES/django.po`); the compiled `.mo`
is committed so that a machine without GNU gettext serves English too. The last test runs makemessages
on a copy of the sources, so a string added without running it fails here.
"""

import ast
import gettext
import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

LOCALE = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES"


def _unquote(line: str) -> str:
    return ast.literal_eval(line)


def _po_entries(path: Path) -> list[dict]:
    """msgctxt, msgid, msgid_plural, msgstr (list) and flags of each entry of a .po or .pot file."""
    entries, entry, field = [], None, None
    for raw in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = raw.strip()
        if not line:
            if entry is not None:
                entries.append(entry)
            entry, field = None, None
            continue
        entry = entry if entry is not None else {"ctx": None, "msgid": "", "plural": None, "msgstr": [], "flags": ""}
        if line.startswith("#,"):
            entry["flags"] += line
        elif line.startswith("#"):
            continue
        elif line.startswith("msgctxt "):
            entry["ctx"], field = _unquote(line[8:]), "ctx"
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


MAKEMESSAGES = "python manage.py makemessages -l en --ignore=.venv --ignore=node_modules --no-obsolete"
IGNORED_DIRS = {".venv", "node_modules", "locale"}  # makemessages never reads inside a locale folder


def _copy_sources(dest: Path) -> None:
    """The files makemessages reads (.py, .html, .txt), laid out as in the project, minus what it skips."""
    base = Path(settings.BASE_DIR)
    skipped_roots = {Path(p).resolve() for p in (settings.STATIC_ROOT, settings.MEDIA_ROOT) if p}
    for dirpath, dirnames, filenames in os.walk(base):
        here = Path(dirpath)
        dirnames[:] = [
            d for d in dirnames
            if d not in IGNORED_DIRS and not d.startswith(".") and (here / d).resolve() not in skipped_roots
        ]
        for name in filenames:
            if name.endswith((".py", ".html", ".txt")):
                target = dest / (here / name).relative_to(base)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(here / name, target)


@pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("xgettext", "msguniq", "msgmerge")) and not os.environ.get("CI"),
    reason="GNU gettext (xgettext, msguniq, msgmerge) is not installed; CI installs it",
)
def test_every_string_in_the_source_is_in_the_english_catalogue(tmp_path, settings, monkeypatch):
    """makemessages run on a copy of the sources finds no string that the committed catalogue lacks.

    The other tests only read the committed .po; this one catches a string added to the code or a
    template without running makemessages. The real locale/ is never written: the command runs in a
    temporary copy of the project with LOCALE_PATHS pointed at it.
    """
    _copy_sources(tmp_path)
    shutil.copytree(Path(settings.BASE_DIR) / "locale", tmp_path / "locale")
    settings.LOCALE_PATHS = [str(tmp_path / "locale")]
    monkeypatch.chdir(tmp_path)
    call_command(
        "makemessages", locale=["en"], ignore_patterns=[".venv", "node_modules"],
        no_obsolete=True, keep_pot=True, verbosity=0,
    )
    fresh = _po_entries(tmp_path / "locale" / "django.pot")
    assert len(fresh) > 300, "makemessages found too few strings: is the copy of the sources complete?"

    committed = {
        (e["ctx"], e["msgid"], e["plural"]): e for e in _po_entries(LOCALE / "django.po")
    }
    missing = []
    for e in fresh:
        known = committed.get((e["ctx"], e["msgid"], e["plural"]))
        if known is None or not all(known["msgstr"]) or "fuzzy" in known["flags"]:
            missing.append(e["msgid"])
    shown = "\n".join(f"  {m!r}" for m in missing[:15])
    assert missing == [], (
        f"{len(missing)} string(s) in the code or templates are missing or untranslated in "
        f"locale/en/LC_MESSAGES/django.po, first ones:\n{shown}\n"
        f"Fix: {MAKEMESSAGES}, translate the new and fuzzy entries, then "
        "msgfmt --check -o locale/en/LC_MESSAGES/django.mo locale/en/LC_MESSAGES/django.po"
    )
