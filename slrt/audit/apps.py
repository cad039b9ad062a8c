from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_triggers(using="default", **kwargs):
    """SQLite drops a table's triggers when a migration rebuilds the table: put them back."""
    from django.db import connections

    from . import triggers

    connection = connections[using]
    if connection.vendor not in ("postgresql", "sqlite"):
        return
    if set(triggers.GUARDED) - set(connection.introspection.table_names()):
        return  # migrated back below the audit tables
    if triggers.missing(connection):
        triggers.install(connection)


class AuditConfig(AppConfig):
    name = "slrt.audit"
    verbose_name = _("Jejak audit")

    def ready(self):
        # Django's own migrate hook (like the permissions it creates), not an app extension point.
        post_migrate.connect(_ensure_triggers, sender=self, dispatch_uid="slrt.audit.triggers")
