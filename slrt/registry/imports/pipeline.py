"""One import from file to registry: read and validate rows, stage them, merge them.

`load` must run inside `transaction.atomic()` (the service opens it), so that a failure or a
SIGKILL at any point leaves the registry as it was.
"""

import datetime as dt
from collections import Counter

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from slrt.registry import hooks
from slrt.registry.models import ImportRowError, Release
from slrt.wilayah.models import NATION_CODE, Level, Region

from .batches import validated_batches, worker_count
from .loader import Loader, scope_column
from .progress import ProgressFile
from .reader import ImportFileError, open_rows
from .validate import MSG


def sql_messages() -> dict[str, str]:
    return {
        "duplicate_nik": _("NIK ganda dalam berkas: sama dengan baris %(line)s (baris itu yang dipakai).")
        % {"line": "{line}"},
        "kk_conflict": _("Nomor KK ini di baris %(line)s tercatat di desa %(code)s; satu KK harus berada di "
                         "satu desa.") % {"line": "{line}", "code": "{code}"},
        # The plain scope refusal of a row (validate.MSG), word for word: saying "this NIK is
        # registered elsewhere" would tell a district which NIKs exist in other districts.
        "nik_out_of_scope": str(MSG["region_scope"]),
        "kk_out_of_scope": str(MSG["region_scope"]),
    }


_desa_cache: tuple[int, frozenset[str]] | None = None


def desa_codes() -> frozenset[str]:
    """Every desa/kelurahan code, loaded once per process (regions are only ever added)."""
    global _desa_cache
    desa = Region.objects.filter(level=Level.DESA)
    count = desa.count()
    if _desa_cache is None or _desa_cache[0] != count:
        _desa_cache = (count, frozenset(desa.values_list("code", flat=True)))
    return _desa_cache[1]


def load(job, progress: ProgressFile) -> dict:
    """Import `job.file_path`; returns the counts. Raises ImportFileError for an unusable file."""
    if not connection.in_atomic_block:
        raise RuntimeError("imports.pipeline.load must run inside transaction.atomic()")
    source = open_rows(job.file_path)
    try:
        spec = source.spec
        if not job.period and not spec.has("periode"):
            raise ImportFileError(
                _("Periode rilis tidak diketahui: berkas tidak punya kolom periode. Isi kolom periode (YYYY-MM) "
                  "atau pilih periode saat mengimpor (--period).")
            )
        scope = job.region_code if job.region_code not in ("", NATION_CODE) else ""
        loader = Loader(connection, spec, job.pk)
        loader.create_staging()
        bytes_total = source.bytes_total
        progress.write(phase="reading", rows_read=0, bytes_read=0, bytes_total=bytes_total, rejected=0)
        rows_read = rejected = 0
        periods: Counter = Counter()
        pending_errors: list[tuple] = []
        batches = validated_batches(source, spec=spec, desa_codes=desa_codes(), scope=scope,
                                    today=dt.date.today(), workers=worker_count(bytes_total))
        try:
            add = loader.add
            for batch in batches:
                for row in batch.rows:
                    add(row)
                rows_read += batch.rows_read
                rejected += batch.rejected
                periods.update(batch.periods)
                pending_errors += batch.errors
                if loader.wants_error_flush(len(pending_errors)):
                    loader.write_errors(pending_errors)
                    pending_errors.clear()
                progress.update(rows_read=rows_read, bytes_read=source.bytes_read(), rejected=rejected)
            loader.write_errors(pending_errors)
            loader.finish_staging()
        except BaseException:
            loader.abort()
            raise
        finally:
            batches.close()
        if rows_read == 0:
            raise ImportFileError(_("Berkas tidak berisi baris data, hanya baris judul kolom."))
        period = job.period or (periods.most_common(1)[0][0] if periods else "")
        if not period:
            raise ImportFileError(
                _("Periode rilis tidak diketahui: kolom periode kosong di semua baris. Isi kolom periode (YYYY-MM) "
                  "atau pilih periode saat mengimpor (--period).")
            )
        progress.write(phase="merging", rows_read=rows_read, bytes_read=bytes_total, rejected=rejected)
        release, _created = Release.objects.get_or_create(source=job.source, period=period)
        rejected_in_sql = loader.reject_in_sql(
            sql_messages(), scope_column=scope_column(scope) if scope else "", scope=scope,
        )
        loader.record_regions()  # which offices see this job (selectors.imports.jobs_for_user)
        # Apps above the registry act on the release (same transaction: all or nothing): first
        # while the staging table holds the accepted rows, before the merge drops it, then after
        # the merge. Updates settles the submitted proposals the release contains.
        after_merge = hooks.release_imported(hooks.ReleaseImport(job=job, release=release, region_code=scope))
        counts = loader.merge(release_id=release.pk, period=period, now=timezone.now(), actor_id=job.started_by_id)
        for step in after_merge:
            step()
        counts["rejected"] = rejected + rejected_in_sql
        counts["warnings"] = ImportRowError.objects.filter(job_id=job.pk, is_warning=True).count()
        counts["rows_read"] = rows_read
        counts["bytes_total"] = bytes_total
        counts["release"] = release
        return counts
    finally:
        source.close()
