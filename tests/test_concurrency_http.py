"""Optimistic locking proved with real concurrent HTTP requests against a running server on
PostgreSQL: two staff act on the same record at the same moment, one wins, the other is told
about the conflict, and what the loser typed comes back to them instead of being lost.

Service-level races are in test_cases_concurrency / test_referrals_concurrency; these go
through the whole stack (threaded server, sessions and tokens, CSRF, forms, API).
"""

import json
import re
import threading
import urllib.error
import urllib.request
from html import unescape

import pytest
from django.db import connection
from django.test import Client

from slrt.cases import services as case_services
from slrt.programs.catalogue import load_agencies
from slrt.programs.models import AgencyService
from slrt.referrals import services as referral_services
from slrt.referrals.models import Referral, ReferralStatus
from tests.conftest import PASSWORD

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="real concurrent requests need PostgreSQL")

DESA = "32.01.02.2001"


def _case(actor, person, sector="kesehatan", text="Biaya rawat inap"):
    intake = case_services.Intake(
        complaint_type="pengaduan",
        channel="sekretariat",
        needs=[{"sector": sector, "description": text}],
        consent_given=True,
        consent_purpose="Penanganan keluhan",
        consent_share_agencies=True,
    )
    return case_services.create_case(actor, intake, person=person).case


def _together(calls):
    """Run the callables at the same instant (barrier) in threads; return their results in order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, call):
        barrier.wait(timeout=10)
        results[i] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def _request(opener, url, data=None, headers=None, method=None):
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)  # noqa: S310 - test server
    try:
        with opener.open(req, timeout=30) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _form_post(live_server, user, url, fields):
    """Open the form as `user` (session as after logging in), then return a callable that submits it."""
    client = Client()
    client.force_login(user)
    opener = urllib.request.build_opener(NoRedirect)
    cookies = {"sessionid": client.cookies["sessionid"].value}
    req = urllib.request.Request(url, headers={"Cookie": f"sessionid={cookies['sessionid']}"})  # noqa: S310 - test server
    with opener.open(req, timeout=30) as resp:  # noqa: S310 - the test server's http URL
        page = resp.read().decode()
        cookies["csrftoken"] = re.search(r"csrftoken=([^;]+)", resp.headers["Set-Cookie"]).group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **fields}).encode()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Referer": url,
        "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
    }
    return lambda: _request(opener, url, body, headers)


def _token(live_server, username):
    status, body = _request(
        urllib.request.build_opener(),
        f"{live_server.url}/api/v1/auth/token",
        json.dumps({"username": username, "password": PASSWORD}).encode(),
        {"Content-Type": "application/json"},
    )
    assert status == 200, body
    return json.loads(body)["token"]


def test_two_officers_saving_one_need_in_the_browser_one_wins_the_other_keeps_their_text(
    regions_after_flush, live_server, make_user, make_person
):
    front_office = make_user("front_office", "32.01")
    first, second = make_user("back_office", "32.01"), make_user("back_office", "32.01")
    case = _case(front_office, make_person(desa_code=DESA))
    need = case.needs.get()
    url = f"{live_server.url}/layanan/{case.pk}/kebutuhan/{need.pk}/ubah/"
    texts = ["Biaya rawat inap 5 hari di RSUD, tagihan Rp 4,2 juta", "Rawat inap anak; keluarga minta keringanan biaya"]
    posts = []
    for officer, text in zip((first, second), texts, strict=True):
        # Both officers opened the edit page before either saved: both forms carry version 1.
        posts.append(
            _form_post(live_server, officer, url, {"version": need.version, "sector": "kesehatan", "description": text})
        )

    results = _together(posts)

    statuses = sorted(status for status, _page in results)
    assert statuses == [302, 409], statuses
    loser_page = next(page for status, page in results if status == 409)
    winner_text = texts[[s for s, _p in results].index(302)]
    loser_text = texts[[s for s, _p in results].index(409)]
    assert "baru saja diubah oleh pengguna lain" in unescape(loser_page)
    assert loser_text in unescape(loser_page), "the losing officer's typed text must be shown back to them"
    need.refresh_from_db()
    assert need.description == winner_text and need.version == 2


def test_two_agency_users_answering_one_referral_over_the_api_one_wins_one_gets_409(
    regions_after_flush, live_server, make_user, make_person
):
    load_agencies("32.01")
    manajer = make_user("manajer", "32.01")
    case = _case(make_user("front_office", "32.01"), make_person(desa_code=DESA))
    service = AgencyService.objects.get(agency__code="RSUD-3201", code="RAWAT-INAP")
    drafter = make_user("back_office", "32.01")  # four eyes: the Manajer sends what another drafted
    referral = referral_services.draft_referral(drafter, case.needs.get(), service=service)
    referral = referral_services.transition(manajer, referral, "send", referral.version)
    accepting, rejecting = make_user("mitra", "32.01", "RSUD-3201"), make_user("mitra", "32.01", "RSUD-3201")
    url = f"{live_server.url}/api/v1/referrals/{referral.pk}/transitions"
    opener = urllib.request.build_opener()

    def answer(user, payload):
        headers = {"Authorization": f"Bearer {_token(live_server, user.username)}", "Content-Type": "application/json"}
        body = json.dumps({"version": referral.version, **payload}).encode()
        return lambda: _request(opener, url, body, headers)

    results = _together(
        [
            answer(accepting, {"action": "accept"}),
            answer(rejecting, {"action": "reject", "reason": "Ruang rawat inap kelas III penuh"}),
        ]
    )

    assert sorted(status for status, _body in results) == [200, 409], results
    conflict = json.loads(next(body for status, body in results if status == 409))
    assert conflict["code"] == "conflict"
    winner = ["accept", "reject"][[s for s, _b in results].index(200)]
    stored = Referral.objects.system().get(pk=referral.pk)
    assert stored.status == (ReferralStatus.ACCEPTED if winner == "accept" else ReferralStatus.REJECTED)
    assert stored.version == referral.version + 1
    assert stored.transitions.filter(from_status=ReferralStatus.SENT).count() == 1
