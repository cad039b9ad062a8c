"""An ODK instance (the `xml_submission_file`) → form id, version, instance id, values, base.

Per the field form contract: groups are transparent (leaf names are unique within a form), a
repeat becomes a list of dicts, `meta/*` stays out of the values (its instanceID is the
idempotency key), leaves named `base_<x>` go to `base` as `<x>`, empty leaves become "".
No DTD is accepted, so no entity can expand (billion laughs) or reach a file (XXE).
"""

from dataclasses import dataclass
from xml.etree.ElementTree import tostring

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring
from django.utils.translation import gettext as _

# Groups and repeats nest a few levels in a real form; a hostile instance could nest thousands
# (recursion would fail with a 500).
MAX_DEPTH = 64


class InstanceError(ValueError):
    """The instance cannot be read; the message is for Collect's user."""


@dataclass
class ParsedInstance:
    form_id: str
    version: str
    instance_id: str
    values: dict
    base: dict
    xml: str


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _is_template(el) -> bool:
    return any(_local(k) == "template" for k in el.attrib)


def _collect(el, repeats, into: dict, depth: int = 0) -> None:
    if depth > MAX_DEPTH:
        raise InstanceError(_("Isian formulir terlalu dalam bertingkat."))
    for child in el:
        if not isinstance(child.tag, str) or _is_template(child):
            continue
        name = _local(child.tag)
        if name == "meta":
            continue
        if name in repeats:
            item: dict = {}
            _collect(child, repeats, item, depth + 1)
            into.setdefault(name, []).append(item)
        elif len(child):
            _collect(child, repeats, into, depth + 1)  # a group: its leaves belong to the parent
        else:
            into[name] = (child.text or "").strip()


def _parse(raw: bytes):
    if b"<!DOCTYPE" in raw.upper() or b"<!ENTITY" in raw.upper():
        raise InstanceError(_("Isian formulir tidak boleh memuat DOCTYPE."))
    try:
        return fromstring(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException, ValueError):
        raise InstanceError(_("Isian formulir bukan XML yang valid.")) from None


def parse_instance(raw: bytes, repeats_for=None) -> ParsedInstance:
    """`repeats_for(form_id)` names the form's repeat groups (from its XForm)."""
    root = _parse(raw)
    form_id = root.get("id", "")
    if not form_id:
        raise InstanceError(_("Isian formulir tidak menyebut id formulir."))
    repeats = repeats_for(form_id) if repeats_for else frozenset()
    instance_id = ""
    for child in root:
        if isinstance(child.tag, str) and _local(child.tag) == "meta":
            for leaf in child:
                if _local(leaf.tag) == "instanceID":
                    instance_id = (leaf.text or "").strip()
    if not instance_id:
        raise InstanceError(_("Isian formulir tidak memiliki meta/instanceID."))
    if len(instance_id) > 100:
        raise InstanceError(_("instanceID terlalu panjang."))
    collected: dict = {}
    _collect(root, repeats, collected)
    values, base = {}, {}
    for name, value in collected.items():
        if name.startswith("base_") and not isinstance(value, list):
            base[name.removeprefix("base_")] = value
        else:
            values[name] = value
    return ParsedInstance(
        form_id=form_id,
        version=root.get("version", ""),
        instance_id=instance_id,
        values=values,
        base=base,
        xml=_as_text(raw, root),
    )


def _as_text(raw: bytes, root) -> str:
    """The instance as text for storage: as sent when it is UTF-8 (Collect's case), else the parsed
    tree written out again (a UTF-16 file read as UTF-8 would hold NUL characters)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = ""
    if not text or "\x00" in text:
        text = tostring(root, encoding="unicode")
    return text
