"""Reads of export jobs: a job is its requester's alone (anyone else: 404, as if it did not exist)."""

from django.http import Http404

from .models import ExportJob, ExportStatus


def jobs_for(user, limit: int = 50) -> list[ExportJob]:
    return list(ExportJob.objects.filter(requested_by=user)[:limit])


def job_for(user, pk) -> ExportJob:
    """The user's own job; another's (an Admin's too: the file holds rows of the requester's
    scope and role) is 404 exactly like a missing one."""
    try:
        return ExportJob.objects.get(pk=pk, requested_by=user)
    except (ExportJob.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def downloadable(job: ExportJob) -> bool:
    return job.status == ExportStatus.DONE and bool(job.file)
