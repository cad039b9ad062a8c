"""The sign-in lock-out holds per account and per address, across the web login, the API token
endpoint and ODK Collect (Digest), and reads the client address behind a configured proxy only.

Every request goes through Django's test client over the real middleware and views; addresses
are varied with REMOTE_ADDR (and X-Forwarded-For where a proxy is configured)."""

import datetime as dt

import pytest
import requests
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone
from requests.auth import HTTPDigestAuth

from tests.conftest import PASSWORD
from tests.openrosa_client import challenge, digest_header

pytestmark = pytest.mark.django_db

ADDRESSES = ["10.1.0.1", "10.2.0.2", "10.3.0.3", "10.4.0.4"]


def _web(client, username, password, ip, **extra):
    return client.post("/akun/masuk/", {"username": username, "password": password}, REMOTE_ADDR=ip, **extra)


def _token(client, username, password, ip, **extra):
    return client.post("/api/v1/auth/token", {"username": username, "password": password},
                       content_type="application/json", REMOTE_ADDR=ip, **extra)


def _odk(client, username, password, ip):
    chal = challenge(client.get("/formList", REMOTE_ADDR=ip))
    header = digest_header("GET", "/formList", chal, username, password)
    return client.get("/formList", HTTP_AUTHORIZATION=header, REMOTE_ADDR=ip)


@pytest.fixture
def account(make_user):
    return make_user("fasilitator", "32.01.02.2001")


def _spread_failures(client, username, count=5):
    """`count` wrong passwords over the four addresses and all three doors."""
    doors = [_web, _token, _odk]
    for i in range(count):
        doors[i % 3](client, username, "salah-sandi-1", ADDRESSES[i % len(ADDRESSES)])


def test_five_failures_spread_over_four_addresses_lock_the_account_everywhere(client, account):
    _spread_failures(client, account.username)
    fresh = "10.9.9.9"  # an address that never failed
    web = _web(client, account.username, PASSWORD, fresh)
    assert web.status_code == 429 and "dikunci" in web.content.decode()
    token = _token(client, account.username, PASSWORD, fresh)
    assert token.status_code == 429 and token.json()["code"] == "locked_out"
    assert "token" not in token.json()
    odk = _odk(client, account.username, PASSWORD, fresh)
    assert odk.status_code == 429 and odk["X-OpenRosa-Version"] == "1.0"
    assert "dikunci" in odk.content.decode()


def test_sixteen_failures_from_four_addresses_leave_no_way_in(client, account):
    """The report's case: four tries from each of four addresses (under the per-address limit)."""
    for ip in ADDRESSES:
        for _ in range(4):
            _web(client, account.username, "salah-sandi-1", ip)
    assert _token(client, account.username, PASSWORD, "10.8.8.8").status_code == 429


def test_an_account_locked_from_one_address_gets_no_token_and_no_odk_access_from_another(client, account):
    for _ in range(5):
        _web(client, account.username, "salah-sandi-1", ADDRESSES[0])
    token = _token(client, account.username, PASSWORD, ADDRESSES[1])
    assert token.status_code == 429 and token.json()["code"] == "locked_out"
    assert _odk(client, account.username, PASSWORD, ADDRESSES[2]).status_code == 429


def test_odk_failures_lock_the_web_login_and_the_token_endpoint(client, account):
    for ip in ADDRESSES + ["10.5.0.5"]:
        assert _odk(client, account.username, "salah-sandi-1", ip).status_code in (401, 429)
    assert _web(client, account.username, PASSWORD, "10.6.0.6").status_code == 429
    assert _token(client, account.username, PASSWORD, "10.6.0.6").status_code == 429


def test_one_address_trying_many_usernames_is_locked_even_for_a_right_password(client, make_user):
    victims = [make_user("fasilitator", "32.01.02.2001") for _ in range(5)]
    sprayer = "10.66.0.1"
    for victim in victims:
        _token(client, victim.username, "salah-sandi-1", sprayer)
    # None of the accounts had more than one failure, but the address is locked...
    own = make_user("manajer", "32.01")
    assert _token(client, own.username, PASSWORD, sprayer).status_code == 429
    assert _web(client, own.username, PASSWORD, sprayer).status_code == 429
    assert _odk(client, own.username, PASSWORD, sprayer).status_code == 429
    # ...and the accounts themselves still sign in from elsewhere.
    assert _token(client, victims[0].username, PASSWORD, "10.7.0.7").status_code == 200


def test_a_success_clears_the_accounts_failures_but_not_the_spraying_address(client, make_user):
    victims = [make_user("fasilitator", "32.01.02.2001") for _ in range(4)]
    own = make_user("manajer", "32.01")
    sprayer = "10.66.0.2"
    for victim in victims:
        _token(client, victim.username, "salah-sandi-1", sprayer)
    # The attacker signs in to his own account from the same address: that must not wipe the spray.
    assert _web(client, own.username, PASSWORD, sprayer).status_code == 302
    _token(client, "another-name", "salah-sandi-1", sprayer)
    assert _token(client, own.username, PASSWORD, sprayer).status_code == 429


def test_x_forwarded_for_is_ignored_without_a_configured_proxy(client, account):
    # A client that sends a new X-Forwarded-For with each try is still one address.
    for i in range(5):
        _token(client, f"name-{i}", "salah-sandi-1", "10.20.0.1", HTTP_X_FORWARDED_FOR=f"192.0.2.{i}")
    assert _token(client, account.username, PASSWORD, "10.20.0.1",
                  HTTP_X_FORWARDED_FOR="192.0.2.200").status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"10.20.0.1"}


@override_settings(SLRT_PROXY_COUNT=1)
def test_behind_one_proxy_the_client_address_comes_from_x_forwarded_for(client, account):
    proxy = "172.16.0.10"
    # The client put a fake address first; the proxy appended the one it saw.
    for i in range(5):
        _token(client, f"name-{i}", "salah-sandi-1", proxy, HTTP_X_FORWARDED_FOR=f"6.6.6.{i}, 203.0.113.5")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.5"}
    # The locked client is refused; another client behind the same proxy is not.
    assert _token(client, account.username, PASSWORD, proxy,
                  HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 429
    assert _token(client, account.username, PASSWORD, proxy,
                  HTTP_X_FORWARDED_FOR="203.0.113.77").status_code == 200


@override_settings(SLRT_PROXY_COUNT=1, SLRT_TRUSTED_PROXIES=["172.16.0.0/24"])
def test_x_forwarded_for_counts_only_from_a_trusted_proxy(client):
    _token(client, "someone", "salah-sandi-1", "172.16.0.10", HTTP_X_FORWARDED_FOR="203.0.113.5")
    _token(client, "someone", "salah-sandi-1", "198.51.100.9", HTTP_X_FORWARDED_FOR="203.0.113.6")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.5", "198.51.100.9"}


def test_the_account_signs_in_again_after_the_cool_off(client, account, settings):
    _spread_failures(client, account.username)
    assert _token(client, account.username, PASSWORD, "10.9.9.9").status_code == 429
    past = timezone.now() - dt.timedelta(hours=settings.AXES_COOLOFF_TIME, minutes=1)
    AccessAttempt.objects.update(attempt_time=past)
    assert _token(client, account.username, PASSWORD, "10.9.9.9").status_code == 200
    assert _odk(client, account.username, PASSWORD, "10.9.9.9").status_code == 200


def test_an_admin_unlocks_the_account_with_axes_reset_username(client, account):
    _spread_failures(client, account.username)
    assert _web(client, account.username, PASSWORD, "10.9.9.9").status_code == 429
    call_command("axes_reset_username", account.username)
    assert _web(client, account.username, PASSWORD, "10.9.9.9").status_code == 302
    assert _token(client, account.username, PASSWORD, "10.9.9.9").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_real_digest_client_is_refused_once_the_account_is_locked(live_server, make_user):
    """requests' HTTPDigestAuth against a live server, after failures on the token endpoint."""
    user = make_user("fasilitator", "32.01.02.2001")
    url = f"{live_server.url}/formList"
    assert requests.get(url, auth=HTTPDigestAuth(user.username, PASSWORD), timeout=10).status_code == 200
    with override_settings(SLRT_PROXY_COUNT=1):  # so the failures come from several addresses
        for i in range(5):
            requests.post(f"{live_server.url}/api/v1/auth/token", json={"username": user.username,
                          "password": "salah-sandi-1"}, headers={"X-Forwarded-For": f"10.30.0.{i}"}, timeout=10)
        refused = requests.get(url, auth=HTTPDigestAuth(user.username, PASSWORD),
                               headers={"X-Forwarded-For": "10.30.0.99"}, timeout=10)
    assert refused.status_code == 429 and refused.headers["X-OpenRosa-Version"] == "1.0"
