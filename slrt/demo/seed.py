"""The demo district of `make run`: regions, an SLRT secretariat, Puskesos posts, a synthetic
registry release imported through the real importer, duplicate candidates, and one account per role.

Idempotent and all-or-nothing: one transaction; the release is generated and imported once
(recognised by its import job), and accounts, secretariat and posts are found again by their keys.
Registry rows are picked by NIK or KK number, never by id, so PostgreSQL and SQLite seed the same
demo. Running it again only resets the demo accounts' passwords (so the printed table is always
right) and lifts their login lockouts.
"""

import logging
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Count

from slrt.accounts.roles import Role
from slrt.accounts.services import create_user
from slrt.registry.models import Household
from slrt.wilayah.models import NATION_CODE, Region
from slrt.wilayah.services import load_regions

from .generate import generate_registry

logger = logging.getLogger(__name__)

DEMO_KAB = "32.04"  # Kabupaten Bandung: large, mixed urban and rural, Sundanese names
DEMO_PERIOD = "2026-07"
DEMO_SOURCE = "DTSEN"
DEMO_SEED = 2026
DEMO_PASSWORD = "Demo-SLRT-2026"  # noqa: S105 - printed by seed_demo; demo installs only
PUSKESOS_COUNT = 4


@dataclass
class DemoAccount:
    username: str
    password: str
    role: str
    region_code: str
    region_name: str
    agency_code: str = ""


@dataclass
class DemoResult:
    kab_code: str
    imported: bool = False  # False: the demo release was already loaded
    import_summary: dict = field(default_factory=dict)
    duplicate_candidates: int | None = None
    accounts: list[DemoAccount] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def demo_file_name(kab_code: str = DEMO_KAB, period: str = DEMO_PERIOD) -> str:
    return f"demo-{DEMO_SOURCE.lower()}-{kab_code.replace('.', '')}-{period}.csv"


@transaction.atomic  # all or nothing: a failed seeding leaves no half demo to skip over next time
def seed_demo(
    *, households: int = 5000, kab_code: str = DEMO_KAB, password: str = DEMO_PASSWORD, seed: int = DEMO_SEED,
    progress=None,
) -> DemoResult:
    result = DemoResult(kab_code=kab_code)
    if not Region.objects.filter(code=kab_code).exists():
        load_regions()
    kab = Region.objects.get(code=kab_code)
    secretariat = _secretariat(kab)
    _load_release(result, kab, households=households, seed=seed, progress=progress)
    desa_codes = _busiest_desa(kab)
    _puskesos(secretariat, desa_codes)
    from slrt.wilayah.demo import seed_letterheads

    seed_letterheads(secretariat, secretariat.puskesos.filter(region_id=desa_codes[0]).first())
    result.accounts = _accounts(kab, desa_codes[0], password)
    _service_desk(kab)
    return result


LOCAL_PROGRAMMES = ("BLT-DD", "BAZNAS-SANTUNAN", "CSR-BEDAH")


def _service_desk(kab: Region) -> None:
    """Agencies of the district and cases in every state, made by the demo staff through the services."""
    from slrt.accounts.models import User
    from slrt.cases.demo import seed_cases
    from slrt.programs.catalogue import load_agencies, load_catalogue
    from slrt.programs.models import Program
    from slrt.referrals.demo import seed_referrals

    load_catalogue()
    load_agencies(kab.code)
    # BLT Dana Desa, BAZNAS and CSR are the district's own programmes: in the demo they belong to
    # the demo kabupaten, so its Manajer edits their rules (national ones only a national Admin).
    Program.objects.filter(code__in=LOCAL_PROGRAMMES, region__isnull=True).update(region=kab)
    staff = {u.username: u for u in User.objects.filter(username__in=[
        "demo-fo", "demo-bo", "demo-manajer", "demo-mitra", "demo-koordinator",
    ])}
    seed_cases(kab.code, staff["demo-fo"], staff["demo-bo"])
    seed_referrals(
        kab.code, front_office=staff["demo-fo"], back_office=staff["demo-bo"], manajer=staff["demo-manajer"],
        mitra=staff["demo-mitra"], koordinator=staff.get("demo-koordinator"),
    )
    _field_work(kab)


def _field_work(kab: Region) -> None:
    """Registry proposals in every state and field visits, made by the demo staff through the services."""
    from slrt.accounts.models import User
    from slrt.fieldwork.demo import seed_visits
    from slrt.updates.demo import seed_proposals

    staff = {u.username: u for u in User.objects.select_related("region").filter(username__in=[
        "demo-fasilitator", "demo-supervisor", "demo-manajer", "demo-bo",
    ])}
    seed_proposals(kab.code, fasilitator=staff["demo-fasilitator"], supervisor=staff["demo-supervisor"],
                   manajer=staff["demo-manajer"], back_office=staff["demo-bo"])
    seed_visits(fasilitator=staff["demo-fasilitator"], supervisor=staff["demo-supervisor"])


def _secretariat(kab: Region):
    from slrt.wilayah.models import Secretariat

    secretariat, _created = Secretariat.objects.get_or_create(
        region=kab,
        defaults={
            "name": f"Sekretariat SLRT {kab.name.title() if kab.name.isupper() else kab.name}",
            "address": f"Dinas Sosial {kab.name}",
        },
    )
    return secretariat


def _release_loaded(file_name: str) -> bool:
    from slrt.registry.models import ImportJob, ImportStatus

    return ImportJob.objects.filter(original_name=file_name, status=ImportStatus.DONE).exists()


def _load_release(result: DemoResult, kab: Region, *, households: int, seed: int, progress) -> None:
    file_name = demo_file_name(kab.code)
    if _release_loaded(file_name):
        return
    try:
        from slrt.registry.services.imports import create_import_job, run_import
    except ImportError:  # the importer is optional for the rest of the demo
        result.notes.append("importer tidak tersedia; data registri demo tidak dimuat")
        return
    folder = Path(settings.VAR_DIR) / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    # A name of its own: two seeds at once (two test workers, a second `make run`) never write one file.
    fd, name = tempfile.mkstemp(dir=folder, prefix=Path(file_name).stem + "-", suffix=".csv")
    os.close(fd)
    path = Path(name)
    generate_registry(
        out=path, households=households, region=kab.code, seed=seed, duplicate_share=0.02, bad_share=0.003,
        period=DEMO_PERIOD, source=DEMO_SOURCE,
    )
    job = create_import_job(path=path, original_name=file_name, source=DEMO_SOURCE, period=DEMO_PERIOD, actor=None)
    job = run_import(job, progress=progress)
    result.imported = True
    result.import_summary = {
        k: getattr(job, k) for k in ("rows_read", "created", "updated", "unchanged", "rejected", "moved")
    }
    try:
        from slrt.registry.services.dedup import find_candidates
    except ImportError:
        return
    result.duplicate_candidates = find_candidates(region_code=kab.code)


def _busiest_desa(kab: Region) -> list[str]:
    """Desa of the demo kab with the most households (where the desa-level accounts sit)."""
    rows = (
        Household.objects.system().filter(kab_code=kab.code).values("desa_code")
        .annotate(n=Count("id")).order_by("-n", "desa_code")[:PUSKESOS_COUNT]
    )
    codes = [r["desa_code"] for r in rows]
    if len(codes) < PUSKESOS_COUNT:  # no data yet: the first desa of the kab
        codes += [c for c in kab.descendants().filter(level=4).values_list("code", flat=True)[:PUSKESOS_COUNT]
                  if c not in codes]
    return codes[:PUSKESOS_COUNT]


@transaction.atomic
def _puskesos(secretariat, desa_codes: list[str]) -> None:
    from slrt.wilayah.models import Puskesos

    for desa in Region.objects.filter(code__in=desa_codes):
        Puskesos.objects.get_or_create(
            region=desa, secretariat=secretariat,
            defaults={"name": f"Puskesos {desa.name}", "address": f"Kantor {desa.kind.title()} {desa.name}"},
        )


def _accounts(kab: Region, desa_code: str, password: str) -> list[DemoAccount]:
    desa = Region.objects.get(code=desa_code)
    kecamatan = desa.parent
    province = kab.parent
    digits = kab.code.replace(".", "")
    plan = [
        ("demo-admin", Role.ADMIN, NATION_CODE, ""),
        ("demo-dinsos", Role.DINSOS, province.code, ""),
        ("demo-manajer", Role.MANAJER, kab.code, ""),
        ("demo-supervisor", Role.SUPERVISOR, kecamatan.code, ""),
        ("demo-fasilitator", Role.FASILITATOR, desa.code, ""),
        ("demo-fo", Role.FRONT_OFFICE, kab.code, ""),
        ("demo-bo", Role.BACK_OFFICE, kab.code, ""),
        ("demo-koordinator", Role.KOORDINATOR_PUSKESOS, desa.code, ""),
        ("demo-mitra", Role.MITRA, kab.code, f"RSUD-{digits}"),
    ]
    names = dict(Region.objects.filter(code__in={c for _u, _r, c, _a in plan}).values_list("code", "name"))
    accounts = []
    for username, role, code, agency in plan:
        create_user(username=username, role=role, region_code=code, password=password, agency_code=agency,
                    full_name=f"Demo {Role(role).label}")
        _lift_lockout(username)
        accounts.append(DemoAccount(username, password, str(role), code, names.get(code, ""), agency))
    return accounts


def _lift_lockout(username: str) -> None:
    try:
        from axes.utils import reset
    except ImportError:
        return
    reset(username=username)
