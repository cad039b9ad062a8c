"""The account page in a real Chromium (issue 11, point 5): from the account menu to the change-password
page, a wrong current password refused with its reason, the new one saved, this tablet still
signed in and the other tablet signed out; then the account page lists only this session."""

import re

import pytest

from tests.browser import log_in
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "Tablet-Baru-2027"


@pytest.fixture
def fasilitator(regions_after_flush, make_user):
    return make_user("fasilitator", "32.01.02.2001")


def test_changing_the_password_in_the_browser_keeps_this_tablet_and_ends_the_other(
    fasilitator, live_server, chromium, shots
):
    base = live_server.url
    with chromium() as browser:
        other_context, other = log_in(browser, base, fasilitator)
        context, page = log_in(browser, base, fasilitator)

        page.click(".account-menu summary")
        page.click(".account-menu-list >> text=Akun saya")
        page.wait_for_url(f"{base}/akun/")
        assert page.locator("#account-sessions tr[data-session-id]").count() == 2
        assert page.locator("#account-sessions .badge", has_text="Sesi ini").count() == 1

        page.click("#change-password")
        page.wait_for_url(f"{base}/akun/sandi/")
        assert "10 karakter" in page.inner_text("#password-policy")
        page.fill("#id_current_password", "Bukan-Sandi-123")
        page.fill("#id_new_password1", NEW_PASSWORD)
        page.fill("#id_new_password2", NEW_PASSWORD)
        page.click("#password-change-form button[type=submit]")
        page.wait_for_load_state("load")
        assert page.locator("#id_current_password_error").inner_text() == "Kata sandi saat ini salah."
        assert page.input_value("#id_new_password1") == ""  # a password is never sent back
        page.screenshot(path=str(shots / "account-password-wrong-current.png"))

        page.fill("#id_current_password", PASSWORD)
        page.fill("#id_new_password1", NEW_PASSWORD)
        page.fill("#id_new_password2", NEW_PASSWORD)
        page.click("#password-change-form button[type=submit]")
        page.wait_for_url(f"{base}/akun/")
        assert re.search(r"Kata sandi diganti\. Sesi lain yang diakhiri: 1", page.inner_text(".msg-success"))
        assert page.locator("#account-sessions tr[data-session-id]").count() == 1
        page.screenshot(path=str(shots / "account-after-password-change.png"))

        page.goto(f"{base}/")
        assert page.url == f"{base}/"  # this tablet stays signed in
        other.goto(f"{base}/")
        other.wait_for_url(re.compile(r"/akun/masuk/"))  # the other one must sign in again
        other.fill("#id_username", fasilitator.username)
        other.fill("#id_password", NEW_PASSWORD)
        other.click("button[type=submit]")
        other.wait_for_url(f"{base}/")

        # Signing out sits in the same account menu.
        page.click(".account-menu summary")
        page.click(".account-menu-list button:has-text('Keluar')")
        page.wait_for_url(re.compile(r"/akun/masuk/"))
        context.close()
        other_context.close()
