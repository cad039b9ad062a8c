from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "slrt.notifications"
    verbose_name = _("Notifikasi")

    def ready(self):
        from slrt.audit.sealing import seal_pending

        from .claims import prune
        from .jobs import register_job
        from .sending import process_outbox

        # audit sits below notifications, so its sealing job is registered here. Its rows wait out
        # the sealing margin anyway, so a minute's period is plenty.
        register_job("audit_seal", seal_pending, label="sealed", every=60)
        # What the other jobs queued goes out within a minute; the outbox's own row claims keep two
        # concurrent runs (a late one and the next period's) from sending a message twice.
        register_job("outbox", process_outbox, label="sent", every=60)
        register_job("job_runs_prune", prune, label="job_runs_pruned", every=3600)
