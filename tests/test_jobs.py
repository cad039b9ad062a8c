"""The scheduled jobs' registry (notifications.jobs): referrals registers its escalation,
notifications the audit sealing and privacy the data requests' deadline warning, run_jobs runs
the registered jobs before the outbox, and one failing job stops neither the others nor the round."""

import io
import logging

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from slrt.audit.sealing import seal_pending
from slrt.notifications import jobs
from slrt.privacy.reminders import warn_near_deadline
from slrt.referrals.escalation import escalate_overdue

pytestmark = pytest.mark.django_db


def test_referrals_registers_the_escalation_and_notifications_the_audit_sealing():
    assert [(j.name, j.run, j.label) for j in jobs.registered_jobs()] == [
        ("escalation", escalate_overdue, "escalated"), ("audit_seal", seal_pending, "sealed"),
        ("data_request_due", warn_near_deadline, "data_requests_due"),
    ]


def test_the_registered_jobs_run_in_order_before_the_outbox(monkeypatch):
    ran = []
    monkeypatch.setattr(jobs, "_jobs", {})
    jobs.register_job("first", lambda: ran.append("first") or 2, label="firsts")
    jobs.register_job("second", lambda: ran.append("second") or 0, label="seconds")
    monkeypatch.setattr(
        "slrt.notifications.management.commands.run_jobs.process_outbox",
        lambda limit: ran.append("outbox") or {"sent": 1},
    )
    out = io.StringIO()
    call_command("run_jobs", "--once", stdout=out)
    assert ran == ["first", "second", "outbox"]
    assert out.getvalue().strip() == "firsts=2 seconds=0 sent=1"


def test_a_failing_job_is_logged_and_the_outbox_still_runs(monkeypatch, caplog):
    ran = []

    def broken():
        raise RuntimeError("boom")

    monkeypatch.setattr(jobs, "_jobs", {})
    jobs.register_job("escalation", broken, label="escalated")
    monkeypatch.setattr(
        "slrt.notifications.management.commands.run_jobs.process_outbox",
        lambda limit: ran.append("outbox") or {},
    )
    with caplog.at_level(logging.ERROR, logger="slrt.jobs"):
        with pytest.raises(CommandError):
            call_command("run_jobs", "--once", verbosity=0)
    assert ran == ["outbox"]
    assert "jobs: escalation failed" in caplog.text
