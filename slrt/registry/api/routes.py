"""Registry API: find people (NIK, KK, name), one person, one household.

Thin by design: parameters are checked here (each problem with its own `code`), the reading
and the region scope live in `registry.selectors.people`, the shapes in `schemas`.
"""

import datetime as dt
import re

from django.utils.translation import gettext as _
from ninja import Query, Router

from slrt.accounts.roles import can
from slrt.accounts.scoping import region_safe
from slrt.audit.services import record_shown, shown_ids
from slrt.core.api import ApiError
from slrt.core.dbrouter import replica_reads
from slrt.registry.search import name_key
from slrt.registry.selectors.people import clean_number, get_person, household_profile, search_people
from slrt.wilayah.models import NATION_CODE, normalize_code

from .schemas import HouseholdDetail, PeoplePage, PersonDetail, household_detail, person_detail, person_hit

router = Router(tags=["registri"])

MAX_LIMIT = 200
MAX_OFFSET = 10_000
REGION_CODE = re.compile(r"\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?")
RAW_REGION = re.compile(r"[\d.]+")
DIGITS16 = re.compile(r"\d{16}")


def _number(raw: str | None, code: str, message: str) -> str | None:
    if raw is None or raw == "":
        return None
    digits = clean_number(raw)
    if not DIGITS16.fullmatch(digits):
        raise ApiError(422, code, message)
    return digits


def _int(raw: str | None, code: str, message: str, *, low: int, high: int, default: int | None) -> int | None:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(422, code, message)
    if not low <= value <= high:
        raise ApiError(422, code, message)
    return value


@router.get("/people", response=PeoplePage, summary="Cari penduduk (NIK, nomor KK, atau nama)")
@region_safe  # search_people reads through Person.objects.for_user
@replica_reads  # a search: the read replica may answer, per token user (read-your-writes)
def list_people(
    request,
    nik: str | None = Query(None, description="NIK 16 digit (pemisah spasi, titik, strip diabaikan)"),
    q: str | None = Query(None, description="Nama; toleran salah ketik dan ejaan lama (oe/u, dj/j, tj/c, ...)"),
    kk: str | None = Query(None, description="Nomor KK 16 digit: semua anggota keluarga itu"),
    region: str | None = Query(None, description="Kode wilayah Kemendagri tingkat apa pun, mis. 32.01"),
    birth_year: str | None = Query(None, description="Tahun lahir, mis. 1985"),
    limit: str | None = Query(None, description=f"Jumlah hasil, 1-{MAX_LIMIT} (bawaan 50)"),
    offset: str | None = Query(None, description="Lewati sejumlah hasil pertama (bawaan 0)"),
):
    user = request.auth
    nik_digits = _number(nik, "invalid_nik", _("NIK harus terdiri dari 16 digit angka."))
    kk_digits = _number(kk, "invalid_kk", _("Nomor KK harus terdiri dari 16 digit angka."))
    name = (q or "").strip()
    if name and len(name_key(name).replace(" ", "")) < 2:
        raise ApiError(422, "invalid_query", _("Nama yang dicari terlalu pendek (minimal 2 huruf)."))
    if len(name) > 150:
        raise ApiError(422, "invalid_query", _("Nama yang dicari terlalu panjang (maksimal 150 karakter)."))
    if not (nik_digits or kk_digits or name):
        raise ApiError(422, "missing_query", _("Isi salah satu: nik, kk, atau q (nama)."))
    region_code = None
    if region:
        region_code = normalize_code(region)
        if not RAW_REGION.fullmatch(region.strip()) or (
            region_code != NATION_CODE and not REGION_CODE.fullmatch(region_code)
        ):
            raise ApiError(422, "invalid_region", _("Kode wilayah tidak sah; contoh: 32.01 atau 3201012001."))
    year = _int(
        birth_year, "invalid_birth_year",
        _("Tahun lahir harus berupa tahun antara 1900 dan tahun ini."),
        low=1900, high=dt.date.today().year, default=None,
    )
    page_size = _int(limit, "invalid_limit", _("limit harus antara 1 dan %(max)d.") % {"max": MAX_LIMIT},
                     low=1, high=MAX_LIMIT, default=50)
    skip = _int(offset, "invalid_offset", _("offset harus antara 0 dan %(max)d.") % {"max": MAX_OFFSET},
                low=0, high=MAX_OFFSET, default=0)

    people = search_people(
        user, nik=nik_digits, nomor_kk=kk_digits, q=name or None, region=region_code, birth_year=year,
        limit=page_size, offset=skip,
    )
    by = [key for key, value in (("nik", nik_digits), ("kk", kk_digits), ("nama", name)) if value]
    # The access log says how the search was made and whom it showed (ids), never the terms.
    record_shown(user, "person.search", count=len(people), region_code=region_code or "", detail={"by": by},
                 people=shown_ids(people), households=shown_ids(people, "household_id"))
    full = can(user, "see_full_nik")
    return {
        "items": [person_hit(p, full=full) for p in people],
        "count": len(people), "limit": page_size, "offset": skip,
    }


@router.get("/people/{person_id}", response=PersonDetail, summary="Satu penduduk")
@region_safe  # get_person reads through Person.objects.for_user; outside scope is 404
def person_view(request, person_id: int):
    person = get_person(request.auth, person_id)
    return person_detail(person, request.auth)


@router.get("/households/{household_id}", response=HouseholdDetail, summary="Satu keluarga (KK) dengan profilnya")
@region_safe  # household_profile reads through for_user; outside scope is 404
def household_view(request, household_id: int):
    profile = household_profile(request.auth, household_id)
    return household_detail(profile, request.auth)
