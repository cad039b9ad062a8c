"""Tokens follow the account (issue 11, point 5): the account page, password change, the
Admin/Manajer reset, signed-in sessions and API tokens listed and ended, `POST /auth/logout`.

API checks take tokens only from the API's own answers; the web steps sign in through the
sign-in page, as a person would."""

import re

import pytest
from django.contrib.sessions.models import Session
from django.test import Client, override_settings

from slrt.accounts.models import SignedInSession, digest_ha1
from slrt.accounts.roles import Role
from slrt.accounts.sessions import key_hash, user_agent_summary
from slrt.audit.models import AuditEvent

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Sandi-Baru-2027x"
TABLET_UA = ("Mozilla/5.0 (Linux; Android 13; SM-X200) AppleWebKit/537.36 (KHTML, like Gecko) "
             "Chrome/131.0.6778.135 Safari/537.36")
SCRIPT_UA = "python-requests/2.32.3"


def _browser(user, password=PASSWORD, ua=TABLET_UA, ip="10.0.0.5"):
    """A client signed in through the sign-in page."""
    client = Client(headers={"user-agent": ua}, REMOTE_ADDR=ip)
    answer = client.post("/akun/masuk/", {"username": user.username, "password": password})
    assert answer.status_code == 302, answer.content.decode()[:500]
    return client


def _token(user, password=PASSWORD, ua=SCRIPT_UA):
    answer = Client(headers={"user-agent": ua}).post(
        "/api/v1/auth/token", {"username": user.username, "password": password}, content_type="application/json")
    assert answer.status_code == 200, answer.content
    return answer.json()["token"]


def _api_get(token):
    return Client().get("/api/v1/regions/32.01", headers={"authorization": f"Bearer {token}"})


def _signed_in(client) -> bool:
    answer = client.get("/")
    return answer.status_code == 200 and "accounts/masuk" not in answer.get("Location", "")


def _change(client, current=PASSWORD, new=NEW_PASSWORD, again=None):
    return client.post("/akun/sandi/", {"current_password": current, "new_password1": new,
                                        "new_password2": new if again is None else again})


# --- The account page -----------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_every_role_reaches_its_account_page_from_the_user_box(role, make_user):
    region = {Role.DINSOS: "32", Role.MANAJER: "32.01", Role.SUPERVISOR: "32.01.02", Role.MITRA: "32.01"}.get(
        role, "32.01.02.2001")
    client = _browser(make_user(role, region))
    home = client.get("/").content.decode()
    menu = re.search(r'<details class="account-menu">(.*?)</details>', home, re.S).group(1)
    assert '<a href="/akun/">Akun saya</a>' in menu and 'action="/akun/keluar/"' in menu, role
    page = client.get("/akun/")
    assert page.status_code == 200 and "Ganti kata sandi" in page.content.decode()


def test_account_page_lists_own_sessions_and_tokens_but_never_a_token(make_user):
    user, other = make_user("manajer", "32.01"), make_user("manajer", "32.01")
    client = _browser(user)
    _browser(user, ua="Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
             ip="10.0.0.9")
    raw = _token(user)
    other_raw = _token(other, ua="curl/8.5.0")
    assert _api_get(raw).status_code == 200  # marks it used
    page = client.get("/akun/").content.decode()
    sessions = re.findall(r'<tr data-session-id="\d+">(.*?)</tr>', page, re.S)
    assert len(sessions) == 2
    assert any("Chrome 131 · Android" in s and "10.0.0.5" in s and "Sesi ini" in s for s in sessions)
    assert any("Firefox 133 · Windows" in s and "10.0.0.9" in s and "Akhiri" in s for s in sessions)
    tokens = re.findall(r'<tr data-token-id="\d+">(.*?)</tr>', page, re.S)
    assert len(tokens) == 1 and "Python" in tokens[0] and "belum pernah" not in tokens[0]
    assert raw not in page and other_raw not in page and "curl" not in page


def test_the_account_page_needs_a_signed_in_account():
    answer = Client().get("/akun/")
    assert answer.status_code == 302 and "/akun/masuk/" in answer["Location"]


# --- Changing one's password ----------------------------------------------------------------------


def test_password_change_keeps_this_session_ends_the_others_and_revokes_every_token(make_user):
    user = make_user("fasilitator", "32.01.02.2001")
    here, there = _browser(user), _browser(user, ip="10.0.0.7")
    there_key = there.cookies["sessionid"].value
    tokens = [_token(user), _token(user)]
    assert all(_api_get(t).status_code == 200 for t in tokens)

    answer = _change(here)
    assert answer.status_code == 302 and answer["Location"] == "/akun/"
    assert "Sesi lain yang diakhiri: 1; token API yang dicabut: 2" in here.get("/akun/").content.decode()
    assert _signed_in(here)
    assert not _signed_in(there)
    assert not Session.objects.filter(session_key=there_key).exists()  # gone from the store, not just unusable
    for t in tokens:
        refused = _api_get(t)
        assert refused.status_code == 401 and refused.json()["code"] == "unauthorized"
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD) and not user.check_password(PASSWORD)
    assert user.digest_ha1 == digest_ha1(user.username, NEW_PASSWORD)  # ODK Collect follows
    event = AuditEvent.objects.get(action="user.password_change")
    assert event.actor_id == user.pk and event.detail == {"tokens": 2, "sessions": 1}
    assert PASSWORD not in str(event.detail) and NEW_PASSWORD not in str(event.detail)
    # The rest of the session still works after the key was cycled: its row followed the new key.
    assert SignedInSession.objects.filter(user=user).count() == 1
    assert SignedInSession.objects.get(user=user).key_hash == key_hash(here.cookies["sessionid"].value)


def test_password_change_refuses_a_wrong_current_password(make_user):
    user = make_user("fasilitator", "32.01.02.2001")
    client = _browser(user)
    token = _token(user)
    answer = _change(client, current="Bukan-Sandi-99")
    assert answer.status_code == 422 and "Kata sandi saat ini salah" in answer.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD) and _api_get(token).status_code == 200
    assert not AuditEvent.objects.filter(action="user.password_change").exists()


@pytest.mark.parametrize(("new", "again", "message"), [
    ("pendek1", None, "terlalu pendek"),
    ("hanyahurufsajaya", None, "huruf dan angka"),
    ("1234567890123", None, "seluruhnya terdiri dari angka"),
    (PASSWORD, None, "harus berbeda"),
    (NEW_PASSWORD, "Sandi-Lain-2027x", "tidak sama"),
])
def test_password_change_applies_the_password_policy(new, again, message, make_user):
    user = make_user("fasilitator", "32.01.02.2001")
    client = _browser(user)
    answer = _change(client, new=new, again=again)
    assert answer.status_code == 422 and message in answer.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_the_change_page_shows_the_password_policy(make_user):
    page = _browser(make_user("fasilitator", "32.01.02.2001")).get("/akun/sandi/").content.decode()
    policy = re.search(r'<ul class="help plain-list" id="password-policy">(.*?)</ul>', page, re.S).group(1)
    assert "10 karakter" in policy and "huruf dan angka" in policy


@override_settings(AXES_FAILURE_LIMIT=3)
def test_guessing_the_current_password_locks_the_account_like_a_failed_sign_in(make_user):
    user = make_user("fasilitator", "32.01.02.2001")
    client = _browser(user)
    for _attempt in range(2):
        assert _change(client, current="Tebakan-1234").status_code == 422
    locked = _change(client, current="Tebakan-1234")
    assert locked.status_code == 429 and "dikunci" in locked.content.decode()
    # Even the right password now waits for the cool-off, on the change page and at the sign-in.
    assert _change(client).status_code == 429
    assert Client().post("/akun/masuk/", {"username": user.username, "password": PASSWORD}).status_code == 429


# --- Admin or Manajer resets another account's password ------------------------------------------


def _reset(client, username):
    return client.post("/akun/sandi/reset/", {"username": username})


def _temporary(answer) -> str:
    assert answer.status_code == 200, answer.content.decode()[:800]
    return re.search(r'id="temporary-password"><strong>([^<]+)</strong>', answer.content.decode()).group(1)


def test_manajer_resets_staff_in_scope_who_must_then_change_it(make_user):
    manajer = _browser(make_user("manajer", "32.01"))
    user = make_user("fasilitator", "32.01.02.2001")
    their_session = _browser(user)
    their_token = _token(user)

    temporary = _temporary(_reset(manajer, user.username))
    assert not _signed_in(their_session)
    assert _api_get(their_token).status_code == 401
    user.refresh_from_db()
    assert user.must_change_password and user.check_password(temporary)
    assert user.digest_ha1 == digest_ha1(user.username, temporary)
    event = AuditEvent.objects.get(action="user.password_reset")
    assert event.object_id == str(user.pk) and event.detail == {"tokens": 1, "sessions": 1}
    assert temporary not in str(event.detail)

    # The next sign-in leads to the change page and nowhere else until a password of their own.
    client = _browser(user, password=temporary)
    home = client.get("/")
    assert home.status_code == 302 and home["Location"] == "/akun/sandi/"
    assert client.get("/layanan/")["Location"] == "/akun/sandi/"
    assert "kata sandi sementara" in client.get("/akun/sandi/").content.decode()
    api = client.get("/api/v1/regions/32.01")  # the browser session on the API: refused too
    assert api.status_code == 403 and api.json()["code"] == "password_change_required"
    refused = Client().post("/api/v1/auth/token", {"username": user.username, "password": temporary},
                            content_type="application/json")
    assert refused.status_code == 403 and refused.json()["code"] == "password_change_required"

    assert _change(client, current=temporary).status_code == 302
    assert client.get("/").status_code == 200
    user.refresh_from_db()
    assert not user.must_change_password
    assert _api_get(_token(user, password=NEW_PASSWORD)).status_code == 200


@pytest.mark.parametrize(("actor", "target"), [
    (("manajer", "32.01"), ("fasilitator", "32.02.02.2001")),  # another kabupaten
    (("manajer", "32.01"), ("manajer", "32.01")),  # the same reach
    (("manajer", "32.01"), ("admin", "32.01")),
    (("manajer", "32.01"), ("dinsos", "32")),
    (("admin", "32.01"), ("admin", "32")),  # wider than the actor's scope
    (("admin", "32.01"), ("front_office", "32.02")),
])
def test_a_reset_outside_what_the_actor_may_reset_is_refused_as_if_no_such_account(actor, target, make_user):
    client = _browser(make_user(*actor))
    user = make_user(*target)
    token = _token(user)
    answer = _reset(client, user.username)
    assert answer.status_code == 422
    assert "Tidak ada akun dengan nama itu di wilayah Anda" in answer.content.decode()
    assert _reset(client, "tidak-ada-akun-ini").content.decode().count("Tidak ada akun dengan nama itu") == 1
    user.refresh_from_db()
    assert user.check_password(PASSWORD) and not user.must_change_password
    assert _api_get(token).status_code == 200
    assert not AuditEvent.objects.filter(action="user.password_reset").exists()


def test_an_admin_resets_anyone_in_scope_including_a_manajer(make_user):
    client = _browser(make_user("admin", "32"))
    target = make_user("manajer", "32.01")
    assert _temporary(_reset(client, target.username))
    target.refresh_from_db()
    assert target.must_change_password


@pytest.mark.parametrize("role", ["supervisor", "front_office", "dinsos", "mitra"])
def test_other_roles_cannot_reset_passwords(role, make_user):
    region = {"supervisor": "32.01.02", "dinsos": "32"}.get(role, "32.01")
    client = _browser(make_user(role, region))
    target = make_user("fasilitator", "32.01.02.2001")
    assert _reset(client, target.username).status_code == 403
    assert "Reset kata sandi akun lain" not in client.get("/akun/").content.decode()
    target.refresh_from_db()
    assert target.check_password(PASSWORD)


@override_settings(AXES_FAILURE_LIMIT=3)
def test_a_reset_lifts_the_lockout_of_the_account(make_user):
    user = make_user("fasilitator", "32.01.02.2001")
    for _attempt in range(3):
        Client().post("/akun/masuk/", {"username": user.username, "password": "Salah-12345"})
    assert Client().post("/akun/masuk/", {"username": user.username, "password": PASSWORD}).status_code == 429
    temporary = _temporary(_reset(_browser(make_user("manajer", "32.01")), user.username))
    _browser(user, password=temporary)


# --- Ending sessions and tokens from the account page ----------------------------------------------


def _rows(client, kind):
    return re.findall(rf'<tr data-{kind}-id="(\d+)">(.*?)</tr>', client.get("/akun/").content.decode(), re.S)


def test_ending_another_session_signs_that_browser_out_and_removes_it_from_the_store(make_user):
    user = make_user("back_office", "32.01")
    here, there, third = _browser(user), _browser(user, ip="10.0.0.8"), _browser(user, ip="10.0.0.9")
    there_key = there.cookies["sessionid"].value
    rows = _rows(here, "session")
    other = next(pk for pk, row in rows if "10.0.0.8" in row)
    current = next(pk for pk, row in rows if "Sesi ini" in row)

    assert here.post(f"/akun/sesi/{other}/akhiri/").status_code == 302
    assert not _signed_in(there) and _signed_in(here) and _signed_in(third)
    assert not Session.objects.filter(session_key=there_key).exists()
    # The session in use is ended with "Keluar", not from the list.
    kept = here.post(f"/akun/sesi/{current}/akhiri/", follow=True)
    assert "gunakan Keluar" in kept.content.decode() and _signed_in(here)

    assert here.post("/akun/sesi/akhiri-lainnya/").status_code == 302
    assert not _signed_in(third) and _signed_in(here)
    assert len(_rows(here, "session")) == 1
    assert AuditEvent.objects.filter(action="auth.session_end").count() == 1
    assert AuditEvent.objects.get(action="auth.session_end_others").detail == {"sessions": 1}


def test_one_cannot_end_another_accounts_session_or_token(make_user):
    user, other = make_user("back_office", "32.01"), make_user("back_office", "32.01")
    mine, theirs = _browser(user), _browser(other)
    their_token = _token(other)
    their_session = _rows(theirs, "session")[0][0]
    their_token_id = _rows(theirs, "token")[0][0]
    mine.post(f"/akun/sesi/{their_session}/akhiri/")
    mine.post(f"/akun/token/{their_token_id}/cabut/")
    assert _signed_in(theirs) and _api_get(their_token).status_code == 200


def test_revoking_tokens_from_the_account_page(make_user):
    user = make_user("manajer", "32.01")
    client = _browser(user)
    first, second, third = _token(user), _token(user), _token(user)
    newest = _rows(client, "token")[0][0]  # newest first: the third token
    client.post(f"/akun/token/{newest}/cabut/")
    assert _api_get(third).status_code == 401
    assert _api_get(first).status_code == 200 and _api_get(second).status_code == 200
    client.post("/akun/token/cabut-semua/")
    assert _api_get(first).status_code == 401 and _api_get(second).status_code == 401
    assert "Tidak ada token API yang berlaku" in client.get("/akun/").content.decode()
    assert _signed_in(client)  # the tokens, not the web session


def test_a_recorded_session_whose_row_is_gone_is_signed_out_on_any_session_engine(make_user):
    """The middleware's own check, for engines whose store cannot be searched: only the row goes."""
    user = make_user("back_office", "32.01")
    client = _browser(user)
    SignedInSession.objects.filter(user=user).delete()
    answer = client.get("/")
    assert answer.status_code == 302 and "/akun/masuk/" in answer["Location"]
    assert not _signed_in(client)


def test_a_session_from_before_the_records_is_adopted_not_ended(make_user):
    user = make_user("back_office", "32.01")
    client = Client()
    client.force_login(user)
    SignedInSession.objects.filter(user=user).delete()
    session = client.session
    session.pop("slrt_session_tracked")
    session.save()
    assert _signed_in(client)
    assert SignedInSession.objects.filter(user=user).count() == 1


def test_signing_out_removes_the_sessions_row(make_user):
    user = make_user("back_office", "32.01")
    client = _browser(user)
    assert SignedInSession.objects.filter(user=user).count() == 1
    client.post("/akun/keluar/")
    assert not SignedInSession.objects.filter(user=user).exists()


# --- API: POST /api/v1/auth/logout -------------------------------------------------------------------


def test_api_logout_revokes_the_callers_token_only(make_user):
    user = make_user("manajer", "32.01")
    token, other = _token(user), _token(user)
    client = Client()
    answer = client.post("/api/v1/auth/logout", headers={"authorization": f"Bearer {token}"})
    assert answer.status_code == 204 and answer.content == b""
    refused = _api_get(token)
    assert refused.status_code == 401 and refused.json()["code"] == "unauthorized"
    again = client.post("/api/v1/auth/logout", headers={"authorization": f"Bearer {token}"})
    assert again.status_code == 401
    assert _api_get(other).status_code == 200
    assert AuditEvent.objects.filter(action="auth.logout", actor=user).count() == 1


def test_api_logout_needs_a_token(make_user):
    assert Client().post("/api/v1/auth/logout").status_code == 401
    client = _browser(make_user("manajer", "32.01"))  # a browser session has no token to revoke
    assert client.post("/api/v1/auth/logout").status_code == 401


def test_api_logout_is_in_the_document_with_its_answers():
    doc = Client().get("/api/v1/openapi.json").json()
    operation = doc["paths"]["/api/v1/auth/logout"]["post"]
    assert "204" in operation["responses"] and "401" in operation["responses"]
    assert "403" in doc["paths"]["/api/v1/auth/token"]["post"]["responses"]


def test_token_records_its_client_and_last_use(make_user):
    from slrt.accounts.models import ApiToken

    user = make_user("manajer", "32.01")
    token = _token(user, ua="okhttp/4.12.0 ODK Collect/v2024.3")
    stored = ApiToken.objects.get(user=user)
    assert stored.label == "ODK Collect" and stored.last_used_at is None
    _api_get(token)
    stored.refresh_from_db()
    assert stored.last_used_at is not None


@pytest.mark.parametrize(("header", "summary"), [
    (TABLET_UA, "Chrome 131 · Android"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.5 Mobile/15E148 Safari/604.1", "Safari 17 · iOS"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
     "Safari/537.36 Edg/131.0.2903.86", "Edge 131 · Windows"),
    ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.6778.33 "
     "Safari/537.36", "Chrome 131 · Linux"),
    ("curl/8.5.0", "curl 8"),
    ("", ""),
    ("x" * 5000 + "\x00", "x" * 60),
])
def test_user_agent_summary(header, summary):
    assert user_agent_summary(header) == summary


@override_settings(SLRT_2FA_ROLES=["manajer"])
def test_a_reset_password_and_a_required_enrolment_lead_on_without_a_redirect_loop(make_user):
    """Two holds on one account (must change the password, must enrol a second factor): each page
    the account is sent to is one the other hold lets through."""
    target = make_user("manajer", "32.01")
    temporary = _temporary(_reset(_browser(make_user("admin", "32")), target.username))
    client = _browser(target, password=temporary)
    for start in ("/", "/akun/sandi/", "/layanan/"):
        answer = client.get(start, follow=True)
        assert answer.status_code == 200 and len(answer.redirect_chain) <= 2, (start, answer.redirect_chain)
        final = answer.redirect_chain[-1][0] if answer.redirect_chain else start
        assert final in ("/akun/dua-langkah/daftar/", "/akun/sandi/"), (start, answer.redirect_chain)
