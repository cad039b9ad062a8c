"""Two-factor sign-in (issue 11, point 6): TOTP with django-otp plus hashed recovery codes, offered
to everyone and required of the roles in SLRT_2FA_ROLES; the second web step, the token endpoint's
`otp`, the lock-out, Admin/Manajer reset, ODK Collect, and the demo's setting.

The suite runs with SLRT_2FA_ROLES empty (pyproject.toml, like the demo); the tests of the rule
turn the production default on with override_settings. Codes come from the secret the enrolment
page shows, computed as a phone app does (tests/twofactor_client.py)."""

import hashlib
import os
import re
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.core import checks
from django.core.management import call_command
from django.test import override_settings

from slrt.accounts.models import RecoveryCode
from slrt.audit.models import AuditEvent
from tests.conftest import PASSWORD
from tests.openrosa_client import challenge, digest_header
from tests.twofactor_client import ENROL_URL, Phone, enrol

pytestmark = pytest.mark.django_db

PRODUCTION_ROLES = ["admin", "dinsos", "manajer"]
required = override_settings(SLRT_2FA_ROLES=PRODUCTION_ROLES)
LOGIN, CODE, RECOVER, HOME = "/akun/masuk/", "/akun/masuk/kode/", "/akun/masuk/pemulihan/", "/"


def _password(client, user, ip="10.40.0.1"):
    return client.post(LOGIN, {"username": user.username, "password": PASSWORD}, REMOTE_ADDR=ip)


def _token(client, user, otp=None, ip="10.40.0.1", password=PASSWORD):
    body = {"username": user.username, "password": password}
    if otp is not None:
        body["otp"] = otp
    return client.post("/api/v1/auth/token", body, content_type="application/json", REMOTE_ADDR=ip)


def _signed_in_as(client):
    return client.session.get("_auth_user_id")


@pytest.fixture
def manajer(make_user):
    return make_user("manajer", "32.01")


@pytest.fixture
def fasilitator(make_user):
    return make_user("fasilitator", "32.01.02.2001")


def _enrolled(client, user):
    client.force_login(user)
    phone, codes = enrol(client)
    client.logout()
    return phone, codes


# --- the web's second step ---------------------------------------------------------------------


def test_an_enrolled_account_is_signed_in_only_after_the_password_and_a_code(client, fasilitator):
    phone, _codes = _enrolled(client, fasilitator)
    step = _password(client, fasilitator)
    assert step.status_code == 302 and step["Location"] == CODE
    assert _signed_in_as(client) is None  # the password alone signs nobody in
    assert client.get(HOME)["Location"].startswith(LOGIN)
    assert "aplikasi autentikator" in client.get(CODE).content.decode()
    done = client.post(CODE, {"code": phone.code()}, REMOTE_ADDR="10.40.0.1")
    assert done.status_code == 302 and done["Location"] == HOME
    assert _signed_in_as(client) == str(fasilitator.pk)
    assert client.get(HOME).status_code == 200


def test_an_account_without_authenticator_signs_in_with_the_password_when_its_role_is_not_required(
        client, fasilitator):
    with required:
        response = _password(client, fasilitator)
        assert response.status_code == 302 and response["Location"] == HOME
        assert client.get(HOME).status_code == 200


def test_a_code_is_accepted_once_and_one_step_of_drift_but_not_two(client, fasilitator):
    phone, _codes = _enrolled(client, fasilitator)
    now = Phone.now_step()
    _password(client, fasilitator)
    two_ahead = client.post(CODE, {"code": phone.at_step(now + 2)})
    assert _signed_in_as(client) is None and "Kode salah" in two_ahead.content.decode()
    time.sleep(1.1)  # django-otp's own throttle: one second after a failure
    assert client.post(CODE, {"code": phone.at_step(now + 1)}).status_code == 302
    assert _signed_in_as(client) == str(fasilitator.pk)
    client.logout()
    _password(client, fasilitator)
    replay = client.post(CODE, {"code": phone.at_step(now + 1)})
    assert _signed_in_as(client) is None and "sudah dipakai" in replay.content.decode()


def test_wrong_codes_count_towards_the_lockout_and_a_right_password_does_not_reset_them(client, fasilitator):
    """Five tries of six digits, each after the right password, and the account is locked."""
    phone, _codes = _enrolled(client, fasilitator)
    for i in range(settings.AXES_FAILURE_LIMIT):
        ip = f"10.41.0.{i + 1}"
        assert _password(client, fasilitator, ip=ip)["Location"] == CODE
        answer = client.post(CODE, {"code": "000000" if phone.at_step(Phone.now_step()) != "000000" else "111111"},
                             REMOTE_ADDR=ip)
        assert _signed_in_as(client) is None
    assert answer.status_code == 429 and "dikunci" in answer.content.decode()
    again = _password(client, fasilitator, ip="10.41.0.99")
    assert again.status_code == 429
    assert _token(client, fasilitator, otp=phone.code(), ip="10.41.0.99").json()["code"] == "locked_out"


def test_a_recovery_code_signs_in_once_and_leads_to_re_enrolment(client, fasilitator):
    _phone, codes = _enrolled(client, fasilitator)
    _password(client, fasilitator)
    assert "kode pemulihan" in client.get(RECOVER).content.decode().lower()
    used = client.post(RECOVER, {"code": codes[3].upper()})  # as typed off paper, any case
    assert used.status_code == 302 and used["Location"] == "/akun/dua-langkah/"
    page = client.get(used["Location"]).content.decode()
    assert "sisa 9 kode" in page.lower() and ENROL_URL in page
    client.logout()
    _password(client, fasilitator)
    again = client.post(RECOVER, {"code": codes[3]})
    assert again.status_code == 200 and "sudah dipakai" in again.content.decode()
    assert _signed_in_as(client) is None
    time.sleep(0.1)
    assert client.post(RECOVER, {"code": codes[4]}).status_code == 302


def test_re_enrolment_replaces_the_old_authenticator_and_recovery_codes(client, fasilitator):
    old_phone, old_codes = _enrolled(client, fasilitator)
    _password(client, fasilitator)
    client.post(RECOVER, {"code": old_codes[0]})
    new_phone, new_codes = enrol(client)
    assert not set(new_codes) & set(old_codes)
    client.logout()
    _password(client, fasilitator)
    refused = client.post(CODE, {"code": old_phone.code()})
    assert _signed_in_as(client) is None and refused.status_code == 200
    time.sleep(1.1)
    assert client.post(RECOVER, {"code": old_codes[1]}).status_code == 200  # old codes are void
    assert _signed_in_as(client) is None
    time.sleep(0.1)
    assert client.post(CODE, {"code": new_phone.code()}).status_code == 302


def test_recovery_codes_are_stored_only_as_hashes(client, fasilitator):
    _phone, codes = _enrolled(client, fasilitator)
    stored = set(RecoveryCode.objects.filter(device__user=fasilitator).values_list("code_hash", flat=True))
    assert len(stored) == 10
    plain = {c.replace("-", "") for c in codes}
    assert not stored & (plain | set(codes))
    assert stored == {hashlib.sha256(p.encode()).hexdigest() for p in plain}


def test_the_enrolment_page_shows_a_qr_code_inline_and_the_secret_as_text(client, fasilitator):
    client.force_login(fasilitator)
    page = client.get(ENROL_URL)
    html = page.content.decode()
    assert re.search(r'<figure class="qr" id="otp-qr"><svg', html)
    assert re.search(r'id="otp-secret">[A-Z2-7]{4}( [A-Z2-7]{4})+<', html)
    assert "<script" not in html.split('id="otp-qr"')[1].split("</figure>")[0]
    assert "'unsafe-inline'" not in page["Content-Security-Policy"]
    # A reload shows the same secret (the enrolment in progress), not a new one.
    assert re.search(r'id="otp-secret">([A-Z2-7 ]+)<', client.get(ENROL_URL).content.decode()).group(1) == \
        re.search(r'id="otp-secret">([A-Z2-7 ]+)<', html).group(1)


# --- required roles ------------------------------------------------------------------------------


def test_a_required_role_without_authenticator_can_do_nothing_but_enrol(client, manajer):
    with required:
        response = _password(client, manajer)
        assert response.status_code == 302
        home = client.get(HOME)
        assert home.status_code == 302 and home["Location"] == ENROL_URL
        assert client.get("/layanan/")["Location"] == ENROL_URL
        api = client.get("/api/v1/regions/32")
        assert api.status_code == 403 and api.json()["code"] == "otp_enrolment_required"
        phone, _codes = enrol(client)
        assert client.get(HOME).status_code == 200
        client.logout()
        assert _password(client, manajer)["Location"] == CODE
        client.post(CODE, {"code": phone.code()})
        assert client.get(HOME).status_code == 200


def test_a_required_role_cannot_turn_two_factor_off_but_others_can_with_a_code(client, manajer, fasilitator):
    with required:
        client.force_login(manajer)
        phone, _codes = enrol(client)
        refused = client.post("/akun/dua-langkah/", {"action": "disable", "code": phone.code()})
        assert "wajib" in refused.content.decode()
        client.logout()
    phone, _codes = _enrolled(client, fasilitator)
    _password(client, fasilitator)
    client.post(CODE, {"code": phone.code()})
    off = client.post("/akun/dua-langkah/", {"action": "disable", "code": phone.code()})
    assert off.status_code == 302
    client.logout()
    assert _password(client, fasilitator)["Location"] == HOME
    assert AuditEvent.objects.filter(action="otp.disable", object_id=str(fasilitator.pk)).exists()


def test_a_session_signed_in_before_enrolling_elsewhere_must_pass_the_second_step(client, fasilitator):
    from django.test import Client

    other = Client()
    other.force_login(fasilitator)
    assert other.get(HOME).status_code == 200
    client.force_login(fasilitator)
    enrol(client)
    stale = other.get(HOME)
    assert stale.status_code == 302 and stale["Location"].startswith(LOGIN)
    assert other.session.get("_auth_user_id") is None
    assert client.get(HOME).status_code == 200  # the enrolling session passed with its first code


def test_an_unknown_role_in_the_setting_fails_the_system_check():
    with override_settings(SLRT_2FA_ROLES=["admin", "manager"]):
        errors = [e for e in checks.run_checks() if e.id == "slrt.E2FA"]
    assert errors and "manager" in errors[0].msg


# --- the token endpoint --------------------------------------------------------------------------


def test_a_token_for_a_required_role_without_authenticator_is_refused_until_it_enrols(client, manajer):
    with required:
        refused = _token(client, manajer)
        assert refused.status_code == 403 and refused.json()["code"] == "otp_enrolment_required"
        assert "web" in refused.json()["detail"] and "token" not in refused.json()


def test_the_token_endpoint_needs_the_otp_of_an_enrolled_account_and_refuses_a_replay(client, manajer):
    with required:
        phone, _codes = _enrolled(client, manajer)
        missing = _token(client, manajer)
        assert missing.status_code == 401 and missing.json()["code"] == "otp_required"
        code = phone.code()
        issued = _token(client, manajer, otp=code)
        assert issued.status_code == 200, issued.content
        token = issued.json()["token"]
        assert client.get("/api/v1/regions/32", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
        replay = _token(client, manajer, otp=code)
        assert replay.status_code == 401 and replay.json()["code"] == "otp_invalid"
        assert "token" not in replay.json()
        malformed = _token(client, manajer, otp="12ab56")
        assert malformed.status_code == 401 and malformed.json()["code"] == "otp_invalid"
        too_long = _token(client, manajer, otp="1" * 13)
        assert too_long.status_code == 422


def test_wrong_otps_at_the_token_endpoint_lock_the_account(client, fasilitator):
    phone, _codes = _enrolled(client, fasilitator)
    for i in range(settings.AXES_FAILURE_LIMIT):
        _token(client, fasilitator, otp="000000" if phone.at_step(Phone.now_step()) != "000000" else "111111",
               ip=f"10.42.0.{i}")
    locked = _token(client, fasilitator, otp=phone.code(), ip="10.42.0.99")
    assert locked.status_code == 429 and locked.json()["code"] == "locked_out"
    assert _password(client, fasilitator, ip="10.42.0.98").status_code == 429


def test_a_token_of_an_account_without_authenticator_needs_no_otp(client, fasilitator):
    assert _token(client, fasilitator).status_code == 200


# --- reset by Admin or Manajer --------------------------------------------------------------------


def test_a_manajer_resets_two_factor_of_a_field_officer_who_lost_the_phone(client, manajer, fasilitator):
    from django.test import Client

    phone, _codes = _enrolled(client, fasilitator)
    token = _token(client, fasilitator, otp=phone.code()).json()["token"]
    lost = Client()  # the lost phone's signed-in browser
    _password(lost, fasilitator)
    lost.post(CODE, {"code": phone.code()})
    assert lost.get(HOME).status_code == 200

    client.force_login(manajer)
    page = client.get("/akun/dua-langkah/").content.decode()
    assert 'id="reset-two-factor"' in page
    done = client.post("/akun/dua-langkah/reset/", {"username": fasilitator.username})
    assert done.status_code == 302
    assert "direset" in client.get(done["Location"]).content.decode()

    assert Client().get("/api/v1/regions/32", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
    assert lost.get(HOME)["Location"].startswith(LOGIN)
    fresh = Client()
    assert _password(fresh, fasilitator)["Location"] == HOME  # not required: password, then enrol anew
    event = AuditEvent.objects.get(action="otp.reset", object_id=str(fasilitator.pk))
    assert event.actor_id == manajer.pk and event.detail == {"devices": 2, "tokens": 1, "sessions": 1}


def test_a_manajer_cannot_reset_an_admin_nor_anyone_outside_the_district(client, make_user, manajer):
    admin = make_user("admin", "32.01")
    outside = make_user("front_office", "32.02")  # another kabupaten
    client.force_login(admin)
    enrol(client)
    client.logout()
    client.force_login(manajer)
    answers = [client.post("/akun/dua-langkah/reset/", {"username": name}).content.decode()
               for name in (admin.username, outside.username, "no-such-user")]
    assert all("Tidak ada akun dengan nama itu" in a for a in answers)
    assert not AuditEvent.objects.filter(action="otp.reset").exists()
    assert _password(client, admin)["Location"] == CODE  # still enrolled


def test_a_field_officer_cannot_reset_anyone(client, make_user, fasilitator):
    other = make_user("fasilitator", "32.01.02.2001")
    client.force_login(fasilitator)
    assert client.post("/akun/dua-langkah/reset/", {"username": other.username}).status_code == 403
    assert 'id="reset-two-factor"' not in client.get("/akun/dua-langkah/").content.decode()


# --- ODK Collect ---------------------------------------------------------------------------------


def _odk(client, user):
    chal = challenge(client.get("/formList"))
    return client.get("/formList", HTTP_AUTHORIZATION=digest_header("GET", "/formList", chal, user.username, PASSWORD))


def test_odk_collect_is_refused_for_a_required_role_and_kept_for_an_enrolled_field_officer(client, fasilitator):
    _enrolled(client, fasilitator)
    assert _odk(client, fasilitator).status_code == 200  # Collect cannot send a code; field forms only
    with override_settings(SLRT_2FA_ROLES=[*PRODUCTION_ROLES, "fasilitator"]):
        refused = _odk(client, fasilitator)
    assert refused.status_code == 403 and "dua langkah" in refused.content.decode()


# --- the demo and production defaults ----------------------------------------------------------


def _roles_in(env_line: str, unset: bool) -> str:
    """SLRT_2FA_ROLES as settings.py reads it in the environment a shell line of the Makefile sets."""
    env = {k: v for k, v in os.environ.items() if k != "SLRT_2FA_ROLES" or not unset}
    separator = "; " if env_line.startswith("export ") else " "  # `export A=1 B=2; cmd` or `A=1 B=2 cmd`
    script = f"{env_line}{separator}{sys.executable} -c 'import slrt.settings as s; print(s.SLRT_2FA_ROLES)'"
    return subprocess.run(["bash", "-c", script], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True,
                          check=True).stdout.strip()


def _make_n(target: str) -> str:
    return subprocess.run(["make", "-n", "-W", "var/secret_key", target], cwd=settings.BASE_DIR, capture_output=True,
                          text=True, check=True).stdout


def test_production_requires_admin_dinsos_manajer_and_the_demo_none():
    assert _roles_in("", unset=True) == str(PRODUCTION_ROLES)
    run_export = next(line for line in _make_n("run").splitlines() if line.strip().startswith("export "))
    assert _roles_in(run_export.rstrip("; \\"), unset=True) == "[]"
    seed_line = next(line for line in _make_n("demo").splitlines() if "seed_demo" in line)
    assigns = " ".join(re.findall(r"SLRT_\w+=\"[^\"]*\"", seed_line))
    assert _roles_in(assigns, unset=True) == "[]"


def test_the_printed_demo_accounts_of_every_role_sign_in_with_a_password(client):
    from slrt.accounts.models import User
    from slrt.demo.seed import DEMO_PASSWORD

    call_command("seed_demo", "--households", "60", stdout=open(os.devnull, "w"))  # noqa: SIM115
    with override_settings(SLRT_2FA_ROLES=[]):
        for user in User.objects.filter(username__startswith="demo-"):
            client.logout()
            client.post(LOGIN, {"username": user.username, "password": DEMO_PASSWORD})
            assert client.get(HOME).status_code == 200, user.username
