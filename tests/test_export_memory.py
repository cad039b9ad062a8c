"""A large export runs in constant memory: `manage.py export_list` in a child process (its own
SQLite database of 150,000 outbox rows) reads its own peak resident memory (VmHWM) as it exits,
as tests/test_import_limits.py does. A bound, not a timing: under 200 MB (issue 13), and within
30 MB of the same export with no rows, which a process holding the rows could not keep.
"""

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings as django_settings


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def xlsx_rows(data: bytes) -> list[tuple]:
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    return [tuple("" if v is None else v for v in row) for row in wb.active.iter_rows(values_only=True)]


BASE_DIR = Path(django_settings.BASE_DIR)
PEAK_WRAPPER = """
import atexit, runpy, sys
peak_file = sys.argv.pop(1)
def _peak():
    with open("/proc/self/status") as status, open(peak_file, "w") as out:
        out.write(next(line.split()[1] for line in status if line.startswith("VmHWM:")))
atexit.register(_peak)
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""
FILL = """
import django, sys; django.setup()
from django.utils import timezone
from slrt.accounts.services import create_user
from slrt.notifications.models import Notification
from slrt.wilayah.services import load_regions
load_regions(prefixes=("32",))
create_user(username="admin-ekspor", role="admin", region_code="32.01", password="Sandi-Uji-12345",
            check_password=False)
now, batch = timezone.now(), []
for i in range(int(sys.argv[1])):
    n = Notification(event="referral.overdue", channel="sms", recipient=f"0812{i:08d}", body="x",
                     subject=f"=HYPERLINK(\\"x\\") pesan {i}", status="gagal", next_attempt_at=now,
                     last_error="HTTP 500 dari gateway")
    n.set_region("32.01.02.2001")
    batch.append(n)
    if len(batch) == 5000:
        Notification.objects.bulk_create(batch); batch = []
Notification.objects.bulk_create(batch)
"""


def _child_env(tmp_path) -> dict:
    return dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path / 'child.sqlite3'}",
                DJANGO_SETTINGS_MODULE="slrt.settings", SLRT_VAR_DIR=str(tmp_path / "var"))


def _peak_export(env, tmp_path, fmt, *filters) -> tuple[int, float]:
    out, peak = tmp_path / f"out.{fmt}", tmp_path / f"{fmt}.peak"
    extra = [arg for f in filters for arg in ("--filter", f)]
    proc = subprocess.run([sys.executable, "-c", PEAK_WRAPPER, str(peak), str(BASE_DIR / "manage.py"),
                           "export_list", "notifications", "--user", "admin-ekspor", "--format", fmt,
                           "--out", str(out), *extra], env=env, cwd=BASE_DIR, capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    rows = int(proc.stdout.split("rows=")[1].split()[0])
    return rows, int(peak.read_text()) / 1024


ROWS = 150_000
# Held in memory, 150,000 rows of eight values would take well over 60 MB of Python objects; a
# streamed export holds one chunk of 2,000 rows and a 64 KB buffer.
GROWTH_MB = 30


@pytest.mark.slow
def test_a_large_export_streams_in_constant_memory_in_a_child_process(tmp_path):
    env = _child_env(tmp_path)
    migrated = subprocess.run([sys.executable, "manage.py", "migrate", "--skip-checks", "-v0"], env=env,
                              cwd=BASE_DIR, capture_output=True, text=True, check=False)
    assert migrated.returncode == 0, migrated.stderr
    filled = subprocess.run([sys.executable, "-c", FILL, str(ROWS)], env=env, cwd=BASE_DIR,
                            capture_output=True, text=True, check=False)
    assert filled.returncode == 0, filled.stderr
    for fmt in ("csv", "xlsx"):
        empty, baseline = _peak_export(env, tmp_path, fmt, "status=terkirim")  # the same process, no rows
        rows, peak = _peak_export(env, tmp_path, fmt)
        assert (empty, rows) == (0, ROWS)
        assert peak < 200, f"{fmt}: peak {peak:.0f} MB"
        assert peak - baseline < GROWTH_MB, f"{fmt}: {baseline:.0f} MB without rows, {peak:.0f} MB with {rows:,}"
    rows = csv_rows((tmp_path / "out.csv").read_bytes())
    assert len(rows) == ROWS + 1 and rows[1][1].startswith("'=HYPERLINK")
    assert xlsx_rows((tmp_path / "out.xlsx").read_bytes())[-1][1].startswith("'=HYPERLINK")
