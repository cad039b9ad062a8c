"""The exports' limits: a Django setting of the same name wins (tests), else the environment."""

import os

from django.conf import settings

DEFAULTS = {
    # Up to this many rows the web answers with the file at once; above it the export is a
    # background job with a progress bar and a link when ready.
    "SLRT_EXPORT_SYNC_MAX": 5000,
    # The API streams a CSV of up to this many rows in its answer (a million rows stream in about
    # twenty seconds); above it, and for an XLSX above SLRT_EXPORT_SYNC_MAX, it starts a job (202).
    "SLRT_EXPORT_API_CSV_MAX": 1_000_000,
    # No export, in the background either, holds more rows than this: narrow the filters.
    "SLRT_EXPORT_MAX_ROWS": 2_000_000,
    # Days a finished job's file is kept before the cleanup job deletes it.
    "SLRT_EXPORT_KEEP_DAYS": 7,
}


def limit(name: str) -> int:
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name) or DEFAULTS[name]
    return int(value)
