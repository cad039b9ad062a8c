"""The test run's side of the log leak scan (scripts/scan_test_logs.py; README "Nothing personal in logs").

Every pytest process (each xdist worker, or the single process) appends everything its loggers
write, the live servers' access lines included, to `var/test-logs/<worker>.log`, and at its end
writes the NIKs, KK numbers, names and phone numbers its tests had in the database to
`<worker>.values.json`. `.ci/run` then runs the scanner over both: the values come from the real
test data, whoever created it (fixtures, the demo seed, generated registry files, raw-SQL imports).
"""

import json
import os
from pathlib import Path

LOG_DIR = Path(__file__).resolve().parent.parent / "var" / "test-logs"

_values: dict[str, set[str]] = {"nik": set(), "name": set(), "phone": set()}


def worker_name(config) -> str:
    workerinput = getattr(config, "workerinput", None)
    return workerinput["workerid"] if workerinput else "main"


def configure(config) -> None:
    """The controller of a run clears the last run's files; each process then logs through the
    file handler settings.LOGGING makes from SLRT_LOG_FILE (pyproject, `{worker}` per process),
    set before Django configures logging, so that no later logging setup drops it; manage.py
    processes the tests start inherit it and append to the same file."""
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    if getattr(config, "workerinput", None) is None:
        for old in [*LOG_DIR.glob("*.log"), *LOG_DIR.glob("*.values.json")]:
            old.unlink(missing_ok=True)
    os.environ.setdefault("PYTEST_XDIST_WORKER", worker_name(config))
    # The live servers of browser tests use Django's QuietWSGIRequestHandler, which drops access
    # lines; give them runserver's access log so that their query strings are scanned too.
    from django.core.servers.basehttp import WSGIRequestHandler
    from django.test import testcases

    testcases.QuietWSGIRequestHandler.log_message = WSGIRequestHandler.log_message


def collect(item) -> None:
    """After a test's body, while its data is still there: remember the personal values it held."""
    if item.get_closest_marker("django_db") is None and not {"db", "transactional_db", "live_server"} & set(
        getattr(item, "fixturenames", ())
    ):
        return
    from django.db import transaction

    from slrt.cases.models import Case
    from slrt.registry.models import Household, Person

    try:
        with transaction.atomic():  # a savepoint: a failed read never breaks the test's transaction
            for nik, nama, ibu in Person.objects.system().values_list("nik", "nama", "nama_ibu_kandung").iterator():
                _values["nik"].add(nik)
                _values["name"].update(v for v in (nama, ibu) if v)
            _values["nik"].update(Household.objects.system().values_list("nomor_kk", flat=True).iterator())
            applicants = Case.objects.system().values_list("applicant_nik", "applicant_name", "applicant_phone")
            for nik, name, phone in applicants:
                _values["nik"].update([nik] if nik else [])
                _values["name"].update([name] if name else [])
                _values["phone"].update([phone] if phone else [])
    except Exception:  # noqa: BLE001, S110 - no database in this test (or it was closed): nothing to collect
        pass


def finish(config) -> None:
    if not any(_values.values()):
        return
    path = LOG_DIR / f"{worker_name(config)}.values.json"
    path.write_text(json.dumps({k: sorted(v) for k, v in _values.items()}), encoding="utf-8")
