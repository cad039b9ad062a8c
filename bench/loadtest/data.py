"""The load test's benchmark district: 1,000,000 people in one kab/kota, built once.

`python -m bench.loadtest.data` creates the PostgreSQL database (default `slrt_loadtest`),
migrates it, loads the regions, generates a registry release with `generate_registry` (the
generator `make bench` uses, same seed and region) and imports it with the real importer.
A finished build is marked with a comment on the database (`slrt-loadtest people=N seed=S`),
so reruns only migrate and skip the import; `--rebuild` drops and builds it again.
A sample of NIKs and names from the file (what staff type from a paper form) is kept in
var/loadtest/people-<N>.json for the Locust users.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench.registry import _admin_url, _db_name, key_lines, sample_people

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/slrt_loadtest"
REGION = "32.04"
PERIOD = "2026-07"
SEED = 20260701
SAMPLE = 2000


def marker(people: int) -> str:
    return f"slrt-loadtest people={people} seed={SEED} region={REGION}"


def _connect(url: str):
    import psycopg

    return psycopg.connect(url, autocommit=True)


def database_comment(url: str) -> str | None:
    with _connect(_admin_url(url)) as conn:
        row = conn.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [_db_name(url)]
        ).fetchone()
    return None if row is None else (row[0] or "")


def manage(env: dict, *args: str, log: Path | None = None) -> float:
    started = time.perf_counter()
    out = open(log, "w", encoding="utf-8") if log else None  # noqa: SIM115 - closed below
    try:
        proc = subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], cwd=ROOT, env=env,
                              stdout=out, stderr=subprocess.STDOUT if out else None, timeout=3 * 3600, check=False)
    finally:
        if out:
            out.close()
    if proc.returncode:
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:] if log else ""
        raise SystemExit(f"manage.py {args[0]} failed (exit {proc.returncode})\n{tail}")
    return time.perf_counter() - started


def build(url: str, people: int, workdir: Path, rebuild: bool = False) -> dict:
    """Make sure the database holds the district; return facts about the build (or the cache)."""
    from psycopg import sql

    name = _db_name(url)
    if "loadtest" not in name:
        raise SystemExit(f"refusing to build into {name!r}: the name must contain 'loadtest'")
    env = dict(os.environ, DATABASE_URL=url, SLRT_VAR_DIR=str(workdir / "var"), SLRT_LOG_LEVEL="WARNING",
               SLRT_SECRET_KEY=os.environ.get("SLRT_SECRET_KEY", "loadtest-build"), PYTHONUNBUFFERED="1")
    sample_path = workdir / f"people-{people}.json"
    comment = database_comment(url)
    if comment == marker(people) and sample_path.exists() and not rebuild:
        print(f"loadtest data: {name} already holds {people:,} people (cached); migrating only", flush=True)
        manage(env, "migrate", "--noinput", "-v0")
        return json.loads(sample_path.read_text(encoding="utf-8"))["build"]

    print(f"loadtest data: building {name} with {people:,} people in {REGION}", flush=True)
    with _connect(_admin_url(url)) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    workdir.mkdir(parents=True, exist_ok=True)
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "load_regions", "-v0")
    release, key = workdir / "release-1.csv", workdir / "release-1.key.csv"
    households = max(1, round(people / 4.02))  # the generator's mean household size, as bench/registry.py
    gen_s = manage(env, "generate_registry", "--out", str(release), "--key", str(key), "--seed", str(SEED),
                   "--households", str(households), "--region", REGION, "--period", PERIOD, "-v0")
    print(f"  generated in {gen_s:.0f} s", flush=True)
    imp_s = manage(env, "import_registry", str(release), "--period", PERIOD, "--no-progress",
                   log=workdir / "import.log")
    rows = sum(1 for _line in open(release, encoding="utf-8")) - 1
    print(f"  imported {rows:,} rows in {imp_s:.0f} s", flush=True)
    rng = random.Random(SEED)
    picked = sample_people(release, key_lines(key), SAMPLE, rng)
    with _connect(url) as conn:
        size_mb = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0] / 1024 / 1024
        conn.execute("VACUUM ANALYZE")
    facts = {"rows": rows, "import_s": round(imp_s, 1), "generate_s": round(gen_s, 1), "db_size_mb": round(size_mb),
             "built": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    sample = {"build": facts, "region": REGION,
              "people": [{"nik": p["nik"], "nama": p["nama"]} for p in picked]}
    sample_path.write_text(json.dumps(sample), encoding="utf-8")
    with _connect(_admin_url(url)) as conn:
        conn.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(name), sql.Literal(marker(people))))
    release.unlink(missing_ok=True)  # 200 MB; the database and the sample are what reruns need
    shutil.rmtree(workdir / "var", ignore_errors=True)
    return facts


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.loadtest.data", description=__doc__.split("\n\n")[0])
    p.add_argument("--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL))
    p.add_argument("--people", type=int, default=int(os.environ.get("LOADTEST_PEOPLE", 1_000_000)))
    p.add_argument("--workdir", default=str(ROOT / "var" / "loadtest"))
    p.add_argument("--rebuild", action="store_true")
    args = p.parse_args(argv)
    print(json.dumps(build(args.database_url, args.people, Path(args.workdir), args.rebuild)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
