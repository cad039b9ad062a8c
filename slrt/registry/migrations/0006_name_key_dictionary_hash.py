"""The name key dictionary loses its btree primary key; a hash index takes over (PostgreSQL only).

With a btree on `key`, the planner could answer the trigram search by reading that whole
btree (an index-only "full scan") and computing word_similarity() for every key: 250 ms for
25,000 keys instead of 1-10 ms through the trigram index. A hash index serves the equality
look-ups of the trigger but cannot be scanned whole, so the trigram index is the only plan
left once sequential scans are switched off for the search (registry.selectors.people).

Without a unique index, two imports adding the same new key at the same moment may both
insert it; the search reads keys as a set, so a duplicate costs one row and nothing else.
"""

from django.db import migrations

FORWARD = [
    "ALTER TABLE registry_name_key DROP CONSTRAINT IF EXISTS registry_name_key_pkey",
    "ALTER TABLE registry_name_key ALTER COLUMN key SET NOT NULL",
    "CREATE INDEX IF NOT EXISTS registry_name_key_hash ON registry_name_key USING hash (key)",
    """
    CREATE OR REPLACE FUNCTION registry_name_key_collect() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        added bigint;
    BEGIN
        INSERT INTO registry_name_key (key)
        SELECT DISTINCT n.name_key FROM new_rows n
        WHERE n.name_key <> ''
          AND NOT EXISTS (SELECT 1 FROM registry_name_key k WHERE k.key = n.name_key);
        GET DIAGNOSTICS added = ROW_COUNT;
        -- After a large import the planner must know the dictionary grew.
        IF added > 1000 THEN
            ANALYZE registry_name_key;
        END IF;
        RETURN NULL;
    END
    $$
    """,
    "ANALYZE registry_name_key",
]

BACKWARD = [
    "DELETE FROM registry_name_key a USING registry_name_key b WHERE a.key = b.key AND a.ctid > b.ctid",
    "DROP INDEX IF EXISTS registry_name_key_hash",
    "ALTER TABLE registry_name_key ADD PRIMARY KEY (key)",
    """
    CREATE OR REPLACE FUNCTION registry_name_key_collect() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        added bigint;
    BEGIN
        INSERT INTO registry_name_key (key)
        SELECT DISTINCT name_key FROM new_rows WHERE name_key <> ''
        ON CONFLICT DO NOTHING;
        GET DIAGNOSTICS added = ROW_COUNT;
        IF added > 1000 THEN
            ANALYZE registry_name_key;
        END IF;
        RETURN NULL;
    END
    $$
    """,
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
        ("registry", "0005_name_key_dictionary"),
    ]

    operations = [
        migrations.RunPython(_run(FORWARD), _run(BACKWARD), elidable=False),
    ]
