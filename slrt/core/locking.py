"""Optimistic locking: two people editing one record; the first save wins, the second is told.

A versioned model carries `version`; a form or API call sends back the version it read. The
write is one conditional UPDATE (`WHERE pk = … AND version = …`), so the check and the write
cannot be split by a concurrent request on any database.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ConflictError(Exception):
    """The record changed since the caller read it; nothing was written."""

    code = "conflict"

    def __init__(self, obj=None, message=None):
        self.obj = obj
        self.message = message or _(
            "Data ini baru saja diubah oleh pengguna lain. Perubahan Anda belum disimpan; "
            "muat ulang untuk melihat versi terbaru, lalu kirim lagi."
        )
        super().__init__(str(self.message))


class Versioned(models.Model):
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        abstract = True


def save_versioned(obj: Versioned, expected_version: int | None, fields: list[str]) -> None:
    """Write `fields` of `obj` only if the stored version is still `expected_version`.

    On success `obj.version` is bumped; on a stale version `ConflictError` is raised and the
    database is untouched. `expected_version=None` means the caller holds a fresh row lock.
    """
    expected = obj.version if expected_version is None else int(expected_version)
    values = {f: getattr(obj, f) for f in fields}
    for f in obj._meta.concrete_fields:
        if getattr(f, "auto_now", False):
            values[f.attname] = f.pre_save(obj, add=False)
    manager = type(obj)._base_manager
    updated = manager.filter(pk=obj.pk, version=expected).update(version=expected + 1, **values)
    if updated != 1:
        raise ConflictError(obj)
    obj.version = expected + 1
