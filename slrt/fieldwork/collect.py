"""ODK Collect's project-configuration QR code for a facilitator's tablet.

Collect reads base64(zlib(JSON settings)) from a QR code (Project → Add project → scan): the
server address, the account, and how forms stay in step with the server. Scanning it replaces
typing a URL and username on a tablet keyboard, the step where most set-ups go wrong. The
password goes in only when the user typed it just now on the page (never stored, never cached).
"""

import base64
import json
import zlib

import segno

# Forms on the tablet mirror the server (new versions, forms removed from the role), checked
# hourly; finalized forms go out as soon as any connection is there; sent forms stay on the
# tablet so a facilitator can show what was sent when a village asks.
GENERAL = {
    "protocol": "odk_default",
    "form_update_mode": "match_exactly",
    "periodic_form_updates_check": "every_one_hour",
    "automatic_update": True,
    "autosend": "wifi_and_cellular",
    "delete_send": False,
    "app_language": "id",
}
# The interviewer cannot point the tablet at another server by accident.
ADMIN = {"change_server": False}


def settings_for(server_url: str, username: str, project_name: str, password: str = "") -> dict:
    general = {"server_url": server_url.rstrip("/"), "username": username, **GENERAL}
    if password:
        general["password"] = password
    return {
        "general": general,
        "admin": dict(ADMIN),
        "project": {"name": project_name, "icon": "S", "color": "#1b5e20"},
    }


def encode(settings: dict) -> str:
    raw = json.dumps(settings, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.b64encode(zlib.compress(raw, 9)).decode()


def decode(payload: str) -> dict:
    return json.loads(zlib.decompress(base64.b64decode(payload)))


def configuration(user, server_url: str, typed_password: str = "") -> tuple[str, bool]:
    """The encoded settings for `user`, and whether they carry the password: only a password just
    typed and checked goes in. Audited (whether a password went in; never the password)."""
    from django.utils.translation import gettext as _

    from slrt.audit.services import record

    password = typed_password if typed_password and user.check_password(typed_password) else ""
    project = _("SLRT %(region)s") % {"region": user.region.name if user.region_id else ""}
    payload = encode(settings_for(server_url, user.username, str(project), password=password))
    record(user, "fieldwork.collect_setup", detail={"with_password": bool(password)})
    return payload, bool(password)


def qr_svg(payload: str) -> str:
    """An inline SVG (no file, no cache) of the configuration code."""
    return segno.make(payload, error="m", micro=False).svg_inline(scale=4, border=4)
