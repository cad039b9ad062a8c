"""Referrals per agency (issue 13, point 1): each figure equals a count made here from the
referrals the test created through the services, a referral counts in the month it was sent,
and each figure's link lists exactly those referrals."""

import contextlib
import datetime as dt
import re
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.http import Http404
from django.utils import timezone

from slrt.referrals.escalation import escalate_overdue
from slrt.referrals.selectors import inbox_filters_from, referral_filters_from
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


# --- the referrals section ------------------------------------------------------------------------

ROW = re.compile(r'<tr data-referral-id="(\d+)"')


def listed(client, url) -> set[int]:
    """The referral ids the list at `url` shows (one page holds them all here), checked against
    the total the page states."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    body = response.content.decode()
    ids = {int(i) for i in ROW.findall(body)}
    total = re.search(r'data-total="(\d+)"', body)
    assert total and int(total.group(1)) == len(ids), url
    return ids


@pytest.fixture
def march(monkeypatch):
    """A district's referrals of March 2026 (and around it), built through the services."""
    desk = fx.build_desk()
    mitra = desk.mitra
    r = SimpleNamespace(desk=desk)
    # Sent on the last evening of March, accepted on 1 April: counts as sent in March.
    r.a = send(desk, monkeypatch, at(2026, 3, 31, 23))
    act(r.a, monkeypatch, at(2026, 4, 1, 9), "accept", who=mitra)
    r.b = send(desk, monkeypatch, at(2026, 3, 2))  # RSUD's SLA is 5 days: done on day 4
    act(r.b, monkeypatch, at(2026, 3, 6), "accept", "start", "done", who=mitra)
    r.c = send(desk, monkeypatch, at(2026, 3, 3))  # done on day 17: late
    act(r.c, monkeypatch, at(2026, 3, 20), "accept", "start", "done", who=mitra)
    # Three rejections, two of them for the same reason written differently.
    r.d, r.e, r.f = (send(desk, monkeypatch, at(2026, 3, 4 + i)) for i in range(3))
    for ref, reason in ((r.d, "Bukan wewenang kami"), (r.e, "  bukan wewenang KAMI "), (r.f, "Kamar penuh")):
        with clock(monkeypatch, at(2026, 3, 9)):
            fx.move(ref, "reject", mitra, reason=reason)
    r.g = send(desk, monkeypatch, at(2026, 3, 10), svc=desk.dinkes_service)  # Dinkes, no answer yet
    r.h = send(desk, monkeypatch, at(2026, 2, 28, 23))  # February, by the WIB day
    r.i = send(desk, monkeypatch, at(2026, 4, 1, 0))  # April from its first minute
    fx.draft(desk)  # a draft never sent counts nowhere
    escalate_overdue(timezone.now())  # a, g, h and i are past their due date today
    return r


def cell(section, table_key, row_key, column):
    tbl = next(t for t in section["tables"] if t["key"] == table_key)
    return next(row for row in tbl["rows"] if row["key"] == row_key).get(column)


def row_of(section, table_key, row_key):
    tbl = next(t for t in section["tables"] if t["key"] == table_key)
    return next(row for row in tbl["rows"] if row["key"] == row_key)


@pytest.mark.django_db
def test_referral_section_figures_equal_the_referrals_made_and_their_lists(march):
    r, desk = march, march.desk
    s = fig.referrals(scope_of(desk.manajer))
    figures = {f["key"]: f for f in s["figures"]}
    expected = {
        "sent": {r.a, r.b, r.c, r.d, r.e, r.f, r.g},
        "accepted": {r.a, r.b, r.c},
        "rejected": {r.d, r.e, r.f},
        "done": {r.b, r.c},
        "done_on_time": {r.b},
        "escalated": {r.a, r.g},
        "overdue_now": {r.a, r.g, r.h, r.i},  # today's backlog, whenever sent
    }
    client = fx.client_for(desk.manajer)
    for key, refs in expected.items():
        assert figures[key]["value"] == len(refs), key
        assert listed(client, figures[key]["url"]) == {x.pk for x in refs}, key
    assert figures["on_time_share"]["value"] == 50.0
    # Accept waits: 10 h, 4 days, 17 days; done: 4 and 17 days (the median of two is their mean).
    assert figures["median_accept_days"]["value"] == 4.0
    assert figures["median_done_days"]["value"] == 10.5

    rsud = row_of(s, "by_agency", "RSUD-3201")
    assert (rsud["label"], rsud["sent"], rsud["accepted"], rsud["rejected"], rsud["done"], rsud["done_on_time"],
            rsud["overdue"], rsud["escalated"]) == (desk.rsud.name, 6, 3, 3, 2, 1, 1, 1)
    assert rsud["on_time_share"] == 50.0 and rsud["median_accept_days"] == 4.0
    assert listed(client, rsud["url"]) == {x.pk for x in (r.a, r.b, r.c, r.d, r.e, r.f)}
    by_cell = {"accepted": {r.a, r.b, r.c}, "rejected": {r.d, r.e, r.f}, "done": {r.b, r.c},
               "done_on_time": {r.b}, "overdue": {r.a}, "escalated": {r.a}}
    for column, refs in by_cell.items():
        assert listed(client, rsud["urls"][column]) == {x.pk for x in refs}, column
    dinkes = row_of(s, "by_agency", "DINKES-3201")
    assert (dinkes["sent"], dinkes["accepted"], dinkes["done"], dinkes["overdue"]) == (1, 0, 0, 1)
    assert dinkes["median_accept_days"] is None and dinkes["on_time_share"] is None
    assert listed(client, dinkes["url"]) == {r.g.pk}

    # Rejections by reason: the same words (case, outer spaces aside) are one reason.
    reasons = next(t for t in s["tables"] if t["key"] == "rejections")["rows"]
    assert sorted((x["label"].lower(), x["n"]) for x in reasons) == [("bukan wewenang kami", 2), ("kamar penuh", 1)]
    same = next(x for x in reasons if x["n"] == 2)
    assert listed(client, same["url"]) == {r.d.pk, r.e.pk}
    assert "wewenang" not in same["url"]  # the words never go into a link
    body = client.get(same["url"]).content.decode()
    assert "Hanya yang ditolak dengan alasan" in body and "Lembaga RSUD-3201" in body

    # Drill-down: the kab/kota's kecamatan; all of them in one.
    kec = row_of(s, "by_region", "32.01.02")
    assert (kec["sent"], kec["done"], kec["done_on_time"]) == (7, 2, 1)
    assert listed(client, kec["url"]) == {x.pk for x in (r.a, r.b, r.c, r.d, r.e, r.f, r.g)}
    assert row_of(s, "by_region", "32.01.03")["sent"] == 0


@pytest.mark.django_db
def test_a_referral_counts_in_the_month_it_was_sent_not_when_it_was_answered(march):
    r, desk = march, march.desk
    april = {x["agency"]: x for x in fig.by_agency(scope_of(desk.manajer, "2026-04"))}
    assert april == {"RSUD-3201": {"agency": "RSUD-3201", "name": desk.rsud.name, "sent": 1, "accepted": 0,
                                   "rejected": 0, "done": 0, "done_on_time": 0}}
    feb = fig.referrals(scope_of(desk.manajer, "2026-02"))
    assert {f["key"]: f["value"] for f in feb["figures"]}["sent"] == 1
    client = fx.client_for(desk.manajer)
    assert listed(client, feb["figures"][0]["url"]) == {r.h.pk}
    # The accept of `a` in April moved nothing into April.
    assert {f["key"]: f["value"] for f in fig.referrals(scope_of(desk.manajer, "2026-04"))["figures"]}[
        "accepted"] == 0


@pytest.mark.django_db
def test_done_within_the_sla_is_measured_from_sending_with_the_service_sla(monkeypatch):
    desk = fx.build_desk()
    mitra = desk.mitra
    # RSUD: 5 days. Done exactly at the deadline is on time; one minute later is late.
    on_time = send(desk, monkeypatch, at(2026, 5, 1))
    act(on_time, monkeypatch, at(2026, 5, 6), "accept", "start", "done", who=mitra)
    late = send(desk, monkeypatch, at(2026, 5, 1))
    act(late, monkeypatch, at(2026, 5, 6) + dt.timedelta(minutes=1), "accept", "start", "done", who=mitra)
    # Dinkes: 10 days, so day 8 is on time there.
    dinkes = send(desk, monkeypatch, at(2026, 5, 2), svc=desk.dinkes_service)
    act(dinkes, monkeypatch, at(2026, 5, 10), "accept", "start", "done", who=desk.mitra_dinkes)
    rows = {x["agency"]: x for x in fig.by_agency(scope_of(desk.manajer, "2026-05"))}
    assert (rows["RSUD-3201"]["done"], rows["RSUD-3201"]["done_on_time"]) == (2, 1)
    assert (rows["DINKES-3201"]["done"], rows["DINKES-3201"]["done_on_time"]) == (1, 1)
    client = fx.client_for(desk.manajer)
    s = fig.referrals(scope_of(desk.manajer, "2026-05"))
    assert listed(client, row_of(s, "by_agency", "RSUD-3201")["urls"]["done_on_time"]) == {on_time.pk}
    late_url = fig.referral_url(scope_of(desk.manajer, "2026-05"), sla="lewat")
    assert listed(client, late_url) == {late.pk}


@pytest.mark.django_db
def test_scope_another_kab_sees_none_and_a_mitra_has_no_dashboard(march):
    desk = march.desk
    # The Manajer of another kabupaten: its own dashboard counts nothing of 32.01 ...
    other = fig.referrals(scope_of(desk.manajer_other_kab))
    assert all(not f["value"] for f in other["figures"] if f["key"] != "on_time_share")
    assert fig.by_agency(scope_of(desk.manajer_other_kab)) == []
    # ... 32.01 itself is not found, and its lists show nothing of it.
    with pytest.raises(Http404):
        resolve_region(desk.manajer_other_kab, "32.01")
    client = fx.client_for(desk.manajer_other_kab)
    assert client.get("/dasbor/32.01/?bulan=2026-03").status_code == 404
    url = fig.referrals(scope_of(desk.manajer))["figures"][0]["url"]
    assert client.get(url).status_code == 400  # region 32.01 is outside: named, nothing listed
    assert listed(client, url.replace("region=32.01", "region=32.02")) == set()
    # A Koordinator of another desa counts none of these; the Dinsos of the province all.
    assert fig.by_agency(scope_of(desk.koord_other)) == []
    assert sum(x["sent"] for x in fig.by_agency(scope_of(desk.dinsos, code="32.01"))) == 7
    # A Mitra has no dashboard at all.
    assert fx.client_for(desk.mitra).get("/dasbor/?bulan=2026-03").status_code == 403


@pytest.mark.django_db
def test_the_dashboard_page_shows_the_referral_table_with_its_links(march):
    body = fx.client_for(march.desk.manajer).get("/dasbor/?bulan=2026-03").content.decode()
    assert "Rujukan per lembaga" in body and march.desk.rsud.name in body
    assert "sent_from=2026-03-01" in body and "RSUD-3201" in body


@pytest.mark.django_db
def test_bad_filters_are_named_in_indonesian(march):
    user = march.desk.manajer
    for params, param in (({"sla": "kapan"}, "sla"), ({"sent_from": "2026-13-01"}, "sent_from"),
                          ({"reason": "bukan wewenang"}, "reason"), ({"agency": "TIDAK-ADA"}, "agency"),
                          ({"sent_from": "2026-03-31", "sent_to": "2026-03-01"}, "sent_to")):
        with pytest.raises(ValueError) as exc:
            referral_filters_from(params, user)
        assert f"Parameter {param}" in str(exc.value), str(exc.value)
    with pytest.raises(ValueError, match="Parameter status"):
        inbox_filters_from({"status": "draf"}, march.desk.mitra)
    f = referral_filters_from({"agency": "RSUD-3201", "sla": "tepat", "sent_from": "2026-03-01"}, user)
    assert (f.agency, f.sla, f.sent_from) == ("RSUD-3201", "tepat", dt.date(2026, 3, 1))
    response = fx.client_for(user).get("/rujukan/?sla=kapan")
    assert response.status_code == 400 and "Parameter sla" in response.content.decode()


@pytest.mark.django_db
def test_the_province_drills_down_to_the_kab_and_its_lists(march):
    r, desk = march, march.desk
    s = fig.referrals(scope_of(desk.dinsos, code="32"))
    kab = row_of(s, "by_region", "32.01")
    client = fx.client_for(desk.dinsos)
    march_refs = {x.pk for x in (r.a, r.b, r.c, r.d, r.e, r.f, r.g)}
    assert kab["sent"] == 7 and listed(client, kab["url"]) == march_refs
    assert row_of(s, "by_region", "32.02")["sent"] == 0
    assert {f["key"]: f["value"] for f in s["figures"]}["sent"] == 7
    assert client.get("/dasbor/32/?bulan=2026-03").status_code == 200
    assert client.get("/dasbor/32.01/?bulan=2026-03").status_code == 200
