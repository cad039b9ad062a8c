"""Office benchmark (issue 13, point 7): `python -m bench office` (also run by `make bench`, last).

Against a PostgreSQL database of its own (default `slrt_bench_office`), built once and kept:

1. build (skipped when the database carries this build's marker, then only `migrate` runs):
   create the database, migrate, load the regions, set up the 27 kab/kota of one province
   (secretariats, Puskesos posts, each kab/kota's agency directory through
   `programs.catalogue.load_agencies`), then generate by COPY (psycopg `cursor.copy`) three years
   of the office's history on a pool of people: households and people, cases, their needs,
   referrals with every transition (sent, accepted or rejected, in service, done, returned,
   cancelled drafts) and the escalations of the overdue ones. Sizes: 1,000,000 people,
   1,000,000 cases, about 2,000,000 needs and 800,000 referrals at scale 1
   (`BENCH_OFFICE_SCALE` or `--scale`, e.g. 0.01 for a quick run);
2. measure, in a child process with Django set up (DEBUG off): the dashboard
   (`reports.figures.dashboard_figures`) and the summary API's function for the busiest kab/kota
   and for the province, p95 of repeated calls, each beside a hand-written SQL aggregate of the
   same numbers timed in the same run, and the figures compared number by number
   (MATCH/MISMATCH); the monthly report of the kab/kota;
3. export 1,000,000 rows (the province's cases) as CSV and as XLSX through
   `exports.write_export`, each in a child process whose peak RSS is measured, beside a plain
   `COPY (SELECT ...) TO STDOUT` of the same rows.

Parts whose application function is not there yet are reported as missing, not measured.
Figures are printed with PASS/MISS; `--report FILE` writes the `office` section (markers as the
other benchmarks' sections) into FILE (default docs/benchmarks.md for a full-scale run).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import math
import os
import random
import re
import sys
import time
import zipfile
from bisect import bisect_left
from pathlib import Path

from .machine import replace_section
from .registry import (
    ROOT,
    BenchError,
    Figure,
    Run,
    _admin_url,
    _db_name,
    manage,
    new_run,
    percentile,
    pg_facts,
    recreate_database,
    run_measured,
    step,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/slrt_bench_office"
GENERATOR_VERSION = 1  # bump when the generated history changes: the cached database is rebuilt
PROVINCE = "32"  # Jawa Barat: 27 kab/kota, WIB
SEED = 20261204
RESULT = "BENCH-RESULT "
BENCH_PASSWORD = "Sandi-Kantor-Uji-13"  # noqa: S105 - throwaway accounts in a throwaway database

# Sizes at scale 1 (issue 13, point 7); needs and referrals follow from the per-case draws.
FULL_PEOPLE = 1_000_000
FULL_CASES = 1_000_000
EXPORT_ROWS = 1_000_000

TARGET_KAB_P95_MS = 300.0
TARGET_PROV_P95_MS = 1000.0
TARGET_MONTHLY_S = 10.0
TARGET_CSV_ROWS_S = 50_000.0
TARGET_XLSX_ROWS_S = 5_000.0
TARGET_EXPORT_RSS_MB = 200.0

# --- distributions (weights) ----------------------------------------------------------------------

COMPLAINT_TYPES = (("pengaduan", 70), ("pertanyaan", 22), ("saran", 8))
CHANNELS = (("sekretariat", 34), ("puskesos", 28), ("kunjungan", 9), ("telepon", 8), ("whatsapp", 15), ("web", 6))
DESK_CHANNELS = {"puskesos", "kunjungan"}  # taken by a Puskesos post; the rest by the secretariat
URGENCIES = (("biasa", 80), ("mendesak", 17), ("darurat", 3))
SECTORS = (("kesehatan", 30), ("sosial_ekonomi", 21), ("pangan", 13), ("pendidikan", 10), ("adminduk", 9),
           ("perumahan", 8), ("energi", 5), ("pertanian", 2), ("perikanan", 2))
NEEDS_PER_CASE = ((1, 38), (2, 33), (3, 20), (4, 9))  # mean 2.0
HOUSEHOLD_SIZE = ((1, 8), (2, 14), (3, 20), (4, 26), (5, 18), (6, 9), (7, 5))  # mean 3.9
DESIL = ((1, 22), (2, 18), (3, 15), (4, 12), (5, 10), (6, 8), (7, 6), (8, 4), (9, 3), (10, 2))
REFER_SHARE = 0.43  # of the needs whose sector some agency serves, when the resident allows sharing
REREFER_SHARE = 0.4  # of rejected or returned referrals, sent again to another service
REJECT_SHARE, RETURN_SHARE, STUCK_SHARE, CANCEL_DRAFT_SHARE = 0.09, 0.03, 0.015, 0.02
DESK_STUCK_SHARE = 0.04  # of the needs the desk handles itself, left unfinished
IN_REGISTRY_SHARE = 0.86
SHARE_CONSENT = 0.97
REJECT_REASONS = (("Tidak memenuhi persyaratan layanan", 40), ("Dokumen pendukung tidak lengkap", 30),
                  ("Sudah menerima layanan serupa", 15), ("Di luar wilayah layanan", 8), ("Kuota layanan penuh", 7))
RETURN_REASONS = (("Warga tidak dapat dihubungi", 60), ("Warga menolak layanan", 40))
GIVEN = ("Asep", "Dede", "Ujang", "Euis", "Cucu", "Iis", "Yayan", "Neneng", "Agus", "Siti", "Dadang", "Ai", "Tatang",
         "Imas", "Endang", "Rina", "Budi", "Nining", "Ade", "Lilis", "Muhammad", "Nur", "Rizky", "Dewi", "Wawan")
SURNAMES = ("Suryana", "Hidayat", "Kurniawan", "Rahayu", "Setiawan", "Nurhayati", "Saputra", "Permana", "Lestari",
            "Gunawan", "Sulastri", "Ramdani", "Maulana", "Hasanah", "Firmansyah", "Wulandari", "Sopandi", "Mulyani")
PEKERJAAN = (("Buruh harian lepas", 30), ("Petani/pekebun", 18), ("Mengurus rumah tangga", 20),
             ("Wiraswasta", 12), ("Pelajar/mahasiswa", 10), ("Tidak bekerja", 10))
SUMMARY = {
    "kesehatan": "Membutuhkan bantuan biaya berobat dan kepesertaan JKN",
    "sosial_ekonomi": "Kesulitan memenuhi kebutuhan sehari-hari setelah kehilangan pekerjaan",
    "pangan": "Keluarga kekurangan bahan pangan",
    "pendidikan": "Anak terancam putus sekolah karena biaya",
    "adminduk": "Belum memiliki KTP-el dan KK yang sesuai",
    "perumahan": "Rumah tidak layak huni, atap bocor",
    "energi": "Listrik belum tersambung",
    "pertanian": "Membutuhkan bantuan bibit dan pupuk",
    "perikanan": "Membutuhkan bantuan alat tangkap",
}
DAY = 86_400.0


def _cum(options):
    values, cum, acc = [], [], 0
    for value, weight in options:
        acc += weight
        values.append(value)
        cum.append(acc)
    return values, cum


def _draw(rnd, table):
    values, cum = table
    return values[bisect_left(cum, rnd.random() * cum[-1])]


def _lognormal(rnd, median_days: float, sigma: float) -> float:
    """Seconds: a duration whose median is `median_days`, right-skewed as waiting times are."""
    return median_days * DAY * math.exp(rnd.gauss(0.0, sigma))


def sizes(scale: float) -> dict:
    return {"people": max(2_000, round(FULL_PEOPLE * scale)), "cases": max(2_000, round(FULL_CASES * scale))}


def marker(scale: float) -> str:
    return f"slrt-bench-office v{GENERATOR_VERSION} scale={scale:g} seed={SEED} province={PROVINCE}"


def database_comment(url: str) -> str | None:
    import psycopg

    with psycopg.connect(_admin_url(url), autocommit=True) as conn:
        row = conn.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
                           [_db_name(url)]).fetchone()
    return None if row is None else (row[0] or "")


def mark_database(url: str, text: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(_admin_url(url), autocommit=True) as conn:
        conn.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(_db_name(url)), sql.Literal(text)))


# --- the history, by COPY (child process, Django set up) -------------------------------------------


class Copier:
    """COPY rows into a table; columns the generator does not know (added by a later migration,
    NOT NULL without a database default) get an empty value of their type so the COPY still fits."""

    FILL = {"boolean": False, "integer": 0, "bigint": 0, "smallint": 0, "jsonb": "{}", "text": "",
            "character varying": "", "date": None, "timestamp with time zone": None}

    def __init__(self, conn, table: str, columns: tuple[str, ...]):
        self.conn, self.table = conn, table
        rows = conn.execute(
            "SELECT column_name, data_type, is_nullable, column_default IS NOT NULL OR is_identity = 'YES' "
            "FROM information_schema.columns WHERE table_name = %s", [table]).fetchall()
        known = set(columns)
        missing = [c for c, _t, _n, _d in rows if c not in known and c != "id"]
        unknown = known - {r[0] for r in rows}
        if unknown:
            raise BenchError(f"{table} has no columns {sorted(unknown)}: the schema changed, update bench/office.py")
        extra = [(c, self.FILL.get(t, "")) for c, t, nullable, has_default in rows
                 if c in missing and nullable == "NO" and not has_default]
        self.columns = (*columns, *(c for c, _v in extra))
        self.extra = tuple(v for _c, v in extra)
        self.rows = 0

    def copy(self, rows) -> None:
        from psycopg import sql

        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(self.table), sql.SQL(", ").join(map(sql.Identifier, self.columns)))
        extra = self.extra
        with self.conn.cursor() as cur, cur.copy(statement) as copy:
            write = copy.write_row
            if extra:
                for row in rows:
                    write((*row, *extra))
                    self.rows += 1
            else:
                for row in rows:
                    write(row)
                    self.rows += 1


HOUSEHOLD_COLS = ("id", "prov_code", "kab_code", "kec_code", "desa_code", "nomor_kk", "alamat", "dusun", "rt", "rw",
                  "desil", "lantai", "dinding", "atap", "sumber_air", "penerangan", "jamban", "bahan_bakar",
                  "status_bangunan", "luas_lantai", "aset", "row_hash", "created_at", "updated_at",
                  "first_release_id", "last_release_id")
PERSON_COLS = ("id", "prov_code", "kab_code", "kec_code", "desa_code", "nik", "id_dtks", "nama", "name_key",
               "tempat_lahir", "tanggal_lahir", "jenis_kelamin", "hubungan_keluarga", "nama_ibu_kandung", "pekerjaan",
               "pendidikan", "status_kawin", "disabilitas", "penyakit_kronis", "hamil", "jenis_ppks", "extra",
               "nik_warnings", "row_hash", "is_active", "created_at", "updated_at", "household_id",
               "merged_into_id", "first_release_id", "last_release_id")
CASE_COLS = ("id", "prov_code", "kab_code", "kec_code", "desa_code", "version", "ticket", "status_code_hash",
             "in_registry", "applicant_name", "applicant_nik", "applicant_phone", "applicant_email",
             "applicant_address", "complaint_type", "channel", "urgency", "summary", "consent_given",
             "consent_purpose", "consent_share_agencies", "consent_at", "status", "close_reason", "closed_at",
             "created_at", "updated_at", "created_by_id", "household_id", "person_id", "puskesos_id",
             "secretariat_id", "reopen_reason", "consent_share_withdrawn_at", "consent_withdrawal_reason",
             "anonymised_at")
NEED_COLS = ("id", "version", "sector", "description", "status", "outcome", "created_at", "updated_at", "case_id")
REFERRAL_COLS = ("id", "prov_code", "kab_code", "kec_code", "desa_code", "version", "number", "note", "status",
                 "reason", "service_given", "outcome", "service_date", "created_at", "updated_at", "sent_at", "due_at",
                 "escalated_at", "agency_id", "case_id", "created_by_id", "need_id", "recommendation_id",
                 "service_id", "consent_withdrawn_at")
TRANSITION_COLS = ("from_status", "to_status", "action", "at", "note", "actor_id", "referral_id")


def _setup_province(rnd) -> dict:
    """Secretariats, Puskesos posts and agency directories of the province's kab/kota (ORM)."""
    from slrt.programs.catalogue import load_agencies
    from slrt.programs.models import AgencyService
    from slrt.registry.models import Release
    from slrt.wilayah.models import Level, Puskesos, Region, Secretariat

    kabs = list(Region.objects.filter(level=Level.KABUPATEN, code__startswith=f"{PROVINCE}.").order_by("code"))
    if len(kabs) < 2:
        raise BenchError(f"no kab/kota under {PROVINCE}: were the regions loaded?")
    desas: dict[str, list[str]] = {}
    secretariats, puskesos = {}, {}
    for kab in kabs:
        load_agencies(kab.code)
        sec, _created = Secretariat.objects.get_or_create(
            region=kab, defaults={"name": f"Sekretariat SLRT {kab.name.title()}", "address": "Kantor Dinas Sosial"})
        secretariats[kab.code] = sec.pk
        rows = list(Region.objects.filter(level=Level.DESA, code__startswith=f"{kab.code}.")
                    .order_by("code").values_list("code", "name"))
        desas[kab.code] = [code for code, _name in rows]
        posts = [Puskesos(region_id=code, secretariat=sec, name=f"Puskesos {name.title()}")
                 for code, name in rows if rnd.random() < 0.25]
        Puskesos.objects.bulk_create(posts)
    for post in Puskesos.objects.filter(region__code__startswith=f"{PROVINCE}.").values("pk", "region_id"):
        puskesos.setdefault(post["region_id"][:5], []).append((post["region_id"], post["pk"]))
    services: dict[tuple[str, str], list[tuple[int, int, int]]] = {}
    for s in AgencyService.objects.filter(agency__region__in=kabs, active=True, agency__active=True).values(
            "pk", "agency_id", "agency__region_id", "sector", "sla_days"):
        services.setdefault((s["agency__region_id"], s["sector"]), []).append((s["pk"], s["agency_id"], s["sla_days"]))
    release, _created = Release.objects.get_or_create(source="DTSEN", period="2026-07")
    return {"kabs": [k.code for k in kabs], "desas": desas, "secretariats": secretariats, "puskesos": puskesos,
            "services": services, "release": release.pk}


def child_build(p: dict) -> dict:
    import psycopg

    from slrt.registry.search import name_key

    started = time.perf_counter()
    rnd = random.Random(SEED)
    n = p["sizes"]
    setup = _setup_province(rnd)
    release = setup["release"]
    now = time.time()
    end = now
    start = end - 1096 * DAY  # three years of history up to the build
    utc = dt.UTC

    def ts(x: float) -> dt.datetime:
        return dt.datetime.fromtimestamp(x, utc)

    # Each desa draws its own population weight: households spread as unevenly as in a province.
    all_desa = [d for kab in setup["kabs"] for d in setup["desas"][kab]]
    desa_cum, acc = [], 0.0
    for _d in all_desa:
        acc += rnd.lognormvariate(0.0, 0.7)
        desa_cum.append(acc)
    size_t, desil_t = _cum(HOUSEHOLD_SIZE), _cum(DESIL)
    pek_t = _cum(PEKERJAAN)
    mean_size = sum(s * w for s, w in HOUSEHOLD_SIZE) / sum(w for _s, w in HOUSEHOLD_SIZE)
    households = max(1, round(n["people"] / mean_size))
    hh_desa = sorted(rnd.choices(all_desa, cum_weights=desa_cum, k=households))
    created = ts(start - 200 * DAY)
    names = [f"{g} {s}" for g in GIVEN for s in SURNAMES]
    keys = {nm: name_key(nm) for nm in names}

    url = os.environ["DATABASE_URL"]
    conn = psycopg.connect(url)
    # A generated history is consistent by construction: skip the per-row foreign-key triggers
    # (superuser only) so COPY runs at its own speed; the bench database is nobody's data.
    conn.execute("SET session_replication_role = replica")
    person_desa: list[int] = []  # person index -> household index
    person_name: list[str] = []
    person_nik: list[str] = []
    hh_copier = Copier(conn, "registry_household", HOUSEHOLD_COLS)
    p_copier = Copier(conn, "registry_person", PERSON_COLS)

    def household_rows():
        for i, desa in enumerate(hh_desa):
            kec = desa[:8]
            yield (i + 1, desa[:2], desa[:5], kec, desa, f"{kec.replace('.', '')}{i + 1:010d}",
                   f"Kp. {rnd.choice(SURNAMES)} No. {rnd.randint(1, 150)}", f"Dusun {rnd.randint(1, 5)}",
                   f"{rnd.randint(1, 12):03d}", f"{rnd.randint(1, 6):03d}",
                   _draw(rnd, desil_t) if rnd.random() > 0.03 else None, "semen/bata merah", "tembok", "genteng",
                   "sumur bor/pompa", "listrik PLN dengan meteran", "sendiri", "gas 3 kg", "milik sendiri",
                   rnd.randint(18, 120), "{}", f"h{i}", created, created, release, release)

    def person_rows():
        pid = 0
        for i, desa in enumerate(hh_desa):
            size = _draw(rnd, size_t)
            kec = desa[:8]
            surname = rnd.choice(SURNAMES)
            for k in range(size):
                pid += 1
                if k == 0:
                    rel, sex, age = "Kepala Keluarga", "L" if rnd.random() < 0.85 else "P", rnd.uniform(25, 75)
                elif k == 1:
                    rel, sex, age = "Istri", "P", rnd.uniform(22, 70)
                else:
                    rel, sex, age = "Anak", "L" if rnd.random() < 0.5 else "P", rnd.uniform(0, 24)
                nama = f"{rnd.choice(GIVEN)} {surname}"
                nik = f"{kec.replace('.', '')}{pid:010d}"
                person_desa.append(i)
                person_name.append(nama)
                person_nik.append(nik)
                born = dt.date(2026, 7, 1) - dt.timedelta(days=int(age * 365.25))
                yield (pid, desa[:2], desa[:5], kec, desa, nik, "", nama, keys[nama], "Bandung", born, sex, rel, "",
                       _draw(rnd, pek_t) if age >= 18 else "Belum/tidak bekerja", "", "", "", "", None, "", "{}",
                       "[]", f"p{pid}", True, created, created, i + 1, None, release, release)

    hh_copier.copy(household_rows())
    p_copier.copy(person_rows())
    conn.commit()
    people = len(person_desa)
    print(f"  {households:,} households, {people:,} people in {time.perf_counter() - started:.0f} s", flush=True)

    # Case times: more cases each year (the office becomes known), fewer at weekends.
    growth = 0.6
    times = []
    span = end - start
    while len(times) < n["cases"]:
        c = rnd.random()
        x = (-1 + math.sqrt(1 + 2 * growth * c * (1 + growth / 2))) / growth
        t = start + x * span
        day = dt.datetime.fromtimestamp(t + 7 * 3600, utc)  # WIB
        if day.weekday() >= 5 and rnd.random() < 0.75:
            continue
        if rnd.random() < 0.85:  # office hours, 08:00-16:00 WIB
            t = t - (t + 7 * 3600) % DAY + (1 + rnd.random() * 8) * 3600
            if t > end:
                continue
        times.append(t)
    times.sort()

    type_t, channel_t, urgency_t, sector_t = _cum(COMPLAINT_TYPES), _cum(CHANNELS), _cum(URGENCIES), _cum(SECTORS)
    needs_t, reject_t, return_t = _cum(NEEDS_PER_CASE), _cum(REJECT_REASONS), _cum(RETURN_REASONS)
    desa_cum_all = desa_cum
    c_copier = Copier(conn, "cases_case", CASE_COLS)
    n_copier = Copier(conn, "cases_need", NEED_COLS)
    r_copier = Copier(conn, "referrals_referral", REFERRAL_COLS)
    t_copier = Copier(conn, "referrals_referraltransition", TRANSITION_COLS)
    ticket_seq: dict[tuple[str, int], int] = {}
    referral_seq: dict[tuple[str, int], int] = {}
    services, secretariats, puskesos = setup["services"], setup["secretariats"], setup["puskesos"]
    need_id = referral_id = 0
    code_hash = hashlib.sha256(b"bench").hexdigest()
    purpose = "Penanganan keluhan dan rujukan layanan SLRT"
    chunk = 20_000
    counts = {"escalated": 0, "closed": 0}
    for first in range(0, len(times), chunk):
        cases, needs, referrals, transitions = [], [], [], []
        for ci in range(first, min(first + chunk, len(times))):
            t0 = times[ci]
            cid = ci + 1
            if rnd.random() < IN_REGISTRY_SHARE:
                pi = rnd.randrange(people)
                desa = hh_desa[person_desa[pi]]
                person_id, household_id = pi + 1, person_desa[pi] + 1
                applicant, nik = person_name[pi], person_nik[pi]
            else:
                desa = rnd.choices(all_desa, cum_weights=desa_cum_all)[0]
                person_id = household_id = None
                applicant, nik = f"{rnd.choice(GIVEN)} {rnd.choice(SURNAMES)}", ""
            kab = desa[:5]
            year = dt.datetime.fromtimestamp(t0 + 7 * 3600, utc).year
            seq = ticket_seq[(kab, year)] = ticket_seq.get((kab, year), 0) + 1
            channel = _draw(rnd, channel_t)
            sec_id = pus_id = None
            if channel in DESK_CHANNELS and puskesos.get(kab):
                posts = puskesos[kab]
                pus_id = next((pk for code, pk in posts if code == desa), None) or rnd.choice(posts)[1]
            else:
                sec_id = secretariats[kab]
            share = rnd.random() < SHARE_CONSENT
            # The needs: distinct sectors; each handled by a referral or by the desk itself.
            k = _draw(rnd, needs_t)
            sectors: list[str] = []
            for _try in range(20):
                if len(sectors) == k:
                    break
                s = _draw(rnd, sector_t)
                if s not in sectors:
                    sectors.append(s)
            case_final, case_touched, case_open = t0, False, False
            for sector in sectors:
                need_id += 1
                nt = t0 + rnd.uniform(60, 1800)
                decided = nt + _lognormal(rnd, 2.0, 0.9)
                offered = services.get((kab, sector), [])
                status, outcome, final = "terbuka", "", None
                if share and offered and rnd.random() < REFER_SHARE:
                    tries = 2 if rnd.random() < REREFER_SHARE else 1
                    drafted = decided
                    for attempt in range(tries):
                        if drafted > end:  # not decided yet
                            status = "terbuka" if attempt == 0 else "diproses"
                            break
                        service_id, agency_id, sla = rnd.choice(offered)
                        referral_id += 1
                        rid = referral_id
                        ryear = dt.datetime.fromtimestamp(drafted + 7 * 3600, utc).year
                        rseq = referral_seq[(kab, ryear)] = referral_seq.get((kab, ryear), 0) + 1
                        number = f"RJK-{kab.replace('.', '')}-{ryear}-{rseq:06d}"
                        sent = drafted + _lognormal(rnd, 0.12, 0.8)
                        r_status, reason, given, r_outcome, service_date = "draf", "", "", "", None
                        sent_at = due = escalated = None
                        last = drafted
                        moves = []
                        if rnd.random() < CANCEL_DRAFT_SHARE:
                            at = drafted + _lognormal(rnd, 1.0, 0.7)
                            if at < end:
                                moves.append(("draf", "dibatalkan", "cancel", at, "Rujukan tidak diperlukan lagi"))
                                r_status, reason, last = "dibatalkan", "Rujukan tidak diperlukan lagi", at
                        elif sent < end:
                            sent_at, due = sent, sent + sla * DAY
                            moves.append(("draf", "terkirim", "send", sent, ""))
                            r_status, last = "terkirim", sent
                            left_agency = None  # when it stopped being at the agency (final state)
                            u = rnd.random()
                            if u < REJECT_SHARE:
                                at = sent + _lognormal(rnd, min(1.5, 0.3 * sla), 0.8)
                                if at < end:
                                    reason = _draw(rnd, reject_t)
                                    moves.append(("terkirim", "ditolak", "reject", at, reason))
                                    r_status, last, left_agency = "ditolak", at, at
                            else:
                                at = sent + _lognormal(rnd, 0.15 * sla, 0.8)
                                if at < end:
                                    moves.append(("terkirim", "diterima", "accept", at, ""))
                                    r_status, last = "diterima", at
                                    if u < REJECT_SHARE + RETURN_SHARE:
                                        at += _lognormal(rnd, 3.0, 0.7)
                                        if at < end:
                                            reason = _draw(rnd, return_t)
                                            moves.append(("diterima", "dikembalikan", "return", at, reason))
                                            r_status, last, left_agency = "dikembalikan", at, at
                                    else:
                                        at += _lognormal(rnd, 0.3, 0.8)
                                        if at < end:
                                            moves.append(("diterima", "dilayani", "start", at, ""))
                                            r_status, last = "dilayani", at
                                            at += _lognormal(rnd, 0.4 * sla, 0.6)
                                            if u < 1 - STUCK_SHARE and at < end:
                                                moves.append(("dilayani", "selesai", "done", at, ""))
                                                r_status, last, left_agency = "selesai", at, at
                                                given, r_outcome = "Layanan diberikan sesuai rujukan", "Tertangani"
                                                service_date = dt.datetime.fromtimestamp(at + 7 * 3600, utc).date()
                            # The hourly escalation job: once, the first run after the SLA ran out.
                            if (left_agency is None or left_agency > due) and due + 3600 < end:
                                escalated = due + rnd.uniform(0, 3600)
                                counts["escalated"] += 1
                        referrals.append((
                            rid, desa[:2], kab, desa[:8], desa, 1, number, "", r_status, reason, given, r_outcome,
                            service_date, ts(drafted), ts(max(last, escalated or 0)),
                            ts(sent_at) if sent_at else None, ts(due) if due else None,
                            ts(escalated) if escalated else None, agency_id, cid, None, need_id, None, service_id,
                            None))
                        for frm, to, action, at, note in moves:
                            transitions.append((frm, to, action, ts(at), note, None, rid))
                        case_touched = True
                        if r_status == "selesai":
                            status, outcome, final = "tertangani", "Dilayani lembaga rujukan", last
                            break
                        if r_status in ("ditolak", "dikembalikan", "dibatalkan") and attempt + 1 < tries:
                            drafted = last + _lognormal(rnd, 2.0, 0.6)
                            continue
                        if r_status in ("ditolak", "dikembalikan", "dibatalkan"):
                            at = last + _lognormal(rnd, 2.0, 0.6)
                            if at < end:
                                status, outcome, final = "ditutup", f"Rujukan {r_status}: {reason}", at
                            else:
                                status = "diproses"
                        else:
                            status = "diproses"
                        break
                    else:
                        status = "diproses"
                else:
                    at = decided + _lognormal(rnd, 5.0, 0.9)
                    if rnd.random() < DESK_STUCK_SHARE:  # the backlog: a need nobody finished
                        at = end + DAY
                    if at < end:
                        final = at
                        if rnd.random() < 0.8:
                            status, outcome = "tertangani", "Ditangani langsung oleh sekretariat/Puskesos"
                        else:
                            status, outcome = "ditutup", "Warga tidak memenuhi kriteria bantuan"
                    elif decided < end:
                        status = "diproses"
                if status != "terbuka":
                    case_touched = True
                if final is None:
                    case_open = True
                else:
                    case_final = max(case_final, final)
                needs.append((need_id, 1, sector, SUMMARY[sector], status, outcome, ts(nt),
                              ts(final if final else min(end, decided) if status != "terbuka" else nt), cid))
            closed_at = case_final + _lognormal(rnd, 1.0, 0.8) if not case_open else None
            if closed_at is not None and closed_at < end:
                c_status, close_reason = "selesai", "Semua kebutuhan telah ditangani"
                counts["closed"] += 1
            else:
                closed_at, close_reason = None, ""
                c_status = "diproses" if case_touched else "baru"
            cases.append((
                cid, desa[:2], kab, desa[:8], desa, 1, f"SLRT-{kab.replace('.', '')}-{year}-{seq:06d}", code_hash,
                person_id is not None, applicant, nik, f"08{rnd.randrange(10**9, 10**10)}", "", "",
                _draw(rnd, type_t), channel, _draw(rnd, urgency_t), SUMMARY[sectors[0]], True, purpose, share, ts(t0),
                c_status, close_reason, ts(closed_at) if closed_at else None, ts(t0),
                ts(closed_at or min(end, case_final)), None, household_id, person_id, pus_id, sec_id, "", None, "",
                None))
        c_copier.copy(cases)
        n_copier.copy(needs)
        r_copier.copy(referrals)
        t_copier.copy(transitions)
        conn.commit()
        done = min(first + chunk, len(times))
        if done % (10 * chunk) == 0 or done == len(times):
            print(f"  {done:,} cases, {n_copier.rows:,} needs, {r_copier.rows:,} referrals, "
                  f"{t_copier.rows:,} transitions ({time.perf_counter() - started:.0f} s)", flush=True)
    # The numbering counters, so that a case or referral made later in this database continues them.
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO cases_counter (kind, kab_code, year, last) VALUES (%s, %s, %s, %s) "
                        "ON CONFLICT (kind, kab_code, year) DO UPDATE SET last = EXCLUDED.last",
                        [("ticket", k, y, v) for (k, y), v in ticket_seq.items()]
                        + [("referral", k, y, v) for (k, y), v in referral_seq.items()])
        for table in ("registry_household", "registry_person", "cases_case", "cases_need", "referrals_referral",
                      "referrals_referraltransition"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    conn.commit()
    conn.close()
    generate_s = time.perf_counter() - started
    facts = {
        "households": households, "people": people, "cases": c_copier.rows, "needs": n_copier.rows,
        "referrals": r_copier.rows, "transitions": t_copier.rows, "escalated": counts["escalated"],
        "closed": counts["closed"], "kabs": len(setup["kabs"]), "desa": len(all_desa),
        "puskesos": sum(len(v) for v in puskesos.values()), "start": ts(start).isoformat(),
        "end": ts(end).isoformat(), "generate_s": round(generate_s, 1),
    }
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        conn.execute("DROP TABLE IF EXISTS bench_office_build")
        conn.execute("CREATE TABLE bench_office_build (facts jsonb NOT NULL)")
        facts["vacuum_s"] = round(time.perf_counter() - started - generate_s, 1)
        facts["db_size_mb"] = round(conn.execute("SELECT pg_database_size(current_database())").fetchone()[0] / 2**20)
        facts["built"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        conn.execute("INSERT INTO bench_office_build VALUES (%s)", [json.dumps(facts)])
    return facts


# --- measurements (child processes, Django set up) --------------------------------------------------


def _timed(fn):
    started = time.perf_counter()
    result = fn()
    return (time.perf_counter() - started) * 1000, result


def _region_column(code: str) -> str:
    return {2: "prov_code", 5: "kab_code", 8: "kec_code", 13: "desa_code"}[len(code)]


def baseline_summary(cur, code: str, start: dt.datetime, after: dt.datetime) -> dict:
    """SPEC's summary figures, written by hand in SQL: what the application's figures must equal
    and the time a plain aggregate over the same rows takes."""
    col = _region_column(code)
    args = {"r": code, "a": start, "b": after}
    where = f"c.{col} = %(r)s AND c.created_at >= %(a)s AND c.created_at < %(b)s"
    cur.execute(f"SELECT count(*), count(*) FILTER (WHERE c.status = 'selesai') FROM cases_case c WHERE {where}",
                args)
    total, closed = cur.fetchone()
    out = {"cases": {"total": total, "closed": closed}}
    for key, column in (("by_type", "complaint_type"), ("by_channel", "channel")):
        cur.execute(f"SELECT c.{column}, count(*) FROM cases_case c WHERE {where} GROUP BY 1", args)
        out["cases"][key] = dict(cur.fetchall())
    cur.execute(f"SELECT n.sector, count(DISTINCT c.id) FROM cases_case c JOIN cases_need n ON n.case_id = c.id "
                f"WHERE {where} GROUP BY 1", args)
    out["cases"]["by_sector"] = dict(cur.fetchall())
    # A referral counts in the period it was sent; accepted = reached `diterima` (every later state
    # but a rejection passes through it); on time = its `done` transition by `due_at`.
    cur.execute(f"""
        SELECT a.code, count(*),
               count(*) FILTER (WHERE r.status IN ('diterima', 'dilayani', 'selesai', 'dikembalikan')),
               count(*) FILTER (WHERE r.status = 'ditolak'),
               count(*) FILTER (WHERE r.status = 'selesai'),
               count(*) FILTER (WHERE r.status = 'selesai' AND d.at <= r.due_at)
        FROM referrals_referral r JOIN programs_agency a ON a.id = r.agency_id
        LEFT JOIN LATERAL (SELECT max(t.at) AS at FROM referrals_referraltransition t
                           WHERE t.referral_id = r.id AND t.to_status = 'selesai') d ON TRUE
        WHERE r.{col} = %(r)s AND r.sent_at >= %(a)s AND r.sent_at < %(b)s
        GROUP BY a.code ORDER BY a.code
    """, args)
    out["referrals"] = {"by_agency": [
        {"agency": agency, "sent": sent, "accepted": accepted, "rejected": rejected, "done": done,
         "done_on_time": on_time}
        for agency, sent, accepted, rejected, done, on_time in cur.fetchall()]}
    return out


def _find(module: str, names: tuple[str, ...]):
    """The first of `names` in `module`, or None while the module (another helper's) is not there."""
    from importlib import import_module

    try:
        mod = import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and module.startswith(exc.name):
            return None
        raise
    return next((getattr(mod, n) for n in names if hasattr(mod, n)), None)


def _users(kab: str):
    from slrt.accounts.services import create_user

    manajer = create_user(username="bench-office-manajer", role="manajer", region_code=kab,
                          password=BENCH_PASSWORD, check_password=False, full_name="Manajer Uji Kinerja")
    dinsos = create_user(username="bench-office-dinsos", role="dinsos", region_code=PROVINCE,
                         password=BENCH_PASSWORD, check_password=False, full_name="Dinsos Uji Kinerja")
    return manajer, dinsos


def child_measure(p: dict) -> dict:
    from django.db import connection

    from slrt.reports.figures import SECTIONS, Scope, section_function
    from slrt.reports.period import month_period, year_period
    from slrt.wilayah.models import Region
    from slrt.wilayah.timezones import zone_of

    kab, reps = p["kab"], p["reps"]
    manajer, dinsos = _users(kab)
    out: dict = {"missing": [], "runs": []}
    month = month_period(p["month"])
    periods = [("month", month), ("year", year_period(p["month"][:4]))]
    summary_fn, out["summary_via"] = summary_function()
    if summary_fn is None:
        out["missing"].append("summary API function (slrt.reports ... summary)")
    # The API through Django's whole stack (test Client: middleware, bearer token, routing, the
    # response schema, JSON), no socket; the tokens are issued directly (setup, not timed).
    from django.conf import settings
    from django.test import Client

    client, tokens = Client(), {}
    if _find("slrt.reports.api.routes", ("summary",)) is not None:
        from slrt.accounts.models import ApiToken

        for user in (manajer, dinsos):
            _token, tokens[user.pk] = ApiToken.objects.issue(user, settings.SLRT_API_TOKEN_TTL_HOURS, label="bench")
    sections = []
    for key, _target in SECTIONS:
        try:
            sections.append((key, section_function(key)))
        except (ModuleNotFoundError, AttributeError):
            out["missing"].append(f"dashboard section {key}")
    for user, code in ((manajer, kab), (dinsos, PROVINCE)):
        region = Region.objects.get(code=code)
        for pname, period in periods:
            start, after = period.bounds(zone_of(code))
            scope = Scope(user=user, region=region, period=period)
            run = {"region": code, "period": pname, "label": f"{period.start}..{period.end}"}

            def baseline(start=start, after=after, code=code):
                with connection.cursor() as cur:
                    return baseline_summary(cur, code, start, after)

            # Each section alone first (best of 3); one that raises (another helper's module in the
            # middle of a change) is named and left out of this run's dashboard, not fatal.
            # A year is shown without a verdict: fewer calls of it (the month is what is judged).
            best_of, warmups, least, budget_s = (3, 2, 5, p["budget_s"]) if pname == "month" else (1, 1, 3, 30.0)
            run["sections_ms"], run["failed"], working = {}, {}, []
            for key, fn in sections:
                try:
                    run["sections_ms"][key] = min(_timed(lambda fn=fn, s=scope: fn(s))[0] for _i in range(best_of))
                    working.append((key, fn))
                except Exception as exc:  # noqa: BLE001 - reported with the figures
                    run["failed"][key] = f"{type(exc).__name__}: {exc}"[:300]
            print(f"  {code} {pname} sections (best of {best_of}): "
                  + ", ".join(f"{k} {v:.0f} ms" for k, v in run["sections_ms"].items())
                  + "".join(f"; {k} FAILED {v}" for k, v in run["failed"].items()), flush=True)

            def dashboard(scope=scope, working=working):
                return [fn(scope) for _key, fn in working]

            def http(user=user, code=code, period=period):
                response = client.get("/api/v1/reports/summary", {
                    "region": code, "from": period.start.isoformat(), "to": period.end.isoformat()},
                    HTTP_AUTHORIZATION=f"Bearer {tokens[user.pk]}")
                if response.status_code != 200:
                    raise BenchError(f"GET /api/v1/reports/summary answered {response.status_code}: "
                                     f"{response.content[:300]!r}")
                return response.json()

            timings = {"sql": [], "dashboard": [], "summary": [], "http": []}
            results = {}
            # Warm-ups (not counted), then `reps` rounds, or fewer (at least `least`) once the run has
            # taken its time budget: a slow year's dashboard would otherwise take an hour.
            budget = time.perf_counter() + budget_s
            for i in range(reps + warmups):
                if i >= warmups + least and time.perf_counter() > budget:
                    break
                for name, fn in (("sql", baseline), ("dashboard", dashboard if working else None),
                                 ("summary", (lambda s=scope: summary_fn(s)) if summary_fn else None),
                                 ("http", http if tokens else None)):
                    if fn is None:
                        continue
                    ms, results[name] = _timed(fn)
                    if i >= warmups:
                        timings[name].append(ms)
            run["ms"] = {k: v for k, v in timings.items() if v}
            run["calls"] = len(timings["sql"])
            run["check"] = compare(results.get("sql"), results.get("summary"), results.get("dashboard"))
            if "http" in results:
                run["check_http"] = compare(results.get("sql"), results["http"], None)
            out["runs"].append(run)
            print(f"  {code} {pname}: sql p95 {percentile(timings['sql'], 95):.0f} ms"
                  + "".join(f", {k} p95 {percentile(v, 95):.0f} ms" for k, v in timings.items() if v and k != "sql")
                  + f"; {run['check']['verdict']}", flush=True)
    try:
        out["monthly"] = measure_monthly(manajer, kab, p["month"], p["workdir"])
    except Exception as exc:  # noqa: BLE001 - another helper's module mid-change: named, not fatal
        out["monthly"] = {"missing": f"monthly report failed: {type(exc).__name__}: {exc}"[:300]}
    return out


# Where the summary API's figure function may live (helpers write it during the issue).
SUMMARY_FUNCTIONS = (
    ("slrt.reports.summary", ("summary", "report_summary", "summary_figures")),
    ("slrt.reports.api.summary", ("summary", "report_summary", "summary_figures")),
    ("slrt.reports.figures.summary", ("summary", "report_summary", "summary_figures")),
)


def summary_function():
    """The function behind `GET /api/v1/reports/summary` (Scope -> SPEC's answer) and its name;
    before it exists, its two documented parts (cases from Intake, referrals per agency)."""
    route = _find("slrt.reports.api.routes", ("summary",))
    if route is not None:
        from types import SimpleNamespace

        def call(scope):
            request = SimpleNamespace(auth=scope.user)
            return route(request, region=scope.code, date_from=scope.period.start.isoformat(),
                         date_to=scope.period.end.isoformat())

        return call, "slrt.reports.api.routes.summary (the route's function, called in-process)"
    for module, names in SUMMARY_FUNCTIONS:
        fn = _find(module, names)
        if fn is not None:
            return fn, f"{module}.{fn.__name__}"
    cases = _find("slrt.reports.figures.intake", ("case_summary",))
    agencies = _find("slrt.reports.figures.referrals", ("by_agency",))
    if cases and agencies:
        return (lambda scope: {"cases": cases(scope), "referrals": {"by_agency": agencies(scope)}},
                "reports.figures.intake.case_summary + reports.figures.referrals.by_agency")
    return None, ""


def compare(sql: dict | None, summary: dict | None, dashboard: list | None) -> dict:
    """The application's numbers against the hand-written SQL's: every one of them equal."""
    if sql is None:
        return {"verdict": "NO BASELINE", "diffs": []}
    diffs, checked = [], 0
    if summary is not None:
        app = {"cases": summary.get("cases", {}), "referrals": summary.get("referrals", {})}
        for key in ("total", "closed"):
            checked += 1
            if app["cases"].get(key) != sql["cases"][key]:
                diffs.append(f"cases.{key}: app {app['cases'].get(key)} sql {sql['cases'][key]}")
        for key in ("by_type", "by_channel", "by_sector"):
            got = {k: v for k, v in (app["cases"].get(key) or {}).items() if v}
            checked += 1
            if got != sql["cases"][key]:
                diffs.append(f"cases.{key}: app {got} sql {sql['cases'][key]}")
        got = sorted((r for r in app["referrals"].get("by_agency", []) if r.get("sent")), key=lambda r: r["agency"])
        want = sql["referrals"]["by_agency"]
        checked += 1
        if [{k: r.get(k) for k in want[0]} for r in got] != want if want else got:
            diffs.append("referrals.by_agency differ: "
                         + "; ".join(f"{a} != {b}" for a, b in zip(got, want, strict=False) if a != b)[:800])
    if dashboard is not None:
        for key, value, want in dashboard_checks(dashboard, sql):
            checked += 1
            if value != want:
                diffs.append(f"dashboard {key}: app {value} sql {want}")
    if not checked:
        return {"verdict": "NOT CHECKED", "diffs": []}
    return {"verdict": "MATCH" if not diffs else "MISMATCH", "checked": checked, "diffs": diffs}


def dashboard_checks(sections: list[dict], sql: dict):
    """(what, app's value, SQL's value) for the dashboard figures the baseline also counts."""
    by_key = {s["key"]: s for s in sections}
    intake = by_key.get("intake")
    if intake:
        figures = {f["key"]: f["value"] for f in intake["figures"]}
        yield "intake.total", figures.get("total"), sql["cases"]["total"]
        tables = {t["key"]: t for t in intake["tables"]}
        for key in ("by_type", "by_channel", "by_sector"):
            if key in tables:
                got = {r["key"]: r["n"] for r in tables[key]["rows"] if r.get("n")}
                yield f"intake.{key}", got, sql["cases"][key]
        if "by_month" in tables:
            yield "intake.by_month (sum)", sum(r["n"] for r in tables["by_month"]["rows"]), sql["cases"]["total"]


def measure_monthly(user, kab: str, month: str, workdir: str) -> dict:
    """The monthly report of the kab/kota: its figures, each document, and the whole job (queued
    through `request_report`; the task runs eagerly here, so the call returns when it is stored)."""
    if _find("slrt.reports.monthly.services", ("request_report",)) is None:
        return {"missing": "monthly report generation (slrt.reports.monthly)"}
    from django.utils import timezone

    from slrt.reports.models import ReportStatus
    from slrt.reports.monthly.services import collect_sections, header_for, render, request_report
    from slrt.reports.period import month_period
    from slrt.wilayah.models import Region

    region = Region.objects.get(code=kab)
    out: dict = {"seconds": {}}
    ms, sections = _timed(lambda: collect_sections(region, month_period(month)))
    out["seconds"]["figures (collect_sections)"] = ms / 1000
    header = header_for(region, month, timezone.now(), user)
    for fmt in ("xlsx", "pdf"):
        ms, data = _timed(lambda fmt=fmt: render(fmt, header, sections))
        out["seconds"][f"{fmt} document (render)"] = ms / 1000
        out[f"{fmt}_bytes"] = len(data)
    ms, report = _timed(lambda: request_report(user, kab, month))
    report.refresh_from_db()
    if report.status != ReportStatus.DONE:
        raise BenchError(f"the monthly report of {kab} {month} ended {report.status}: {report.message}")
    out["seconds"]["whole report (figures, XLSX, PDF, stored)"] = ms / 1000
    out["sections"] = len(sections)
    print(f"  monthly report {kab} {month}: " + ", ".join(f"{k} {v:.2f} s" for k, v in out["seconds"].items()),
          flush=True)
    return out


def child_main(phase: str, params: dict) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "slrt.settings")
    import django

    django.setup()
    result = {"build": child_build, "measure": child_measure, "export": child_export}[phase](params)
    print(RESULT + json.dumps(result, default=str), flush=True)
    return 0


def child_export(p: dict) -> dict:
    """One export through `exports.services.write_export`, timed in this process (whose RSS the
    parent measures); the file is counted by the parent, after this process has ended."""
    write_export = _find("slrt.exports.services", ("write_export",))
    if write_export is None:
        return {"missing": "exports write_export (slrt.exports.services)"}
    from slrt.cases.models import Case

    _manajer, dinsos = _users(p["kab"])
    expected = Case.objects.system().filter(prov_code=PROVINCE).count()
    path = Path(p["workdir"]) / f"export.{p['fmt']}"
    with open(path, "wb") as out:
        ms, rows = _timed(lambda: write_export("cases", dinsos, {}, out, p["fmt"]))
    return {"rows": rows, "expected": expected, "seconds": ms / 1000, "path": str(path)}


def count_file_rows(path: Path, fmt: str) -> int:
    """Data rows in the file (header left out): CSV records, or the sheet's `<row` elements read
    as a stream from the XLSX (no spreadsheet library: the file may hold a million rows)."""
    import csv

    if fmt == "csv":
        with open(path, encoding="utf-8-sig", newline="") as fh:
            return sum(1 for _row in csv.reader(fh)) - 1
    n, tail = 0, b""
    with zipfile.ZipFile(path) as z:
        sheet = next(name for name in z.namelist() if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", name))
        with z.open(sheet) as fh:
            while block := fh.read(1 << 20):
                data = tail + block  # a match is 5 bytes: none fits in the 4 kept, none is lost
                n += len(re.findall(rb"<row[ >]", data))
                tail = data[-4:]
    return n - 1


def run_child(run: Run, phase: str, params: dict, timeout: float):
    cmd = [sys.executable, "-m", "bench.office", "child", phase, json.dumps(params)]
    measured = run_measured(cmd, env=run.env, log=run.workdir / f"{phase}-{params.get('fmt', '')}.log",
                            timeout=timeout)
    text = measured.log.read_text(encoding="utf-8", errors="replace")
    for line in text.splitlines():
        if not line.startswith(RESULT) and '"logger": "slrt.access"' not in line:
            print(line, flush=True)
    found = [line for line in text.splitlines() if line.startswith(RESULT)]
    if measured.returncode != 0 or not found:
        raise BenchError(f"the {phase} step failed (exit {measured.returncode}):\n{text[-3000:]}")
    return json.loads(found[-1][len(RESULT):]), measured


# --- the run ---------------------------------------------------------------------------------------


class _Fig(Figure):
    def shown(self) -> str:
        if self.value is not None and self.unit == "calls":
            return f"{self.value:,.0f} {self.unit}"
        return super().shown()


def add(run: Run, *a, **kw) -> Figure:
    figure = _Fig(*a, **kw)
    run.figures.append(figure)
    mark = f"  [{figure.verdict}]" if figure.verdict else ""
    target = f"  (target {figure.target})" if figure.target else ""
    shown = figure.shown() if figure.value is not None or not figure.note else figure.note
    print(f"  {figure.name:<58} {shown:>16}{target}{mark}", flush=True)
    return figure


def build(run: Run) -> dict:
    """The database with this scale's history: reused when its marker says so, else built."""
    import psycopg

    args = run.args
    url = args.database_url
    comment = database_comment(url)
    if comment == marker(args.scale) and not args.rebuild:
        step(run, f"database {_db_name(url)}: cached ({comment}); migrate only")
        manage(run, "migrate", "migrate", "--noinput", "-v0")
        with psycopg.connect(url) as conn:
            facts = conn.execute("SELECT facts FROM bench_office_build").fetchone()[0]
        facts["cached"] = True
        return facts
    step(run, f"database {_db_name(url)}: create, migrate, load regions, generate the history by COPY "
              f"(scale {args.scale:g}: {sizes(args.scale)['cases']:,} cases)")
    recreate_database(url, force=args.force)
    manage(run, "migrate", "migrate", "--noinput", "-v0")
    manage(run, "load_regions", "load_regions")
    facts, measured = run_child(run, "build", {"sizes": sizes(args.scale)}, timeout=3 * 3600)
    facts["build_rss_mb"] = round(measured.peak_mb)
    mark_database(url, marker(args.scale))
    facts["cached"] = False
    return facts


def report_month(end_iso: str) -> str:
    """The last full month before the history's end (WIB): the month a monthly report is made for."""
    end = dt.datetime.fromisoformat(end_iso) + dt.timedelta(hours=7)
    first = end.replace(day=1) - dt.timedelta(days=1)
    return f"{first:%Y-%m}"


def busiest_kab(url: str) -> str:
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute(f"SELECT kab_code FROM cases_case WHERE prov_code = '{PROVINCE}' "
                            "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1").fetchone()[0]


def office_benchmark(run: Run) -> None:
    args = run.args
    facts = build(run)
    run.info["build"] = facts
    run.info["pg"] = pg_facts(args.database_url)
    for key, unit in (("people", "people"), ("households", "rows"), ("cases", "rows"), ("needs", "rows"),
                      ("referrals", "rows"), ("transitions", "rows"), ("escalated", "rows")):
        add(run, f"{key} in the province", facts[key], unit)
    add(run, "history generated by COPY (incl. VACUUM ANALYZE)", facts["generate_s"] + facts.get("vacuum_s", 0), "s",
        note="cached" if facts.get("cached") else "")
    kab = busiest_kab(args.database_url)
    month = report_month(facts["end"])
    run.info.update(kab=kab, month=month)

    step(run, f"dashboard and summary of {kab} and of the province {PROVINCE}, {month} and {month[:4]}, "
              f"{args.reps} calls each, beside the hand-written SQL")
    measured, _m = run_child(run, "measure", {"kab": kab, "month": month, "reps": args.reps,
                                              "budget_s": args.budget, "workdir": str(run.workdir)},
                             timeout=3 * 3600)
    run.info["measure"] = measured
    for item in measured["missing"]:
        print(f"  not measured (not in the application yet): {item}")
    for r in measured["runs"]:
        where = "kab/kota" if len(r["region"]) == 5 else "province"
        target = TARGET_KAB_P95_MS if where == "kab/kota" else TARGET_PROV_P95_MS
        label = f"{where} {r['region']}, {r['period']}"
        add(run, f"{label}: calls of each (after warm-ups)", r["calls"], "calls")
        sql95 = percentile(r["ms"]["sql"], 95)
        add(run, f"{label}: hand-written SQL p95", sql95, "ms")
        for name, title in (("dashboard", "dashboard_figures"), ("summary", "summary API function"),
                            ("http", "GET /api/v1/reports/summary")):
            if name in r["ms"]:
                p95 = percentile(r["ms"][name], 95)
                # The targets are the dashboard's own view, a month (its default and the Bupati's
                # monthly table); a year is shown beside it without a verdict.
                if r["period"] == "month":
                    add(run, f"{label}: {title} p95", p95, "ms", f"< {target:.0f} ms", p95 < target)
                else:
                    add(run, f"{label}: {title} p95", p95, "ms")
                add(run, f"{label}: {title} / SQL (p95)", p95 / sql95 if sql95 else None, "×")
        for key, ms in r.get("sections_ms", {}).items():
            add(run, f"  {label}: section {key} ({'best of 3' if r['period'] == 'month' else 'one call'})", ms, "ms")
        for key, error in r.get("failed", {}).items():
            print(f"  {label}: section {key} FAILED, left out: {error}")
            run.info.setdefault("failed", []).append(f"{label}: section {key}: {error}")
        check = r["check"]
        add(run, f"{label}: figures equal the SQL's", None, "", "MATCH", check["verdict"] == "MATCH"
            if check["verdict"] in ("MATCH", "MISMATCH") else None, note=check["verdict"])
        print(f"    {check['verdict']}" + "".join(f"\n      {d}" for d in check.get("diffs", [])[:10]))
        if "check_http" in r:
            ch = r["check_http"]
            add(run, f"{label}: API answer equals the SQL's", None, "", "MATCH", ch["verdict"] == "MATCH"
                if ch["verdict"] in ("MATCH", "MISMATCH") else None, note=ch["verdict"])
            print(f"    API: {ch['verdict']}" + "".join(f"\n      {d}" for d in ch.get("diffs", [])[:10]))
    mon = measured["monthly"]
    if "missing" in mon:
        print(f"  not measured (not in the application yet): {mon['missing']}")
    else:
        for part, seconds in mon["seconds"].items():
            if part.startswith("whole"):
                add(run, f"monthly report {kab} {month}: {part}", seconds, "s", f"< {TARGET_MONTHLY_S:.0f} s",
                    seconds < TARGET_MONTHLY_S)
            else:
                add(run, f"  monthly report: {part}", seconds, "s")
        if "sql_s" in mon:
            add(run, "  its figures as hand-written SQL", mon["sql_s"], "s")

    step(run, f"exports of {EXPORT_ROWS:,} rows (the province's cases) as CSV and XLSX, each in its own process")
    baseline = export_baseline(args.database_url, run.workdir)
    run.info["export_baseline"] = baseline
    add(run, f"COPY (SELECT ...) TO STDOUT CSV, {baseline['rows']:,} rows", baseline["rows_s"], "rows/s")
    for fmt, target in (("csv", TARGET_CSV_ROWS_S), ("xlsx", TARGET_XLSX_ROWS_S)):
        result, m = run_child(run, "export", {"fmt": fmt, "kab": kab, "workdir": str(run.workdir)}, timeout=3600)
        if "missing" in result:
            print(f"  not measured (not in the application yet): {result['missing']}")
            run.info.setdefault("missing", []).append(result["missing"])
            continue
        path = Path(result["path"])
        result["counted"], result["bytes"] = count_file_rows(path, fmt), path.stat().st_size
        path.unlink()
        rate = result["rows"] / result["seconds"]
        add(run, f"export {fmt.upper()}: rows", result["rows"], "rows", f"= {result['expected']:,}",
            result["rows"] == result["expected"] == result["counted"], note=f"file holds {result['counted']:,}")
        add(run, f"export {fmt.upper()}: rows per second", rate, "rows/s", f"≥ {target:,.0f}/s", rate >= target)
        add(run, f"export {fmt.upper()}: / COPY CSV", baseline["rows_s"] / rate, "×")
        add(run, f"export {fmt.upper()}: process peak RSS", m.peak_mb, "MB", f"< {TARGET_EXPORT_RSS_MB:.0f} MB",
            m.peak_mb < TARGET_EXPORT_RSS_MB)
        add(run, f"export {fmt.upper()}: file size", result["bytes"] / 2**20, "MB")


def export_baseline(url: str, workdir: Path) -> dict:
    """The floor of an export: PostgreSQL's own CSV of the same rows, read by this process."""
    import psycopg

    started = time.perf_counter()
    rows = size = 0
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        # The export's own columns (exports.lists "cases"), names joined in, NIK masked.
        query = ("COPY (SELECT c.ticket, c.applicant_name, left(c.applicant_nik, 6) || '**********', c.created_at, "
                 "c.complaint_type, c.channel, c.urgency, r.name, s.name, p.name, c.status, c.summary, c.closed_at "
                 "FROM cases_case c JOIN wilayah_region r ON r.code = c.desa_code "
                 "LEFT JOIN wilayah_secretariat s ON s.id = c.secretariat_id "
                 "LEFT JOIN wilayah_puskesos p ON p.id = c.puskesos_id "
                 f"WHERE c.prov_code = '{PROVINCE}' ORDER BY c.created_at DESC, c.id DESC LIMIT {EXPORT_ROWS}) "
                 "TO STDOUT (FORMAT csv, HEADER)")
        with cur.copy(query) as copy:
            for block in copy:
                size += len(block)
                rows += bytes(block).count(b"\n")
    seconds = time.perf_counter() - started
    return {"rows": rows - 1, "seconds": seconds, "rows_s": (rows - 1) / seconds, "bytes": size}


def write_section(run: Run, path: Path, command: str) -> None:
    m, pg, b = run.info["machine"], run.info.get("pg", {}), run.info.get("build", {})
    lines = [
        "<!-- office:start -->",
        "## The office's figures: dashboards, monthly report, exports (issue 13, point 7)",
        "",
        "Produced by `bench/office.py` (`python -m bench office`, also run by `make bench`); rerun it to",
        "refresh this section.",
        "",
        f"- Date: {run.info['date']}",
        f"- Commit: {run.info.get('commit', '?')}",
        f"- Command: `{command}`",
        f"- Machine: {m['nproc']} CPU ({m['cpu']}), {m['memory']} RAM, {m['os']}, Python {m['python']}",
        f"- PostgreSQL {pg.get('version', '?')} (shared_buffers {pg.get('shared_buffers', '?')}, work_mem "
        f"{pg.get('work_mem', '?')}), same machine, default settings",
        f"- Data (scale {run.args.scale:g}, seed {SEED}): province {PROVINCE}, {b.get('kabs')} kab/kota, "
        f"{b.get('desa', 0):,} desa, {b.get('puskesos', 0):,} Puskesos posts; {b.get('people', 0):,} people in "
        f"{b.get('households', 0):,} households; {b.get('cases', 0):,} cases ({b.get('closed', 0):,} closed), "
        f"{b.get('needs', 0):,} needs, {b.get('referrals', 0):,} referrals with {b.get('transitions', 0):,} "
        f"transitions ({b.get('escalated', 0):,} escalated), from {b.get('start', '?')[:10]} to "
        f"{b.get('end', '?')[:10]}; generated by COPY in {b.get('generate_s', '?')} s, database "
        f"{b.get('db_size_mb', '?')} MB, built {b.get('built', '?')}",
        f"- Kab/kota measured: {run.info.get('kab')} (the one with the most cases); month {run.info.get('month')}, "
        f"year {str(run.info.get('month', ''))[:4]}",
        "",
        "| figure | value | target | result |",
        "|---|---:|---|---|",
    ]
    for f in run.figures:
        lines.append(f"| {f.name.strip()} | {f.shown() if f.value is not None else f.note} | {f.target} | "
                     f"{f.verdict} |")
    missing = run.info.get("measure", {}).get("missing", [])
    missing = [*missing, *run.info.get("missing", [])]
    mon = run.info.get("measure", {}).get("monthly", {})
    if "missing" in mon:
        missing.append(mon["missing"])
    lines += ["", "Not measured (not in the application when this ran): " + (", ".join(missing) or "none") + "."]
    if run.info.get("failed"):
        lines += ["", "Sections that raised (left out of the dashboard timing): " + "; ".join(run.info["failed"]) + "."]
    lines += ["", *HOW,
              "- **Load average** (1 min) at the start of each step (the machine is shared): "
              + ", ".join(f"{title.split(':')[0][:40]} {load}" for title, load in run.info.get("load", [])) + ".",
              "", "<!-- office:end -->"]
    replace_section(path, "\n".join(lines))


HOW = [
    "How it is measured:",
    "",
    "- **History** (not timed as a figure): households and people of the province (desa drawn with",
    "  uneven weights), then cases in time order over three years up to the build (more each year, fewer",
    "  at weekends, mostly in office hours; complaint type, channel, urgency, desk as in `CHANNELS` etc. of",
    "  `bench/office.py`; 86 % of applicants from the registry pool), 1-4 needs per case in distinct",
    "  sectors, a referral for 43 % of the needs an agency of the kab/kota serves (the resident allowed",
    "  sharing), sent to one of that sector's services (its SLA from the catalogue), then accepted,",
    "  rejected (9 %, with one of five reasons), returned (3 %), in service, done, or left open; 40 % of",
    "  rejected/returned ones sent again elsewhere; a referral still at the agency when its SLA ran out",
    "  is escalated (as the hourly job does). Needs and cases close when their referrals or the desk",
    "  finished. Everything written with psycopg's `cursor.copy` in chunks of 20,000 cases; the database",
    "  is marked (`COMMENT ON DATABASE`) and reused by later runs.",
    "- **Dashboard**: `reports.figures.dashboard_figures`'s sections called in-process (DEBUG off) for",
    "  a Manajer of the kab/kota with the most cases and for a Dinsos account of the province. The",
    "  targets are judged on the dashboard's own view, the last full month (its default period and the",
    "  Bupati's monthly table): two warm-up calls, then `--reps` calls (fewer, at least 5, once",
    "  `--budget` seconds are used), p95 by nearest rank; each section alone, best of 3. The same for",
    "  the whole year of that month is shown beside it without a verdict (one warm-up, at least 3",
    "  calls, each section once): a year on the live tables is the slow case a roll-up would serve.",
    "- **Summary**: the route function of `GET /api/v1/reports/summary` called in-process, and the same",
    "  request through Django's whole stack (test `Client`: middleware, bearer token, routing, schema,",
    "  JSON; no socket), same scopes and periods, interleaved with the dashboard and SQL calls.",
    "- **Hand-written SQL** (the baseline): SPEC's summary numbers (cases total/closed/by type/channel/",
    "  sector, referrals per agency sent/accepted/rejected/done/done on time) in five plain SQL",
    "  statements, timed the same way in the same process; the application's numbers are compared with",
    "  them one by one (MATCH/MISMATCH: the summary's, and the dashboard's Intake figures). The",
    "  dashboard computes far more than these numbers (every section), so its ratio to the SQL says how",
    "  much the rest costs; the summary's ratio is like for like.",
    "- **Monthly report**: `reports.monthly.services` for the kab/kota and month: the figures",
    "  (`collect_sections`), each document (`render`), and the whole job (`request_report` with the",
    "  task run eagerly: figures, XLSX, PDF, stored).",
    "- **Exports**: `exports.services.write_export(\"cases\", <Dinsos of the province>, {}, file, fmt)` in",
    "  a child process (Django set up), rows/s over the call, peak RSS of the process from `os.wait4`",
    "  and /proc; the file's rows counted afterwards by the parent. Baseline: PostgreSQL's own",
    "  `COPY (SELECT <the export's columns, names joined>) TO STDOUT (FORMAT csv)` of the same rows.",
]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench office", description=__doc__.split("\n\n")[0])
    p.add_argument("--scale", type=float, default=float(os.environ.get("BENCH_OFFICE_SCALE", "1")),
                   help="size of the history, 1 = 1,000,000 cases (default BENCH_OFFICE_SCALE or 1)")
    p.add_argument("--quick", action="store_true", help="scale 0.01 and 10 calls each")
    p.add_argument("--reps", type=int, default=30, help="calls of each figure function (p95 over them)")
    p.add_argument("--budget", type=float, default=90.0,
                   help="seconds of calls per scope and month before the rounds stop early (at least 5 rounds)")
    p.add_argument("--database-url", default=os.environ.get("BENCH_OFFICE_DATABASE_URL", DEFAULT_DATABASE_URL))
    p.add_argument("--rebuild", action="store_true", help="build the history again even if cached")
    p.add_argument("--drop", action="store_true", help="drop the database at the end (default: kept for reruns)")
    p.add_argument("--force", action="store_true", help="allow a database whose name lacks 'bench'")
    p.add_argument("--workdir", help="where logs and export files go (default: a new temporary directory)")
    p.add_argument("--report", help="markdown file to update (default docs/benchmarks.md at scale 1)")
    args = p.parse_args(argv)
    if args.quick:
        args.scale, args.reps = min(args.scale, 0.01), min(args.reps, 10)
    if not 0 < args.scale <= 4:
        p.error("--scale must be in (0, 4]")
    if not 3 <= args.reps <= 1000:
        p.error("--reps must be between 3 and 1000")
    if args.report is None and args.scale == 1 and not args.quick:
        args.report = str(ROOT / "docs" / "benchmarks.md")
    args.keep = not args.drop
    return args


def main(argv: list[str] | None = None) -> int:
    import shutil
    import subprocess

    args = parse_args(argv)
    run, command = new_run("office", args, argv, SLRT_DEBUG="0", SLRT_ALLOWED_HOSTS="testserver,127.0.0.1,localhost",
                           SLRT_TASK_ALWAYS_EAGER="1", SLRT_2FA_ROLES="")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                            check=False).stdout.strip()
    run.info["commit"] = commit or "?"
    print(f"SLRT office benchmark: scale {args.scale:g}, database {_db_name(args.database_url)}, "
          f"workdir {run.workdir}, commit {run.info['commit']}")
    failed = None
    try:
        office_benchmark(run)
    except (BenchError, OSError) as exc:
        failed = exc
        print(f"\nBENCHMARK FAILED: {exc}", file=sys.stderr)
    finally:
        if args.drop:
            from .registry import drop_database

            drop_database(args.database_url)
        if not args.workdir:
            shutil.rmtree(run.workdir, ignore_errors=True)
    step(run, "summary")
    for f in run.figures:
        if f.target:
            print(f"  {f.verdict:<4}  {f.name:<52} {f.shown() if f.value is not None else f.note:>14}   "
                  f"target {f.target}")
    if args.report and run.figures and not failed:
        write_section(run, Path(args.report), command)
        print(f"\nwritten to {args.report}")
    return 1 if failed else 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["child"]:
        sys.exit(child_main(sys.argv[2], json.loads(sys.argv[3])))
    sys.exit(main())
