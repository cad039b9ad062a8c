"""XLSForm → XForm, converted with pyxform at first use and kept in memory per file content.

The form version is the start of the XLSForm file's SHA-256, written into the XForm (pyxform's
`version` setting), so editing a form file is all it takes for Collect to fetch the new version.
Runtime conversion skips ODK Validate (a Java process, seconds); tests/test_xforms.py runs it on
every form. Read by the OpenRosa views (formList, the forms) and by the handlers (choice labels).
"""

import hashlib
import io
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from defusedxml import ElementTree
from openpyxl import load_workbook
from pyxform.xls2xform import convert

from .formdefs import FORMS, FieldForm

XLSFORM_DIR = Path(__file__).resolve().parent / "xlsforms"
XFORMS_NS = "{http://www.w3.org/2002/xforms}"


def choice_name(text: str) -> str:
    """XLSForm choice name of a vocabulary text ('orang dengan hiv/aids' → 'orang_dengan_hiv_aids').

    Used for PPKS and for the house-condition lists of the verification form; a handler maps a
    name back with `{choice_name(v): v for v in VOCABULARY}`.
    """
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


@dataclass(frozen=True)
class XForm:
    form_id: str
    version: str
    xml: bytes
    md5: str  # of `xml`, as the formList `hash` ("md5:" + this)
    repeats: frozenset  # names of repeat groups (the instance parser makes lists of them)


_cache: dict[str, XForm] = {}
_lock = threading.Lock()


def xlsform_path(form: FieldForm) -> Path:
    return XLSFORM_DIR / form.xlsform


def with_version(xlsx: bytes, version: str) -> bytes:
    """The workbook with `version` set in its settings sheet (added if missing)."""
    wb = load_workbook(io.BytesIO(xlsx))
    ws = wb["settings"]
    header = [c.value for c in ws[1]]
    col = header.index("version") + 1 if "version" in header else len(header) + 1
    ws.cell(row=1, column=col, value="version")
    ws.cell(row=2, column=col, value=version)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def convert_xlsform(xlsx: bytes, *, version: str, validate: bool = False):
    """pyxform's ConvertResult for the workbook bytes (validate=True runs ODK Validate)."""
    return convert(io.BytesIO(with_version(xlsx, version)), validate=validate, pretty_print=False, file_type=".xlsx")


def repeat_names(xml: bytes) -> frozenset:
    body = ElementTree.fromstring(xml)
    return frozenset(r.get("nodeset", "").rsplit("/", 1)[-1] for r in body.iter(f"{XFORMS_NS}repeat"))


def xform_for(form: FieldForm) -> XForm:
    xlsx = xlsform_path(form).read_bytes()
    sha = hashlib.sha256(xlsx).hexdigest()
    cached = _cache.get(sha)
    if cached is not None:
        return cached
    with _lock:
        if sha not in _cache:
            result = convert_xlsform(xlsx, version=sha[:10])
            xml = result.xform.encode()
            _cache[sha] = XForm(
                form_id=form.form_id,
                version=sha[:10],
                xml=xml,
                md5=hashlib.md5(xml, usedforsecurity=False).hexdigest(),
                repeats=repeat_names(xml),
            )
        return _cache[sha]


def get_xform(form_id: str) -> XForm | None:
    form = FORMS.get(form_id)
    return xform_for(form) if form else None


def choice_labels(form_id: str, list_name: str) -> dict[str, str]:
    """{choice name: label} of a choice list written in the form (e.g. 'pendidikan'), so a handler
    can store the label text ('SLTA/Sederajat') for the slug the tablet sent ('slta_sederajat')."""
    xform = get_xform(form_id)
    if xform is None:
        return {}
    doc = ElementTree.fromstring(xform.xml)
    for inst in doc.iter(f"{XFORMS_NS}instance"):
        if inst.get("id") == list_name and inst.get("src") is None:
            return {item.findtext(f"{XFORMS_NS}name"): item.findtext(f"{XFORMS_NS}label")
                    for item in inst.iter(f"{XFORMS_NS}item")}
    return {}
