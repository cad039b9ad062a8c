"""Registry import: exchange files (CSV/XLSX) into households, people, programmes and history.

`reader` streams rows, `validate` checks one row, `batches` (with `worker`) runs the checks here
or in worker processes, `loader` stages rows and merges them set-based, `pipeline` ties them
together inside one transaction, `progress` lets other processes watch.
The job bookkeeping, permissions and audit live in `slrt.registry.services.imports`.
"""

from .reader import ImportFileError

__all__ = ["ImportFileError"]
