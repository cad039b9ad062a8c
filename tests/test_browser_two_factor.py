"""Two-factor sign-in in a real Chromium: a Manajer (a required role) is sent to enrolment, reads
the secret off the page into an "authenticator" (django-otp's TOTP, as a phone app computes it),
confirms, keeps the recovery codes, signs out; signs in with password and code; signs in once with
a recovery code (the same code a second time is refused). The pages raise no CSP violation."""

import pytest
from django.test import override_settings

from tests.browser import new_page
from tests.conftest import PASSWORD
from tests.twofactor_client import Phone

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI);
});
"""


def _password_step(page, base, user):
    page.goto(f"{base}/akun/masuk/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")


def _sign_out(page, base):
    # The page's own sign-out form, submitted whether the menu shows it open or folded.
    with page.expect_navigation():
        page.locator("form[action='/akun/keluar/']").first.evaluate("form => form.requestSubmit()")
    assert page.url == f"{base}/akun/masuk/"


@override_settings(SLRT_2FA_ROLES=["admin", "dinsos", "manajer"])
def test_enrol_sign_in_with_a_code_and_with_a_recovery_code_once(regions_after_flush, make_user, live_server,
                                                                chromium):
    manajer = make_user("manajer", "32.01")
    base = live_server.url
    with chromium() as browser:
        context, page = new_page(browser)
        context.add_init_script(WATCH)
        violations = []
        page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)

        # The password is right, but a Manajer without an authenticator gets only the enrolment page.
        _password_step(page, base, manajer)
        assert page.url == f"{base}/akun/dua-langkah/daftar/"
        page.goto(f"{base}/layanan/")
        assert page.url == f"{base}/akun/dua-langkah/daftar/"
        assert page.locator("#otp-qr svg").is_visible()
        assert page.locator("#otp-qr svg").bounding_box()["width"] > 100
        phone = Phone(page.inner_text("#otp-secret"))
        page.fill("#id_code", phone.code())
        with page.expect_navigation():
            page.click("#enrol-form button[type=submit]")
        codes = [c.strip() for c in page.locator("#recovery-codes code").all_inner_texts()]
        assert len(codes) == 10 and len(set(codes)) == 10
        violations += page.evaluate("() => window.__cspViolations")
        with page.expect_navigation():
            page.click("#codes-saved")
        page.goto(f"{base}/")
        assert page.url == f"{base}/"
        _sign_out(page, base)

        # Password, then the code from the app.
        _password_step(page, base, manajer)
        assert page.url == f"{base}/akun/masuk/kode/"
        page.fill("#id_code", phone.code())
        with page.expect_navigation():
            page.click("#otp-form button[type=submit]")
        assert page.url == f"{base}/"
        assert manajer.username in page.inner_text(".who")
        _sign_out(page, base)

        # The phone is lost: a recovery code signs in once and offers re-enrolment.
        _password_step(page, base, manajer)
        with page.expect_navigation():
            page.click("#use-recovery")
        page.fill("#id_code", codes[0])
        with page.expect_navigation():
            page.click("#otp-form button[type=submit]")
        assert page.url == f"{base}/akun/dua-langkah/"
        assert "kode pemulihan" in page.inner_text(".msg").lower()
        assert page.locator("#re-enrol").is_visible()
        violations += page.evaluate("() => window.__cspViolations")
        _sign_out(page, base)

        _password_step(page, base, manajer)
        page.goto(f"{base}/akun/masuk/pemulihan/")
        page.fill("#id_code", codes[0])
        with page.expect_navigation():
            page.click("#otp-form button[type=submit]")
        assert page.url == f"{base}/akun/masuk/pemulihan/"
        assert "sudah dipakai" in page.inner_text(".errorlist")
        page.goto(f"{base}/")
        assert page.url.startswith(f"{base}/akun/masuk/")  # still not signed in
        context.close()
    assert violations == []
