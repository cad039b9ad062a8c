"""Helpers for the OpenRosa tests: a hand-built digest client (what ODK Collect sends) and
instances filled from the XForm's own <instance> (the shape Collect produces)."""

import copy
import hashlib
import uuid
from xml.etree.ElementTree import tostring

from defusedxml import ElementTree

from slrt.fieldwork import xforms
from slrt.fieldwork.formdefs import FORMS
from slrt.fieldwork.openrosa import auth

XF = "{http://www.w3.org/2002/xforms}"
H = "{http://www.w3.org/1999/xhtml}"


def md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def challenge(response) -> dict:
    header = response["WWW-Authenticate"]
    assert header.startswith("Digest ")
    return auth.parse_digest(header.removeprefix("Digest "))


def digest_header(method, uri, chal, username, password, *, nc="00000001", cnonce="0a4f113b", realm=None):
    realm = realm or chal["realm"]
    ha1 = md5(f"{username}:{realm}:{password}")
    ha2 = md5(f"{method}:{uri}")
    resp = md5(f"{ha1}:{chal['nonce']}:{nc}:{cnonce}:auth:{ha2}")
    return (
        f'Digest username="{username}", realm="{realm}", nonce="{chal["nonce"]}", uri="{uri}", '
        f'algorithm=MD5, response="{resp}", opaque="{chal.get("opaque", "")}", qop=auth, nc={nc}, '
        f'cnonce="{cnonce}"'
    )


class Collect:
    """Django test client driven like ODK Collect: ask, get the challenge, answer it."""

    def __init__(self, client, user, password, *, secure=False):
        self.client, self.user, self.password, self.secure = client, user, password, secure
        self.chal = None
        self.nc = 0

    def request(self, method, uri, **extra):
        call = getattr(self.client, method.lower())
        if self.chal is None:
            # Collect sends HEAD before a POST (and an upload's body can be read only once).
            first = self.client.head(uri, secure=self.secure) if method.upper() == "POST" else call(
                uri, secure=self.secure, **extra)
            assert first.status_code == 401, first.content
            self.chal = challenge(first)
            self.nc = 0
        self.nc += 1  # as Collect does: one count up per request on the same nonce
        header = digest_header(method.upper(), uri, self.chal, self.user.username, self.password, nc=f"{self.nc:08x}")
        return call(uri, secure=self.secure, HTTP_AUTHORIZATION=header, **extra)

    def get(self, uri, **extra):
        return self.request("GET", uri, **extra)


def _strip_ns(el):
    for node in el.iter():
        if isinstance(node.tag, str):
            node.tag = node.tag.rsplit("}", 1)[-1]
        for key in [k for k in node.attrib if k.startswith("{")]:
            del node.attrib[key]


def instance_xml(form_id, values=None, *, instance_id=None, repeats=None) -> bytes:
    """The form's own instance, filled like Collect fills it: leaves by name, repeats from
    `repeats` ({repeat name: [ {leaf: value}, ... ]}), meta/instanceID set."""
    xform = xforms.xform_for(FORMS[form_id])
    doc = ElementTree.fromstring(xform.xml)
    root = copy.deepcopy(doc.find(f"{H}head/{XF}model/{XF}instance")[0])
    _strip_ns(root)
    values = values or {}
    for parent in list(root.iter()):
        for child in list(parent):
            if child.tag in xform.repeats:
                parent.remove(child)  # the template and the default item; re-added below
    for el in root.iter():
        if len(el) == 0 and el.tag in values:
            el.text = str(values[el.tag])
    for name, items in (repeats or {}).items():
        template = next(
            r for r in ElementTree.fromstring(xform.xml).iter(f"{XF}{name}") if r.get(
                "{http://openrosa.org/javarosa}template") is not None
        )
        for item in items:
            node = copy.deepcopy(template)
            _strip_ns(node)
            for el in node.iter():
                if len(el) == 0 and el.tag in item:
                    el.text = str(item[el.tag])
            meta_index = [c.tag for c in root].index("meta")
            root.insert(meta_index, node)
    root.find("meta/instanceID").text = instance_id or f"uuid:{uuid.uuid4()}"
    root.set("xmlns:jr", "http://openrosa.org/javarosa")
    return b"<?xml version='1.0' encoding='UTF-8' ?>" + tostring(root, encoding="unicode").encode()
