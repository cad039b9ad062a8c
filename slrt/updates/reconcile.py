"""Reconciliation: what a newly imported registry release settled of the submitted proposals.

Runs inside the import's transaction (`registry.imports.pipeline.load`), after the merge, so the
registry already holds the release. A submitted (`diajukan`) proposal is accepted when the
release contains its change; otherwise it stays pending, and after
`SLRT_PROPOSAL_RELEASES_BEFORE_REJECT` releases without it, it is rejected. The rules per kind:

* kk_baru: one of the proposed NIKs is in the release, or the proposed KK appeared in it;
* tambah_anggota: the NIK is in the release, in that KK (without a NIK: a member of that KK
  with the same name was created by this release);
* perubahan: the person (or household) is in the release and every proposed column now holds
  the proposed value;
* penghapusan: the person is not in the release while their household is, or the person was
  deactivated;
* tinjau_desil: the household's desil differs from the desil when the review was proposed.

"In the release": the registry keeps `last_release` as the release of a record's last CHANGE
and a household's appearances, but not a person's. So the import asks `staged_niks` which NIKs
of submitted proposals are among the file's accepted rows (its staging table, before the merge
drops it) and passes them as `present_niks`; without them (outside an import) a person is in
the release when their record was last changed by it. A household is in the release when it
has a `HouseholdAppearance` of it.

Set-based: a few queries per thousand proposals, whatever the number of proposals.
"""

import logging
from collections import defaultdict

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from slrt.accounts.scoping import region_q
from slrt.audit.services import record
from slrt.registry.imports.loader import STAGE
from slrt.registry.models import Household, HouseholdAppearance, Person
from slrt.registry.search import name_key

from .models import Proposal, ProposalKind, ProposalStatus, Reconciliation
from .rows import HOUSEHOLD_COLUMNS
from .services import move

log = logging.getLogger(__name__)
CHUNK = 1000

_PERSON_VALUES = ("nik", "nama", "desa_code", "tanggal_lahir", "id_dtks", "tempat_lahir", "jenis_kelamin",
                  "hubungan_keluarga", "nama_ibu_kandung", "pekerjaan", "pendidikan", "status_kawin", "disabilitas",
                  "jenis_ppks", "last_release_id", "is_active", "household_id", "name_key")
_HOUSEHOLD_VALUES = ("id", "nomor_kk", "desa_code", "alamat", "dusun", "rt", "rw", "desil", "last_release_id")


def _chunks(items):
    items = list(items)
    for i in range(0, len(items), CHUNK):
        yield items[i:i + CHUNK]


def _people(niks) -> dict:
    out = {}
    for part in _chunks(niks):
        for row in Person.objects.system().filter(nik__in=part).values(*_PERSON_VALUES):
            out[row["nik"]] = row
    return out


def _households(*, kks=(), ids=()) -> tuple[dict, dict]:
    by_kk, by_id = {}, {}
    for field, values in (("nomor_kk__in", kks), ("pk__in", ids)):
        for part in _chunks(values):
            for row in Household.objects.system().filter(**{field: part}).values(*_HOUSEHOLD_VALUES):
                by_kk[row["nomor_kk"]] = row
                by_id[row["id"]] = row
    return by_kk, by_id


def _value(row: dict, col: str, households_by_id: dict):
    """A registry value in the form proposals hold it (see rows.person_row)."""
    if col == "nomor_kk":
        hh = households_by_id.get(row.get("household_id"))
        return hh["nomor_kk"] if hh else row.get("nomor_kk")
    if col == "kode_wilayah":
        return row["desa_code"]
    if col in HOUSEHOLD_COLUMNS and "household_id" in row:
        hh = households_by_id.get(row["household_id"]) or {}
        value = hh.get(col)
    else:
        value = row.get(col)
    if col == "desil":
        return value
    if col == "tanggal_lahir":
        return value.isoformat() if value else ""
    return value or ""


def _proposal_niks(proposals) -> set:
    niks = set()
    for data in proposals:
        for row in [data or {}, *(data or {}).get("anggota", [])]:
            if row.get("nik"):
                niks.add(row["nik"])
    return niks


def staged_niks(region_code: str = "") -> set:
    """The NIKs of submitted proposals of the region that the running import accepted.

    Called by `registry.imports.pipeline.load` between rejecting rows and the merge, while its
    staging table holds exactly the accepted rows."""
    qs = Proposal.objects.system().filter(status=ProposalStatus.SUBMITTED)
    if region_code:
        qs = qs.filter(region_q(region_code))
    niks = _proposal_niks(qs.values_list("data", flat=True).iterator(chunk_size=CHUNK))
    found = set()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One pass over the (unindexed) staging table; PostgreSQL hashes a large = ANY array.
            cursor.execute(f"SELECT nik FROM {STAGE} WHERE nik = ANY(%s)", [list(niks)])  # noqa: S608 (fixed names)
            return {r[0] for r in cursor.fetchall()}
        for part in _chunks(niks):
            marks = ", ".join(["%s"] * len(part))
            cursor.execute(f"SELECT nik FROM {STAGE} WHERE nik IN ({marks})", part)  # noqa: S608 (fixed names)
            found.update(r[0] for r in cursor.fetchall())
    return found


class _Context:
    def __init__(self, release, proposals, present_niks=None):
        niks, kks, hh_ids = set(), set(), set()
        for p in proposals:
            data = p.data or {}
            for row in [data, *data.get("anggota", [])]:
                if row.get("nik"):
                    niks.add(row["nik"])
            if data.get("nomor_kk"):
                kks.add(data["nomor_kk"])
            if p.household_id:
                hh_ids.add(p.household_id)
        self.release_id = release.pk
        self.people = _people(niks)
        hh_ids.update(r["household_id"] for r in self.people.values())
        self.hh_by_kk, self.hh_by_id = _households(kks=kks, ids=hh_ids)
        self.staged = present_niks
        self.appeared = set()
        for part in _chunks(self.hh_by_id):
            self.appeared.update(HouseholdAppearance.objects.filter(release=release, household_id__in=part)
                                 .values_list("household_id", flat=True))
        # Members without NIK (a newborn): names of the members that came with this release, per household.
        self.new_names = defaultdict(set)
        nameless = [p.household_id for p in proposals
                    if p.kind == ProposalKind.ADD_MEMBER and not (p.data or {}).get("nik") and p.household_id]
        for part in _chunks(nameless):
            for hid, key in (Person.objects.system().filter(household_id__in=part, last_release_id=release.pk)
                             .values_list("household_id", "name_key")):
                self.new_names[hid].add(key)

    def person_in(self, row) -> bool:
        if not row:
            return False
        if self.staged is not None:
            return row["nik"] in self.staged
        return row["last_release_id"] == self.release_id

    def household_in(self, row) -> bool:
        return bool(row) and row["id"] in self.appeared


def _settled(p, ctx: _Context) -> bool:
    data = p.data or {}
    if p.kind == ProposalKind.NEW_HOUSEHOLD:
        niks = [r.get("nik") for r in [data, *data.get("anggota", [])] if r.get("nik")]
        if any(ctx.person_in(ctx.people.get(n)) for n in niks):
            return True
        return bool(data.get("nomor_kk")) and ctx.household_in(ctx.hh_by_kk.get(data["nomor_kk"]))
    if p.kind == ProposalKind.ADD_MEMBER:
        hh = ctx.hh_by_kk.get(data.get("nomor_kk"))
        if hh is None:
            return False
        if data.get("nik"):
            person = ctx.people.get(data["nik"])
            return ctx.person_in(person) and person["household_id"] == hh["id"]
        return name_key(data.get("nama", "")) in ctx.new_names.get(hh["id"], ())
    if p.kind == ProposalKind.CHANGE:
        if data.get("nik"):
            row = ctx.people.get(data["nik"])
            if not ctx.person_in(row):
                return False
            return all(_value(row, col, ctx.hh_by_id) == value for col, value in data.items() if col != "nik")
        hh = ctx.hh_by_id.get(p.household_id) or ctx.hh_by_kk.get(data.get("nomor_kk"))
        if not ctx.household_in(hh):
            return False
        return all(_value(hh, col, ctx.hh_by_id) == value for col, value in data.items() if col != "nomor_kk")
    if p.kind == ProposalKind.REMOVAL:
        row = ctx.people.get(data.get("nik"))
        if row is None or not row["is_active"]:
            return True
        return not ctx.person_in(row) and ctx.household_in(ctx.hh_by_id.get(row["household_id"]))
    if p.kind == ProposalKind.DESIL_REVIEW:
        hh = ctx.hh_by_id.get(p.household_id) or ctx.hh_by_kk.get(data.get("nomor_kk"))
        return hh is not None and hh["desil"] != (p.base or {}).get("desil")
    return False


def reconcile_release(release, *, import_job=None, region_code: str = "", present_niks: set | None = None
                      ) -> Reconciliation:
    """Settle the submitted proposals of `region_code` (all when empty) against `release`.

    `present_niks`: the proposals' NIKs the release holds (`staged_niks`, taken by the import)."""
    with transaction.atomic():  # inside the import's transaction: a savepoint
        return _reconcile(release, import_job, region_code, present_niks)


def _reconcile(release, import_job, region_code, present_niks) -> Reconciliation:
    limit = settings.SLRT_PROPOSAL_RELEASES_BEFORE_REJECT
    # The same release imported again (a corrected file) settles what it now contains, but does
    # not count again towards rejection. Per village: a release reconciled for a kabupaten and
    # later for the whole country was already counted for that kabupaten's villages.
    earlier = set(Reconciliation.objects.filter(release=release).values_list("region_code", flat=True))
    qs = Proposal.objects.system().filter(status=ProposalStatus.SUBMITTED)
    if region_code:
        qs = qs.filter(region_q(region_code))
    accepted, pending, rejected = [], [], []
    counted = []  # pending proposals this release counts towards rejection
    by_village: dict[str, dict[str, int]] = defaultdict(lambda: {"accepted": 0, "pending": 0, "rejected": 0})
    last_pk = 0
    while True:
        # Keyset pages keep memory flat for any number of proposals.
        page = list(qs.filter(pk__gt=last_pk).select_for_update().order_by("pk")
                    .only("pk", "kind", "data", "base", "household_id", "person_id", "desa_code", "releases_checked")
                    [:CHUNK])
        if not page:
            break
        last_pk = page[-1].pk
        ctx = _Context(release, page, present_niks)
        for p in page:
            seen = _covered(p.desa_code, earlier)
            if _settled(p, ctx):
                accepted.append(p.pk)
                by_village[p.desa_code]["accepted"] += 1
            elif not seen and p.releases_checked + 1 >= limit:
                rejected.append(p.pk)
                by_village[p.desa_code]["rejected"] += 1
            else:
                pending.append(p.pk)
                if not seen:
                    counted.append(p.pk)
                by_village[p.desa_code]["pending"] += 1
    note_accepted = _("Ada di rilis %(release)s.") % {"release": str(release)}
    note_rejected = _("Tidak ada di %(n)d rilis registri sejak diajukan (terakhir %(release)s).") % {
        "n": limit, "release": str(release)}
    for part in _chunks(accepted):
        move(None, part, "accept", note=note_accepted, outcome_release=release, outcome_note=note_accepted)
    for part in _chunks(rejected):
        move(None, part, "reject", note=note_rejected, outcome_release=release, outcome_note=note_rejected,
             releases_checked=F("releases_checked") + 1)
    for part in _chunks(counted):
        Proposal.objects.system().filter(pk__in=part).update(releases_checked=F("releases_checked") + 1)
    recon = Reconciliation.objects.create(
        release=release, import_job=import_job, region_code=region_code, accepted=len(accepted),
        pending=len(pending), rejected=len(rejected), by_village=dict(sorted(by_village.items())),
    )
    record(None, "proposal.reconcile", recon, region_code=region_code,
           detail={"release": release.pk, "accepted": len(accepted), "pending": len(pending),
                   "rejected": len(rejected)})
    log.info("reconciled release=%s region=%s accepted=%s pending=%s rejected=%s", release.pk, region_code or "*",
             len(accepted), len(pending), len(rejected))
    return recon


def _covered(desa_code: str, region_codes) -> bool:
    """Whether a reconciliation of one of `region_codes` ("" = everything) covered this desa."""
    return any(not rc or desa_code == rc or desa_code.startswith(rc + ".") for rc in region_codes)


def settle_imported_release(release_import):
    """`registry.hooks.on_release_imported` handler (registered in apps.py): before the merge,
    which proposals' NIKs the file holds (`staged_niks`); after it, `reconcile_release`."""
    present_niks = staged_niks(release_import.region_code)

    def after_merge() -> Reconciliation:
        return reconcile_release(release_import.release, import_job=release_import.job,
                                 region_code=release_import.region_code, present_niks=present_niks)

    return after_merge
