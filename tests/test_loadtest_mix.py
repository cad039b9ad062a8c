"""The load test's shape (issue 12, point 7): the mix of work its users make, and which figures
the runner holds to the read and the write target. The run itself is `make loadtest`.

Locust monkey-patches the standard library with gevent when imported, which must not happen inside
the test process: the locustfile is read in a child Python that prints what the tests check."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.loadtest import run

ROOT = Path(__file__).resolve().parent.parent
PROBE = """
import json
from bench.loadtest import locustfile as lf
classes = [lf.FrontOffice, lf.BackOffice, lf.Manajer, lf.Mitra, lf.Facilitator]
out = {"mix": lf.MIX, "target": lf.TARGET_MIX, "waits": [lf.THINK(None) for _i in range(200)], "classes": {}}
for cls in classes:
    tasks = {n: getattr(cls, n).locust_task_weight for n in dir(cls)
             if callable(getattr(cls, n, None)) and hasattr(getattr(cls, n), "locust_task_weight")}
    out["classes"][cls.__name__] = {"weight": cls.weight, "tasks": tasks}
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def shape():
    if importlib.util.find_spec("locust") is None:  # a dev requirement; found, not imported (gevent)
        if os.environ.get("CI") == "1":
            pytest.fail("locust is not installed")
        pytest.skip("locust is not installed")
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_users_make_the_issues_mix_of_searches_lists_intakes_referrals_and_odk(shape):
    # Every user waits the same think time, so a task's share is its class weight times its
    # share of the class's task weights.
    classes = shape["classes"]
    total_users = sum(c["weight"] for c in classes.values())
    assert total_users == 100
    share = dict.fromkeys(shape["target"], 0.0)
    for name, cls in classes.items():
        tasks = cls["tasks"]
        assert tasks, name
        for task_name, weight in tasks.items():
            share[shape["mix"][task_name]] += 100 * cls["weight"] / total_users * weight / sum(tasks.values())
    for kind, target in shape["target"].items():
        assert share[kind] == pytest.approx(target, abs=1), (kind, share)


def test_think_time_is_five_to_fifteen_seconds(shape):
    waits = shape["waits"]
    assert 5 <= min(waits) and max(waits) <= 15 and max(waits) - min(waits) > 5


@pytest.mark.parametrize(("name", "read"), [
    ("GET /api/v1/people?nik=", True),
    ("HEAD /submission", True),
    ("POST /registri/cari/ (web search)", True),  # a search sent by POST keeps the terms out of the URL
    ("POST /api/v1/cases (intake)", False),
    ("POST /submission (ODK)", False),
])
def test_reads_and_writes_are_told_apart_for_the_targets(name, read):
    assert run.is_read(name) is read


def test_a_failure_or_a_slow_p95_is_a_miss():
    ok = {"name": "GET /api/v1/people?nik=", "requests": 10, "failures": 0, "p50": 20, "p95": 149, "p99": 300}
    write = {"name": "POST /api/v1/cases (intake)", "requests": 10, "failures": 0, "p50": 50, "p95": 299, "p99": 900}
    result = {"server": "gunicorn", "total": {**ok, "failures": 0}, "endpoints": [ok, write]}
    assert run.verdicts(result) == []
    slow = {**ok, "p95": 150}
    assert run.verdicts({**result, "endpoints": [slow, write]}) == [
        "gunicorn: GET /api/v1/people?nik= p95 150 ms (target < 150 ms)"]
    assert run.verdicts({**result, "total": {**ok, "failures": 1}}) == ["gunicorn: 1 failed requests"]
