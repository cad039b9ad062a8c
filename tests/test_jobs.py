"""The scheduled jobs' registry (notifications.jobs) and their task (notifications.tasks.run_job):
referrals registers its escalation, notifications the audit sealing, its outbox and the pruning of
claims, privacy the data requests' deadline warning; a period runs once however often it is sent;
a failing job is recorded and raised, and stops no other job."""

import logging

import pytest

from slrt.audit.sealing import seal_pending
from slrt.exports.services import cleanup_expired
from slrt.notifications import jobs
from slrt.notifications.claims import prune
from slrt.notifications.models import JobRun
from slrt.notifications.sending import process_outbox
from slrt.notifications.tasks import run_job
from slrt.privacy.reminders import warn_near_deadline
from slrt.referrals.escalation import escalate_overdue
from slrt.reports.monthly.services import run_scheduled

pytestmark = pytest.mark.django_db


def test_the_apps_register_their_jobs_with_their_periods():
    assert [(j.name, j.run, j.label, j.every) for j in jobs.registered_jobs()] == [
        ("escalation", escalate_overdue, "escalated", 60), ("audit_seal", seal_pending, "sealed", 60),
        ("outbox", process_outbox, "sent", 60), ("job_runs_prune", prune, "job_runs_pruned", 3600),
        ("data_request_due", warn_near_deadline, "data_requests_due", 60),
        ("export_cleanup", cleanup_expired, "exports_expired", 3600),
        ("monthly_reports", run_scheduled, "monthly_reports_queued", 3600),
    ]


def test_a_period_runs_once_however_often_it_is_sent(monkeypatch):
    ran = []
    monkeypatch.setattr(jobs, "_jobs", {})
    jobs.register_job("first", lambda: ran.append("first") or 2, label="firsts")
    period = "2026-12-03T10:00:00+00:00"
    for _ in range(3):
        run_job.apply(args=("first",), kwargs={"period": period})
    run_job.apply(args=("first",), kwargs={"period": "2026-12-03T10:01:00+00:00"})
    assert ran == ["first", "first"]
    assert sorted(JobRun.objects.values_list("outcome", flat=True)) == ["firsts=2", "firsts=2"]


def test_a_failing_job_is_recorded_and_raised_and_the_next_job_still_runs(monkeypatch, caplog):
    ran = []

    def broken():
        raise RuntimeError("boom")

    monkeypatch.setattr(jobs, "_jobs", {})
    jobs.register_job("escalation", broken, label="escalated")
    jobs.register_job("outbox", lambda: ran.append("outbox") or {"sent": 0}, label="sent")
    with caplog.at_level(logging.ERROR, logger="slrt.jobs"):
        with pytest.raises(RuntimeError):
            run_job.apply(args=("escalation",), throw=True)
        run_job.apply(args=("outbox",))
    assert ran == ["outbox"]
    assert "jobs: escalation failed" in caplog.text
    assert JobRun.objects.get(job="escalation").outcome == "error: RuntimeError"
