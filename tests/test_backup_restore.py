"""Backups and restore (issue 12, point 5): `manage.py backup` and `manage.py restore`, run as the
operator runs them (child processes), on a demo district seeded through the services (`seed_demo`:
households and people imported by the real importer, cases, referrals, a musdes with its berita
acara PDF, letterhead logos), restored into a FRESH database (PostgreSQL: a new database; SQLite: a
new file) and a fresh folder, then compared with the source: every table's row count, one person's
and one household's every column, the berita acara's bytes, the audit chain; and a backup with one
changed byte is refused, naming the damaged file, before anything is written.

Both engines: SQLite always; PostgreSQL at 127.0.0.1:5432 (skipped when it is not reachable, a
failure when CI=1).
"""

import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("backup_restore")]


def _missing(reason: str):
    if os.environ.get("CI") == "1":
        pytest.fail(f"{reason} (CI=1: the backup test must run on PostgreSQL too)")
    pytest.skip(reason)


def manage(env: dict, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=900)
    if check and proc.returncode != 0:
        raise AssertionError(f"manage.py {' '.join(args)} exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    return proc


# --- the two engines, read directly (not through the code under test) --------------------------


class Sqlite:
    engine = "sqlite"

    def __init__(self, folder: Path, name: str):
        self.path = folder / f"{name}.sqlite3"
        self.url = f"sqlite:///{self.path}"

    def create(self):
        pass

    def drop(self):
        pass

    def query(self, sql: str, params=()) -> list[tuple]:
        conn = sqlite3.connect(self.path)
        try:
            rows = conn.execute(sql.replace("%s", "?"), params).fetchall()
            conn.commit()
            return rows
        finally:
            conn.close()

    def tables(self) -> list[str]:
        return [r[0] for r in self.query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]

    def columns(self, table: str) -> list[str]:
        return [r[1] for r in self.query(f'PRAGMA table_info("{table}")')]

    def sequences(self) -> dict:
        return dict(self.query("SELECT name, seq FROM sqlite_sequence")) if "sqlite_sequence" in [
            r[0] for r in self.query("SELECT name FROM sqlite_master")] else {}


class Postgres:
    engine = "postgresql"

    def __init__(self, folder: Path, name: str):
        self.name = f"slrt_backup_{name}_{uuid.uuid4().hex[:8]}"
        self.url = f"postgres://postgres@127.0.0.1:5432/{self.name}"

    def _admin(self, statement: str):
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(statement)

    def create(self):
        self._admin(f'CREATE DATABASE "{self.name}"')

    def drop(self):
        self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def query(self, sql: str, params=()) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.url) as conn:
            return conn.execute(sql, params).fetchall()

    def tables(self) -> list[str]:
        return [r[0] for r in self.query(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")]

    def columns(self, table: str) -> list[str]:
        return [r[0] for r in self.query(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = %s "
            "ORDER BY ordinal_position", (table,))]

    def sequences(self) -> dict:
        return dict(self.query("SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'"))


def _postgres_reachable() -> str:
    if not shutil.which("pg_dump") or not shutil.which("pg_restore"):
        return "pg_dump/pg_restore are not installed (postgresql-client)"
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN, connect_timeout=3):
            return ""
    except Exception as e:  # noqa: BLE001 - any failure to connect means: no server to test against
        return f"PostgreSQL at 127.0.0.1:5432 is not reachable ({e.__class__.__name__})"


ENGINES = {"sqlite": Sqlite, "postgresql": Postgres}


def _env(db, media: Path, var: Path) -> dict:
    env = dict(os.environ, DATABASE_URL=db.url, SLRT_MEDIA_ROOT=str(media), SLRT_VAR_DIR=str(var),
               SLRT_STORAGE="filesystem", SLRT_2FA_ROLES="", PYTHONUNBUFFERED="1")
    env.pop("SLRT_DB_POOL", None)
    return env


def _counts(db) -> dict:
    return {t: db.query(f'SELECT count(*) FROM "{t}"')[0][0] for t in db.tables()}


def _row(db, table: str, key: str, value) -> dict:
    cols = db.columns(table)
    rows = db.query(f'SELECT {", ".join(chr(34) + c + chr(34) for c in cols)} FROM "{table}" WHERE "{key}" = %s',
                    (value,))
    assert len(rows) == 1, f"{table}.{key} names {len(rows)} rows"
    return dict(zip(cols, rows[0], strict=True))


# --- one seeded source per engine, backed up once ----------------------------------------------


@pytest.fixture(scope="module", params=sorted(ENGINES))
def source(request, tmp_path_factory):
    if request.param == "postgresql" and (why := _postgres_reachable()):
        _missing(why)
    folder = tmp_path_factory.mktemp(f"backup-{request.param}")
    db = ENGINES[request.param](folder, "src")
    db.create()
    try:
        env = _env(db, folder / "media", folder / "var")
        manage(env, "migrate", "--noinput", "-v0")
        manage(env, "load_regions")
        manage(env, "seed_demo", "--households", "300")
        backup_dir = folder / "backup"
        out = manage(env, "backup", "--out", str(backup_dir))
        assert "Cadangan tersimpan" in out.stdout
        yield {"db": db, "env": env, "media": folder / "media", "backup": backup_dir, "folder": folder,
               "engine": request.param}
    finally:
        db.drop()


@pytest.fixture
def fresh(source, tmp_path):
    """An empty database of the source's engine, an empty folder, and their environment."""
    made = []

    def make(name: str):
        db = ENGINES[source["engine"]](tmp_path, name)
        db.create()
        made.append(db)
        media = tmp_path / f"{name}-media"
        return db, media, _env(db, media, tmp_path / f"{name}-var")

    try:
        yield make
    finally:
        for db in made:
            db.drop()


def test_a_restore_into_a_fresh_database_and_folder_equals_the_source(source, fresh):
    src = source["db"]
    minutes = src.query("SELECT id, minutes FROM updates_villagemeeting WHERE minutes <> '' ORDER BY id")
    assert minutes, "the seeded demo has a musdes with its berita acara"
    person_id = src.query("SELECT min(id) FROM registry_person")[0][0]
    household_id = src.query("SELECT min(id) FROM registry_household")[0][0]
    assert person_id and household_id

    db, media, env = fresh("dst")
    out = manage(env, "restore", "--from", str(source["backup"]))
    assert "sama dengan manifest" in out.stdout and "sha256 cocok" in out.stdout

    counts = _counts(src)
    assert len(counts) > 40 and counts["registry_person"] > 1000
    assert _counts(db) == counts  # every table, every row count
    assert _row(db, "registry_person", "id", person_id) == _row(src, "registry_person", "id", person_id)
    assert _row(db, "registry_household", "id", household_id) == _row(src, "registry_household", "id", household_id)
    assert db.sequences() == src.sequences()  # the next id after a restore is the next id of the source
    for _id, name in minutes:
        assert (media / name).read_bytes() == (source["media"] / name).read_bytes()
        assert (media / name).read_bytes().startswith(b"%PDF")
    logos = sorted(p.relative_to(source["media"]) for p in (source["media"] / "kop").iterdir())
    assert logos and sorted(p.relative_to(media) for p in (media / "kop").iterdir()) == logos
    assert "Jejak audit utuh" in manage(env, "verify_audit").stdout


def test_a_restore_into_a_database_that_is_not_empty_is_refused_unless_forced(source, fresh):
    db, media, env = fresh("busy")
    manage(env, "restore", "--from", str(source["backup"]))
    person_id = db.query("SELECT min(id) FROM registry_person")[0][0]
    db.query("UPDATE registry_person SET nama = %s WHERE id = %s RETURNING id", ("Diubah Sesudah Pemulihan", person_id))
    again = manage(env, "restore", "--from", str(source["backup"]), check=False)
    assert again.returncode != 0 and "berisi" in again.stderr and "--force" in again.stderr
    assert db.query("SELECT nama FROM registry_person WHERE id = %s", (person_id,))[0][0] == "Diubah Sesudah Pemulihan"

    forced = manage(env, "restore", "--from", str(source["backup"]), "--force")
    assert "sama dengan manifest" in forced.stdout
    assert _counts(db) == _counts(source["db"])
    assert _row(db, "registry_person", "id", person_id) == _row(source["db"], "registry_person", "id", person_id)


def _flip_byte(path: Path, offset: int) -> None:
    with open(path, "r+b") as fh:
        fh.seek(offset)
        byte = fh.read(1)
        fh.seek(offset)
        fh.write(bytes([byte[0] ^ 0x01]))


def _untouched(db, media: Path) -> None:
    if db.engine == "sqlite" and not db.path.exists():
        pass  # not even created
    else:
        assert db.tables() == []
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_a_backup_with_one_changed_byte_in_a_stored_file_is_refused_naming_that_file(source, fresh, tmp_path):
    damaged = tmp_path / "damaged"
    shutil.copytree(source["backup"], damaged)
    with tarfile.open(damaged / "files.tar") as tar:
        member = next(m for m in tar if m.name.startswith("files/musdes/"))
    _flip_byte(damaged / "files.tar", member.offset_data + member.size // 2)

    db, media, env = fresh("refused")
    proc = manage(env, "restore", "--from", str(damaged), check=False)
    assert proc.returncode != 0
    assert member.name.removeprefix("files/") in proc.stderr and "rusak" in proc.stderr
    _untouched(db, media)


def test_a_backup_with_one_changed_byte_in_the_database_dump_is_refused_naming_it(source, fresh, tmp_path):
    damaged = tmp_path / "damaged"
    shutil.copytree(source["backup"], damaged)
    dump = "database.dump" if source["engine"] == "postgresql" else "database.sqlite3"
    _flip_byte(damaged / dump, (damaged / dump).stat().st_size // 2)

    db, media, env = fresh("refused")
    proc = manage(env, "restore", "--from", str(damaged), check=False)
    assert proc.returncode != 0 and dump in proc.stderr and "rusak" in proc.stderr
    _untouched(db, media)


def test_the_manifest_records_the_snapshot_it_was_taken_from(source):
    import json

    manifest = json.loads((source["backup"] / "manifest.json").read_text())
    assert manifest["database"]["engine"] == source["engine"]
    assert manifest["database"]["tables"] == _counts(source["db"])  # the same instant as the dump
    assert "registry.0001_initial" in manifest["database"]["migrations"]
    assert manifest["files"]["count"] == sum(1 for p in source["media"].rglob("*") if p.is_file())
    assert manifest["files"]["missing"] == []
    assert {"django", "python", "slrt", "git"} <= set(manifest["versions"])
    assert oct((source["backup"] / "files.tar").stat().st_mode & 0o777) == "0o600"  # personal data: owner only


def __getattr__(name):
    # `Pathless`: a storage in memory without file paths, as S3 has none (Storage.path raises
    # NotImplementedError); made on first use, as Django's storage module needs settings loaded.
    if name != "Pathless":
        raise AttributeError(name)
    from django.core.files.base import ContentFile
    from django.core.files.storage import Storage

    class Pathless(Storage):
        files: dict = {}

        def _save(self, name, content):
            self.files[name] = b"".join(content.chunks())
            return name

        def _open(self, name, mode="rb"):
            return ContentFile(self.files[name], name=name)

        def exists(self, name):
            return name in self.files

        def delete(self, name):
            self.files.pop(name, None)

        def size(self, name):
            return len(self.files[name])

    globals()["Pathless"] = Pathless
    return Pathless


@pytest.mark.django_db
def test_a_letterhead_logo_on_a_storage_without_local_paths_is_still_printed(settings):
    """S3 has no file paths: the letterhead hands reportlab the logo's bytes instead (6b)."""
    import io

    from django.core.files.base import ContentFile
    from PIL import Image
    from pypdf import PdfReader

    from slrt.core.pdf import Document, render
    from slrt.wilayah.desks import letterhead_of
    from slrt.wilayah.models import Secretariat

    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "tests.test_backup_restore.Pathless"}}
    image = io.BytesIO()
    Image.new("RGB", (120, 90), (10, 90, 80)).save(image, format="PNG")
    desk, _ = Secretariat.objects.get_or_create(region_id="32.01", defaults={"name": "Sekretariat Uji"})
    desk.logo.save("sekretariat-uji.png", ContentFile(image.getvalue()), save=True)
    with pytest.raises(NotImplementedError):
        desk.logo.path  # noqa: B018 - the storage really has no paths

    head = letterhead_of(desk)
    assert head.logo_path.getvalue() == image.getvalue()
    pdf = render(Document(office="Dinas Sosial", office_lines=[head.name], title="Surat", logo_path=head.logo_path))
    assert len(PdfReader(io.BytesIO(pdf)).pages[0].images) == 1
