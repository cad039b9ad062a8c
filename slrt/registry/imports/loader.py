"""Staging table and set-based merge of one import, on PostgreSQL and SQLite.

Everything here runs inside the caller's transaction: a killed import leaves the registry as
it was, and running it again starts from scratch.

1. Validated rows stream into a temporary staging table: `COPY` on PostgreSQL, batched
   `executemany` on SQLite. Python keeps no per-row state for the whole file.
2. Set-based checks that need the whole file run in SQL: duplicate NIKs (first line wins),
   one KK number in two villages, records outside the importer's region.
3. Households, then people, then programme participation are upserted with
   `INSERT ... SELECT ... ON CONFLICT` / `NOT EXISTS` and `UPDATE ... FROM`, which both
   engines understand. A row whose hash equals the stored `row_hash` is not touched at all; for
   the others the changed fields are diffed in SQL into the history (`RegistryChange`).

The dialects differ only in JSON functions and the staging write path (`Dialect`).
"""

from slrt.registry.models import (
    Household,
    HouseholdAppearance,
    ImportJobRegion,
    ImportRowError,
    Person,
    ProgramParticipation,
    RegistryChange,
)

from .columns import HOUSEHOLD_FIELDS, PERSON_FIELDS, FileSpec
from .validate import STAGE_COLUMNS

STAGE = "slrt_imp_stage"
REJECT = "slrt_imp_reject"
HH = "slrt_imp_hh"
HHCHG = "slrt_imp_hhchg"
TOUCH = "slrt_imp_touch"
CHG = "slrt_imp_chg"
IDS = "slrt_imp_ids"
TEMP_TABLES = (STAGE, REJECT, HH, HHCHG, TOUCH, CHG, IDS)
# From this many rows on, tables that are still empty (the first import) are filled without
# their secondary indexes, which are then built in one pass: much faster than maintaining a
# dozen indexes (and a trigram index) row by row.
BULK_MIN_ROWS = 20_000

# Serialises imports on PostgreSQL (SQLite has one writer anyway): two imports upserting the
# same households at once would fight over unique keys.
ADVISORY_LOCK_KEY = 0x534C5254  # "SLRT"


class Dialect:
    vendor = ""
    types = {"integer": "integer", "text": "text", "date": "date", "smallint": "smallint", "json": "text",
             "bool": "boolean"}
    json_empty = "'{}'"

    def temp_table(self, name: str, columns_sql: str) -> str:
        return f"CREATE TEMP TABLE {name} ({columns_sql})"

    def temp_table_as(self, name: str, select_sql: str) -> str:
        return f"CREATE TEMP TABLE {name} AS {select_sql}"

    def json_diff(self, items: list[tuple[str, str, str, str]]) -> str:
        """A JSON object {key: [old, new]} holding only the items whose condition is true."""
        raise NotImplementedError

    def json_cast(self, expr: str) -> str:
        return expr

    def json_value(self, expr: str) -> str:
        return expr

    def json_bool(self, expr: str) -> str:
        return expr

    def json_differs(self, old: str, new_text: str) -> str:
        raise NotImplementedError


class PostgresDialect(Dialect):
    vendor = "postgresql"
    json_empty = "'{}'::jsonb"

    def json_diff(self, items):
        chunks = []
        for start in range(0, len(items), 20):  # PostgreSQL functions take at most 100 arguments
            args = ", ".join(
                f"'{key}', CASE WHEN {cond} THEN jsonb_build_array({old}, {new}) END"
                for key, cond, old, new in items[start:start + 20]
            )
            chunks.append(f"jsonb_build_object({args})")
        return f"jsonb_strip_nulls({' || '.join(chunks) or 'jsonb_build_object()'})"

    def json_cast(self, expr):
        return f"CAST({expr} AS jsonb)"

    def json_differs(self, old, new_text):
        return f"{old} <> CAST({new_text} AS jsonb)"


class SqliteDialect(Dialect):
    vendor = "sqlite"
    types = {"integer": "INTEGER", "text": "TEXT", "date": "TEXT", "smallint": "INTEGER", "json": "TEXT",
             "bool": "INTEGER"}

    def json_diff(self, items):
        # json_patch (RFC 7396) drops members whose value is null: only the changes remain.
        expr = "'{}'"
        for start in range(0, len(items), 20):  # SQLite functions take at most 127 arguments
            args = ", ".join(
                f"'{key}', CASE WHEN {cond} THEN json_array({old}, {new}) END"
                for key, cond, old, new in items[start:start + 20]
            )
            expr = f"json_patch({expr}, json_object({args}))"
        return expr

    def json_value(self, expr):
        return f"json({expr})"

    def json_bool(self, expr):
        return f"CASE {expr} WHEN 1 THEN json('true') WHEN 0 THEN json('false') END"

    def json_differs(self, old, new_text):
        return f"json({old}) <> json({new_text})"


def dialect_for(connection) -> Dialect:
    if connection.vendor == "postgresql":
        return PostgresDialect()
    if connection.vendor == "sqlite":
        return SqliteDialect()
    raise NotImplementedError(f"import_registry does not support {connection.vendor}")


def _table(model) -> str:
    return model._meta.db_table


class Loader:
    """Stages the rows of one file and merges them into the registry tables."""

    pg_chunk_rows = 50_000
    sqlite_batch_rows = 5_000
    error_flush_rows = 5_000

    def __init__(self, connection, spec: FileSpec, job_id: int):
        self.connection = connection
        self.d = dialect_for(connection)
        self.spec = spec
        self.job_id = job_id
        self.n_programs = len(spec.programs)
        self.columns = [c for c, _t in STAGE_COLUMNS] + [f"p{i}" for i in range(self.n_programs)]
        self.cursor = connection.cursor()
        self.empty: set = set()  # registry tables that were empty when a bulk merge began
        self._copy_cm = None
        self._copy = None
        self._in_chunk = 0
        self._batch: list[tuple] = []
        self.staged = 0

    # -- helpers ------------------------------------------------------------------------------

    def q(self, name: str) -> str:
        return self.connection.ops.quote_name(name)

    def execute(self, sql: str, params=()) -> int:
        self.cursor.execute(sql, params)
        return self.cursor.rowcount

    def scalar(self, sql: str, params=()):
        self.cursor.execute(sql, params)
        return self.cursor.fetchone()[0]

    def drop_temp_tables(self) -> None:
        for name in TEMP_TABLES:
            self.execute(f"DROP TABLE IF EXISTS {name}")

    def insert_select(self, model, provided: dict, select_tail: str, params=(), suffix: str = "") -> int:
        """INSERT INTO model (every column) SELECT ... ; columns not in `provided` get the model's
        default, so a field added to the model later does not break the importer."""
        cols, exprs, values = [], [], []
        for f in model._meta.concrete_fields:
            if f.primary_key and f.column not in provided:
                continue
            cols.append(self.q(f.column))
            if f.column in provided:
                expr = provided[f.column]
                if isinstance(expr, tuple):
                    expr, *expr_params = expr
                    values.extend(expr_params)
                exprs.append(expr)
            elif f.has_default() or not f.null:
                default = f.get_default()  # "" for a text field without a default
                if default is None and not f.null:
                    raise RuntimeError(f"{model.__name__}.{f.name} needs a value in the importer")
                exprs.append("%s")
                values.append(f.get_db_prep_save(default, self.connection))
            else:
                exprs.append("NULL")
        sql = (
            f"INSERT INTO {_table(model)} ({', '.join(cols)}) SELECT {', '.join(exprs)} {select_tail} {suffix}"
        )
        return self.execute(sql, [*values, *params])

    # -- staging ------------------------------------------------------------------------------

    def create_staging(self) -> None:
        self.drop_temp_tables()
        if self.d.vendor == "postgresql":
            self.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])
            # Sorting and hashing a million staged rows in memory instead of on disk.
            self.execute("SET LOCAL work_mem = '64MB'")
        defs = []
        for name, typ in STAGE_COLUMNS:
            sql_type = self.d.types[typ]
            if name == "line" and self.d.vendor == "sqlite":
                sql_type = "INTEGER PRIMARY KEY"  # the rowid: joins on line cost nothing
            defs.append(f"{name} {sql_type}")
        defs += [f"p{i} {self.d.types['bool']}" for i in range(self.n_programs)]
        self.execute(self.d.temp_table(STAGE, ", ".join(defs)))

    def add(self, row: tuple) -> None:
        self.staged += 1
        if self.d.vendor == "postgresql":
            if self._copy is None:
                self._copy_cm = self.cursor.cursor.copy(f"COPY {STAGE} ({', '.join(self.columns)}) FROM STDIN")
                self._copy = self._copy_cm.__enter__()
            self._copy.write_row(row)
            self._in_chunk += 1
            if self._in_chunk >= self.pg_chunk_rows:
                self._end_copy()
        else:
            self._batch.append(row)
            if len(self._batch) >= self.sqlite_batch_rows:
                self._flush_batch()

    def wants_error_flush(self, pending: int) -> bool:
        return pending >= self.error_flush_rows

    def _end_copy(self) -> None:
        if self._copy is not None:
            cm, self._copy, self._copy_cm = self._copy_cm, None, None
            self._in_chunk = 0
            cm.__exit__(None, None, None)

    def _flush_batch(self) -> None:
        if self._batch:
            marks = ", ".join(["%s"] * len(self.columns))
            self.cursor.executemany(f"INSERT INTO {STAGE} VALUES ({marks})", self._batch)
            self._batch = []

    def flush_rows(self) -> None:
        self._end_copy()
        self._flush_batch()

    def abort(self) -> None:
        """Leave a COPY in progress so the transaction can roll back cleanly."""
        if self._copy is not None:
            cm, self._copy, self._copy_cm = self._copy_cm, None, None
            try:
                cm.__exit__(RuntimeError, RuntimeError("import aborted"), None)
            except Exception:  # noqa: BLE001, S110 - the transaction is rolled back anyway
                pass

    def write_errors(self, errors: list[tuple]) -> None:
        """Rows of (line, column, value, reason, is_warning) into ImportRowError."""
        if not errors:
            return
        self.flush_rows()  # no statement may run while a COPY is open
        cols = ", ".join(self.q(c) for c in ("job_id", "line", "column", "value", "reason", "is_warning"))
        self.cursor.executemany(
            f"INSERT INTO {_table(ImportRowError)} ({cols}) VALUES (%s, %s, %s, %s, %s, %s)",
            [(self.job_id, *e) for e in errors],
        )

    def finish_staging(self) -> None:
        self.flush_rows()
        if self.d.vendor == "postgresql":
            self.execute(f"CREATE INDEX ON {STAGE} (line)")
            self.execute(f"ANALYZE {STAGE} (line, nik, nomor_kk)")

    # -- whole-file checks --------------------------------------------------------------------

    def reject_in_sql(self, messages: dict[str, str], scope_column: str = "", scope: str = "") -> int:
        """Duplicate NIKs, a KK in two villages, and (for a scoped importer) records that already
        live outside the importer's region. Returns the number of rows rejected."""
        d, err_table = self.d, _table(ImportRowError)
        self.execute(d.temp_table(REJECT, "line integer, col text, value text, reason text"))
        # The first occurrence of a NIK wins; later ones name it.
        self.execute(
            f"INSERT INTO {REJECT} (line, col, value, reason) "
            f"SELECT s.line, 'nik', s.nik, REPLACE(%s, '{{line}}', CAST(k.first_line AS TEXT)) "
            f"FROM {STAGE} s JOIN (SELECT nik, MIN(line) AS first_line FROM {STAGE} GROUP BY nik "
            f"HAVING COUNT(*) > 1) k ON k.nik = s.nik WHERE s.line > k.first_line",
            [messages["duplicate_nik"]],
        )
        self._drop_rejected()
        # All members of one KK must live in one desa; the KK's first line decides which.
        self.execute(
            f"INSERT INTO {REJECT} (line, col, value, reason) "
            f"SELECT s.line, 'kode_wilayah', s.desa_code, "
            f"REPLACE(REPLACE(%s, '{{line}}', CAST(f.line AS TEXT)), '{{code}}', f.desa_code) "
            f"FROM {STAGE} s JOIN (SELECT nomor_kk, MIN(line) AS first_line FROM {STAGE} GROUP BY nomor_kk "
            f"HAVING MIN(desa_code) <> MAX(desa_code)) k ON k.nomor_kk = s.nomor_kk "
            f"JOIN {STAGE} f ON f.line = k.first_line WHERE s.desa_code <> f.desa_code",
            [messages["kk_conflict"]],
        )
        self._drop_rejected()
        if scope:
            # A Manajer imports for their own region only: an existing person or KK recorded
            # elsewhere is not theirs to change (rows for other villages were refused earlier).
            # The row is refused exactly as a row for another village is (column, value as the
            # validator shows it, message): the report must not tell that the NIK exists elsewhere.
            self.execute(
                f"INSERT INTO {REJECT} (line, col, value, reason) SELECT s.line, 'kode_wilayah', s.desa_code, %s "
                f"FROM {STAGE} s JOIN {_table(Person)} p ON p.nik = s.nik WHERE p.{scope_column} <> %s",
                [messages["nik_out_of_scope"], scope],
            )
            self._drop_rejected()
            self.execute(
                f"INSERT INTO {REJECT} (line, col, value, reason) SELECT s.line, 'kode_wilayah', s.desa_code, %s "
                f"FROM {STAGE} s JOIN {_table(Household)} h ON h.nomor_kk = s.nomor_kk WHERE h.{scope_column} <> %s",
                [messages["kk_out_of_scope"], scope],
            )
            self._drop_rejected()
        rejected = self.scalar(f"SELECT COUNT(*) FROM {REJECT}")
        if rejected:
            self.execute(
                f"INSERT INTO {err_table} (job_id, line, {self.q('column')}, value, reason, is_warning) "
                f"SELECT %s, line, col, value, reason, %s FROM {REJECT}",
                [self.job_id, False],
            )
            # A rejected row's NIK warnings no longer matter.
            self.execute(
                f"DELETE FROM {err_table} WHERE job_id = %s AND is_warning = %s "
                f"AND line IN (SELECT line FROM {REJECT})",
                [self.job_id, True],
            )
        return rejected

    def record_regions(self) -> int:
        """The kabupaten/kota of the accepted rows (what is left in staging after the whole-file
        checks), counted per kab in one statement; returns the number of kab/kota touched."""
        return self.execute(
            f"INSERT INTO {_table(ImportJobRegion)} (job_id, kab_code, {self.q('rows')}) "
            f"SELECT %s, kab_code, COUNT(*) FROM {STAGE} GROUP BY kab_code",
            [self.job_id],
        )

    def _drop_rejected(self) -> None:
        self.execute(f"DELETE FROM {STAGE} WHERE line IN (SELECT line FROM {REJECT})")

    # -- merge --------------------------------------------------------------------------------

    def merge(self, *, release_id: int, period: str, now, actor_id: int | None) -> dict:
        d, spec = self.d, self.spec
        now_db = self.connection.ops.adapt_datetimefield_value(now)
        hh_t, p_t = _table(Household), _table(Person)
        counts = {}
        staged = self.scalar(f"SELECT COUNT(*) FROM {STAGE}")
        suspended, self.empty = [], set()
        if staged >= BULK_MIN_ROWS:
            self.empty = {m for m in (Household, Person, ProgramParticipation, HouseholdAppearance)
                          if not self.scalar(f"SELECT EXISTS (SELECT 1 FROM {_table(m)})")}
            suspended = self._suspend_indexes(sorted(self.empty, key=lambda m: m.__name__))

        # Households: the row of the head of the family carries the household's data (address,
        # desil); without a head, the KK's first line does.
        self.execute(d.temp_table_as(
            HH,
            f"SELECT s.nomor_kk, s.prov_code, s.kab_code, s.kec_code, s.desa_code, s.alamat, s.dusun, s.rt, "
            f"s.rw, s.desil, s.hh_hash FROM {STAGE} s JOIN (SELECT nomor_kk, "
            f"COALESCE(MIN(CASE WHEN LOWER(hubungan_keluarga) LIKE 'kepala%%' THEN line END), MIN(line)) AS line "
            f"FROM {STAGE} GROUP BY nomor_kk) f ON f.line = s.line",
        ), [])
        hh_fields = ["desa_code"] + [f for f in HOUSEHOLD_FIELDS if spec.has(f)]
        self.execute(d.temp_table_as(
            HHCHG,
            f"SELECT h.id AS id, s.nomor_kk AS nomor_kk, "
            f"{d.json_diff([(f, f'h.{f} IS DISTINCT FROM s.{f}', f'h.{f}', f's.{f}') for f in hh_fields])} "
            f"AS changes FROM {HH} s JOIN {hh_t} h ON h.nomor_kk = s.nomor_kk WHERE h.row_hash <> s.hh_hash",
        ))
        self._history(f"SELECT NULL, id, %s, 'updated', changes, %s, %s FROM {HHCHG} WHERE changes <> {d.json_empty}",
                      [release_id, now_db, actor_id])
        counts["households_updated"] = self.scalar(f"SELECT COUNT(*) FROM {HHCHG} WHERE changes <> {d.json_empty}")
        changed = f"c.changes <> {d.json_empty}"
        sets = [f"{c} = s.{c}" for c in ("prov_code", "kab_code", "kec_code", "desa_code")]
        sets += [f"{f} = s.{f}" for f in HOUSEHOLD_FIELDS if spec.has(f)]
        # Rows whose hash differs only because the file has other columns get the new hash
        # but keep their updated_at and release: nothing the registry says has changed.
        self.execute(
            f"UPDATE {hh_t} AS h SET {', '.join(sets)}, row_hash = s.hh_hash, "
            f"last_release_id = CASE WHEN {changed} THEN %s ELSE h.last_release_id END, "
            f"updated_at = CASE WHEN {changed} THEN %s ELSE h.updated_at END "
            f"FROM {HHCHG} c JOIN {HH} s ON s.nomor_kk = c.nomor_kk WHERE h.id = c.id",
            [release_id, now_db],
        )
        provided = {c: f"s.{c}" for c in ("nomor_kk", "prov_code", "kab_code", "kec_code", "desa_code",
                                          *HOUSEHOLD_FIELDS)}
        provided |= {"first_release_id": ("%s", release_id), "last_release_id": ("%s", release_id),
                     "row_hash": "s.hh_hash", "created_at": ("%s", now_db), "updated_at": ("%s", now_db)}
        counts["households_created"] = self.insert_select(
            Household, provided,
            f"FROM {HH} s WHERE NOT EXISTS (SELECT 1 FROM {hh_t} h WHERE h.nomor_kk = s.nomor_kk)",
        )
        self.insert_select(
            HouseholdAppearance, {"household_id": "h.id", "release_id": ("%s", release_id)},
            f"FROM {HH} s JOIN {hh_t} h ON h.nomor_kk = s.nomor_kk WHERE 1 = 1",
            # Into an empty table nothing can conflict, and the check costs a lot per row.
            suffix="" if HouseholdAppearance in self.empty else "ON CONFLICT (household_id, release_id) DO NOTHING",
        )
        if d.vendor == "postgresql" and counts["households_created"] > 10_000 and not suspended:
            self.execute(f"ANALYZE {hh_t}")

        # People: only new rows and rows whose hash differs are looked at again.
        self.execute(d.temp_table_as(
            TOUCH,
            f"SELECT s.line AS line, p.id AS person_id FROM {STAGE} s LEFT JOIN {p_t} p ON p.nik = s.nik "
            f"WHERE p.id IS NULL OR p.row_hash <> s.row_hash",
        ))
        if d.vendor == "postgresql":
            self.execute(f"ANALYZE {TOUCH}")
        self._person_changes(release_id, now_db, actor_id)
        counts["created"] = self._insert_people(release_id, now_db)
        if d.vendor == "postgresql" and counts["created"] > 10_000 and not suspended:
            self.execute(f"ANALYZE {p_t}")
        # Members of a household that moved to another desa follow it, even if this file
        # does not list them.
        self.execute(
            f"UPDATE {p_t} AS p SET prov_code = h.prov_code, kab_code = h.kab_code, kec_code = h.kec_code, "
            f"desa_code = h.desa_code FROM {hh_t} h WHERE p.household_id = h.id "
            f"AND h.id IN (SELECT id FROM {HHCHG}) AND p.desa_code <> h.desa_code"
        )
        self._programs(release_id, period)
        self._restore_indexes(suspended)

        counts["updated"] = self.scalar(f"SELECT COUNT(*) FROM {CHG} WHERE changes <> {d.json_empty}")
        counts["moved"] = self.scalar(f"SELECT COUNT(*) FROM {CHG} WHERE old_household <> new_household")
        counts["unchanged"] = staged - counts["created"] - counts["updated"]
        self.drop_temp_tables()
        return counts

    def _history(self, select_sql: str, params) -> int:
        cols = ", ".join(self.q(c) for c in ("person_id", "household_id", "release_id", "kind", "changes", "at",
                                              "actor_id"))
        return self.execute(f"INSERT INTO {_table(RegistryChange)} ({cols}) {select_sql}", params)

    def _person_changes(self, release_id, now_db, actor_id) -> None:
        d, spec = self.d, self.spec
        p_t, hh_t, pp_t = _table(Person), _table(Household), _table(ProgramParticipation)
        items = [
            ("nama", "p.nama <> s.nama", "p.nama", "s.nama"),
            ("desa_code", "p.desa_code <> s.desa_code", "p.desa_code", "s.desa_code"),
            ("nomor_kk", "p.household_id <> h.id", "oh.nomor_kk", "s.nomor_kk"),
            ("household", "p.household_id <> h.id", "p.household_id", "h.id"),
        ]
        items += [(f, f"p.{f} IS DISTINCT FROM s.{f}", f"p.{f}", f"s.{f}") for f in PERSON_FIELDS if spec.has(f)]
        if spec.extras:
            items.append(("extra", d.json_differs("p.extra", "s.extra"), d.json_value("p.extra"),
                          d.json_value(d.json_cast("s.extra"))))
        joins, params = [], []
        for i, (code, _pos) in enumerate(spec.programs):
            joins.append(f"LEFT JOIN {pp_t} pp{i} ON pp{i}.person_id = p.id AND pp{i}.program_code = %s")
            params.append(code)
            items.append((
                f"program_{code.lower()}",
                f"s.p{i} IS NOT NULL AND COALESCE(pp{i}.active, FALSE) <> s.p{i}",
                d.json_bool(f"pp{i}.active"), d.json_bool(f"s.p{i}"),
            ))
        self.execute(d.temp_table_as(
            CHG,
            f"SELECT t.line AS line, p.id AS person_id, p.household_id AS old_household, h.id AS new_household, "
            f"{d.json_diff(items)} AS changes "
            f"FROM {TOUCH} t JOIN {STAGE} s ON s.line = t.line JOIN {p_t} p ON p.id = t.person_id "
            f"JOIN {hh_t} h ON h.nomor_kk = s.nomor_kk JOIN {hh_t} oh ON oh.id = p.household_id {' '.join(joins)} "
            f"WHERE t.person_id IS NOT NULL",
        ), params)
        self._history(
            f"SELECT person_id, new_household, %s, CASE WHEN old_household <> new_household THEN 'moved' "
            f"ELSE 'updated' END, changes, %s, %s FROM {CHG} WHERE changes <> {d.json_empty}",
            [release_id, now_db, actor_id],
        )
        changed = f"c.changes <> {d.json_empty}"
        sets = ["household_id = c.new_household"]
        sets += [f"{c} = s.{c}" for c in ("prov_code", "kab_code", "kec_code", "desa_code", "nama", "name_key")]
        sets += [f"{f} = s.{f}" for f in PERSON_FIELDS if spec.has(f)]
        if spec.extras:
            sets.append(f"extra = {d.json_cast('s.extra')}")
        sets.append(f"nik_warnings = {d.json_cast('s.nik_warnings')}")
        self.execute(
            f"UPDATE {p_t} AS p SET {', '.join(sets)}, row_hash = s.row_hash, "
            f"last_release_id = CASE WHEN {changed} THEN %s ELSE p.last_release_id END, "
            f"updated_at = CASE WHEN {changed} THEN %s ELSE p.updated_at END "
            f"FROM {CHG} c JOIN {STAGE} s ON s.line = c.line WHERE p.id = c.person_id",
            [release_id, now_db],
        )

    def _insert_people(self, release_id, now_db) -> int:
        d = self.d
        provided = {c: f"s.{c}" for c in ("nik", "prov_code", "kab_code", "kec_code", "desa_code", "nama",
                                          "name_key", "row_hash", *PERSON_FIELDS)}
        provided |= {
            "household_id": "h.id",
            "extra": d.json_cast("s.extra"),
            "nik_warnings": d.json_cast("s.nik_warnings"),
            "first_release_id": ("%s", release_id),
            "last_release_id": ("%s", release_id),
            "created_at": ("%s", now_db),
            "updated_at": ("%s", now_db),
        }
        return self.insert_select(
            Person, provided,
            f"FROM {TOUCH} t JOIN {STAGE} s ON s.line = t.line JOIN {_table(Household)} h ON h.nomor_kk = s.nomor_kk "
            # In NIK order, so the unique index on NIK grows at its right edge instead of
            # being written all over.
            f"WHERE t.person_id IS NULL ORDER BY s.nik",
        )

    def _programs(self, release_id, period) -> None:
        """1: active (since this release if it was not); 0: ended with this release; blank: as it was."""
        if not self.spec.programs:
            return
        pp_t, p_t = _table(ProgramParticipation), _table(Person)
        # The people looked at again (new or changed), with their ids: one join by NIK for all programmes.
        self.execute(self.d.temp_table_as(
            IDS, f"SELECT t.line AS line, p.id AS person_id FROM {TOUCH} t JOIN {STAGE} s ON s.line = t.line "
                 f"JOIN {p_t} p ON p.nik = s.nik",
        ))
        if self.d.vendor == "postgresql":
            self.execute(f"CREATE INDEX ON {IDS} (line)")
            self.execute(f"ANALYZE {IDS}")
        # One row per (person, programme column): a small inline table of the columns, joined
        # to the flag it names, so all programmes take one pass instead of one each.
        columns = " UNION ALL ".join(f"SELECT {i} AS idx, %s AS code" for i in range(len(self.spec.programs)))
        codes = [code for code, _pos in self.spec.programs]
        flag = "CASE v.idx " + " ".join(f"WHEN {i} THEN s.p{i}" for i in range(len(codes))) + " END"
        self.insert_select(
            ProgramParticipation,
            {"person_id": "i.person_id", "program_code": "v.code", "since_period": ("%s", period),
             "until_period": "''", "source_release_id": ("%s", release_id), "active": "TRUE"},
            f"FROM {IDS} i JOIN {STAGE} s ON s.line = i.line JOIN ({columns}) v ON {flag} = TRUE WHERE 1 = 1",
            codes,
            suffix="" if ProgramParticipation in self.empty else (
                f"ON CONFLICT (person_id, program_code) DO UPDATE SET active = TRUE, until_period = '', "
                f"since_period = excluded.since_period, source_release_id = excluded.source_release_id "
                f"WHERE {pp_t}.active = FALSE"
            ),
        )
        self.execute(
            f"UPDATE {pp_t} AS pp SET active = FALSE, until_period = %s, source_release_id = %s "
            f"FROM {TOUCH} t JOIN {STAGE} s ON s.line = t.line JOIN ({columns}) v ON {flag} = FALSE "
            f"WHERE pp.person_id = t.person_id AND pp.program_code = v.code AND pp.active = TRUE",
            [period, release_id, *codes],
        )

    # -- bulk path ----------------------------------------------------------------------------

    def _suspend_indexes(self, models_) -> list[str]:
        """Drop the secondary indexes (and, on PostgreSQL, the foreign keys) of empty tables;
        returns the statements that recreate them. Runs inside the import's transaction, so a
        killed import leaves them in place. The tables stay locked until the commit, which only
        matters for the first import, when there is nothing to read yet."""
        restore = []
        if models_ and self.d.vendor == "postgresql":
            # ALTER TABLE refuses while deferred foreign-key checks are queued for the table
            # (rows written earlier in the same transaction): run them now.
            self.execute("SET CONSTRAINTS ALL IMMEDIATE")
            self.execute("SET CONSTRAINTS ALL DEFERRED")
        for model in models_:
            table = _table(model)
            if self.d.vendor == "postgresql":
                self.cursor.execute(
                    "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                    "WHERE i.indrelid = %s::regclass AND NOT EXISTS "
                    "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)", [table])
                indexes = self.cursor.fetchall()
                self.cursor.execute(
                    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = %s::regclass AND contype = 'f'", [table])
                foreign_keys = self.cursor.fetchall()
                for name, _definition in foreign_keys:
                    self.execute(f"ALTER TABLE {table} DROP CONSTRAINT {self.q(name)}")
                for name, _definition in indexes:
                    self.execute(f"DROP INDEX {name}")
                restore += [definition for _name, definition in indexes]
                restore += [f"ALTER TABLE {table} ADD CONSTRAINT {self.q(name)} {definition}"
                            for name, definition in foreign_keys]
                restore.append(f"ANALYZE {table}")
            else:
                self.cursor.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL",
                    [table])
                for name, definition in self.cursor.fetchall():
                    self.execute(f"DROP INDEX {self.q(name)}")
                    restore.append(definition)
        if restore and self.d.vendor == "postgresql":
            self.execute("SET LOCAL maintenance_work_mem = '256MB'")
        return restore

    def _restore_indexes(self, statements: list[str]) -> None:
        for sql in statements:
            self.execute(sql)


def scope_column(code: str) -> str:
    from slrt.accounts.scoping import COLUMN_FOR_LEVEL
    from slrt.wilayah.models import level_of

    return COLUMN_FOR_LEVEL[level_of(code)]

