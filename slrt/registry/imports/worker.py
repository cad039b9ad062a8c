"""The worker-process side of parallel validation (see `batches`).

A spawned worker unpickles what it is sent before Django is set up, so this module imports
nothing from Django or the models at module level.
"""

import os
import pickle
from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Batch:
    rows: list[tuple]  # staging tuples of accepted rows
    errors: list[tuple]  # (line, column, value, reason, is_warning)
    rows_read: int
    rejected: int
    periods: Counter = field(default_factory=Counter)


def validate_batch(validator, raw: list) -> Batch:
    rejected0 = validator.rejected
    rows = []
    for line, cells in raw:
        row = validator(line, cells)
        if row is not None:
            rows.append(row)
    batch = Batch(rows, list(validator.errors), len(raw), validator.rejected - rejected0, validator.periods)
    validator.errors.clear()
    validator.periods = Counter()
    return batch


_validator = None


def init_worker(settings_module: str, language: str, spec, desa_codes_path: str, scope: str, today) -> None:
    global _validator
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module)
    import django

    django.setup()
    from django.utils import translation

    from .validate import RowValidator

    translation.activate(language)
    with open(desa_codes_path, "rb") as f:
        desa_codes = pickle.load(f)  # noqa: S301 - written by the parent process a moment ago
    _validator = RowValidator(spec, desa_codes=desa_codes, scope=scope, today=today)


def work(raw: list) -> Batch:
    return validate_batch(_validator, raw)
