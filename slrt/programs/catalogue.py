"""The programme catalogue every installation starts with, and the agency directory of a kab/kota.

Loaded by a data migration (so a fresh install has it) and idempotent: programmes are matched
by code and their descriptive fields refreshed; a rule is only written when the programme has
none, so rules edited by a Manajer are never overwritten.
"""

from django.db import transaction

# Age bounds of school levels as the registry sees them (SD 7-12, SMP 13-15, SMA 16-18).
PKH_DESIL = {"field": "desil", "op": "between", "value": [1, 4]}
NOT_PKH_BPNT = {"field": "menerima", "op": "not_in", "value": ["BPNT", "PKH"]}

PKH_OWNER = "Kementerian Sosial (Ditjen Linjamsos)"
# Registry programmes recorded under one code but matched per component: the name of the whole.
REGISTRY_GROUPS = {"PKH": "Program Keluarga Harapan (PKH)"}
PKH_BENEFIT = (
    "Bantuan tunai bersyarat, disalurkan per tahap melalui Himbara/PT Pos; "
    "pendamping PKH memantau komitmen kesehatan dan pendidikan."
)

PROGRAMS = [
    # code, short name, name, owner, target unit, sector, registry code, agency kind, cash, benefit, criteria
    (
        "PKH-BUMIL",
        "PKH Ibu Hamil",
        "PKH komponen ibu hamil/nifas",
        PKH_OWNER,
        "family",
        "kesehatan",
        "PKH",
        "dinsos",
        True,
        "Rp3.000.000 per tahun; wajib periksa kehamilan di fasilitas kesehatan. " + PKH_BENEFIT,
        [PKH_DESIL, {"field": "anggota_hamil", "op": "is", "value": True}],
    ),
    (
        "PKH-AUD",
        "PKH Anak Usia Dini",
        "PKH komponen anak usia dini (0–6 tahun)",
        PKH_OWNER,
        "family",
        "kesehatan",
        "PKH",
        "dinsos",
        True,
        "Rp3.000.000 per tahun; wajib imunisasi dan penimbangan di posyandu. " + PKH_BENEFIT,
        [PKH_DESIL, {"field": "anggota_usia", "op": "between", "value": [0, 6]}],
    ),
    (
        "PKH-SD",
        "PKH SD",
        "PKH komponen anak sekolah SD/sederajat",
        PKH_OWNER,
        "family",
        "pendidikan",
        "PKH",
        "dinsos",
        True,
        "Rp900.000 per tahun; kehadiran sekolah minimal 85%. " + PKH_BENEFIT,
        [PKH_DESIL, {"field": "anggota_usia", "op": "between", "value": [7, 12]}],
    ),
    (
        "PKH-SMP",
        "PKH SMP",
        "PKH komponen anak sekolah SMP/sederajat",
        PKH_OWNER,
        "family",
        "pendidikan",
        "PKH",
        "dinsos",
        True,
        "Rp1.500.000 per tahun; kehadiran sekolah minimal 85%. " + PKH_BENEFIT,
        [PKH_DESIL, {"field": "anggota_usia", "op": "between", "value": [13, 15]}],
    ),
    (
        "PKH-SMA",
        "PKH SMA",
        "PKH komponen anak sekolah SMA/sederajat",
        PKH_OWNER,
        "family",
        "pendidikan",
        "PKH",
        "dinsos",
        True,
        "Rp2.000.000 per tahun; kehadiran sekolah minimal 85%. " + PKH_BENEFIT,
        [PKH_DESIL, {"field": "anggota_usia", "op": "between", "value": [16, 18]}],
    ),
    (
        "PKH-DIS",
        "PKH Disabilitas Berat",
        "PKH komponen penyandang disabilitas berat",
        PKH_OWNER,
        "family",
        "sosial_ekonomi",
        "PKH",
        "dinsos",
        True,
        "Rp2.400.000 per tahun; pendampingan perawatan di rumah. " + PKH_BENEFIT,
        [PKH_DESIL, {"field": "anggota_disabilitas_berat", "op": "is", "value": True}],
    ),
    (
        "PKH-LANSIA",
        "PKH Lansia",
        "PKH komponen lanjut usia (60 tahun ke atas)",
        PKH_OWNER,
        "family",
        "sosial_ekonomi",
        "PKH",
        "dinsos",
        True,
        "Rp2.400.000 per tahun; kunjungan pendamping dan posyandu lansia. " + PKH_BENEFIT,
        [PKH_DESIL, {"field": "anggota_lansia", "op": "is", "value": True}],
    ),
    (
        "BPNT",
        "Sembako/BPNT",
        "Program Sembako (Bantuan Pangan Non Tunai)",
        "Kementerian Sosial (Ditjen PFM)",
        "family",
        "pangan",
        "BPNT",
        "dinsos",
        True,
        "Rp200.000 per bulan, disalurkan per tiga bulan; dibelanjakan bahan pangan di e-warong "
        "atau diterima tunai melalui PT Pos.",
        [{"field": "desil", "op": "between", "value": [1, 5]}],
    ),
    (
        "PBI-JK",
        "PBI-JK",
        "Penerima Bantuan Iuran Jaminan Kesehatan (JKN-KIS)",
        "Kementerian Sosial / BPJS Kesehatan",
        "person",
        "kesehatan",
        "PBI",
        "dinkes",
        False,
        "Iuran JKN kelas III dibayar pemerintah pusat; layanan di Puskesmas dan rumah sakit mitra BPJS Kesehatan.",
        [{"field": "desil", "op": "between", "value": [1, 5]}],
    ),
    (
        "PIP",
        "PIP",
        "Program Indonesia Pintar (KIP Sekolah)",
        "Kementerian Pendidikan Dasar dan Menengah",
        "person",
        "pendidikan",
        "PIP",
        "disdik",
        True,
        "Rp450.000 (SD), Rp750.000 (SMP), Rp1.800.000 (SMA/SMK) per tahun ke rekening SimPel siswa.",
        [
            {"field": "desil", "op": "between", "value": [1, 5]},
            {"field": "anggota_usia", "op": "between", "value": [6, 21]},
        ],
    ),
    (
        "RUTILAHU",
        "RS-Rutilahu",
        "Rehabilitasi Sosial Rumah Tidak Layak Huni",
        "Kementerian Sosial / Dinas Perumahan",
        "household",
        "perumahan",
        "",
        "perumahan",
        False,
        "Bantuan bahan bangunan dan upah tukang sampai Rp20.000.000 per rumah, dikerjakan gotong royong.",
        [
            {"field": "desil", "op": "between", "value": [1, 4]},
            {"field": "rumah_tidak_layak", "op": "gte", "value": 1},
            {"field": "status_bangunan", "op": "in", "value": ["milik sendiri"]},
        ],
    ),
    (
        "KUBE",
        "KUBE",
        "Kelompok Usaha Bersama (KUBE)",
        "Kementerian Sosial (Ditjen PFM)",
        "group",
        "sosial_ekonomi",
        "",
        "dinsos",
        False,
        "Modal usaha Rp20.000.000 per kelompok (10 keluarga) dengan pendampingan usaha.",
        [
            {"field": "desil", "op": "between", "value": [1, 4]},
            {"field": "anggota_usia", "op": "between", "value": [18, 59]},
        ],
    ),
    (
        "ATENSI",
        "ATENSI",
        "Asistensi Rehabilitasi Sosial (ATENSI)",
        "Kementerian Sosial (Ditjen Rehabilitasi Sosial)",
        "person",
        "sosial_ekonomi",
        "",
        "dinsos",
        False,
        "Layanan rehabilitasi: alat bantu disabilitas, terapi, perawatan lansia, dukungan keluarga, nutrisi.",
        [
            {
                "field": "jenis_ppks",
                "op": "in",
                "value": [
                    "anak dengan kedisabilitasan",
                    "lanjut usia terlantar",
                    "penyandang disabilitas",
                    "anak terlantar",
                    "korban tindak kekerasan",
                    "anak yang menjadi korban tindak kekerasan",
                    "gelandangan",
                    "pengemis",
                ],
            }
        ],
    ),
    (
        "BLT-DD",
        "BLT Dana Desa",
        "Bantuan Langsung Tunai Dana Desa",
        "Pemerintah Desa (APBDes)",
        "family",
        "sosial_ekonomi",
        "BLTDD",
        "dinsos",
        True,
        "Rp300.000 per bulan dari Dana Desa, ditetapkan lewat musyawarah desa; bukan untuk penerima PKH/BPNT.",
        [{"field": "desil", "op": "between", "value": [1, 3]}, NOT_PKH_BPNT],
    ),
    (
        "BAZNAS-SANTUNAN",
        "BAZNAS Santunan",
        "Santunan Mustahik BAZNAS Kabupaten",
        "BAZNAS Kabupaten",
        "family",
        "sosial_ekonomi",
        "",
        "baznas",
        True,
        "Santunan zakat Rp500.000–Rp1.000.000 untuk fakir miskin, lansia dan penyakit kronis; biaya berobat darurat.",
        [{"field": "desil", "op": "between", "value": [1, 2]}],
    ),
    (
        "CSR-BEDAH",
        "CSR Bedah Rumah",
        "Program CSR Bedah Rumah dan Sanitasi",
        "Unit CSR perusahaan mitra",
        "household",
        "perumahan",
        "",
        "csr",
        False,
        "Perbaikan atap, lantai dan jamban sehat oleh perusahaan mitra di wilayah operasinya.",
        [{"field": "desil", "op": "between", "value": [1, 3]}, {"field": "rumah_tidak_layak", "op": "gte", "value": 2}],
    ),
]

# Benefits as amounts (rupiah, per unit, per period) for the budget figures. The catalogue's
# assumption, edited per installation like the rules (services.benefits): PKH by component at the
# 2024 Kemensos indices (ibu hamil and anak usia dini Rp3.000.000, SD Rp900.000, SMP Rp1.500.000,
# SMA Rp2.000.000, disabilitas berat and lansia Rp2.400.000 per year); Sembako/BPNT Rp200.000 per
# family per month; PBI-JK the central government's JKN class III contribution, Rp42.000 per person
# per month (Perpres 64/2020); PIP at its lowest (SD) rate, Rp450.000 per pupil per year; BLT Dana
# Desa Rp300.000 per family per month; RS-Rutilahu Rp20.000.000 per house and KUBE Rp20.000.000 per
# group, once; BAZNAS santunan at its lower bound, Rp500.000 once. ATENSI and CSR Bedah Rumah give
# services or works whose value the catalogue does not know: no amount until an editor sets one.
# code: (amount, unit, period, note)
BENEFITS = {
    "PKH-BUMIL": (3_000_000, "family", "year", "Indeks PKH 2024 komponen ibu hamil/nifas (asumsi katalog)"),
    "PKH-AUD": (3_000_000, "family", "year", "Indeks PKH 2024 komponen anak usia dini (asumsi katalog)"),
    "PKH-SD": (900_000, "family", "year", "Indeks PKH 2024 komponen anak SD (asumsi katalog)"),
    "PKH-SMP": (1_500_000, "family", "year", "Indeks PKH 2024 komponen anak SMP (asumsi katalog)"),
    "PKH-SMA": (2_000_000, "family", "year", "Indeks PKH 2024 komponen anak SMA (asumsi katalog)"),
    "PKH-DIS": (2_400_000, "family", "year", "Indeks PKH 2024 komponen disabilitas berat (asumsi katalog)"),
    "PKH-LANSIA": (2_400_000, "family", "year", "Indeks PKH 2024 komponen lansia (asumsi katalog)"),
    "BPNT": (200_000, "family", "month", "Program Sembako 2024 (asumsi katalog)"),
    "PBI-JK": (42_000, "person", "month", "Iuran JKN kelas III, Perpres 64/2020 (asumsi katalog)"),
    "PIP": (450_000, "person", "year", "PIP jenjang SD, besaran terendah (asumsi katalog)"),
    "RUTILAHU": (20_000_000, "household", "once", "Bantuan RS-Rutilahu per rumah (asumsi katalog)"),
    "KUBE": (20_000_000, "group", "once", "Modal KUBE per kelompok (asumsi katalog)"),
    "BLT-DD": (300_000, "family", "month", "BLT Dana Desa 2024 (asumsi katalog)"),
    "BAZNAS-SANTUNAN": (500_000, "family", "once", "Santunan BAZNAS, batas bawah (asumsi katalog)"),
}


# kind, code prefix, name pattern, services: (code, name, sector, SLA days)
AGENCIES = [
    (
        "dinsos",
        "DINSOS",
        "Dinas Sosial {name}",
        [
            ("PKH", "Usulan dan pendampingan PKH", "sosial_ekonomi", 14),
            ("BPNT", "Usulan Program Sembako/BPNT", "pangan", 14),
            ("ATENSI", "Asistensi rehabilitasi sosial (ATENSI)", "sosial_ekonomi", 10),
            ("KUBE", "Pembentukan Kelompok Usaha Bersama", "sosial_ekonomi", 30),
        ],
    ),
    (
        "dinkes",
        "DINKES",
        "Dinas Kesehatan {name}",
        [
            ("PBI", "Pendaftaran PBI-JK / reaktivasi JKN", "kesehatan", 7),
            ("JAMKESDA", "Jaminan kesehatan daerah (SKTM)", "kesehatan", 5),
        ],
    ),
    (
        "rsud",
        "RSUD",
        "RSUD {name}",
        [
            ("RAWAT-INAP", "Rawat inap kelas III", "kesehatan", 2),
            ("RAWAT-JALAN", "Rawat jalan dan rujukan spesialis", "kesehatan", 3),
            ("KERINGANAN", "Keringanan biaya pasien tidak mampu", "kesehatan", 3),
        ],
    ),
    (
        "puskesmas",
        "PKM",
        "Puskesmas {name}",
        [
            ("PERIKSA", "Pemeriksaan kesehatan dan kunjungan rumah", "kesehatan", 3),
            ("GIZI", "Penanganan gizi buruk dan stunting", "kesehatan", 7),
            ("ANC", "Pemeriksaan kehamilan (ANC)", "kesehatan", 3),
        ],
    ),
    (
        "dukcapil",
        "DUKCAPIL",
        "Dinas Kependudukan dan Pencatatan Sipil {name}",
        [
            ("KTP", "Perekaman dan pencetakan KTP-el", "adminduk", 7),
            ("KK", "Penerbitan/perubahan Kartu Keluarga", "adminduk", 5),
            ("AKTA", "Akta kelahiran", "adminduk", 7),
        ],
    ),
    (
        "disdik",
        "DISDIK",
        "Dinas Pendidikan {name}",
        [
            ("PIP", "Usulan Program Indonesia Pintar", "pendidikan", 14),
            ("SEKOLAH", "Penempatan kembali anak putus sekolah", "pendidikan", 14),
        ],
    ),
    (
        "perumahan",
        "DISPERKIM",
        "Dinas Perumahan dan Kawasan Permukiman {name}",
        [
            ("RUTILAHU", "Rehabilitasi rumah tidak layak huni", "perumahan", 30),
            ("SANITASI", "Jamban sehat dan air bersih", "perumahan", 30),
        ],
    ),
    (
        "baznas",
        "BAZNAS",
        "BAZNAS {name}",
        [
            ("SANTUNAN", "Santunan mustahik", "sosial_ekonomi", 7),
            ("BEROBAT", "Bantuan biaya berobat", "kesehatan", 5),
            ("MODAL", "Modal usaha mikro (Z-Mart)", "sosial_ekonomi", 21),
        ],
    ),
    (
        "csr",
        "CSR",
        "Forum CSR {name}",
        [("BEDAH-RUMAH", "Bedah rumah", "perumahan", 45), ("BEASISWA", "Beasiswa pendidikan", "pendidikan", 30)],
    ),
]
AGENCY_PHONE = "(022) 5891234"


def load_catalogue(Program=None, EligibilityRule=None) -> int:  # noqa: N803 - model classes
    """Create or refresh the seeded programmes; returns how many were created."""
    with_benefits = Program is None  # a data migration before benefits existed passes its models
    if Program is None:
        from .models import EligibilityRule, Program
    from .rules import validate

    created = 0
    with transaction.atomic():
        for code, short, name, owner, unit, sector, registry_code, agency_kind, cash, benefit, criteria in PROGRAMS:
            program, was_created = Program.objects.update_or_create(
                code=code,
                defaults={
                    "short_name": short,
                    "name": name,
                    "owner": owner,
                    "target_unit": unit,
                    "sector": sector,
                    "registry_code": registry_code,
                    "agency_kind": agency_kind,
                    "cash": cash,
                    "benefit": benefit,
                },
            )
            created += was_created
            if not EligibilityRule.objects.filter(program=program).exists():
                EligibilityRule.objects.create(
                    program=program, version=1, criteria=validate(criteria), note="Aturan awal katalog", is_current=True
                )
        if with_benefits:
            load_benefits()
    return created


def load_benefits(Program=None, Benefit=None) -> int:  # noqa: N803 - model classes
    """Write the catalogue's amount as version 1 of each programme that has none (edited amounts
    are never overwritten); returns how many were written."""
    if Program is None:
        from .models import Benefit, Program
    written = 0
    with transaction.atomic():
        for program in Program.objects.filter(code__in=BENEFITS):
            if Benefit.objects.filter(program=program).exists():
                continue
            amount, unit, period, note = BENEFITS[program.code]
            Benefit.objects.create(program=program, version=1, amount=amount, unit=unit, period=period, note=note,
                                   is_current=True)
            written += 1
    return written


def load_agencies(kab_code: str) -> list:
    """The agency directory of one kab/kota (idempotent); codes like `RSUD-3204`."""
    from slrt.wilayah.models import Region

    from .models import Agency, AgencyService

    kab = Region.objects.get(code=kab_code)
    digits = kab.digits
    place = kab.name.title() if kab.name.isupper() else kab.name
    agencies = []
    with transaction.atomic():
        for kind, prefix, pattern, services in AGENCIES:
            agency, _created = Agency.objects.update_or_create(
                code=f"{prefix}-{digits}",
                defaults={
                    "name": pattern.format(name=place),
                    "kind": kind,
                    "region": kab,
                    "phone": AGENCY_PHONE,
                    "email": f"{prefix.lower()}{digits}@example.go.id",
                },
            )
            for code, name, sector, sla in services:
                AgencyService.objects.update_or_create(
                    agency=agency, code=code, defaults={"name": name, "sector": sector, "sla_days": sla}
                )
            agencies.append(agency)
    return agencies


def referral_agency(program, region_code: str):
    """The agency a referral for `program` goes to from `region_code`: its kind in that kab/kota."""
    from .models import Agency

    if program.agency_id:
        return program.agency
    if not program.agency_kind or not region_code:
        return None
    kab = ".".join(region_code.split(".")[:2])
    return Agency.objects.filter(kind=program.agency_kind, region_id=kab, active=True).first()
