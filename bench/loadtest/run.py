"""`make loadtest` / `python -m bench.loadtest.run`: the load test against both servers, one run.

1. the benchmark district (bench/loadtest/data.py: 1,000,000 people, built once, cached);
2. the accounts (bench/loadtest/setup.py), static files collected (whitenoise, DEBUG off);
3. the production stack as `make serve` starts it, minus the demo data: gunicorn with
   deploy/gunicorn.conf.py (gthread, 2 × CPUs + 1 workers), one Celery worker and one Celery beat;
   Locust headless (bench/loadtest/locustfile.py) for LOADTEST_USERS users (100) ramping at
   LOADTEST_SPAWN_RATE per second (1), then LOADTEST_TIME (5m) of steady load; statistics are
   reset 15 s after the ramp ends (the locustfile), so sign-ins are not in the figures;
4. the same against Django's development server (`manage.py runserver --noreload`), same
   database, same accounts;
5. p50/p95/p99 per endpoint for both, failures, requests/s, the CPU seconds the server's
   processes and the database's backends used per request in the steady window, the RSS of each
   server process; targets checked (0 errors, p95 < 150 ms reads, < 300 ms writes); the section
   `loadtest` of docs/benchmarks.md rewritten when LOADTEST_REPORT=1 (`make loadtest` sets it
   for a full run only) and JSON in var/loadtest/result-<server>.json.

Every server started here is stopped at the end (its own process group), whatever happened.
Exit status: 0, or 1 when LOADTEST_STRICT=1 and a target was missed, 2 when the run failed.
The servers run with SLRT_2FA_ROLES= (no role needs a second factor; setup.py says why).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bench.loadtest import data
from bench.machine import machine_info, replace_section

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable
READ_P95_MS, WRITE_P95_MS = 150.0, 300.0
PORTS = {"gunicorn": 18601, "runserver": 18602}
CLK = os.sysconf("SC_CLK_TCK")
SETTLE_S = 15  # after the last user is spawned, before the figures start (the locustfile resets them)


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, "").strip() or default)


def seconds(text: str) -> int:
    text = text.strip()
    unit = {"s": 1, "m": 60, "h": 3600}.get(text[-1:], 1)
    return int(float(text.rstrip("smh")) * unit)


# --- processes ---------------------------------------------------------------------------------


def tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_bytes()
            except OSError:
                continue
            children.setdefault(int(stat[stat.rindex(b")") + 2:].split()[1]), []).append(int(entry))
    out, todo = [], [root]
    for _i in range(10_000):
        if not todo:
            break
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, ()))
    return out


def cpu_seconds(pids) -> float:
    """utime + stime (+ waited-for children) of the processes, from /proc."""
    total = 0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_bytes()
        except OSError:
            continue
        fields = stat[stat.rindex(b")") + 2:].split()
        total += sum(int(f) for f in fields[11:15])
    return total / CLK


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def proc_name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")[:300]
    except OSError:
        return "?"


def machine_cpu() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine: how busy it was, other helpers included."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


class BackendCpu:
    """CPU the database's backends used in a window: sampled every second; a backend already there
    counts from its CPU at the start, a new one from zero (its connection set-up is a real cost).
    One that ends between two samples loses at most its last second."""

    def __init__(self, url: str):
        self.url, self.first, self.last = url, {}, {}

    def sample(self, start: bool = False) -> None:
        import psycopg

        try:
            pids = db_backend_pids(self.url)
        except psycopg.OperationalError:  # no free connection slot: this second goes unsampled
            return
        for pid in pids:
            cpu = cpu_seconds([pid])
            self.first.setdefault(pid, cpu if start else 0.0)
            self.last[pid] = cpu

    def used(self) -> float:
        return sum(max(0.0, self.last[p] - self.first[p]) for p in self.last)


def db_backend_pids(url: str) -> list[int]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        return [r[0] for r in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")]


class Stack:
    """The server processes of one run, each in its own process group."""

    def __init__(self, kind: str, env: dict, logdir: Path):
        self.kind, self.env, self.logdir, self.procs = kind, env, logdir, []

    def spawn(self, name: str, cmd: list[str], **extra) -> subprocess.Popen:
        log = open(self.logdir / f"{self.kind}-{name}.log", "w", encoding="utf-8")  # noqa: SIM115
        proc = subprocess.Popen(cmd, cwd=ROOT, env=dict(self.env, **extra), stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append((name, proc, log))
        return proc

    def start(self, port: int) -> None:
        if self.kind == "gunicorn":
            # What `make serve` starts, without its demo data (this database holds the district).
            self.spawn("worker", [str(ROOT / ".venv/bin/celery"), "-A", "slrt", "worker", "--loglevel", "WARNING"])
            self.spawn("beat", [str(ROOT / ".venv/bin/celery"), "-A", "slrt", "beat", "--loglevel", "WARNING",
                                "--schedule", str(Path(self.env["SLRT_VAR_DIR"]) / "celerybeat-schedule")])
            self.web = self.spawn("web", [str(ROOT / ".venv/bin/gunicorn"), "-c", "deploy/gunicorn.conf.py"],
                                  SLRT_BIND=f"127.0.0.1:{port}")
        else:
            self.web = self.spawn("web", [PY, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"])
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            for name, proc, _log in self.procs:
                if proc.poll() is not None:
                    raise RuntimeError(f"{self.kind} {name} exited with {proc.returncode} "
                                       f"(log {self.logdir / f'{self.kind}-{name}.log'})")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:  # noqa: S310
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError(f"{self.kind} did not answer /healthz within 120 s")

    def pids(self, *names: str) -> list[int]:
        return [pid for n, proc, _l in self.procs if proc.poll() is None and (not names or n in names)
                for pid in tree(proc.pid)]

    def memory(self) -> list[dict]:
        return [{"pid": pid, "cmd": proc_name(pid), "rss_mb": round(rss_mb(pid), 1)} for pid in self.pids()]

    def stop(self) -> None:
        for _name, proc, _log in self.procs:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for _name, proc, log in self.procs:
            try:
                proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            log.close()


def port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


# --- one server ---------------------------------------------------------------------------------


def is_read(name: str) -> bool:
    return name.startswith(("GET ", "HEAD ")) or "search" in name


def load(kind: str, opts: dict, env: dict, workdir: Path) -> dict:
    port = PORTS[kind]
    if not port_free(port):
        raise RuntimeError(f"port {port} is taken")
    stack = Stack(kind, env, workdir)
    marker = workdir / f"{kind}.spawned"
    marker.unlink(missing_ok=True)
    prefix = workdir / f"locust-{kind}"
    run_time = opts["ramp_s"] + SETTLE_S + opts["time_s"]
    cmd = [str(ROOT / ".venv/bin/locust"), "-f", str(ROOT / "bench/loadtest/locustfile.py"), "--headless",
           "-u", str(opts["users"]), "-r", str(opts["spawn_rate"]), "-t", f"{run_time}s",
           "--host", f"http://127.0.0.1:{port}", "--csv", str(prefix), "--only-summary", "--stop-timeout", "20",
           "--loglevel", "WARNING"]
    result = {"server": kind, "port": port, "command": shlex.join(cmd[1:])}
    locust = None
    try:
        stack.start(port)
        result["uptime_before"] = Path("/proc/loadavg").read_text().split()[:3]
        lenv = dict(os.environ, LOADTEST_ACCOUNTS_FILE=str(workdir / "accounts.json"),
                    LOADTEST_PEOPLE_FILE=opts["people_file"], LOADTEST_SPAWNED_FILE=str(marker), PYTHONPATH=str(ROOT),
                    LOADTEST_SETTLE_S=str(SETTLE_S))
        print(f"\n== {kind}: {opts['users']} users, ramp {opts['ramp_s']} s, steady {opts['time_s']} s "
              f"(load average {' '.join(result['uptime_before'])})", flush=True)
        locust = subprocess.Popen(cmd, cwd=ROOT, env=lenv, stdout=open(workdir / f"locust-{kind}.log", "w"),  # noqa: SIM115
                                  stderr=subprocess.STDOUT, start_new_session=True)
        # The steady window starts when Locust says every user is spawned (the locustfile's marker).
        cpu0 = mach0 = None
        backends = BackendCpu(env["DATABASE_URL"])
        deadline = time.monotonic() + run_time + 120
        while locust.poll() is None and time.monotonic() < deadline:
            if cpu0 is None and marker.exists():
                backends.sample(start=True)
                cpu0 = (cpu_seconds(stack.pids("web")), cpu_seconds(stack.pids("worker", "beat")))
                mach0, t0 = machine_cpu(), time.monotonic()
            elif cpu0 is not None:
                backends.sample()
            time.sleep(1)
        if locust.poll() is None:
            os.killpg(locust.pid, signal.SIGKILL)
            raise RuntimeError("locust did not finish in time")
        if cpu0 is None:
            raise RuntimeError(f"locust ended before every user was spawned (log {workdir / f'locust-{kind}.log'})")
        cpu1 = (cpu_seconds(stack.pids("web")), cpu_seconds(stack.pids("worker", "beat")))
        mach1, t1 = machine_cpu(), time.monotonic()
        result["memory"] = stack.memory()
        result["uptime_after"] = Path("/proc/loadavg").read_text().split()[:3]
        rows = list(csv.DictReader(open(f"{prefix}_stats.csv", encoding="utf-8")))
        endpoints = []
        for row in rows:
            if row["Name"] == "Aggregated":
                result["total"] = _row(row)
                continue
            if int(row["Request Count"] or 0):  # rows from before the reset keep their name only
                endpoints.append(_row(row))
        result["endpoints"] = endpoints
        failures = list(csv.DictReader(open(f"{prefix}_failures.csv", encoding="utf-8")))
        result["failures"] = [{"name": f["Name"], "error": f["Error"][:300], "count": int(f["Occurrences"])}
                              for f in failures]
        n = result["total"]["requests"]
        window = t1 - t0
        result["steady_s"] = round(window, 1)
        web_cpu, jobs_cpu, db_cpu = cpu1[0] - cpu0[0], cpu1[1] - cpu0[1], backends.used()
        result["server_cpu_s"] = round(web_cpu, 1)
        result["jobs_cpu_s"] = round(jobs_cpu, 1)
        result["db_cpu_s"] = round(db_cpu, 1)
        result["db_backends"] = len(backends.last)
        result["server_cpu_ms_per_request"] = round(1000 * web_cpu / max(1, n), 2)
        result["db_cpu_ms_per_request"] = round(1000 * db_cpu / max(1, n), 2)
        result["machine_busy_pct"] = round(100 * (mach1[0] - mach0[0]) / max(1, mach1[1] - mach0[1]), 1)
        result["requests_per_s"] = round(n / max(1.0, window), 2)
    finally:
        if locust is not None and locust.poll() is None:
            os.killpg(locust.pid, signal.SIGTERM)
            locust.wait(timeout=30)
        stack.stop()
    return result


def _row(row: dict) -> dict:
    def num(key):
        value = row.get(key, "") or "0"
        return float(value) if value != "N/A" else 0.0

    name = row["Name"]
    return {"name": name, "requests": int(num("Request Count")), "failures": int(num("Failure Count")),
            "p50": num("50%"), "p95": num("95%"), "p99": num("99%"), "mean": round(num("Average Response Time"), 1),
            "rps": round(num("Requests/s"), 2)}


def verdicts(result: dict) -> list[str]:
    missed = []
    total = result["total"]
    if total["failures"]:
        missed.append(f"{result['server']}: {total['failures']} failed requests")
    for e in result["endpoints"]:
        limit = READ_P95_MS if is_read(e["name"]) else WRITE_P95_MS
        if e["p95"] >= limit:
            missed.append(f"{result['server']}: {e['name']} p95 {e['p95']:.0f} ms (target < {limit:.0f} ms)")
    return missed


# --- report -------------------------------------------------------------------------------------


def markdown(results: list[dict], info: dict) -> str:
    by = {r["server"]: r for r in results}
    names = []
    for r in results:
        for e in r["endpoints"]:
            if e["name"] not in names:
                names.append(e["name"])
    m = info["machine"]
    lines = [
        "<!-- loadtest:start -->",
        "## Load test: 100 staff sessions on the 1,000,000-person district (issue 12, point 7)",
        "",
        f"- Date: {info['date']}; commit `{info['commit']}`; machine: {m['nproc']} CPU ({m['cpu']}), {m['memory']}, "
        f"{m['os']}, Python {m['python']}, PostgreSQL {info['pg']}. Locust ran on the same machine.",
        f"- Command: `{info['command']}` (`LOADTEST_USERS`, `LOADTEST_TIME`, "
        "`LOADTEST_SPAWN_RATE` override, `LOADTEST_STRICT=1` fails on a miss).",
        f"- Data: {info['build']['rows']:,} people in 32.04 (`generate_registry` seed {data.SEED}, imported with "
        f"`import_registry` in {info['build']['import_s']:.0f} s), database {info['build']['db_size_mb']:,} MB "
        "after the import.",
        f"- Load: {info['users']} users ramped at {info['spawn_rate']}/s, then {info['time_s']} s steady; think "
        "time 5–15 s; mix of bench/loadtest/locustfile.py (about 40% searches and NIK lookups, 20% lists, case "
        "pages and home pages, 15% intakes, 15% referral transitions and Mitra answers, 10% ODK submissions). "
        "Statistics reset 15 s after the ramp ended (sign-ins and form downloads are not in the figures). "
        "The servers ran with `SLRT_2FA_ROLES=` (password sign-in only).",
        "- Servers: **gunicorn** = the `make serve` stack (deploy/gunicorn.conf.py: "
        f"{info['gunicorn_workers']} gthread workers × 4 threads, one Celery worker and beat); **runserver** = "
        "`manage.py runserver --noreload` (one process, a thread per request). Same database, DEBUG off both.",
        f"- Targets: 0 errors; p95 < {READ_P95_MS:.0f} ms for reads (GET, HEAD, searches), "
        f"< {WRITE_P95_MS:.0f} ms for writes.",
        "",
        "| | " + " | ".join(f"{s}" for s in by) + " |",
        "|---|" + "---|" * len(by),
    ]
    for label, key in (("requests (steady window)", lambda r: f"{r['total']['requests']:,}"),
                       ("failed requests", lambda r: f"{r['total']['failures']:,}"),
                       ("requests/s", lambda r: f"{r['requests_per_s']:.1f}"),
                       ("all requests p50 / p95 / p99 ms", lambda r: "{p50:.0f} / {p95:.0f} / {p99:.0f}".format(
                           **r["total"])),
                       ("web server CPU ms per request", lambda r: f"{r['server_cpu_ms_per_request']:.1f}"),
                       ("Celery worker + beat CPU s in the window", lambda r: f"{r['jobs_cpu_s']:.1f}"),
                       ("PostgreSQL CPU ms per request", lambda r: f"{r['db_cpu_ms_per_request']:.1f} "
                                                                   f"({r['db_backends']} backends)"),
                       ("machine CPU busy (all processes)", lambda r: f"{r['machine_busy_pct']:.0f}%"),
                       ("web process RSS, MB", lambda r: web_rss(r)),
                       ("load average before → after", lambda r: " ".join(r["uptime_before"]) + " → "
                        + " ".join(r["uptime_after"])),
                       ("targets", lambda r: "PASS" if not verdicts(r) else f"MISS ({len(verdicts(r))})")):
        lines.append(f"| {label} | " + " | ".join(key(by[s]) for s in by) + " |")
    lines += ["", "p50 / p95 / p99 in ms (requests) per endpoint; **bold** p95 misses its target:", "",
              "| endpoint | kind | " + " | ".join(by) + " |", "|---|---|" + "---|" * len(by)]
    for name in names:
        cells = []
        for s in by:
            e = next((x for x in by[s]["endpoints"] if x["name"] == name), None)
            if e is None:
                cells.append("–")
                continue
            limit = READ_P95_MS if is_read(name) else WRITE_P95_MS
            p95 = f"**{e['p95']:.0f}**" if e["p95"] >= limit else f"{e['p95']:.0f}"
            fail = f", {e['failures']} failed" if e["failures"] else ""
            cells.append(f"{e['p50']:.0f} / {p95} / {e['p99']:.0f} ({e['requests']:,}{fail})")
        lines.append(f"| `{name}` | {'read' if is_read(name) else 'write'} | " + " | ".join(cells) + " |")
    missed = [v for r in results for v in verdicts(r)]
    fails = [f"{r['server']}: {f['count']} × {f['name']}: {f['error'][:160]}" for r in results for f in r["failures"]]
    if missed or fails:
        lines += ["", "Misses and failures:", ""] + [f"- {x}" for x in missed + fails]
    lines += ["", "CPU per request is the CPU time the server's processes (and, separately, the database backends "
              "they held open) used in the steady window divided by the requests answered in it; "
              "docs/deployment.md sizes servers from it.", "<!-- loadtest:end -->"]
    return "\n".join(lines)


def web_rss(r: dict) -> str:
    mem = [m["rss_mb"] for m in r["memory"] if ("gunicorn" in m["cmd"] or "runserver" in m["cmd"])
           and "celery" not in m["cmd"]]
    if not mem:
        return "?"
    if len(mem) == 1:
        return f"{mem[0]:.0f}"
    return f"{len(mem)} processes, {min(mem):.0f}–{max(mem):.0f} each, {sum(mem):.0f} total"


def main() -> int:
    url = os.environ.get("DATABASE_URL") or data.DEFAULT_DATABASE_URL
    opts = {"users": env_int("LOADTEST_USERS", 100), "spawn_rate": float(os.environ.get("LOADTEST_SPAWN_RATE") or 1),
            "time_s": seconds(os.environ.get("LOADTEST_TIME") or "5m")}
    opts["ramp_s"] = int(opts["users"] / opts["spawn_rate"]) + 5
    servers = [s.strip() for s in (os.environ.get("LOADTEST_SERVERS") or "gunicorn,runserver").split(",") if s.strip()]
    workdir = ROOT / "var" / "loadtest"
    workdir.mkdir(parents=True, exist_ok=True)
    people = env_int("LOADTEST_PEOPLE", 1_000_000)
    build = data.build(url, people, workdir)
    opts["people_file"] = str(workdir / f"people-{people}.json")
    env = dict(os.environ, DATABASE_URL=url, SLRT_VAR_DIR=str(workdir / "var"), SLRT_2FA_ROLES="",
               SLRT_DEBUG="0", SLRT_LOG_LEVEL="WARNING", SLRT_WEB_LOG_LEVEL="warning", PYTHONUNBUFFERED="1",
               SLRT_SECRET_KEY=os.environ.get("SLRT_SECRET_KEY") or "loadtest-" + "k" * 50,
               SLRT_ALLOWED_HOSTS="127.0.0.1,localhost", DJANGO_SETTINGS_MODULE="slrt.settings")
    env.pop("SLRT_TASK_ALWAYS_EAGER", None)
    subprocess.run([PY, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([PY, "-m", "bench.loadtest.setup", "--out", str(workdir / "accounts.json")], cwd=ROOT, env=env,
                   check=True)
    import psycopg

    with psycopg.connect(url) as conn:
        pg = conn.execute("SHOW server_version").fetchone()[0]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                            check=False).stdout.strip()
    info = {"machine": machine_info(), "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "commit": commit, "pg": pg, "build": build, "command": "make loadtest", **opts,
            "gunicorn_workers": env.get("SLRT_WEB_WORKERS") or 2 * len(os.sched_getaffinity(0)) + 1}
    results = []
    try:
        reuse = {s.strip() for s in (os.environ.get("LOADTEST_REUSE") or "").split(",") if s.strip()}
        for kind in servers:
            if kind in reuse:  # a server's figures from an earlier run of the same settings, kept as they were
                result = json.loads((workdir / f"result-{kind}.json").read_text(encoding="utf-8"))
                results.append(result)
                continue
            # The development server opens a connection per request thread; kept open (CONN_MAX_AGE)
            # they pile up until PostgreSQL refuses clients. runserver's own default is 0.
            result = load(kind, opts, dict(env, SLRT_CONN_MAX_AGE="0") if kind == "runserver" else env, workdir)
            (workdir / f"result-{kind}.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
            results.append(result)
            summary(result)
    except (RuntimeError, OSError, subprocess.CalledProcessError) as exc:
        print(f"\nLOAD TEST FAILED: {exc}", file=sys.stderr)
        return 2
    text = markdown(results, info)
    (workdir / "report.md").write_text(text + "\n", encoding="utf-8")
    if os.environ.get("LOADTEST_REPORT") == "1":
        replace_section(ROOT / "docs" / "benchmarks.md", text)
        print("\nwritten to docs/benchmarks.md (section loadtest)")
    print(f"\nreport: {workdir / 'report.md'}")
    missed = [v for r in results for v in verdicts(r)]
    for line in missed:
        print(f"  MISS  {line}")
    if not missed:
        print("  PASS  0 errors; every read p95 < 150 ms, every write p95 < 300 ms")
    return 1 if missed and os.environ.get("LOADTEST_STRICT") == "1" else 0


def summary(r: dict) -> None:
    print(f"  {r['server']}: {r['total']['requests']:,} requests, {r['total']['failures']} failed, "
          f"{r['requests_per_s']:.1f} req/s, server CPU {r['server_cpu_ms_per_request']:.1f} ms/request, "
          f"load {' '.join(r['uptime_before'])} → {' '.join(r['uptime_after'])}")
    print(f"  {'endpoint':<58} {'n':>6} {'fail':>5} {'p50':>6} {'p95':>6} {'p99':>6}")
    for e in r["endpoints"] + [r["total"]]:
        print(f"  {e['name'][:58]:<58} {e['requests']:>6} {e['failures']:>5} {e['p50']:>6.0f} {e['p95']:>6.0f} "
              f"{e['p99']:>6.0f}")


if __name__ == "__main__":
    sys.exit(main())
