"""The database triggers that make the audit trail append-only, per vendor.

They hold for every role, the table owner included, so even a single-role install cannot edit
the trail through the application, a shell or an ORM bug; a separate application role without
UPDATE/DELETE (`manage.py audit_grants`) also stops a compromised web process. What an owner
does by dropping a trigger, the hash chain shows (`verify_audit`).

Refused: every UPDATE, DELETE and TRUNCATE of audit_auditevent and audit_auditblock, and every
DELETE/TRUNCATE of accounts_user (accounts are deactivated, never deleted), except:

- sealing: on a row not yet sealed, set payload_hash, row_hash and block once, nothing else;
- erasure: on a sealed row, set `detail` to {} and `erased_at`, nothing else, while the
  transaction holds the `erase` gate (`audit.gate`, used only by the retention service);
- flushing: DELETE/TRUNCATE while the transaction holds the `flush` gate (only the test run's
  database flush opens it, tests/conftest.py).

A gate is a row of audit_gate (not a Django model, so no flush touches it) inserted and deleted
inside the one transaction that needs it, so no other transaction ever sees it open.

SQLite rebuilds a table when a migration alters it (and the triggers go with the old table):
a later migration that alters these tables must call `install` again at its end; verify_audit
fails when a trigger is missing.
"""

GATE_TABLE = "audit_gate"
GUARDED = ("audit_auditevent", "audit_auditblock", "accounts_user")

# --- SQLite ----------------------------------------------------------------------------------

_SQLITE_SAME = (
    "NEW.id = OLD.id AND NEW.at IS OLD.at AND NEW.actor_id IS OLD.actor_id AND NEW.action IS OLD.action "
    "AND NEW.object_type IS OLD.object_type AND NEW.object_id IS OLD.object_id "
    "AND NEW.region_code IS OLD.region_code"
)

SQLITE_INSTALL = [
    f"CREATE TABLE IF NOT EXISTS {GATE_TABLE} (kind varchar(16) NOT NULL PRIMARY KEY)",
    f"""CREATE TRIGGER IF NOT EXISTS audit_event_no_update BEFORE UPDATE ON audit_auditevent
    WHEN NOT (
      ({_SQLITE_SAME} AND OLD.row_hash = '' AND NEW.row_hash <> '' AND NEW.payload_hash <> ''
       AND NEW.block_id IS NOT NULL AND OLD.block_id IS NULL
       AND NEW.detail IS OLD.detail AND NEW.erased_at IS NULL AND OLD.erased_at IS NULL)
      OR
      ({_SQLITE_SAME} AND OLD.row_hash <> '' AND NEW.row_hash = OLD.row_hash
       AND NEW.payload_hash = OLD.payload_hash AND NEW.block_id IS OLD.block_id
       AND OLD.erased_at IS NULL AND NEW.erased_at IS NOT NULL AND NEW.detail = '{{}}'
       AND EXISTS (SELECT 1 FROM {GATE_TABLE} WHERE kind = 'erase'))
    )
    BEGIN SELECT RAISE(ABORT, 'audit_auditevent is append-only: rows cannot be changed'); END""",
]
for _table in GUARDED:
    SQLITE_INSTALL.append(
        f"""CREATE TRIGGER IF NOT EXISTS {_table}_no_delete BEFORE DELETE ON {_table}
        WHEN NOT EXISTS (SELECT 1 FROM {GATE_TABLE} WHERE kind = 'flush')
        BEGIN SELECT RAISE(ABORT, '{_table} rows cannot be deleted (audit trail; deactivate accounts)'); END"""
    )
SQLITE_INSTALL.append(
    """CREATE TRIGGER IF NOT EXISTS audit_auditblock_no_update BEFORE UPDATE ON audit_auditblock
    BEGIN SELECT RAISE(ABORT, 'audit_auditblock is append-only: sealed blocks cannot be changed'); END"""
)

SQLITE_TRIGGERS = ["audit_event_no_update", "audit_auditblock_no_update", *(f"{t}_no_delete" for t in GUARDED)]
SQLITE_UNINSTALL = [f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGERS]

# --- PostgreSQL ------------------------------------------------------------------------------

_PG_SAME = (
    "(NEW.id, NEW.at, NEW.actor_id, NEW.action, NEW.object_type, NEW.object_id, NEW.region_code) "
    "IS NOT DISTINCT FROM (OLD.id, OLD.at, OLD.actor_id, OLD.action, OLD.object_type, OLD.object_id, "
    "OLD.region_code)"
)

POSTGRES_INSTALL = [
    f"CREATE TABLE IF NOT EXISTS {GATE_TABLE} (kind varchar(16) NOT NULL PRIMARY KEY)",
    f"""CREATE OR REPLACE FUNCTION audit_gate_open(gate text) RETURNS boolean LANGUAGE sql STABLE AS
    $$ SELECT EXISTS (SELECT 1 FROM {GATE_TABLE} WHERE kind = gate) $$""",
    f"""CREATE OR REPLACE FUNCTION audit_event_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'UPDATE' THEN
        IF {_PG_SAME} AND OLD.row_hash = '' AND NEW.row_hash <> '' AND NEW.payload_hash <> ''
           AND OLD.block_id IS NULL AND NEW.block_id IS NOT NULL
           AND NEW.detail IS NOT DISTINCT FROM OLD.detail AND OLD.erased_at IS NULL AND NEW.erased_at IS NULL THEN
          RETURN NEW;  -- sealing
        END IF;
        IF {_PG_SAME} AND OLD.row_hash <> '' AND NEW.row_hash = OLD.row_hash
           AND NEW.payload_hash = OLD.payload_hash AND NEW.block_id IS NOT DISTINCT FROM OLD.block_id
           AND OLD.erased_at IS NULL AND NEW.erased_at IS NOT NULL AND NEW.detail = '{{}}'::jsonb
           AND audit_gate_open('erase') THEN
          RETURN NEW;  -- retention erasure
        END IF;
        RAISE EXCEPTION 'audit_auditevent is append-only: rows cannot be changed'
          USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      RAISE EXCEPTION 'audit_auditevent is append-only: rows cannot be deleted'
        USING ERRCODE = 'integrity_constraint_violation';
    END $$""",
    """CREATE OR REPLACE FUNCTION audit_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP IN ('DELETE', 'TRUNCATE') AND audit_gate_open('flush') THEN
        RETURN OLD;  -- the test run's flush (NULL for a statement trigger, which is fine)
      END IF;
      RAISE EXCEPTION '% of % refused: the audit trail is append-only, accounts are deactivated', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
    END $$""",
    "DROP TRIGGER IF EXISTS audit_event_guard ON audit_auditevent",
    """CREATE TRIGGER audit_event_guard BEFORE UPDATE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_event_guard()""",
    "DROP TRIGGER IF EXISTS audit_auditblock_no_update ON audit_auditblock",
    """CREATE TRIGGER audit_auditblock_no_update BEFORE UPDATE ON audit_auditblock
    FOR EACH ROW EXECUTE FUNCTION audit_refuse()""",
]
for _table in GUARDED:
    POSTGRES_INSTALL += [
        f"DROP TRIGGER IF EXISTS {_table}_no_delete ON {_table}",
        f"CREATE TRIGGER {_table}_no_delete BEFORE DELETE ON {_table} FOR EACH ROW EXECUTE FUNCTION audit_refuse()",
        # A row trigger does not fire on TRUNCATE: a statement trigger refuses it too.
        f"DROP TRIGGER IF EXISTS {_table}_no_truncate ON {_table}",
        f"CREATE TRIGGER {_table}_no_truncate BEFORE TRUNCATE ON {_table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse()",
    ]

POSTGRES_TRIGGERS = [
    ("audit_auditevent", "audit_event_guard"), ("audit_auditblock", "audit_auditblock_no_update"),
    *((t, f"{t}_no_delete") for t in GUARDED), *((t, f"{t}_no_truncate") for t in GUARDED),
]
POSTGRES_UNINSTALL = [f"DROP TRIGGER IF EXISTS {name} ON {table}" for table, name in POSTGRES_TRIGGERS] + [
    "DROP FUNCTION IF EXISTS audit_event_guard()", "DROP FUNCTION IF EXISTS audit_refuse()",
    "DROP FUNCTION IF EXISTS audit_gate_open(text)",
]


def install(connection) -> None:
    """Create the gate table and the triggers (idempotent); called by the audit migrations."""
    statements = POSTGRES_INSTALL if connection.vendor == "postgresql" else SQLITE_INSTALL
    if connection.vendor not in ("postgresql", "sqlite"):
        raise NotImplementedError(f"append-only audit triggers for {connection.vendor}")
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def uninstall(connection) -> None:
    statements = POSTGRES_UNINSTALL if connection.vendor == "postgresql" else SQLITE_UNINSTALL
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def missing(connection) -> list[str]:
    """The guard triggers absent from the database (verify_audit fails on any)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'D'")
            present = {row[0] for row in cursor.fetchall()}
            return [name for _table, name in POSTGRES_TRIGGERS if name not in present]
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        present = {row[0] for row in cursor.fetchall()}
        return [name for name in SQLITE_TRIGGERS if name not in present]
