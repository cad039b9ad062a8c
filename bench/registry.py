"""Registry benchmark (issue 2, point 8): `python -m bench` / `make bench`.

In one run, against a PostgreSQL database of its own (created and dropped here):

1. generate a synthetic registry release (`generate_registry`, 1,000,000 people by default)
   in one kabupaten/kota;
2. load the same file with a plain `COPY` into an unindexed table of the same columns (the
   floor any importer is compared with);
3. import it with the real importer (`manage.py import_registry`, in a child process whose
   wall time and peak RSS are measured with `os.wait4`);
4. start the real web application on 127.0.0.1 (a free port), get a token for a Manajer of the
   kab/kota, and time 1,000 NIK lookups and 1,000 typo-tolerant name searches through the
   HTTP API, from this process, one request at a time;
5. generate the next release with 5% of the people changed and time its import.

Every figure is printed next to its target with PASS/MISS and written to docs/benchmarks.md.
Every loop is bounded by a count or a deadline; all traffic goes to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import http.client
import json
import math
import os
import random
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

from .machine import machine_info, sections

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/slrt_bench"
BENCH_USER = "bench-manajer"
BENCH_PASSWORD = "Sandi-Uji-Kinerja-9"  # noqa: S105 - a throwaway account in a throwaway database

# Targets of issue 2, point 8.
TARGET_COPY_RATIO = 3.0
TARGET_RSS_MB = 300.0
TARGET_NIK_P95_MS = 10.0
TARGET_NAME_P95_MS = 150.0

csv.field_size_limit(1 << 20)


class BenchError(RuntimeError):
    pass


@dataclass
class Measured:
    wall_s: float
    max_rss_mb: float  # the largest single process of the tree (ru_maxrss from os.wait4)
    tree_rss_mb: float  # the largest sum over the process and its descendants, sampled every 0.1 s
    returncode: int
    log: Path

    @property
    def peak_mb(self) -> float:
        """Peak memory of the command: with worker processes, what they held together."""
        return max(self.max_rss_mb, self.tree_rss_mb)


@dataclass
class Figure:
    name: str
    value: float | None
    unit: str
    target: str = ""
    passed: bool | None = None  # None: informational
    note: str = ""

    @property
    def verdict(self) -> str:
        if self.passed is None:
            return ""
        return "PASS" if self.passed else "MISS"

    def shown(self) -> str:
        if self.value is None:
            return "n/a"
        if self.unit in ("rows", "people", "MB", "rows/s"):
            return f"{self.value:,.0f} {self.unit}"
        if self.unit == "×":
            return f"{self.value:.2f}×"
        if self.unit == "%":
            return f"{self.value:.1f} %"
        return f"{self.value:.2f} {self.unit}"


@dataclass
class Run:
    args: argparse.Namespace
    workdir: Path
    env: dict
    figures: list[Figure] = field(default_factory=list)
    info: dict = field(default_factory=dict)

    def add(self, *a, **kw) -> Figure:
        figure = Figure(*a, **kw)
        self.figures.append(figure)
        mark = f"  [{figure.verdict}]" if figure.verdict else ""
        target = f"  (target {figure.target})" if figure.target else ""
        print(f"  {figure.name:<46} {figure.shown():>16}{target}{mark}", flush=True)
        return figure


# --- processes --------------------------------------------------------------------------------


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def tree_rss_bytes(root: int) -> int:
    """Resident memory of `root` and all its descendants, from /proc (Linux; 0 elsewhere)."""
    children: dict[int, list[int]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return 0
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    total, todo = 0, [root]
    for _step in range(10_000):  # bounded walk of the process tree
        if not todo:
            break
        pid = todo.pop()
        todo.extend(children.get(pid, ()))
        try:
            with open(f"/proc/{pid}/statm", "rb") as fh:
                total += int(fh.read().split()[1]) * _PAGE
        except OSError:
            continue
    return total


def run_measured(cmd: list[str], *, env: dict, log: Path, timeout: float) -> Measured:
    """Run `cmd` and measure its wall time and peak memory.

    Memory two ways: ru_maxrss from os.wait4 (the largest single process of the tree, exact),
    and the sum over the process tree sampled from /proc every 0.1 s (what a multi-process
    importer holds at once). The command runs in its own process group so a timeout can stop
    all of it.
    """
    started = time.perf_counter()
    tree_peak = 0
    with open(log, "w", encoding="utf-8") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
        deadline = started + timeout
        try:
            while True:
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    break
                tree_peak = max(tree_peak, tree_rss_bytes(proc.pid))
                if time.perf_counter() > deadline:
                    raise BenchError(f"{shlex.join(cmd[1:4])} did not finish within {timeout:.0f} s (log: {log})")
                time.sleep(0.1)
        except BaseException:
            # Timeout or Ctrl-C: stop the command and whatever it started (its own process group).
            os.killpg(proc.pid, signal.SIGKILL)
            os.wait4(proc.pid, 0)
            proc.returncode = -signal.SIGKILL
            raise
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Measured(wall, usage.ru_maxrss / 1024, tree_peak / 1024 / 1024, proc.returncode, log)


def manage(run: Run, name: str, *args: str, timeout: float = 1800, check: bool = True) -> Measured:
    cmd = [sys.executable, str(ROOT / "manage.py"), *args]
    result = run_measured(cmd, env=run.env, log=run.workdir / f"{name}.log", timeout=timeout)
    if check and result.returncode != 0:
        tail = result.log.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise BenchError(f"manage.py {args[0]} failed (exit {result.returncode}):\n{tail}")
    return result


# --- database ---------------------------------------------------------------------------------


def _db_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def _admin_url(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/postgres"))


def recreate_database(url: str, *, force: bool) -> None:
    import psycopg
    from psycopg import sql

    name = _db_name(url)
    if "bench" not in name and not force:
        raise BenchError(f"refusing to drop database {name!r}: its name does not contain 'bench' (use --force)")
    with psycopg.connect(_admin_url(url), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(_admin_url(url), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(_db_name(url))))


def pg_facts(url: str) -> dict[str, str]:
    import psycopg

    with psycopg.connect(url) as conn:
        facts = {"version": conn.execute("SHOW server_version").fetchone()[0]}
        for setting in ("shared_buffers", "work_mem", "maintenance_work_mem", "synchronous_commit", "max_wal_size"):
            facts[setting] = conn.execute(f"SHOW {setting}").fetchone()[0]
    return facts


def checkpoint(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CHECKPOINT")


def copy_baseline(url: str, path: Path) -> tuple[float, int]:
    """Plain COPY of the file into an unindexed table with the file's columns (all text)."""
    import psycopg
    from psycopg import sql

    with open(path, newline="", encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    with psycopg.connect(url) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_copy")
        conn.execute(sql.SQL("CREATE TABLE bench_copy ({})").format(
            sql.SQL(", ").join(sql.SQL("{} text").format(sql.Identifier(c)) for c in header)))
        conn.commit()
        started = time.perf_counter()
        with conn.cursor() as cur, cur.copy("COPY bench_copy FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
            with open(path, "rb") as fh:
                for _chunk in range(1 << 20):  # bounded: 1M chunks of 1 MiB
                    data = fh.read(1 << 20)
                    if not data:
                        break
                    copy.write(data)
        conn.commit()
        wall = time.perf_counter() - started
        rows = conn.execute("SELECT count(*) FROM bench_copy").fetchone()[0]
        conn.execute("DROP TABLE bench_copy")
        conn.commit()
    return wall, rows


def last_import_job(url: str) -> dict:
    import psycopg
    from psycopg.rows import dict_row

    with psycopg.connect(url, row_factory=dict_row) as conn:
        row = conn.execute(
            "SELECT id, status, rows_read, created, updated, unchanged, rejected, moved, message "
            "FROM registry_importjob ORDER BY id DESC LIMIT 1"
        ).fetchone()
    if not row:
        raise BenchError("no import job recorded")
    return row


def database_size_mb(url: str) -> float:
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute("SELECT pg_database_size(current_database())").fetchone()[0] / 1024 / 1024


# --- HTTP -------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    """One keep-alive connection to the local server; reconnects once if the server closed it."""

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.headers: dict[str, str] = {}

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, bytes]:
        payload = json.dumps(body).encode() if body is not None else None
        headers = dict(self.headers)
        if payload is not None:
            headers["Content-Type"] = "application/json"
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=payload, headers=headers)
                response = self.conn.getresponse()
                return response.status, response.read()
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def timed_get(self, path: str) -> tuple[float, int, bytes]:
        started = time.perf_counter()
        status, data = self.request("GET", path)
        return (time.perf_counter() - started) * 1000, status, data

    def close(self):
        self.conn.close()


def start_server(run: Run, port: int) -> subprocess.Popen:
    """The application in bench.server (Django's threaded WSGI server with TCP_NODELAY, no access log)."""
    log = open(run.args.server_log, "w") if run.args.server_log else subprocess.DEVNULL  # noqa: SIM115
    env = dict(run.env, SLRT_DEBUG="0")
    return subprocess.Popen(
        [sys.executable, "-m", "bench.server", str(port)],
        cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
    )


def wait_ready(port: int, proc: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"the server exited early (exit {proc.returncode}); rerun with --server-log FILE")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return
        except OSError:
            pass
        time.sleep(0.25)
    raise BenchError(f"the server did not answer /healthz within {timeout:.0f} s")


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))
    return ordered[k]


# --- samples ----------------------------------------------------------------------------------


def key_lines(path: Path) -> set[int]:
    with open(path, newline="", encoding="utf-8") as fh:
        return {int(row["line"]) for row in csv.DictReader(fh)}


def sample_people(path: Path, skip: set[int], k: int, rng: random.Random) -> list[dict]:
    """A uniform sample (reservoir) of k clean rows of the file, in one pass."""
    sample: list[dict] = []
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        seen = 0
        for line, row in enumerate(reader, start=2):
            if line in skip:
                continue
            seen += 1
            if len(sample) < k:
                sample.append(row)
            else:
                j = rng.randrange(seen)
                if j < k:
                    sample[j] = row
    rng.shuffle(sample)
    return sample


_KEYBOARD = {
    "a": "sq", "b": "vn", "c": "xv", "d": "sf", "e": "wr", "f": "dg", "g": "fh", "h": "gj", "i": "uo", "j": "hk",
    "k": "jl", "l": "k", "m": "n", "n": "bm", "o": "ip", "p": "o", "q": "w", "r": "et", "s": "ad", "t": "ry",
    "u": "yi", "v": "cb", "w": "qe", "x": "zc", "y": "tu", "z": "x",
}


def mutate_name(name: str, rng: random.Random) -> tuple[str, str]:
    """The name as someone at the desk might type it: a spelling variant or a slip of the finger."""
    from slrt.demo.generate import name_variant

    r = rng.random()
    letters = [i for i, ch in enumerate(name) if ch.lower() in _KEYBOARD]
    if r < 0.6 or len(letters) < 4:
        variant = name_variant(name, rng)
        # Nobody searches by one letter (the API refuses it): keep such names as they are.
        return (variant, "variant") if sum(ch.isalpha() for ch in variant) >= 3 else (name, "exact")
    i = rng.choice(letters[1:-1])
    if r < 0.85:
        ch = name[i]
        near = rng.choice(_KEYBOARD[ch.lower()])
        return name[:i] + (near.upper() if ch.isupper() else near) + name[i + 1:], "typo"
    if name[i + 1: i + 2].isalpha():
        return name[:i] + name[i + 1] + name[i] + name[i + 2:], "transposed"
    return name[:i] + name[i + 1:], "dropped"


# --- steps ------------------------------------------------------------------------------------


def step(run: Run, title: str) -> None:
    # The load average says whether the machine was shared while this step ran.
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    run.info.setdefault("load", []).append((title, round(load, 2)))
    print(f"\n== {title}   (load average {load:.2f})", flush=True)


def prepare_database(run: Run) -> None:
    step(run, f"database {_db_name(run.args.database_url)}: create, migrate, load regions")
    recreate_database(run.args.database_url, force=run.args.force)
    manage(run, "migrate", "migrate", "--noinput", "-v0")
    manage(run, "load_regions", "load_regions")
    run.info["pg"] = pg_facts(run.args.database_url)
    print(f"  PostgreSQL {run.info['pg']['version']}")


def generate(run: Run, out: Path, key: Path, *extra: str) -> Measured:
    result = manage(run, out.stem, "generate_registry", "--out", str(out), "--key", str(key),
                    "--seed", str(run.args.seed), "-v0", *extra, timeout=3600)
    print("  " + result.log.read_text(encoding="utf-8").strip().splitlines()[-1])
    return result


def import_file(run: Run, path: Path, name: str, period: str) -> tuple[Measured, dict]:
    checkpoint(run.args.database_url)
    result = manage(run, name, "import_registry", str(path), "--period", period, "--no-progress",
                    timeout=run.args.import_timeout, check=False)
    job = last_import_job(run.args.database_url)
    if result.returncode != 0 or job["status"] != "done":
        tail = result.log.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise BenchError(f"import of {path.name} failed (exit {result.returncode}, job {job['status']}):\n{tail}")
    print(f"  job #{job['id']}: read {job['rows_read']:,}, created {job['created']:,}, updated {job['updated']:,}, "
          f"unchanged {job['unchanged']:,}, moved {job['moved']:,}, rejected {job['rejected']:,}")
    return result, job


def http_benchmark(run: Run, people: list[dict], warmup: int) -> None:
    args = run.args
    step(run, f"HTTP API: {args.lookups} NIK lookups, {args.searches} name searches (one client, sequential)")
    manage(run, "create_user", "create_user", BENCH_USER, "--role", "manajer", "--region", args.region,
           "--password", BENCH_PASSWORD)
    port = free_port()
    server = start_server(run, port)
    client = None
    try:
        wait_ready(port, server)
        client = Client(port)
        status, data = client.request("POST", "/api/v1/auth/token",
                                      {"username": BENCH_USER, "password": BENCH_PASSWORD})
        if status != 200:
            raise BenchError(f"token request answered {status}: {data[:200]!r}")
        client.headers["Authorization"] = f"Bearer {json.loads(data)['token']}"
        rng = random.Random(args.seed + 7)
        nik_people = people[: args.lookups]
        name_people = people[args.lookups: args.lookups + args.searches]
        warm = people[args.lookups + args.searches:][:warmup]
        for row in warm:  # connection, code paths and caches warm; not measured
            client.timed_get("/api/v1/people?" + urlencode({"nik": row["nik"]}))
            client.timed_get("/api/v1/people?" + urlencode({"q": row["nama"], "region": args.region}))

        statuses: Counter = Counter()
        nik_ms, nik_found = [], 0
        for row in nik_people:
            ms, status, data = client.timed_get("/api/v1/people?" + urlencode({"nik": row["nik"]}))
            nik_ms.append(ms)
            statuses[f"nik {status}{_error_code(status, data)}"] += 1
            if status == 200:
                nik_found += any(item["nik"] == row["nik"] for item in json.loads(data)["items"])

        name_ms: list[float] = []
        by_level: dict[str, list[float]] = {"kab/kota": [], "kecamatan": [], "desa": []}
        found_by_level: Counter = Counter()
        kinds: Counter = Counter()
        for i, row in enumerate(name_people):
            query, kind = mutate_name(row["nama"], rng)
            kinds[kind] += 1
            kode = row["kode_wilayah"].replace(".", "")
            level, region = [
                ("kab/kota", f"{kode[:2]}.{kode[2:4]}"),
                ("kecamatan", f"{kode[:2]}.{kode[2:4]}.{kode[4:6]}"),
                ("desa", f"{kode[:2]}.{kode[2:4]}.{kode[4:6]}.{kode[6:10]}"),
            ][i % 3]
            ms, status, data = client.timed_get("/api/v1/people?" + urlencode({"q": query, "region": region}))
            name_ms.append(ms)
            by_level[level].append(ms)
            statuses[f"name {status}{_error_code(status, data)}"] += 1
            if status == 200:
                found_by_level[level] += any(item["nik"] == row["nik"] for item in json.loads(data)["items"])
    finally:
        if client:
            client.close()
        stop_server(server)

    commit_p50, commit_p95 = commit_latency(args.database_url)
    run.add("NIK lookup p50", percentile(nik_ms, 50), "ms")
    run.add("NIK lookup p95", percentile(nik_ms, 95), "ms", f"< {TARGET_NIK_P95_MS:.0f} ms",
            percentile(nik_ms, 95) < TARGET_NIK_P95_MS)
    run.add("NIK lookups that found the person", 100 * nik_found / max(1, len(nik_people)), "%")
    run.add("name search p50", percentile(name_ms, 50), "ms")
    run.add("name search p95", percentile(name_ms, 95), "ms", f"< {TARGET_NAME_P95_MS:.0f} ms",
            percentile(name_ms, 95) < TARGET_NAME_P95_MS)
    for level, values in by_level.items():
        if values:
            run.add(f"  name search p95, region = {level}", percentile(values, 95), "ms")
    run.add("name searches with the person in the results", 100 * sum(found_by_level.values())
            / max(1, len(name_people)), "%")
    for level, values in by_level.items():
        if values:
            run.add(f"  person found, region = {level}", 100 * found_by_level[level] / len(values), "%")
    run.add("PostgreSQL commit p50 (1-row INSERT)", commit_p50, "ms")
    run.add("PostgreSQL commit p95 (1-row INSERT)", commit_p95, "ms")
    run.info["name_query_kinds"] = dict(kinds)
    run.info["http_statuses"] = dict(statuses)
    failed = {k: v for k, v in statuses.items() if " 200" not in k}
    if failed:
        print(f"  WARNING: requests that did not answer 200: {failed}")


def _error_code(status: int, data: bytes) -> str:
    if status == 200:
        return ""
    try:
        return f" {json.loads(data).get('code', '')}"
    except ValueError:
        return ""


def commit_latency(url: str, n: int = 200) -> tuple[float, float]:
    """Latency of a one-row INSERT committed on its own: the floor under any request that writes
    (each API search writes its audit record)."""
    import psycopg

    times = []
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_commit_probe (id serial PRIMARY KEY, at timestamptz)")
        for _i in range(n):
            started = time.perf_counter()
            conn.execute("INSERT INTO bench_commit_probe (at) VALUES (now())")
            times.append((time.perf_counter() - started) * 1000)
        conn.execute("DROP TABLE bench_commit_probe")
    return percentile(times, 50), percentile(times, 95)


def registry_benchmark(run: Run) -> None:
    args = run.args
    households = max(1, round(args.people / 4.02))  # the generator's mean household size
    first, first_key = run.workdir / "release-1.csv", run.workdir / "release-1.key.csv"
    second, second_key = run.workdir / "release-2.csv", run.workdir / "release-2.key.csv"

    prepare_database(run)

    step(run, f"generate release 1: about {args.people:,} people ({households:,} KK) in {args.region}")
    gen = generate(run, first, first_key, "--households", str(households), "--region", args.region,
                   "--period", args.period, "--duplicate-share", str(args.duplicate_share),
                   "--bad-share", str(args.bad_share))
    rows = sum(1 for _line in open(first, encoding="utf-8")) - 1
    run.info["rows"] = rows
    run.add("people (rows) in release 1", rows, "rows")
    run.add("generator wall time", gen.wall_s, "s", note="informational")

    step(run, "plain PostgreSQL COPY of the same file into an unindexed table")
    checkpoint(args.database_url)
    copy_s, copy_rows = copy_baseline(args.database_url, first)
    run.add("COPY wall time", copy_s, "s")

    step(run, "import release 1 with the real importer (import_registry)")
    imp, job = import_file(run, first, "import-1", args.period)
    run.add("import wall time", imp.wall_s, "s")
    run.add("import rows per second", rows / imp.wall_s, "rows/s")
    ratio = imp.wall_s / copy_s
    run.add("import / COPY", ratio, "×", f"≤ {TARGET_COPY_RATIO:.0f}×", ratio <= TARGET_COPY_RATIO)
    run.add("importer peak memory (RSS)", imp.peak_mb, "MB", f"< {TARGET_RSS_MB:.0f} MB",
            imp.peak_mb < TARGET_RSS_MB)
    run.add("  largest single importer process", imp.max_rss_mb, "MB")
    run.info["import_1"] = {k: job[k] for k in ("created", "updated", "unchanged", "rejected", "moved")}
    run.info["db_size_mb"] = round(database_size_mb(args.database_url))

    skip = key_lines(first_key)
    people = sample_people(first, skip, args.lookups + args.searches + 20, random.Random(args.seed))
    if not args.skip_http:
        http_benchmark(run, people, warmup=20)

    step(run, f"release 2: {args.changed_share:.0%} of the people changed")
    generate(run, second, second_key, "--base", str(first), "--changed-share", str(args.changed_share))
    period_2 = _next_period(args.period)
    imp2, job2 = import_file(run, second, "import-2", period_2)
    rows_2 = sum(1 for _line in open(second, encoding="utf-8")) - 1
    run.add("second release import wall time", imp2.wall_s, "s")
    run.add("second release rows per second", rows_2 / imp2.wall_s, "rows/s")
    run.add("second release importer peak memory", imp2.peak_mb, "MB", f"< {TARGET_RSS_MB:.0f} MB",
            imp2.peak_mb < TARGET_RSS_MB)
    run.info["import_2"] = {k: job2[k] for k in ("created", "updated", "unchanged", "rejected", "moved")}


def _next_period(period: str) -> str:
    year, month = int(period[:4]), int(period[5:7])
    total = year * 12 + month - 1 + 3
    return f"{total // 12:04d}-{total % 12 + 1:02d}"


# --- report -----------------------------------------------------------------------------------


def write_markdown(run: Run, path: Path, command: str) -> None:
    m = run.info["machine"]
    pg = run.info.get("pg", {})
    lines = [
        "# Benchmarks",
        "",
        "Registry part of `make bench` (issue 2, point 8). Produced by `bench/registry.py`; rerun it to",
        "refresh this page (it is overwritten).",
        "",
        f"- Date: {run.info['date']}",
        f"- Command: `{command}`",
        f"- Machine: {m['nproc']} CPU ({m['cpu']}), {m['memory']} RAM, {m['os']}, Python {m['python']}",
        f"- PostgreSQL {pg.get('version', '?')} (shared_buffers {pg.get('shared_buffers', '?')}, work_mem "
        f"{pg.get('work_mem', '?')}, maintenance_work_mem {pg.get('maintenance_work_mem', '?')}, "
        f"synchronous_commit {pg.get('synchronous_commit', '?')}, max_wal_size {pg.get('max_wal_size', '?')}), "
        "same machine, default settings",
        f"- Data: {run.info.get('rows', 0):,} rows in {run.args.region} (synthetic, `generate_registry` seed "
        f"{run.args.seed}, {run.args.duplicate_share:.0%} near-duplicates, {run.args.bad_share:.1%} bad rows); "
        f"database after release 1: {run.info.get('db_size_mb', '?')} MB",
        f"- Importer worker processes: {run.env.get('SLRT_IMPORT_WORKERS', 'its default')}",
        "",
        "| figure | value | target | result |",
        "|---|---:|---|---|",
    ]
    for f in run.figures:
        lines.append(f"| {f.name.strip()} | {f.shown()} | {f.target} | {f.verdict} |")
    lines += [
        "",
        "## How each figure is measured",
        "",
        "- **COPY**: `COPY bench_copy FROM STDIN (FORMAT csv, HEADER)` of the same file, streamed from the bench",
        "  process into a fresh table with one `text` column per file column and no index; wall time to commit.",
        "- **Import**: `manage.py import_registry FILE --period P` in a child process, from start to exit",
        "  (Django start-up, validation, staging, upserts, history, commit). Peak memory is the larger of",
        "  that process's `ru_maxrss` from `os.wait4` and the summed RSS of the process and any worker",
        "  processes it starts, sampled from /proc every 0.1 s (the database server's memory is not counted).",
        "- **NIK lookup / name search**: `GET /api/v1/people?nik=` and `GET /api/v1/people?q=&region=` against",
        "  `python -m bench.server` (Django's threaded WSGI server, as `runserver` uses, with TCP_NODELAY and no",
        "  access log; DEBUG off) on 127.0.0.1, with a bearer token of a Manajer of the",
        "  kab/kota, one request at a time over a keep-alive connection, after 20 warm-up requests of each.",
        "  Latency is client-side, request sent to body read. NIKs are a uniform sample of clean rows; names",
        "  are another sample, each altered the way a desk clerk would: a spelling variant (Muhammad/Moch.,",
        "  Siti/St., oe/u, dj/j, tj/c, sj/sy, ch/kh, doubled letters, a dropped second name) for about 60%, a",
        "  neighbouring-key typo, a transposition or a dropped letter for the rest; the region filter is the",
        "  person's kab/kota, kecamatan or desa in turn. Every search writes its audit record, as in production.",
        f"  Query kinds: {run.info.get('name_query_kinds', {})}. Answers: {run.info.get('http_statuses', {})}.",
        "  \"Found\" means the sampled person is among the answers (default page of 50): in a kab/kota of a",
        "  million people many share a name, so a bare name at kab/kota level often ranks namesakes first.",
        "- **PostgreSQL commit**: 200 one-row INSERTs, each its own transaction, on the bench database: the",
        "  least a request costs that writes (every registry API call writes an audit row).",
        f"- **Second release**: `generate_registry --base release-1.csv --changed-share {run.args.changed_share}`",
        "  (decile, programmes, address, members moved to another KK, newborns and new KK), imported like",
        "  the first. Household-level changes (desil, address) update the KK, not its members, so the",
        "  importer's person counts show fewer updates than people changed.",
        "- **Load average** (1 min) at the start of each step, to tell a quiet machine from a shared one: "
        + ", ".join(f"{title.split(':')[0]} {load}" for title, load in run.info.get("load", [])) + ".",
        f"- Import counts, release 1: {run.info.get('import_1', {})}; release 2: {run.info.get('import_2', {})}.",
        "",
    ]
    # Keep the sections other benchmarks write into this page (matching, field work).
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    for section in sections(old):
        lines += ["", section, ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--people", type=int, default=1_000_000, help="people in release 1 (default 1,000,000)")
    p.add_argument("--quick", action="store_true", help="a small run (20,000 people, 200 requests each)")
    p.add_argument("--region", default="32.04", help="kab/kota code holding the data (default 32.04)")
    p.add_argument("--period", default="2026-07")
    p.add_argument("--seed", type=int, default=20260701)
    p.add_argument("--duplicate-share", type=float, default=0.01)
    p.add_argument("--bad-share", type=float, default=0.001)
    p.add_argument("--changed-share", type=float, default=0.05)
    p.add_argument("--lookups", type=int, default=1000)
    p.add_argument("--searches", type=int, default=1000)
    p.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    p.add_argument("--force", action="store_true", help="allow a database whose name lacks 'bench'")
    p.add_argument("--keep", action="store_true", help="keep the database and the files")
    p.add_argument("--workdir", help="where the files go (default: a new temporary directory)")
    p.add_argument("--report", help="markdown report (default docs/benchmarks.md for full runs, none for --quick)")
    p.add_argument("--json", help="also write the figures as JSON here")
    p.add_argument("--skip-http", action="store_true")
    p.add_argument("--server-log", help="keep the web server's stdout/stderr here (errors only)")
    p.add_argument("--import-timeout", type=float, default=3 * 3600)
    p.add_argument("--import-workers", type=int, help="set SLRT_IMPORT_WORKERS for the importer (default: its own)")
    args = p.parse_args(argv)
    if args.quick:
        args.people = min(args.people, 20_000)
        args.lookups = min(args.lookups, 200)
        args.searches = min(args.searches, 200)
    if args.region.replace(".", "").isdigit() and len(args.region.replace(".", "")) != 4:
        p.error("--region must be a kab/kota code such as 32.04 (the Manajer account is scoped to it)")
    if args.report is None and not args.quick:
        args.report = str(ROOT / "docs" / "benchmarks.md")
    return args


def new_run(name: str, args, argv, **env) -> tuple[Run, str]:
    """A benchmark run: its workdir, the environment of its Django child processes (its own
    database and var dir, quiet logs, plus `env`), machine facts and date; and the command line
    to print in the report. Shared by every benchmark's `main`."""
    command = f"python -m bench {name}".rstrip() + " " + shlex.join(argv if argv is not None else sys.argv[1:])
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix=f"slrt-bench-{name}-".replace("--", "-")))
    workdir.mkdir(parents=True, exist_ok=True)
    run_env = dict(os.environ, DATABASE_URL=args.database_url, SLRT_VAR_DIR=str(workdir / "var"),
                   SLRT_LOG_LEVEL="WARNING", PYTHONUNBUFFERED="1", DJANGO_SETTINGS_MODULE="slrt.settings", **env)
    run = Run(args=args, workdir=workdir, env=run_env)
    run.info["machine"] = machine_info()
    run.info["date"] = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    return run, command


def execute(run: Run, benchmark, write_report) -> Exception | None:
    """Run one benchmark, always clean up its database and workdir, print the verdicts and,
    when it succeeded, write its report. Shared by every benchmark's `main`; returns the failure."""
    args, failed = run.args, None
    try:
        benchmark(run)
    except (BenchError, OSError) as exc:
        failed = exc
        print(f"\nBENCHMARK FAILED: {exc}", file=sys.stderr)
    finally:
        if not args.keep:
            try:
                drop_database(args.database_url)
            except Exception as exc:  # noqa: BLE001 - report, do not mask the run's own error
                print(f"could not drop {_db_name(args.database_url)}: {exc}", file=sys.stderr)
            if not args.workdir:
                shutil.rmtree(run.workdir, ignore_errors=True)
    step(run, "summary")
    for f in run.figures:
        if f.target:
            print(f"  {f.verdict:<4}  {f.name:<40} {f.shown():>12}   target {f.target}")
    if args.report and run.figures and not failed:
        write_report()
        print(f"\nwritten to {args.report}")
    return failed


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    workers = {} if args.import_workers is None else {"SLRT_IMPORT_WORKERS": str(args.import_workers)}
    run, command = new_run("", args, argv, **workers)
    m = run.info["machine"]
    print(f"SLRT registry benchmark: {args.people:,} people, workdir {run.workdir}")
    print(f"machine: {m['nproc']} CPU ({m['cpu']}), {m['memory']}, Python {m['python']}")
    failed = execute(run, registry_benchmark, lambda: write_markdown(run, Path(args.report), command))
    if args.json:
        Path(args.json).write_text(json.dumps({
            "figures": [f.__dict__ for f in run.figures], "info": run.info, "command": command,
        }, indent=2, default=str), encoding="utf-8")
    return 1 if failed else 0
