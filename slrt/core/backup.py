"""Backups and restore of the database and the stored files (README "Backups and restore").

A backup is one folder:

- `database.dump` (PostgreSQL, `pg_dump -Fc`) or `database.sqlite3` (SQLite's online backup API);
- `files.tar`: every file of the default storage (STORAGES["default"]: the shared folder or the S3
  bucket), read through the storage API, under `files/<name>`;
- `files.sha256`: one line per file, `<sha256>  <bytes>  <name>`;
- `manifest.json`: when, which versions, the sha256 and size of the three files above, the row
  count of every table and the applied migrations, both read in the dump's own snapshot.

Consistency. On PostgreSQL the counts, the migrations and the list of files the rows name are read
in one REPEATABLE READ transaction whose snapshot pg_dump itself uses (`--snapshot`), so the dump
and the manifest describe the same instant; on SQLite they are read from the copy. The files are
copied after that snapshot. A file is written before the row that names it commits (FileField
saves the file in pre_save), so every row in the snapshot names a file that already existed; a
file added later is an extra file in the backup (harmless: no row names it). The one gap is a file
deleted between the snapshot and its copy (a replaced letterhead logo): the backup lists every
named file it could not copy under `files.missing`, and the command says so.

Everything streams: pg_dump and pg_restore write and read files themselves, the SQLite copy goes
page by page, and each stored file passes through the tar in chunks while its sha256 is taken.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.files import File
from django.core.files.storage import storages
from django.db import connections, models, transaction

FORMAT = 1
MANIFEST = "manifest.json"
PG_DUMP = "database.dump"
SQLITE_COPY = "database.sqlite3"
FILES_TAR = "files.tar"
FILES_SUMS = "files.sha256"
MEMBER_PREFIX = "files/"
CHUNK = 1 << 20


class BackupError(Exception):
    """A backup that cannot be made, or a restore refused (the message names what and why)."""


# --- streams ------------------------------------------------------------------------------------


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class _HashingReader:
    """Reads through to `raw`, taking the sha256 and the size of what passed."""

    def __init__(self, raw):
        self.raw, self.digest, self.size = raw, hashlib.sha256(), 0

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        self.digest.update(data)
        self.size += len(data)
        return data


class _HashingWriter:
    def __init__(self, raw):
        self.raw, self.digest, self.size = raw, hashlib.sha256(), 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        return self.raw.write(data)

    def flush(self) -> None:
        self.raw.flush()


# --- what the database holds --------------------------------------------------------------------


def file_columns() -> list[tuple[str, str]]:
    """(table, column) of every FileField of the installed models: the rows that name stored files."""
    found = set()
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, models.FileField):
                found.add((model._meta.db_table, field.column))
    return sorted(found)


def _facts(cursor, tables: list[str], quote) -> dict:
    counts = {}
    for table in tables:
        cursor.execute(f"SELECT count(*) FROM {quote(table)}")
        counts[table] = cursor.fetchone()[0]
    migrations = []
    if "django_migrations" in tables:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        migrations = [f"{app}.{name}" for app, name in cursor.fetchall()]
    named = set()
    for table, column in file_columns():
        if table in tables:
            cursor.execute(f"SELECT {quote(column)} FROM {quote(table)} WHERE {quote(column)} <> ''")
            while rows := cursor.fetchmany(10_000):
                named.update(r[0] for r in rows)
    return {"tables": counts, "migrations": migrations, "named_files": named}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def current_tables(using: str = "default") -> list[str]:
    connection = connections[using]
    with connection.cursor() as cursor:
        return sorted(connection.introspection.table_names(cursor))


def row_counts(using: str = "default") -> dict[str, int]:
    connection = connections[using]
    tables = current_tables(using)
    with connection.cursor() as cursor:
        return _facts(cursor, tables, _quote)["tables"]


# --- PostgreSQL ---------------------------------------------------------------------------------


def _pg_env(db: dict) -> dict:
    """libpq's environment for pg_dump/pg_restore: the password never appears in a command line."""
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD"),
                     ("NAME", "PGDATABASE")):
        if db.get(key):
            env[var] = str(db[key])
    options = db.get("OPTIONS") or {}
    for key, var in (("sslmode", "PGSSLMODE"), ("sslrootcert", "PGSSLROOTCERT"), ("sslcert", "PGSSLCERT"),
                     ("sslkey", "PGSSLKEY")):
        if options.get(key):
            env[var] = str(options[key])
    return env


def _tool_version(tool: str) -> str:
    if not shutil.which(tool):
        raise BackupError(f"{tool} tidak ditemukan: pasang postgresql-client (versi sama atau lebih baru dari server).")
    return subprocess.run([tool, "--version"], capture_output=True, text=True, check=True).stdout.strip()


def _run_tool(argv: list[str], env: dict, what: str) -> None:
    proc = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise BackupError(f"{what} gagal (kode {proc.returncode}): {proc.stderr.strip()[-2000:]}")


def _dump_postgresql(work: Path, using: str) -> dict:
    connection = connections[using]
    version = _tool_version("pg_dump")
    connection.ensure_connection()
    with transaction.atomic(using=using), connection.cursor() as cursor:
        # The first statement of the transaction: one snapshot for pg_dump and for the manifest.
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot(), current_setting('server_version')")
        snapshot, server = cursor.fetchone()
        _run_tool(["pg_dump", "--format=custom", f"--snapshot={snapshot}", "--no-password",
                   f"--file={work / PG_DUMP}"], _pg_env(connection.settings_dict), "pg_dump")
        tables = sorted(connection.introspection.table_names(cursor))
        facts = _facts(cursor, tables, _quote)
    return {"engine": "postgresql", "file": PG_DUMP, "server_version": server, "tool": version, **facts}


def _restore_postgresql(src: Path, using: str, *, jobs: int, force: bool) -> None:
    connection = connections[using]
    _tool_version("pg_restore")
    if force:
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE")
            cursor.execute("CREATE SCHEMA public")
    connection.close()
    # No owner and no grants: the target's own user owns what it restores; the web role's grants
    # are given again with `manage.py audit_grants` (roles live in the cluster, not in a database).
    _run_tool(["pg_restore", "--no-owner", "--no-acl", "--exit-on-error", "--no-password", f"--jobs={jobs}",
               f"--dbname={connection.settings_dict['NAME']}", str(src / PG_DUMP)],
              _pg_env(connection.settings_dict), "pg_restore")


# --- SQLite -------------------------------------------------------------------------------------


def _dump_sqlite(work: Path, using: str) -> dict:
    name = connections[using].settings_dict["NAME"]
    target = work / SQLITE_COPY
    if not Path(name).is_file():
        raise BackupError(f"basis data SQLite {name} tidak ada")
    source = sqlite3.connect(name)
    copy = sqlite3.connect(target)
    try:
        # One step (pages=-1): a read transaction on the source for the whole copy, so the copy is
        # one snapshot (WAL: writers carry on meanwhile); SQLite copies page by page, not in memory.
        source.backup(copy)
        cursor = copy.cursor()
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                       "ORDER BY name")
        tables = [r[0] for r in cursor.fetchall()]
        facts = _facts(cursor, tables, _quote)
        server = sqlite3.sqlite_version
    finally:
        copy.close()
        source.close()
    return {"engine": "sqlite", "file": SQLITE_COPY, "server_version": server, "tool": "sqlite3 backup API",
            **facts}


def _restore_sqlite(src: Path, using: str, expected: str, *, force: bool) -> None:
    connection = connections[using]
    connection.close()
    target = Path(connection.settings_dict["NAME"])
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.restoring-{os.getpid()}")
    with open(src / SQLITE_COPY, "rb") as fh, open(partial, "wb") as out:
        writer = _HashingWriter(out)
        shutil.copyfileobj(fh, writer, CHUNK)
        out.flush()
        os.fsync(out.fileno())
    if writer.digest.hexdigest() != expected:
        partial.unlink()
        raise BackupError(f"{SQLITE_COPY}: sha256 berubah saat disalin; pemulihan dibatalkan.")
    # The connection is closed: a write-ahead log left beside the old file must not be replayed
    # into the restored one.
    for suffix in ("-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    os.replace(partial, target)


# --- the stored files ---------------------------------------------------------------------------


def storage():
    return storages["default"]


def stored_names(store=None, folder: str = ""):
    """Every file of the storage, depth first, sorted per folder (S3: listing the bucket's prefix)."""
    store = store or storage()
    try:
        dirs, files = store.listdir(folder)
    except FileNotFoundError:
        return
    for name in sorted(files):
        yield f"{folder}/{name}" if folder else name
    for sub in sorted(dirs):
        yield from stored_names(store, f"{folder}/{sub}" if folder else sub)


def _archive_files(work: Path, started: float) -> dict:
    store = storage()
    count = total = 0
    names = set()
    with open(work / FILES_TAR, "wb") as raw, open(work / FILES_SUMS, "w", encoding="utf-8") as sums:
        writer = _HashingWriter(raw)
        with tarfile.open(fileobj=writer, mode="w|", format=tarfile.PAX_FORMAT) as tar:
            for name in stored_names(store):
                if "\n" in name or "\r" in name:
                    raise BackupError("nama berkas berisi baris baru; tidak bisa dicatat di files.sha256")
                try:
                    size = store.size(name)
                    handle = store.open(name, "rb")
                except FileNotFoundError:
                    continue  # deleted while we listed: no row of the snapshot names it any more
                with handle:
                    reader = _HashingReader(handle)
                    info = tarfile.TarInfo(MEMBER_PREFIX + name)
                    info.size, info.mode, info.mtime = size, 0o600, int(started)
                    tar.addfile(info, reader)
                if reader.size != size:
                    raise BackupError(f"berkas {name} berubah ukuran saat dicadangkan; ulangi pencadangan.")
                sums.write(f"{reader.digest.hexdigest()}  {size}  {name}\n")
                names.add(name)
                count, total = count + 1, total + size
        raw.flush()
        os.fsync(raw.fileno())
    return {"archive": FILES_TAR, "sha256": writer.digest.hexdigest(), "bytes": writer.size, "sums": FILES_SUMS,
            "sums_sha256": sha256_of(work / FILES_SUMS), "count": count, "content_bytes": total,
            "storage": settings.STORAGES["default"]["BACKEND"], "names": names}


# --- versions -----------------------------------------------------------------------------------


def _versions() -> dict:
    import platform
    import tomllib

    import django

    found = {"django": django.get_version(), "python": platform.python_version()}
    try:
        with open(Path(settings.BASE_DIR) / "pyproject.toml", "rb") as fh:
            found["slrt"] = tomllib.load(fh)["project"]["version"]
    except (OSError, KeyError, ValueError):
        found["slrt"] = ""
    try:
        found["git"] = subprocess.run(["git", "-C", str(settings.BASE_DIR), "rev-parse", "HEAD"], capture_output=True,
                                      text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        found["git"] = ""
    return found


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


# --- backup -------------------------------------------------------------------------------------


@dataclass
class BackupResult:
    path: Path
    manifest: dict


def backup(out: Path, *, using: str = "default") -> BackupResult:
    """Write a backup into the new folder `out` (made under a temporary name, renamed when whole)."""
    out = Path(out).absolute()
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise BackupError(f"{out} sudah ada dan tidak kosong; pilih folder baru untuk cadangan ini.")
    out.parent.mkdir(parents=True, exist_ok=True)
    work = out.with_name(f".{out.name}.partial-{os.getpid()}")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(mode=0o700)
    old_umask = os.umask(0o077)  # personal data: the backup is readable by its owner only
    try:
        started, created = time.time(), _now()
        vendor = connections[using].vendor
        if vendor == "postgresql":
            database = _dump_postgresql(work, using)
        elif vendor == "sqlite":
            database = _dump_sqlite(work, using)
        else:
            raise BackupError(f"basis data {vendor} tidak didukung (PostgreSQL atau SQLite)")
        db_seconds = time.time() - started
        database["sha256"] = sha256_of(work / database["file"])
        database["bytes"] = (work / database["file"]).stat().st_size
        named = database.pop("named_files")
        files = _archive_files(work, started)
        stored = files.pop("names")
        files["missing"] = sorted(named - stored)
        manifest = {
            "format": FORMAT, "kind": "slrt-backup", "created_at": created, "finished_at": _now(),
            "host": socket.gethostname(), "versions": _versions(), "database": database, "files": files,
            "seconds": {"database": round(db_seconds, 2), "total": round(time.time() - started, 2)},
        }
        with open(work / MANIFEST, "w", encoding="utf-8") as fh:
            json.dump(manifest, fh, indent=1, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        if out.exists():
            out.rmdir()
        os.replace(work, out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    finally:
        os.umask(old_umask)
    return BackupResult(out, manifest)


# --- verify and restore -------------------------------------------------------------------------


def read_sums(path: Path) -> dict[str, tuple[str, int]]:
    sums = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            digest, size, name = line.rstrip("\n").split("  ", 2)
            sums[name] = (digest, int(size))
    return sums


def _damaged_member(src: Path, sums: dict) -> str:
    """Which stored file of a files.tar whose checksum failed is damaged (for the message)."""
    try:
        with tarfile.open(src / FILES_TAR, mode="r:") as tar:
            for member in tar:
                name = member.name.removeprefix(MEMBER_PREFIX)
                if not member.isfile() or name not in sums:
                    return f"{FILES_TAR}: anggota tak dikenal {member.name!r}"
                reader = _HashingReader(tar.extractfile(member))
                while reader.read(CHUNK):
                    pass
                if reader.digest.hexdigest() != sums[name][0]:
                    return f"{FILES_TAR}: berkas {name} rusak (sha256 tidak cocok dengan {FILES_SUMS})"
    except (tarfile.TarError, OSError, EOFError) as e:
        return f"{FILES_TAR}: arsip rusak ({e})"
    return f"{FILES_TAR}: sha256 arsip tidak cocok dengan {MANIFEST}"


def verify(src: Path) -> dict:
    """The backup's manifest, after every file of the backup matched its sha256 (BackupError if not)."""
    src = Path(src)
    try:
        manifest = json.loads((src / MANIFEST).read_text(encoding="utf-8"))
        database, files = manifest["database"], manifest["files"]
        if manifest.get("kind") != "slrt-backup" or manifest.get("format") != FORMAT:
            raise BackupError(f"{MANIFEST}: bukan cadangan SLRT format {FORMAT}")
    except FileNotFoundError:
        raise BackupError(f"{src / MANIFEST} tidak ada: folder ini bukan cadangan SLRT yang utuh") from None
    except (ValueError, KeyError, TypeError) as e:
        raise BackupError(f"{MANIFEST} rusak ({e.__class__.__name__})") from None
    checks = [(database["file"], database["sha256"]), (files["sums"], files["sums_sha256"]),
              (files["archive"], files["sha256"])]
    for name, expected in checks:
        if not (src / name).is_file():
            raise BackupError(f"{name} tidak ada di cadangan")
        if sha256_of(src / name) != expected:
            if name == files["archive"]:
                raise BackupError(_damaged_member(src, read_sums(src / files["sums"])))
            raise BackupError(f"{name}: rusak (sha256 tidak cocok dengan {MANIFEST})")
    return manifest


def _restore_files(src: Path, sums: dict, *, force: bool) -> int:
    store = storage()
    restored = 0
    with tarfile.open(src / FILES_TAR, mode="r:") as tar:
        for member in tar:
            name = member.name.removeprefix(MEMBER_PREFIX)
            if not member.isfile() or name not in sums:
                raise BackupError(f"{FILES_TAR}: anggota tak dikenal {member.name!r}")
            if force and store.exists(name):
                store.delete(name)
            saved = store.save(name, File(tar.extractfile(member), name=name))
            if saved != name:
                raise BackupError(f"berkas {name} tersimpan sebagai {saved}: penyimpanan tujuan tidak kosong")
            # End to end: what the storage now holds is what was backed up.
            with store.open(saved, "rb") as fh:
                reader = _HashingReader(fh)
                while reader.read(CHUNK):
                    pass
            if (reader.digest.hexdigest(), reader.size) != sums[name]:
                store.delete(saved)
                raise BackupError(f"berkas {name}: isi yang dipulihkan tidak cocok dengan {FILES_SUMS}")
            restored += 1
    return restored


def restore(src: Path, *, using: str = "default", force: bool = False, jobs: int = 1) -> dict:
    """Restore the backup in `src` into the configured database and storage, which must be empty
    (no table, no file) unless `force`; refused before anything is touched if a checksum fails."""
    src = Path(src).absolute()
    manifest = verify(src)
    database = manifest["database"]
    connection = connections[using]
    if database["engine"] != connection.vendor:
        raise BackupError(f"cadangan ini dari {database['engine']}, basis data tujuan {connection.vendor}")
    tables = current_tables(using)
    existing = next(iter(stored_names()), None)
    if not force and (tables or existing):
        what = (f"basis data tujuan berisi {len(tables)} tabel" if tables
                else "penyimpanan berkas tujuan tidak kosong")
        raise BackupError(f"{what}; pulihkan ke basis data dan folder yang kosong, atau tambahkan --force "
                          "untuk menimpa.")
    started = time.time()
    if connection.vendor == "postgresql":
        _restore_postgresql(src, using, jobs=jobs, force=force)
    else:
        _restore_sqlite(src, using, database["sha256"], force=force)
    db_seconds = time.time() - started
    files = _restore_files(src, read_sums(src / manifest["files"]["sums"]), force=force)
    counts = row_counts(using)
    differ = sorted(t for t in set(counts) | set(database["tables"]) if counts.get(t) != database["tables"].get(t))
    if differ:
        raise BackupError(f"jumlah baris setelah pemulihan berbeda dari {MANIFEST}: {', '.join(differ[:10])}")
    return {"engine": connection.vendor, "tables": len(counts), "rows": sum(counts.values()), "files": files,
            "missing": manifest["files"]["missing"],
            "seconds": {"database": round(db_seconds, 2), "total": round(time.time() - started, 2)},
            "created_at": manifest["created_at"], "migrations": database["migrations"]}


def pending_migrations(applied: list[str]) -> list[str]:
    """Migrations of this code that the restored database has not applied (run `migrate` then)."""
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    done = set(applied)
    return sorted(f"{app}.{name}" for app, name in loader.disk_migrations if f"{app}.{name}" not in done)

