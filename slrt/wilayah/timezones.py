"""Each province's own time zone (WIB, WITA, WIT), for figures whose day is the region's day.

A case created at 23:30 WIB in Jayapura was created on the next day there (01:30 WIT); a report
of Papua counts it on that next day. Provinces are named by their two-digit Kemendagri code.
"""

from zoneinfo import ZoneInfo

WIB = ZoneInfo("Asia/Jakarta")
WITA = ZoneInfo("Asia/Makassar")
WIT = ZoneInfo("Asia/Jayapura")

# Bali, Nusa Tenggara, South/East/North Kalimantan and Sulawesi keep WITA; Maluku and the
# Papua provinces keep WIT; the rest of the country (Sumatra, Java, West/Central Kalimantan) WIB.
_WITA = {"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"}
_WIT = {"81", "82", "91", "92", "93", "94", "95", "96", "97"}


def zone_of(region_code: str):
    """The time zone of the province a region (any level) lies in; the nation's days are WIB's."""
    prov = (region_code or "")[:2]
    if prov in _WITA:
        return WITA
    if prov in _WIT:
        return WIT
    return WIB


def zones_by_province(province_codes) -> dict:
    """{zone: [province codes]} for the given provinces, so a figure can bound each zone apart."""
    groups: dict = {}
    for code in province_codes:
        groups.setdefault(zone_of(code), []).append(code)
    return groups
