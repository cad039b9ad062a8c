"""A dictionary of distinct name keys, trigram-indexed, for fast name search (PostgreSQL only).

Measured on 1,000,000 generated people (25,000 distinct keys), a trigram search over
`registry_person.name_key` spent 60-100 ms in the GIN index alone: common trigrams (" ri",
"nug") have posting lists of tens of thousands of people. Names repeat, so the search now
runs over the distinct keys (`registry_name_key`, ~1 ms) and then fetches the people holding
the best keys through the plain btree index on `registry_person.name_key`.

Statement-level triggers with transition tables keep the dictionary filled by every write
path (import COPY/upserts, merges, edits) at the cost of one DISTINCT per statement, and
refresh its statistics after a statement that added many keys. Keys no longer used by anyone
stay behind; they match nobody and cost nothing but a row.

This replaces the trigram index on `registry_person` from 0004, which every import paid for.
SQLite has neither: search there scores the distinct keys with rapidfuzz.
"""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "DROP INDEX IF EXISTS registry_person_name_key_trgm",
    "CREATE TABLE IF NOT EXISTS registry_name_key (key varchar(150) PRIMARY KEY)",
    """
    INSERT INTO registry_name_key (key)
    SELECT DISTINCT name_key FROM registry_person WHERE name_key <> ''
    ON CONFLICT DO NOTHING
    """,
    # fastupdate off: new keys go straight into the index. With the default pending list, the
    # keys of a large import sat unindexed until the next vacuum and each search scanned them.
    """
    CREATE INDEX IF NOT EXISTS registry_name_key_trgm ON registry_name_key
    USING gin (key gin_trgm_ops) WITH (fastupdate = off)
    """,
    "ANALYZE registry_name_key",
    """
    CREATE OR REPLACE FUNCTION registry_name_key_collect() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        added bigint;
    BEGIN
        INSERT INTO registry_name_key (key)
        SELECT DISTINCT name_key FROM new_rows WHERE name_key <> ''
        ON CONFLICT DO NOTHING;
        GET DIAGNOSTICS added = ROW_COUNT;
        -- After a large import the planner must know the dictionary grew, or it scans it all
        -- instead of using the trigram index until autovacuum comes by.
        IF added > 1000 THEN
            ANALYZE registry_name_key;
        END IF;
        RETURN NULL;
    END
    $$
    """,
    "DROP TRIGGER IF EXISTS registry_person_name_key_ins ON registry_person",
    "DROP TRIGGER IF EXISTS registry_person_name_key_upd ON registry_person",
    """
    CREATE TRIGGER registry_person_name_key_ins AFTER INSERT ON registry_person
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION registry_name_key_collect()
    """,
    """
    CREATE TRIGGER registry_person_name_key_upd AFTER UPDATE ON registry_person
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION registry_name_key_collect()
    """,
]

BACKWARD = [
    "DROP TRIGGER IF EXISTS registry_person_name_key_ins ON registry_person",
    "DROP TRIGGER IF EXISTS registry_person_name_key_upd ON registry_person",
    "DROP FUNCTION IF EXISTS registry_name_key_collect()",
    "DROP TABLE IF EXISTS registry_name_key",
    "CREATE INDEX IF NOT EXISTS registry_person_name_key_trgm ON registry_person USING gin (name_key gin_trgm_ops)",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0004_person_name_trigram_index"),
    ]

    operations = [
        migrations.RunPython(_run(FORWARD), _run(BACKWARD), elidable=False),
    ]
