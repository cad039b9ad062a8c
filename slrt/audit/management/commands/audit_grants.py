"""Print the SQL that gives a PostgreSQL role what the web application needs, and no more on the audit trail.

The tables' owner (who runs migrate, the Celery workers, apply_retention and verify_audit) keeps every
right; the application role gets all data rights on the other tables, but only SELECT and
INSERT on the audit rows and SELECT on the sealed blocks and the gate. Run after every migrate:

    python manage.py audit_grants slrt_app | psql "$OWNER_DATABASE_URL"
"""

import re

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError

APPEND_ONLY = {"audit_auditevent": "SELECT, INSERT", "audit_auditblock": "SELECT", "audit_gate": "SELECT"}


class Command(BaseCommand):
    help = "Print GRANT statements for the web application's PostgreSQL role (append-only audit trail)."

    def add_arguments(self, parser):
        parser.add_argument("role")

    def handle(self, *args, role, **options):
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", role):
            raise CommandError("Nama role PostgreSQL: huruf kecil, angka dan _ saja.")
        tables = sorted({m._meta.db_table for m in apps.get_models() if m._meta.managed}
                        | {f.m2m_db_table() for m in apps.get_models() for f in m._meta.local_many_to_many})
        lines = ["BEGIN;", f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role};",
                 f"GRANT USAGE ON SCHEMA public TO {role};",
                 f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role};"]
        for table in tables:
            if table not in APPEND_ONLY:
                lines.append(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {role};")
        lines += [f"GRANT {rights} ON {table} TO {role};" for table, rights in APPEND_ONLY.items()]
        # Tables made by migrations outside Django models (the registry's name-key dictionary).
        lines += [
            "DO $$ DECLARE t text; BEGIN",
            "  FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
            f"    AND tablename NOT IN ({', '.join(repr(t) for t in [*tables, *APPEND_ONLY])}) LOOP",
            f"    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO {role}', t);",
            "  END LOOP; END $$;",
            "COMMIT;",
        ]
        self.stdout.write("\n".join(lines))
