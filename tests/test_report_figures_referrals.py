"""Referrals per agency (issue 13, point 1): each figure equals a count made here from the
referrals the test created through the services, a referral counts in the month it was sent,
and each figure's link lists exactly those referrals."""

import contextlib
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from slrt.reports.figures import referrals as fig
from slrt.reports.figures.base import Scope, resolve_region
from slrt.reports.period import month_period
from tests import test_referrals_fixtures as fx

WIB = ZoneInfo("Asia/Jakarta")


@contextlib.contextmanager
def clock(monkeypatch, moment):
    """Every `timezone.now()` (services, auto_now fields) answers `moment` inside the block."""
    with monkeypatch.context() as m:
        m.setattr(timezone, "now", lambda: moment)
        yield


def at(y, mo, d, h=10):
    return dt.datetime(y, mo, d, h, tzinfo=WIB)


def send(desk, monkeypatch, moment, svc=None):
    ref = fx.draft(desk, svc=svc)
    with clock(monkeypatch, moment):
        return fx.move(ref, "send", desk.manajer)


def act(ref, monkeypatch, moment, *actions, who=None):
    for action in actions:
        with clock(monkeypatch, moment):
            ref = fx.move(ref, action, who, **fx.FIELDS)
    return ref


def scope_of(user, month="2026-03", code=""):
    return Scope(user, resolve_region(user, code), month_period(month))


@pytest.mark.django_db
def test_by_agency_counts_each_referral_in_the_month_it_was_sent(monkeypatch):
    desk = fx.build_desk()
    # RSUD (SLA 5 days): sent in March, accepted in April -> counts as sent (and accepted) in March.
    a = send(desk, monkeypatch, at(2026, 3, 31, 20))
    act(a, monkeypatch, at(2026, 4, 1), "accept", who=desk.mitra)
    # Done within the SLA and done late.
    b = send(desk, monkeypatch, at(2026, 3, 2))
    act(b, monkeypatch, at(2026, 3, 6), "accept", "start", "done", who=desk.mitra)
    c = send(desk, monkeypatch, at(2026, 3, 3))
    act(c, monkeypatch, at(2026, 3, 20), "accept", "start", "done", who=desk.mitra)
    # Rejected; and one sent in February (not March).
    d = send(desk, monkeypatch, at(2026, 3, 4))
    act(d, monkeypatch, at(2026, 3, 5), "reject", who=desk.mitra)
    send(desk, monkeypatch, at(2026, 2, 28, 23))
    # Dinkes (SLA 10 days): one sent in March, still waiting.
    send(desk, monkeypatch, at(2026, 3, 10), svc=desk.dinkes_service)
    rows = {r["agency"]: r for r in fig.by_agency(scope_of(desk.manajer))}
    assert rows["RSUD-3201"] == {"agency": "RSUD-3201", "name": desk.rsud.name, "sent": 4, "accepted": 3,
                                 "rejected": 1, "done": 2, "done_on_time": 1}
    assert rows["DINKES-3201"] == {"agency": "DINKES-3201", "name": desk.dinkes.name, "sent": 1, "accepted": 0,
                                   "rejected": 0, "done": 0, "done_on_time": 0}
    april = {r["agency"]: r["sent"] for r in fig.by_agency(scope_of(desk.manajer, "2026-04"))}
    assert april == {}
    feb = {r["agency"]: r["sent"] for r in fig.by_agency(scope_of(desk.manajer, "2026-02"))}
    assert feb == {"RSUD-3201": 1}
