"""The registry exchange file (SPEC, "Contracts"): its columns and how a header maps onto them."""

import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from .limits import limits, thousands

REQUIRED = ("nik", "nomor_kk", "nama", "kode_wilayah")

# Person text columns of the file and the longest value the model holds.
PERSON_TEXT = {
    "id_dtks": 40,
    "tempat_lahir": 80,
    "hubungan_keluarga": 40,
    "nama_ibu_kandung": 150,
    "pekerjaan": 80,
    "pendidikan": 60,
    "status_kawin": 30,
    "disabilitas": 80,
    "jenis_ppks": 80,
}
HOUSEHOLD_TEXT = {"alamat": 255, "dusun": 100}
OPTIONAL = (
    "id_dtks", "tanggal_lahir", "tempat_lahir", "jenis_kelamin", "hubungan_keluarga", "nama_ibu_kandung",
    "alamat", "dusun", "rt", "rw", "pekerjaan", "pendidikan", "status_kawin", "disabilitas", "desil",
    "jenis_ppks", "periode",
)
KNOWN = frozenset(REQUIRED + OPTIONAL)
PROGRAM_PREFIX = "program_"
_PROGRAM_CODE = re.compile(r"[a-z0-9_]{1,40}")

# Person fields compared between the file and the database (besides nama, region and extra),
# in the order they are stored in the staging table.
PERSON_FIELDS = (
    "id_dtks", "tempat_lahir", "tanggal_lahir", "jenis_kelamin", "hubungan_keluarga", "nama_ibu_kandung",
    "pekerjaan", "pendidikan", "status_kawin", "disabilitas", "jenis_ppks",
)
HOUSEHOLD_FIELDS = ("alamat", "dusun", "rt", "rw", "desil")


def normalize_header(name) -> str:
    """' Nomor KK ' -> 'nomor_kk': case, surrounding blanks, inner blanks and hyphens do not matter."""
    s = str(name if name is not None else "").replace("\ufeff", "").strip().lower()
    return re.sub(r"[\s\-]+", "_", s)


@dataclass
class FileSpec:
    """Where each known column sits in the file's rows, and what the file leaves out."""

    header: list[str]  # normalised names, in file order
    index: dict[str, int]  # known column -> position
    programs: list[tuple[str, int]]  # (programme code, position)
    extras: list[tuple[str, int]]  # (column name, position) of columns SLRT does not model
    width: int = field(init=False)

    def __post_init__(self):
        self.width = len(self.header)

    @property
    def present(self) -> frozenset[str]:
        return frozenset(self.index)

    def has(self, column: str) -> bool:
        return column in self.index

    @property
    def signature(self) -> str:
        """Which columns the file carries; part of the row hash, so a file that omits a column
        is never mistaken for one that empties it."""
        names = sorted(self.index) + [f"program_{c}" for c, _i in self.programs]
        if self.extras:
            names.append("+extra")
        return ",".join(sorted(names))


class HeaderError(ValueError):
    pass


def parse_header(raw_header: list) -> FileSpec:
    header = [normalize_header(h) for h in raw_header]
    # Trailing unnamed columns (a spreadsheet's empty cells) are ignored.
    while header and not header[-1]:
        header.pop()
    index: dict[str, int] = {}
    programs: list[tuple[str, int]] = []
    extras: list[tuple[str, int]] = []
    seen: dict[str, int] = {}
    doubled: list[str] = []
    for i, name in enumerate(header):
        if not name:
            continue
        if name in seen:
            doubled.append(name)
            continue
        seen[name] = i
        if name in KNOWN:
            index[name] = i
        elif name.startswith(PROGRAM_PREFIX) and _PROGRAM_CODE.fullmatch(name[len(PROGRAM_PREFIX):]):
            programs.append((name[len(PROGRAM_PREFIX):].upper(), i))
        else:
            extras.append((name[:60], i))
    lim = limits()
    if len(programs) > lim.program_columns:
        raise HeaderError(
            _("Berkas ini memiliki %(n)s kolom program_*; paling banyak %(max)s. Satu kolom per program bantuan "
              "(mis. program_pkh, program_bpnt).") % {"n": thousands(len(programs)), "max": lim.program_columns}
        )
    if len(header) > lim.columns:
        raise HeaderError(_("Berkas ini memiliki %(n)s kolom; paling banyak %(max)s.")
                          % {"n": thousands(len(header)), "max": thousands(lim.columns)})
    missing = [c for c in REQUIRED if c not in index]
    if missing:
        raise HeaderError(
            _("Kolom wajib tidak ada: %(missing)s. Baris pertama berkas harus berisi nama kolom, "
              "minimal: %(required)s.") % {"missing": ", ".join(missing), "required": ", ".join(REQUIRED)}
        )
    if doubled:
        cols = ", ".join(sorted(set(doubled)))
        raise HeaderError(_("Nama kolom muncul lebih dari sekali: %(cols)s.") % {"cols": cols})
    return FileSpec(header=header, index=index, programs=programs, extras=extras)


def header_score(raw_header: list) -> int:
    """How many known column names a candidate header holds (used to pick the CSV delimiter)."""
    score = 0
    for h in raw_header:
        name = normalize_header(h)
        if name in KNOWN or name.startswith(PROGRAM_PREFIX):
            score += 1
    return score
