"""Exchange rows: the registry exchange format's columns a proposal holds, and a registry record
as such a row (values as proposals hold them). Read by the proposal services, the export and the
pages; kept apart so the export and the services need not import each other.
"""

from slrt.registry.imports.columns import HOUSEHOLD_FIELDS, OPTIONAL, REQUIRED

# The exchange columns a proposal row may carry (the release period is the registry owner's).
ROW_COLUMNS = tuple(c for c in REQUIRED + OPTIONAL if c != "periode")
HOUSEHOLD_COLUMNS = frozenset(HOUSEHOLD_FIELDS)


def household_row(household) -> dict:
    return {
        "nomor_kk": household.nomor_kk,
        "kode_wilayah": household.desa_code,
        "alamat": household.alamat,
        "dusun": household.dusun,
        "rt": household.rt,
        "rw": household.rw,
        "desil": household.desil,
    }


def person_row(person) -> dict:
    """A registry person (with its household) as an exchange row, values as proposals hold them."""
    row = household_row(person.household)
    row.update(
        nik=person.nik,
        nama=person.nama,
        kode_wilayah=person.desa_code,
        tanggal_lahir=person.tanggal_lahir.isoformat() if person.tanggal_lahir else "",
    )
    for name in ("id_dtks", "tempat_lahir", "jenis_kelamin", "hubungan_keluarga", "nama_ibu_kandung", "pekerjaan",
                 "pendidikan", "status_kawin", "disabilitas", "jenis_ppks"):
        row[name] = getattr(person, name) or ""
    return row
