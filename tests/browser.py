"""What every browser test shares: Debian's Chromium (`/usr/bin/chromium`, never a downloaded
browser) driven through Playwright's sync API, the tablet viewport, and signing in.

In CI (`CI` set by .ci/run, which installs the browser) a missing browser or Playwright is a
failure; elsewhere the test is skipped. Fixtures `browser`, `chromium` and `shots` are in
tests/conftest.py.
"""

import contextlib
import os

import pytest

from tests.conftest import PASSWORD

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
TABLET = {"width": 1280, "height": 800}  # a 10-inch Android tablet in landscape
TIMEOUT = 15_000


def sync_api():
    if os.environ.get("CI"):
        from playwright import sync_api as api

        assert os.path.exists(CHROMIUM), "Debian's chromium is missing"
        return api
    api = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    return api


@contextlib.contextmanager
def launched(api):
    with api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def new_page(browser, viewport=TABLET):
    context = browser.new_context(viewport=viewport, locale="id-ID")
    context.set_default_timeout(TIMEOUT)
    return context, context.new_page()


def log_in(browser, base, user):
    """A fresh browser context per person, as if each sat at their own tablet."""
    context, page = new_page(browser)
    page.goto(f"{base}/akun/masuk/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    return context, page
