"""Field-work benchmark: `python -m bench fieldwork` (also run by `make bench`, after the others).

In one run, against a PostgreSQL database of its own (created and dropped here):

1. migrate and load the regions; insert a synthetic district directly in SQL (100,000 households
   by default, with addresses, members, release 1 and its household appearances), one desa of it
   holding the facilitator's households: bench setup, not timed;
2. ODK Collect (in a child process with Django set up): a supervisor assigns the facilitator
   `--visits` verification visits through `slrt.fieldwork.services.assign_visit`; the form
   download (/formList, the form, the manifest of slrt_verifikasi_rt and its kunjungan.csv) is
   timed, best of 5; then `--visits` verification submissions, each changing one household
   column, are POSTed through the whole Django stack (test Client, Digest auth, multipart,
   instance parsing, `receive`) and, alternately, the same number of instances with the same
   values are handed to `slrt.fieldwork.services.receive` directly: the ratio is what the
   OpenRosa transport adds;
3. reconciliation (another child process): `--proposals` proposals in status `diajukan` across
   the district, of every kind, inserted in SQL; a release that contains a known share of them,
   applied to the registry tables set-based as the importer would (household columns, new
   members and households, `last_release`, appearances) and staged in the importer's own
   staging table; `staged_niks` and `slrt.updates.reconcile.reconcile_release` are timed and
   the accepted proposals are checked one by one against the planted ones.

Figures are printed with PASS/MISS and written into the field-work section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import sys
import time
from pathlib import Path

from .machine import replace_section
from .matching import ATAP, DESIL, DINDING, LANTAI, STATUS, _case
from .registry import (
    ROOT,
    BenchError,
    Figure,
    Run,
    _db_name,
    execute,
    manage,
    new_run,
    percentile,
    pg_facts,
    recreate_database,
    run_measured,
    step,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/slrt_bench_field"
SECTION_START = "<!-- fieldwork:start -->"
SECTION_END = "<!-- fieldwork:end -->"
TARGET_SUBMIT_P95_MS = 500.0
TARGET_MANIFEST_MS = 300.0
TARGET_RECONCILE_S = 10.0
BENCH_PASSWORD = "Sandi-Lapangan-Uji-7"  # noqa: S105 - throwaway accounts in a throwaway database
WARMUP = 5  # submissions of each path before the measured ones (code paths, caches, connection)
RESULT = "BENCH-RESULT "

# Proposal kinds of the reconciliation, with their share: (label, kind, share).
MIX = (
    ("perubahan alamat", "perubahan", 0.25),
    ("perubahan rt", "perubahan", 0.20),
    ("penghapusan", "penghapusan", 0.20),
    ("tambah_anggota", "tambah_anggota", 0.15),
    ("tinjau_desil", "tinjau_desil", 0.12),
    ("kk_baru", "kk_baru", 0.08),
)
BABY_NAMES = ("Muhammad Rizky", "Aisyah Putri", "Ahmad Fauzan", "Nur Azizah", "Dafa Pratama", "Siti Nurhaliza",
              "Raka Aditya", "Zahra Aulia", "Fajar Ramadhan", "Keisha Anindya", "Galih Saputra", "Intan Permata")
SURNAMES = ("Suryana", "Hidayat", "Kurniawan", "Rahayu", "Setiawan", "Nurhayati", "Saputra", "Permana",
            "Lestari", "Gunawan", "Sulastri", "Ramdani", "Maulana", "Hasanah", "Firmansyah", "Wulandari")
GIVEN = ("Asep", "Dede", "Ujang", "Euis", "Cucu", "Iis", "Yayan", "Neneng", "Agus", "Siti", "Dadang", "Ai",
         "Tatang", "Imas", "Endang", "Rina", "Budi", "Nining", "Ade", "Lilis")
KAMPUNG = ("Cibeureum", "Sukamaju", "Babakan", "Cikoneng", "Pasirjati", "Sindangsari", "Cijambu", "Margahayu",
           "Cigentur", "Leuwigajah", "Sukasari", "Cipanas")


def _array(values) -> str:
    return "ARRAY[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def _pick(values, rnd="random()") -> str:
    return f"({_array(values)})[1 + floor({rnd} * {len(values)})::int]"


# --- synthetic district, in SQL (bench setup) ----------------------------------------------------


def seed_district(url: str, kab: str, households: int, hot: int, seed: float, period: str) -> dict:
    """Households (with address), members, release 1 and its appearances for `kab`, set-based.

    The first `hot` households go to one desa (the facilitator's); the rest are spread over the
    other desa of the kab/kota. Returns counts and the facilitator's desa."""
    import psycopg

    digits = kab.replace(".", "")
    with psycopg.connect(url) as conn:
        desas = [r[0] for r in conn.execute(
            "SELECT code FROM wilayah_region WHERE code LIKE %s AND level = 4 ORDER BY code", (kab + ".%",))]
        if len(desas) < 2:
            raise BenchError(f"fewer than two desa under {kab}: were the regions loaded?")
        hot_desa = desas[0]
        conn.execute("SELECT setseed(%s)", (seed,))
        release_1 = conn.execute(
            "INSERT INTO registry_release (source, period, created_at) VALUES ('DTSEN', %s, now()) RETURNING id",
            (period,)).fetchone()[0]
        conn.execute("CREATE TEMP TABLE bench_desa (i int PRIMARY KEY, code text)")
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO bench_desa VALUES (%s, %s)", list(enumerate(desas[1:])))
        kampung = _pick(KAMPUNG)
        conn.execute(
            f"""
            INSERT INTO registry_household (nomor_kk, alamat, dusun, rt, rw, desil, lantai, dinding, atap,
                sumber_air, penerangan, jamban, bahan_bakar, status_bangunan, luas_lantai, aset, row_hash,
                first_release_id, last_release_id, created_at, updated_at, prov_code, kab_code, kec_code, desa_code)
            SELECT '{digits}' || lpad(g::text, 12, '0'),
                   CASE WHEN random() < 0.6 THEN 'Kp. ' || {kampung} || ' No. ' || (1 + floor(random() * 120))::int
                        ELSE 'Jl. ' || {kampung} || ' No. ' || (1 + floor(random() * 200))::int END,
                   'Dusun ' || (1 + floor(random() * 5))::int,
                   lpad((1 + floor(random() * 12))::int::text, 3, '0'),
                   lpad((1 + floor(random() * 6))::int::text, 3, '0'),
                   {_case(DESIL, "random()")}, {_case(LANTAI, "random()")}, {_case(DINDING, "random()")},
                   {_case(ATAP, "random()")}, '', '', '', '', {_case(STATUS, "random()")},
                   18 + (random() * 100)::int, '{{}}', md5(g::text), %(r)s, %(r)s, now(), now(),
                   left(c.code, 2), left(c.code, 5), left(c.code, 8), c.code
            FROM generate_series(1, %(n)s) g
            CROSS JOIN LATERAL (SELECT CASE WHEN g <= %(hot)s THEN %(hot_desa)s
                                            ELSE (SELECT code FROM bench_desa WHERE i = g %% {len(desas) - 1}) END
                                AS code) c
            """,
            {"r": release_1, "n": households, "hot": hot, "hot_desa": hot_desa},
        )
        # Members: a head, a spouse for most, 0-4 children and sometimes a grandparent.
        conn.execute(
            """
            CREATE TEMP TABLE bench_member AS
            SELECT h.id AS household_id, h.desa_code, k.k,
                   CASE WHEN k.k = 0 THEN 25 + random() * 50 WHEN k.k = 1 THEN 22 + random() * 50
                        WHEN k.k = 6 THEN 60 + random() * 25 ELSE random() * 24 END AS age
            FROM registry_household h CROSS JOIN generate_series(0, 6) k(k)
            WHERE h.kab_code = %s
              AND (k.k = 0 OR (k.k = 1 AND random() + 0 * h.id < 0.85)
                   OR (k.k BETWEEN 2 AND 5 AND random() + 0 * h.id < 0.45)
                   OR (k.k = 6 AND random() + 0 * h.id < 0.12))
            """,
            (kab,),
        )
        conn.execute(f"""
            INSERT INTO registry_person (nik, household_id, id_dtks, nama, name_key, tempat_lahir, tanggal_lahir,
                jenis_kelamin, hubungan_keluarga, nama_ibu_kandung, pekerjaan, pendidikan, status_kawin,
                disabilitas, penyakit_kronis, hamil, jenis_ppks, extra, nik_warnings, row_hash, is_active,
                first_release_id, last_release_id, created_at, updated_at, prov_code, kab_code, kec_code, desa_code)
            SELECT '{digits}' || lpad(n::text, 12, '0'), household_id, '', nama, lower(nama), 'Bandung',
                   current_date - (age * 365.25)::int, sex,
                   CASE WHEN k = 0 THEN 'Kepala Keluarga' WHEN k = 1 THEN 'Istri' WHEN k = 6 THEN 'Orang Tua'
                        ELSE 'Anak' END, '', '', '', '', '', '', NULL, '', '{{}}', '[]', md5(n::text), TRUE,
                   {release_1}, {release_1}, now(), now(), left(desa_code, 2), left(desa_code, 5),
                   left(desa_code, 8), desa_code
            FROM (SELECT m.*, row_number() OVER () AS n, {_pick(GIVEN)} || ' ' || {_pick(SURNAMES)} AS nama,
                         CASE WHEN m.k = 1 THEN 'P' WHEN m.k = 0 THEN 'L' WHEN random() < 0.5 THEN 'P' ELSE 'L' END
                         AS sex
                  FROM bench_member m) x
        """)
        conn.execute(
            "INSERT INTO registry_householdappearance (household_id, release_id) "
            "SELECT id, %s FROM registry_household WHERE kab_code = %s", (release_1, kab))
        conn.commit()
        counts = {
            "households": conn.execute("SELECT count(*) FROM registry_household").fetchone()[0],
            "people": conn.execute("SELECT count(*) FROM registry_person").fetchone()[0],
            "hot_households": conn.execute(
                "SELECT count(*) FROM registry_household WHERE desa_code = %s", (hot_desa,)).fetchone()[0],
        }
    with psycopg.connect(url, autocommit=True) as conn:
        for table in ("registry_household", "registry_person", "registry_householdappearance"):
            conn.execute(f"VACUUM ANALYZE {table}")
    return {**counts, "hot_desa": hot_desa, "release_1": release_1}


# --- child processes (Django set up) -------------------------------------------------------------


class _Counter:
    """connection.execute_wrapper that counts the statements a call sends."""

    def __init__(self):
        self.n = 0

    def __call__(self, execute, sql, params, many, context):
        self.n += 1
        return execute(sql, params, many, context)


class _Digest:
    """ODK Collect's side of Digest auth over Django's test Client (tests/openrosa_client.py's
    digest_header): one challenge, a counting `nc`, a fresh challenge before the nonce ages out."""

    def __init__(self, client, username, password):
        self.client, self.username, self.password = client, username, password
        self.chal, self.nc, self.at = None, 0, 0.0

    def refresh(self):
        from tests.openrosa_client import challenge

        response = self.client.head("/submission")
        if response.status_code != 401:
            raise BenchError(f"HEAD /submission without credentials answered {response.status_code}")
        self.chal, self.nc, self.at = challenge(response), 0, time.monotonic()

    def header(self, method, uri):
        from tests.openrosa_client import digest_header

        if self.chal is None or time.monotonic() - self.at > 200:  # the server's nonce lives 300 s
            self.refresh()
        self.nc += 1
        return digest_header(method, uri, self.chal, self.username, self.password, nc=f"{self.nc:08x}",
                             cnonce=os.urandom(8).hex())


def _timed(fn):
    started = time.perf_counter()
    result = fn()
    return (time.perf_counter() - started) * 1000, result


def child_odk(p: dict) -> dict:
    import csv
    import io

    from django.db import connection
    from django.test import Client
    from django.test.client import encode_multipart
    from django.utils import timezone

    from slrt.accounts.services import create_user
    from slrt.fieldwork import services
    from slrt.fieldwork.models import Submission, SubmissionStatus, VisitKind
    from slrt.fieldwork.openrosa.instance import parse_instance
    from slrt.fieldwork.openrosa.views import _repeats_for
    from slrt.registry.models import Household
    from slrt.updates.models import Proposal, ProposalStatus
    from tests.openrosa_client import instance_xml

    n, hot_desa = p["visits"], p["hot_desa"]
    out: dict = {}
    supervisor = create_user(username="bench-supervisor", role="supervisor", region_code=hot_desa[:8],
                             password=BENCH_PASSWORD, check_password=False)
    facilitator = create_user(username="bench-fasilitator", role="fasilitator", region_code=hot_desa,
                              password=BENCH_PASSWORD, check_password=False)
    households = list(Household.objects.system().filter(desa_code=hot_desa).order_by("pk")[: 2 * (n + WARMUP)])
    if len(households) < 2 * (n + WARMUP):
        raise BenchError(f"desa {hot_desa} holds {len(households)} households, {2 * (n + WARMUP)} needed")
    due = timezone.localdate() + dt.timedelta(days=14)

    def assign(hhs):
        for hh in hhs:
            services.assign_visit(supervisor, kind=VisitKind.VERIFICATION, assigned_to=facilitator, due_date=due,
                                  household=hh, note="Verifikasi data rumah tangga")

    ms, _ = _timed(lambda: assign(households[:n]))
    out["assign_ms_per_visit"] = ms / n
    print(f"  {n} visits assigned through assign_visit in {ms / 1000:.1f} s", flush=True)

    client = Client()
    auth = _Digest(client, facilitator.username, BENCH_PASSWORD)
    urls = {
        "formList": "/formList",
        "form.xml": "/forms/slrt_verifikasi_rt/form.xml",
        "manifest": "/forms/slrt_verifikasi_rt/manifest",
        "kunjungan.csv": "/forms/slrt_verifikasi_rt/media/kunjungan.csv",
    }
    downloads = {name: [] for name in urls}
    sizes, queries = {}, {}
    for _round in range(5):
        for name, uri in urls.items():
            counter = _Counter()
            with connection.execute_wrapper(counter):
                ms, response = _timed(lambda uri=uri: client.get(uri, HTTP_AUTHORIZATION=auth.header("GET", uri)))
            if response.status_code != 200:
                raise BenchError(f"GET {uri} answered {response.status_code}: {response.content[:300]!r}")
            downloads[name].append(ms)
            sizes[name], queries[name] = len(response.content), counter.n
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    if len(rows) != n:
        raise BenchError(f"kunjungan.csv lists {len(rows)} visits, {n} assigned")
    out["downloads"] = {name: {"best_ms": min(v), "all_ms": v, "bytes": sizes[name], "queries": queries[name]}
                        for name, v in downloads.items()}
    for name, v in downloads.items():
        print(f"  GET {name}: best {min(v):.1f} ms, {sizes[name]:,} bytes, {queries[name]} queries", flush=True)

    # The visits of the direct path and the warm-ups (setup); the tablet's list again, untimed.
    assign(households[n:])
    uri = urls["kunjungan.csv"]
    response = client.get(uri, HTTP_AUTHORIZATION=auth.header("GET", uri))
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    rows.sort(key=lambda r: int(r["name"]))
    if len(rows) != 2 * (n + WARMUP):
        raise BenchError(f"kunjungan.csv lists {len(rows)} visits, {2 * (n + WARMUP)} assigned")

    def filled(row, i):
        """What a facilitator sends for one visit: the downloaded values, one column changed."""
        values = {"kunjungan": row["name"], "hasil": "ditemukan", "lantai": "keramik", "dinding": "tembok",
                  "atap": "genteng", "sumber_air": "sumur_bor_pompa", "penerangan": "listrik_pln_dengan_meteran",
                  "jamban": "sendiri", "bahan_bakar": "gas_elpiji_3_kg", "status_bangunan": "milik_sendiri",
                  "luas_lantai": "36", "program": "PKH BPNT", "minta_tinjau_desil": "tidak",
                  "lokasi": "-7.0 107.6 700 5", "catatan": "Verifikasi rutin"}
        for col in ("nomor_kk", "alamat", "dusun", "rt", "rw"):
            values[col] = row[col]
            values[f"base_{col}"] = row[col]
        values["base_versi"] = row["versi"]
        if i % 2 == 0:
            values["rt"] = f"{int(row['rt'] or 0) % 12 + 1:03d}"
        else:
            values["alamat"] = row["alamat"] + " Blok B"
        return instance_xml("slrt_verifikasi_rt", values)

    boundary = "BenchBoundary7MA4YWxkTrZu0gW"
    content_type = f"multipart/form-data; boundary={boundary}"
    from django.core.files.uploadedfile import SimpleUploadedFile

    http_items, direct_items = [], []
    for j in range(n + WARMUP):
        xml_a, xml_b = filled(rows[2 * j], j), filled(rows[2 * j + 1], j)
        body = encode_multipart(boundary, {"xml_submission_file": SimpleUploadedFile("submission.xml", xml_a,
                                                                                     "text/xml")})
        http_items.append(body)
        direct_items.append(parse_instance(xml_b, repeats_for=_repeats_for))

    def post(body):
        header = auth.header("POST", "/submission")
        return client.post("/submission", data=body, content_type=content_type, HTTP_AUTHORIZATION=header,
                           HTTP_X_OPENROSA_VERSION="1.0")

    def head():
        header = auth.header("HEAD", "/submission")
        return client.head("/submission", HTTP_AUTHORIZATION=header, HTTP_X_OPENROSA_VERSION="1.0")

    def direct(parsed):
        return services.receive(facilitator, form_id=parsed.form_id, form_version=parsed.version,
                                instance_id=parsed.instance_id, values=parsed.values, base=parsed.base,
                                xml=parsed.xml, attachments=[], source="odk")

    http_ms, head_ms, direct_ms, http_q, direct_q = [], [], [], [], []
    started = time.perf_counter()
    for j in range(n + WARMUP):
        # Collect's exchange: an authenticated HEAD, then the POST; the direct call alternates with it.
        ms_head, response = _timed(head)
        if response.status_code != 204:
            raise BenchError(f"HEAD /submission answered {response.status_code}")
        counter = _Counter()
        with connection.execute_wrapper(counter):
            ms, response = _timed(lambda body=http_items[j]: post(body))
        if response.status_code != 201:
            raise BenchError(f"POST /submission answered {response.status_code}: {response.content[:500]!r}")
        counter_d = _Counter()
        with connection.execute_wrapper(counter_d):
            ms_d, result = _timed(lambda parsed=direct_items[j]: direct(parsed))
        if result.status != SubmissionStatus.REVIEW:
            raise BenchError(f"receive() left the submission {result.status}: {result.errors}")
        if j >= WARMUP:
            http_ms.append(ms)
            head_ms.append(ms_head)
            direct_ms.append(ms_d)
            http_q.append(counter.n)
            direct_q.append(counter_d.n)
    loop_s = time.perf_counter() - started
    subs = Submission.objects.system().filter(form_id="slrt_verifikasi_rt")
    drafted = Proposal.objects.system().filter(status=ProposalStatus.VERIFIED, origin="kunjungan").count()
    out["submissions"] = {
        "n": n, "http_ms": http_ms, "head_ms": head_ms, "direct_ms": direct_ms,
        "http_queries": sum(http_q) / n, "direct_queries": sum(direct_q) / n, "loop_s": loop_s,
        "stored": subs.count(), "review": subs.filter(status=SubmissionStatus.REVIEW).count(),
        "proposals": drafted, "expected": 2 * (n + WARMUP),
    }
    print(f"  {2 * (n + WARMUP)} submissions ({WARMUP} + {WARMUP} warm-up) in {loop_s:.1f} s; "
          f"{drafted} proposals drafted", flush=True)
    return out


def child_reconcile(p: dict) -> dict:
    from django.db import connection, transaction

    from slrt.registry.imports.loader import STAGE, PostgresDialect
    from slrt.registry.imports.validate import STAGE_COLUMNS
    from slrt.registry.models import Release
    from slrt.registry.search import name_key
    from slrt.updates.models import Proposal, ProposalStatus
    from slrt.updates.reconcile import reconcile_release, staged_niks

    kab, n, share, hot_desa = p["region"], p["proposals"], p["share"], p["hot_desa"]
    digits = kab.replace(".", "")
    out: dict = {}
    release = Release.objects.create(source="DTSEN", period=p["period_2"])
    r2 = release.pk
    bounds, acc = [], 0.0
    for label, _kind, weight in MIX:
        acc += weight
        bounds.append(f"WHEN k <= {round(acc * n)} THEN '{label}'")
    submitted = str(ProposalStatus.SUBMITTED.value)
    babies = ", ".join(f"('{nm}', '{name_key(nm)}')" for nm in BABY_NAMES)
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        x = cur.execute
        x("SELECT setseed(%s)", [p["seed"] / 2])
        # One proposal per household, drawn at random across the district (not the ODK desa).
        x("""
            CREATE TABLE bench_pick AS
            SELECT h.id AS household_id, h.nomor_kk, h.alamat, h.rt, h.desil, h.desa_code,
                   row_number() OVER (ORDER BY random()) AS k
            FROM registry_household h WHERE h.kab_code = %s AND h.desa_code <> %s
            ORDER BY k LIMIT %s
        """, [kab, hot_desa, n])
        x("SELECT count(*) FROM bench_pick")
        if cur.fetchone()[0] != n:
            raise BenchError(f"fewer than {n} households to draw proposals from")
        x("ALTER TABLE bench_pick ADD COLUMN label text, ADD COLUMN accepted boolean, ADD COLUMN id bigint, "
          "ADD COLUMN person_id bigint, ADD COLUMN nik text, ADD COLUMN nama text, ADD COLUMN baby text")
        x(f"UPDATE bench_pick SET label = CASE {' '.join(bounds)} ELSE 'kk_baru' END")
        # Exactly round(share * count) of each kind are in the release.
        x("""
            UPDATE bench_pick b SET accepted = r.rank <= round(%s * r.total)
            FROM (SELECT k, row_number() OVER (PARTITION BY label ORDER BY k) AS rank,
                         count(*) OVER (PARTITION BY label) AS total FROM bench_pick) r
            WHERE r.k = b.k
        """, [share])
        x("SELECT COALESCE(max(id), 0) FROM updates_proposal")
        base_id = cur.fetchone()[0]
        x("UPDATE bench_pick SET id = %s + k", [base_id])
        # A member to remove: the youngest non-head (the head when alone).
        x("""
            UPDATE bench_pick b SET person_id = m.id, nik = m.nik, nama = m.nama
            FROM (SELECT DISTINCT ON (p.household_id) p.household_id, p.id, p.nik, p.nama
                  FROM registry_person p JOIN bench_pick b ON b.household_id = p.household_id
                  WHERE b.label = 'penghapusan' AND p.is_active
                  ORDER BY p.household_id, p.hubungan_keluarga = 'Kepala Keluarga', p.tanggal_lahir DESC) m
            WHERE b.household_id = m.household_id
        """)
        # A newborn: every fifth without NIK yet (matched by name in the KK).
        x(f"""
            UPDATE bench_pick SET baby = ({_array(BABY_NAMES)})[1 + k % {len(BABY_NAMES)}],
                   nik = CASE WHEN k % 5 = 0 THEN NULL ELSE '{digits}9' || lpad(k::text, 11, '0') END
            WHERE label = 'tambah_anggota'
        """)
        x(f"""
            UPDATE bench_pick SET nik = '{digits}7' || lpad((3 * k)::text, 11, '0'),
                   nama = {_pick(GIVEN)} || ' ' || {_pick(SURNAMES)}
            WHERE label = 'kk_baru'
        """)
        new_kk = f"'{digits}8' || lpad(b.k::text, 11, '0')"
        member = ("jsonb_build_object('nik', '{d}7' || lpad((3 * b.k + {j})::text, 11, '0'), 'nama', '{nm}', "
                  "'tanggal_lahir', '{born}', 'jenis_kelamin', '{sex}', 'hubungan_keluarga', '{rel}')")
        anggota = "jsonb_build_array({}, {})".format(
            member.format(d=digits, j=1, nm="Euis Rahayu", born="1990-04-02", sex="P", rel="Istri"),
            member.format(d=digits, j=2, nm="Raka Aditya", born="2015-09-11", sex="L", rel="Anak"))
        data = f"""CASE b.label
            WHEN 'perubahan alamat' THEN jsonb_build_object('nomor_kk', b.nomor_kk, 'alamat', b.alamat || ' Blok C')
            WHEN 'perubahan rt' THEN jsonb_build_object('nomor_kk', b.nomor_kk,
                 'rt', lpad((b.rt::int % 12 + 1)::text, 3, '0'))
            WHEN 'penghapusan' THEN jsonb_build_object('nik', b.nik, 'nomor_kk', b.nomor_kk, 'nama', b.nama,
                 'kode_wilayah', b.desa_code)
            WHEN 'tambah_anggota' THEN jsonb_strip_nulls(jsonb_build_object('nik', b.nik, 'nama', b.baby,
                 'tanggal_lahir', '2026-05-12', 'jenis_kelamin', 'L', 'hubungan_keluarga', 'Anak',
                 'nomor_kk', b.nomor_kk, 'kode_wilayah', b.desa_code))
            WHEN 'tinjau_desil' THEN jsonb_build_object('nomor_kk', b.nomor_kk, 'kode_wilayah', b.desa_code)
            ELSE jsonb_build_object('nik', b.nik, 'nama', b.nama, 'nomor_kk', {new_kk}, 'kode_wilayah', b.desa_code,
                 'tanggal_lahir', '1988-01-20', 'jenis_kelamin', 'L', 'hubungan_keluarga', 'Kepala Keluarga',
                 'alamat', 'Kp. Babakan No. 7', 'rt', '002', 'rw', '003', 'anggota', {anggota})
        END"""
        base = """CASE b.label
            WHEN 'perubahan alamat' THEN jsonb_build_object('alamat', b.alamat)
            WHEN 'perubahan rt' THEN jsonb_build_object('rt', b.rt)
            WHEN 'penghapusan' THEN jsonb_build_object('nomor_kk', b.nomor_kk)
            WHEN 'tinjau_desil' THEN jsonb_build_object('desil', b.desil)
            ELSE '{}'::jsonb END"""
        x(f"""
            INSERT INTO updates_proposal (id, prov_code, kab_code, kec_code, desa_code, kind, status, data, reason,
                created_at, updated_at, household_id, person_id, base, origin, outcome_note, releases_checked,
                removal_reason, version)
            SELECT b.id, left(b.desa_code, 2), left(b.desa_code, 5), left(b.desa_code, 8), b.desa_code,
                   CASE WHEN b.label LIKE 'perubahan%' THEN 'perubahan' ELSE b.label END, '{submitted}', {data},
                   'Hasil verifikasi lapangan', now() - interval '40 days', now() - interval '3 days',
                   CASE WHEN b.label = 'kk_baru' THEN NULL ELSE b.household_id END, b.person_id, {base},
                   (ARRAY['kunjungan', 'kasus', 'manual'])[1 + b.k % 3], '', 0,
                   CASE WHEN b.label = 'penghapusan' THEN
                        (ARRAY['meninggal', 'pindah'])[1 + b.k % 2] ELSE '' END, 7
            FROM bench_pick b
        """)
        x("SELECT setval(pg_get_serial_sequence('updates_proposal', 'id'), (SELECT max(id) FROM updates_proposal))")

        # The release, applied as an import would: changed household columns (with last_release),
        # new members and households, and an appearance of every household it holds.
        x(f"""
            UPDATE registry_household h SET
                alamat = CASE WHEN b.label = 'perubahan alamat' THEN b.alamat || ' Blok C' ELSE h.alamat END,
                rt = CASE WHEN b.label = 'perubahan rt' THEN lpad((b.rt::int % 12 + 1)::text, 3, '0') ELSE h.rt END,
                desil = CASE WHEN b.label = 'tinjau_desil' THEN COALESCE(h.desil, 0) % 10 + 1 ELSE h.desil END,
                last_release_id = {r2}, updated_at = now(), row_hash = md5(h.row_hash)
            FROM bench_pick b
            WHERE h.id = b.household_id AND b.accepted AND b.label IN ('perubahan alamat', 'perubahan rt',
                                                                         'tinjau_desil')
        """)
        person_cols = ("nik, household_id, id_dtks, nama, name_key, tempat_lahir, tanggal_lahir, jenis_kelamin, "
                       "hubungan_keluarga, nama_ibu_kandung, pekerjaan, pendidikan, status_kawin, disabilitas, "
                       "penyakit_kronis, jenis_ppks, extra, nik_warnings, row_hash, is_active, first_release_id, "
                       "last_release_id, created_at, updated_at, prov_code, kab_code, kec_code, desa_code")
        x(f"""
            INSERT INTO registry_person ({person_cols})
            SELECT COALESCE(b.nik, '{digits}6' || lpad(b.k::text, 11, '0')), b.household_id, '', b.baby, v.key,
                   'Bandung', DATE '2026-05-12', 'L', 'Anak', '', '', '', 'Belum Kawin', '', '', '', '{{}}', '[]',
                   md5(b.k::text), TRUE, {r2}, {r2}, now(), now(), left(b.desa_code, 2), left(b.desa_code, 5),
                   left(b.desa_code, 8), b.desa_code
            FROM bench_pick b JOIN (VALUES {babies}) v(nama, key) ON v.nama = b.baby
            WHERE b.label = 'tambah_anggota' AND b.accepted
        """)
        x(f"""
            INSERT INTO registry_household (nomor_kk, alamat, dusun, rt, rw, desil, lantai, dinding, atap, sumber_air,
                penerangan, jamban, bahan_bakar, status_bangunan, luas_lantai, aset, row_hash, first_release_id,
                last_release_id, created_at, updated_at, prov_code, kab_code, kec_code, desa_code)
            SELECT {new_kk}, 'Kp. Babakan No. 7', '', '002', '003', 2, '', '', '', '', '', '', '', '', NULL, '{{}}',
                   md5(b.k::text), {r2}, {r2}, now(), now(), left(b.desa_code, 2), left(b.desa_code, 5),
                   left(b.desa_code, 8), b.desa_code
            FROM bench_pick b WHERE b.label = 'kk_baru' AND b.accepted
        """)
        x(f"""
            INSERT INTO registry_person ({person_cols})
            SELECT m->>'nik', h.id, '', m->>'nama', lower(m->>'nama'), 'Bandung', (m->>'tanggal_lahir')::date,
                   m->>'jenis_kelamin', m->>'hubungan_keluarga', '', '', '', '', '', '', '', '{{}}', '[]',
                   md5(m->>'nik'), TRUE, {r2}, {r2}, now(), now(), h.prov_code, h.kab_code, h.kec_code, h.desa_code
            FROM bench_pick b JOIN updates_proposal pr ON pr.id = b.id
            JOIN registry_household h ON h.nomor_kk = pr.data->>'nomor_kk'
            CROSS JOIN LATERAL jsonb_array_elements(jsonb_build_array(pr.data - 'anggota') || (pr.data->'anggota')) m
            WHERE b.label = 'kk_baru' AND b.accepted
        """)
        x("INSERT INTO registry_householdappearance (household_id, release_id) "
          "SELECT id, %s FROM registry_household WHERE kab_code = %s", [r2, kab])

        # The importer's staging table, as it holds the release before the merge: every person of
        # the release (the removed ones are not in it).
        d = PostgresDialect()
        x(f"DROP TABLE IF EXISTS {STAGE}")
        x(d.temp_table(STAGE, ", ".join(f"{c} {d.types[t]}" for c, t in STAGE_COLUMNS)))
        x(f"""
            INSERT INTO {STAGE} (line, nik, nomor_kk, prov_code, kab_code, kec_code, desa_code, nama, name_key,
                id_dtks, tempat_lahir, tanggal_lahir, jenis_kelamin, hubungan_keluarga, nama_ibu_kandung, pekerjaan,
                pendidikan, status_kawin, disabilitas, jenis_ppks, extra, nik_warnings, alamat, dusun, rt, rw, desil,
                row_hash, hh_hash)
            SELECT 1 + row_number() OVER (), p.nik, h.nomor_kk, p.prov_code, p.kab_code, p.kec_code, p.desa_code,
                   p.nama, p.name_key, p.id_dtks, p.tempat_lahir, p.tanggal_lahir, p.jenis_kelamin,
                   p.hubungan_keluarga, p.nama_ibu_kandung, p.pekerjaan, p.pendidikan, p.status_kawin,
                   p.disabilitas, p.jenis_ppks, '{{}}', '[]', h.alamat, h.dusun, h.rt, h.rw, h.desil, p.row_hash,
                   h.row_hash
            FROM registry_person p JOIN registry_household h ON h.id = p.household_id
            WHERE p.kab_code = %s AND p.is_active
              AND p.id NOT IN (SELECT person_id FROM bench_pick WHERE label = 'penghapusan' AND accepted)
        """, [kab])
        staged_rows = cur.rowcount
        x(f"CREATE INDEX ON {STAGE} (line)")
        x(f"ANALYZE {STAGE} (line, nik, nomor_kk)")
        x("SELECT label, accepted, count(*) FROM bench_pick GROUP BY 1, 2 ORDER BY 1, 2")
        mix = {}
        for label, accepted, count in cur.fetchall():
            mix.setdefault(label, {"accepted": 0, "pending": 0})["accepted" if accepted else "pending"] += count
        x("SELECT id FROM bench_pick WHERE accepted")
        planted = {r[0] for r in cur.fetchall()}
    out["setup_s"] = time.perf_counter() - started
    for table in ("updates_proposal", "registry_household", "registry_person", "registry_householdappearance"):
        with connection.cursor() as cur:
            cur.execute(f"ANALYZE {table}")
    print(f"  {n:,} proposals and the release in {out['setup_s']:.1f} s; {staged_rows:,} rows staged", flush=True)

    # What the import does inside its transaction: staged_niks before the merge, reconcile after it.
    with transaction.atomic():
        counter = _Counter()
        with connection.execute_wrapper(counter):
            ms, present = _timed(lambda: staged_niks(kab))
        out["staged_niks"] = {"ms": ms, "queries": counter.n, "found": len(present), "staged_rows": staged_rows}
    print(f"  staged_niks: {ms / 1000:.2f} s, {len(present):,} NIKs of proposals in the release", flush=True)
    counter = _Counter()
    with connection.execute_wrapper(counter):
        ms, recon = _timed(lambda: reconcile_release(release, region_code=kab, present_niks=present))
    accepted_ids = set(Proposal.objects.system().filter(status=ProposalStatus.ACCEPTED, outcome_release=release)
                       .values_list("pk", flat=True))
    out["reconcile"] = {
        "ms": ms, "queries": counter.n, "accepted": recon.accepted, "pending": recon.pending,
        "rejected": recon.rejected, "planted": len(planted), "proposals": n,
        "missed": len(planted - accepted_ids), "extra": len(accepted_ids - planted), "mix": mix,
    }
    print(f"  reconcile_release: {ms / 1000:.2f} s, {counter.n} queries; accepted {recon.accepted:,} "
          f"(planted {len(planted):,}), pending {recon.pending:,}, rejected {recon.rejected:,}", flush=True)
    return out


def child_main(phase: str, params: dict) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "slrt.settings")
    import django

    django.setup()
    result = {"odk": child_odk, "reconcile": child_reconcile}[phase](params)
    print(RESULT + json.dumps(result), flush=True)
    return 0


def run_child(run: Run, phase: str, params: dict, timeout: float) -> dict:
    cmd = [sys.executable, "-m", "bench.fieldwork", "child", phase, json.dumps(params)]
    measured = run_measured(cmd, env=run.env, log=run.workdir / f"{phase}.log", timeout=timeout)
    text = measured.log.read_text(encoding="utf-8", errors="replace")
    for line in text.splitlines():
        if not line.startswith(RESULT):
            print(line)
    found = [line for line in text.splitlines() if line.startswith(RESULT)]
    if measured.returncode != 0 or not found:
        raise BenchError(f"the {phase} step failed (exit {measured.returncode}):\n{text[-3000:]}")
    return json.loads(found[-1][len(RESULT):])


# --- the run ---------------------------------------------------------------------------------------


class _Fig(Figure):
    def shown(self) -> str:
        if self.value is not None and self.unit == "queries":
            shown = f"{self.value:,.0f}" if float(self.value).is_integer() else f"{self.value:,.1f}"
            return f"{shown} {self.unit}"
        if self.value is not None and self.unit == "/s":
            return f"{self.value:,.1f}{self.unit}"
        return super().shown()


def add(run: Run, *a, **kw) -> Figure:
    figure = _Fig(*a, **kw)
    run.figures.append(figure)
    mark = f"  [{figure.verdict}]" if figure.verdict else ""
    target = f"  (target {figure.target})" if figure.target else ""
    print(f"  {figure.name:<46} {figure.shown():>16}{target}{mark}", flush=True)
    return figure


def fieldwork_benchmark(run: Run) -> None:
    args = run.args
    step(run, f"database {_db_name(args.database_url)}: create, migrate, load regions")
    recreate_database(args.database_url, force=args.force)
    manage(run, "migrate", "migrate", "--noinput", "-v0")
    manage(run, "load_regions", "load_regions")
    run.info["pg"] = pg_facts(args.database_url)

    hot = max(args.hot_households, 2 * (args.visits + WARMUP))
    step(run, f"synthetic district {args.region}: {args.households:,} households ({hot:,} in the facilitator's "
              f"desa), direct SQL insert")
    started = time.perf_counter()
    seeded = seed_district(args.database_url, args.region, args.households, hot, args.seed, args.period)
    run.info["counts"] = seeded
    run.info["setup_s"] = round(time.perf_counter() - started, 1)
    print(f"  {seeded['households']:,} households, {seeded['people']:,} people in {run.info['setup_s']} s; "
          f"facilitator's desa {seeded['hot_desa']} ({seeded['hot_households']:,} households)")
    add(run, "households in the district", seeded["households"], "rows")
    add(run, "people in the district", seeded["people"], "people")

    step(run, f"ODK Collect: {args.visits} visits, form download, {args.visits} OpenRosa submissions "
              f"alternating with {args.visits} direct receive() calls")
    odk = run_child(run, "odk", {"visits": args.visits, "hot_desa": seeded["hot_desa"]}, timeout=1800)
    run.info["odk"] = {k: v for k, v in odk.items() if k != "submissions"}
    dl = odk["downloads"]
    add(run, "verification visits assigned (assign_visit)", args.visits, "rows")
    add(run, "  assign_visit, per visit", odk["assign_ms_per_visit"], "ms")
    add(run, "GET /formList (best of 5)", dl["formList"]["best_ms"], "ms")
    add(run, "GET form.xml (best of 5)", dl["form.xml"]["best_ms"], "ms")
    add(run, "GET manifest slrt_verifikasi_rt (best of 5)", dl["manifest"]["best_ms"], "ms",
        f"< {TARGET_MANIFEST_MS:.0f} ms", dl["manifest"]["best_ms"] < TARGET_MANIFEST_MS)
    add(run, f"GET kunjungan.csv, {args.visits} visits (best of 5)", dl["kunjungan.csv"]["best_ms"], "ms")
    s = odk["submissions"]
    http, direct, heads = s["http_ms"], s["direct_ms"], s["head_ms"]
    add(run, "submission POST p50", percentile(http, 50), "ms")
    p95 = percentile(http, 95)
    add(run, "submission POST p95", p95, "ms", f"< {TARGET_SUBMIT_P95_MS:.0f} ms", p95 < TARGET_SUBMIT_P95_MS)
    add(run, "submissions per second (POST, one client)", len(http) / (sum(http) / 1000), "/s")
    add(run, "  authenticated HEAD /submission p50", percentile(heads, 50), "ms")
    add(run, "receive() called directly p50", percentile(direct, 50), "ms")
    add(run, "receive() called directly p95", percentile(direct, 95), "ms")
    add(run, "OpenRosa POST / direct receive() (p50)", percentile(http, 50) / percentile(direct, 50), "×")
    add(run, "OpenRosa POST / direct receive() (total)", sum(http) / sum(direct), "×")
    add(run, "SQL statements per POST", s["http_queries"], "queries")
    add(run, "SQL statements per direct receive()", s["direct_queries"], "queries")
    ok = s["proposals"] == s["expected"] and s["review"] == s["stored"] == s["expected"]
    add(run, "submissions that drafted their proposal", s["proposals"], "rows", f"= {s['expected']}", ok)
    run.info["odk_loop_s"] = round(s["loop_s"], 1)

    step(run, f"reconciliation: {args.proposals:,} submitted proposals, a release holding "
              f"{args.accepted_share:.0%} of them")
    rec = run_child(run, "reconcile", {"region": args.region, "proposals": args.proposals,
                                       "share": args.accepted_share, "hot_desa": seeded["hot_desa"],
                                       "seed": args.seed, "period_2": args.period_2}, timeout=3600)
    r, sn = rec["reconcile"], rec["staged_niks"]
    run.info["reconcile"] = {**r, "setup_s": round(rec["setup_s"], 1), "staged_niks": sn}
    add(run, "submitted proposals reconciled", r["proposals"], "rows")
    exact = r["accepted"] == r["planted"] and r["missed"] == 0 and r["extra"] == 0
    add(run, "accepted (planted in the release)", r["accepted"], "rows", f"= {r['planted']:,}, same ones", exact,
        note=f"missed {r['missed']}, extra {r['extra']}")
    add(run, "pending", r["pending"], "rows", f"= {r['proposals'] - r['planted']:,}",
        r["pending"] == r["proposals"] - r["planted"] and r["rejected"] == 0)
    seconds = r["ms"] / 1000
    add(run, "reconcile_release wall time", seconds, "s", f"< {TARGET_RECONCILE_S:.0f} s",
        seconds < TARGET_RECONCILE_S)
    add(run, "proposals reconciled per second", r["proposals"] / seconds if seconds else None, "rows/s")
    add(run, "SQL statements of reconcile_release", r["queries"], "queries")
    add(run, "staged_niks (import, before the merge)", sn["ms"] / 1000, "s")
    add(run, "SQL statements of staged_niks", sn["queries"], "queries")


def write_section(run: Run, path: Path, command: str) -> None:
    """Replace (or append) the field-work section of docs/benchmarks.md, leaving the rest alone."""
    m, pg, c = run.info["machine"], run.info.get("pg", {}), run.info.get("counts", {})
    odk, rec = run.info.get("odk", {}), run.info.get("reconcile", {})
    dl = odk.get("downloads", {})
    sizes = ", ".join(f"{k} {v.get('bytes', 0):,} B" for k, v in dl.items())
    queries = ", ".join(f"{k} {v.get('queries', 0)}" for k, v in dl.items())
    a = run.args
    lines = [
        SECTION_START,
        "## Field work: ODK Collect and reconciliation",
        "",
        "Produced by `bench/fieldwork.py` (`python -m bench fieldwork`, also run by `make bench`); rerun it to",
        "refresh this section.",
        "",
        f"- Date: {run.info['date']}",
        f"- Command: `{command}`",
        f"- Machine: {m['nproc']} CPU ({m['cpu']}), {m['memory']} RAM, {m['os']}, Python {m['python']}",
        f"- PostgreSQL {pg.get('version', '?')} (shared_buffers {pg.get('shared_buffers', '?')}, work_mem "
        f"{pg.get('work_mem', '?')}, synchronous_commit {pg.get('synchronous_commit', '?')}), same machine, "
        "default settings",
        f"- Data: {c.get('households', 0):,} households, {c.get('people', 0):,} people in {a.region} (synthetic, "
        f"inserted in SQL in {run.info.get('setup_s', '?')} s, seed {a.seed}); the facilitator's desa "
        f"{c.get('hot_desa', '?')} holds {c.get('hot_households', 0):,} of them",
        "",
        "| figure | value | target | result |",
        "|---|---:|---|---|",
    ]
    for f in run.figures:
        lines.append(f"| {f.name.strip()} | {f.shown()} | {f.target} | {f.verdict} |")
    mix = "; ".join(f"{label} {v['accepted']:,} of {v['accepted'] + v['pending']:,}"
                    for label, v in rec.get("mix", {}).items())
    lines += [
        "",
        "How it is measured:",
        "",
        f"- **Visits**: a supervisor of the kecamatan assigns {a.visits} verification visits (one household each)",
        "  to a facilitator of the desa through `slrt.fieldwork.services.assign_visit` (setup; its time per",
        "  call is shown).",
        "- **Form download**: Django's test `Client` (the whole middleware stack and URL routing, no socket),",
        "  signed in the way ODK Collect signs in (HTTP Digest, a counting `nc`, as in",
        "  `tests/openrosa_client.py`), GETs `/formList`, the XForm, the manifest of `slrt_verifikasi_rt` (which",
        "  builds and hashes its four per-user CSV files) and `kunjungan.csv`; five rounds, the best of each.",
        f"  Sizes: {sizes}; SQL statements per request: {queries}.",
        "- **Submissions**: for each visit, the instance Collect would send, built from the XForm's own",
        "  `<instance>` (`tests/openrosa_client.instance_xml`): the `base_*` values and `versi` from the",
        "  downloaded `kunjungan.csv`, the house condition filled, and one household column changed (RT or",
        "  address, alternately), so the handler drafts and verifies one `perubahan` proposal. Per submission,",
        "  as Collect does: an authenticated `HEAD /submission`, then `POST /submission` (multipart with",
        "  `xml_submission_file`, no photos) answered 201; the POST is timed, client-side, request built to",
        "  response returned. Alternating with each POST, an instance with the same values for another visit",
        "  (parsed beforehand with `parse_instance`) is handed to `services.receive` directly: the ratio is",
        "  the cost of the transport (Digest check with its lockout lookups, multipart, XML parsing, the",
        f"  OpenRosa response). {WARMUP} of each first as warm-up, not counted. Submissions per second are",
        "  POSTs divided by their summed latency (one client, one after the other).",
        f"- **Reconciliation**: {a.proposals:,} proposals in status `diajukan` on as many households drawn at random",
        "  across the district (outside the facilitator's desa), inserted in SQL with the data each kind holds",
        "  (`perubahan` of the address or RT with its `base`, `penghapusan` of a member, `tambah_anggota`",
        "  with a new NIK or, one in five, a newborn without NIK, `tinjau_desil` with the desil proposed from,",
        "  `kk_baru` with a head and two members). The release: for exactly "
        f"{a.accepted_share:.0%} of each kind, the change is",
        "  applied to the registry tables set-based as the importer does (household columns and",
        "  `last_release`, new members and households with `first/last_release`, the removed member left out",
        "  of the file), every household of the district gets its `HouseholdAppearance`, and the importer's",
        "  staging table (`slrt_imp_stage`, its own columns, index and ANALYZE) holds the release's people.",
        "  Then, as an import does (`registry.hooks`): `staged_niks(kab)` (timed, inside a transaction), and",
        "  `reconcile_release(release, region_code=kab, present_niks=...)` (timed, its own transaction and",
        "  commit included). The accepted proposals are compared id by id with the planted ones.",
        f"  In the release, per kind: {mix}.",
        "- **Setup** (not timed as part of the figures): `migrate`, `load_regions`, households (address, RT/RW,",
        "  desil, house), members and release 1 with its appearances inserted set-based in SQL; the",
        f"  proposals and the release took {rec.get('setup_s', '?')} s. The field-work steps run in child processes",
        "  with Django set up (DEBUG off); SQL statements are counted with `connection.execute_wrapper`.",
        "- **Load average** (1 min) at the start of each step: "
        + ", ".join(f"{title.split(':')[0]} {load}" for title, load in run.info.get("load", [])) + ".",
        "",
        SECTION_END,
    ]
    replace_section(path, "\n".join(lines))


def _next_period(period: str, months: int = 3) -> str:
    year, month = int(period[:4]), int(period[5:7])
    total = year * 12 + month - 1 + months
    return f"{total // 12:04d}-{total % 12 + 1:02d}"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench fieldwork", description=__doc__.split("\n\n")[0])
    p.add_argument("--households", type=int, default=100_000)
    p.add_argument("--visits", type=int, default=300, help="visits assigned, and submissions of each path")
    p.add_argument("--proposals", type=int, default=20_000, help="submitted proposals to reconcile")
    p.add_argument("--accepted-share", type=float, default=0.6, help="share of them the release contains")
    p.add_argument("--hot-households", type=int, default=1_000, help="households in the facilitator's desa")
    p.add_argument("--quick", action="store_true", help="a small run (10,000 households, 100 visits, 2,000 proposals)")
    p.add_argument("--region", default="32.04", help="kab/kota code holding the data (default 32.04)")
    p.add_argument("--period", default="2026-07", help="period of release 1 (the reconciled one is 3 months later)")
    p.add_argument("--seed", type=float, default=0.2026)
    p.add_argument("--database-url", default=os.environ.get("BENCH_FIELDWORK_DATABASE_URL", DEFAULT_DATABASE_URL))
    p.add_argument("--force", action="store_true", help="allow a database whose name lacks 'bench'")
    p.add_argument("--keep", action="store_true", help="keep the database and the files")
    p.add_argument("--workdir", help="where the logs go (default: a new temporary directory)")
    p.add_argument("--report", help="markdown file to update (default docs/benchmarks.md, none for --quick)")
    args = p.parse_args(argv)
    if args.quick:
        args.households = min(args.households, 10_000)
        args.visits = min(args.visits, 100)
        args.proposals = min(args.proposals, 2_000)
    if not re.fullmatch(r"\d{2}\.\d{2}", args.region):
        p.error("--region must be a kab/kota code such as 32.04")
    if not 0 <= args.accepted_share <= 1:
        p.error("--accepted-share must be between 0 and 1")
    if args.proposals > args.households // 2:
        p.error("--proposals must be at most half of --households (one proposal per household)")
    if args.report is None and not args.quick:
        args.report = str(ROOT / "docs" / "benchmarks.md")
    args.period_2 = _next_period(args.period)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    run, command = new_run("fieldwork", args, argv, SLRT_DEBUG="0",
                           SLRT_ALLOWED_HOSTS="testserver,127.0.0.1,localhost")
    workdir = run.workdir
    print(f"SLRT field-work benchmark: {args.households:,} households, {args.visits} visits, "
          f"{args.proposals:,} proposals, workdir {workdir}")
    failed = execute(run, fieldwork_benchmark, lambda: write_section(run, Path(args.report), command))
    return 1 if failed else 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["child"]:
        sys.exit(child_main(sys.argv[2], json.loads(sys.argv[3])))
    sys.exit(main())
