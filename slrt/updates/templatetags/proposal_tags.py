"""Template helpers of registry proposals for pages of other apps (the registry import result)."""

from django import template

from slrt.updates.models import Reconciliation

register = template.Library()


@register.simple_tag
def import_reconciliation(job):
    """The proposal reconciliation an import job ran (None before it finished or if it ran none).

    The caller's page is already scoped to the job; the reconciliation covers the job's region."""
    if job is None or not getattr(job, "pk", None):
        return None
    return Reconciliation.objects.filter(import_job_id=job.pk).order_by("-pk").first()
