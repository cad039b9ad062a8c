"""Every role's home in a real Chromium at 1280×800 (landscape tablet) and 800×1280 (portrait):
the menu fits one row when wide and folds behind a menu button when narrow. Screenshots go to
the shared screenshot folder (`shots`, SLRT_SCREENSHOT_DIR to keep them)."""

from io import StringIO

import pytest
from django.core.management import call_command

from slrt.accounts.models import User
from slrt.accounts.roles import Role
from tests.browser import TIMEOUT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_users(regions_after_flush):
    call_command("seed_demo", "--households", "600", stdout=StringIO())
    return {u.role: u for u in User.objects.filter(username__startswith="demo-")}


def _log_in(browser, base, user, viewport):
    from slrt.demo.seed import DEMO_PASSWORD

    context = browser.new_context(viewport=viewport, locale="id-ID")
    context.set_default_timeout(TIMEOUT)
    page = context.new_page()
    page.goto(f"{base}/akun/masuk/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    return context, page


def test_every_role_home_menu_fits_one_row_wide_and_folds_on_a_portrait_tablet(
    live_server, demo_users, browser, shots
):
    for role in Role:
        user = demo_users[role]
        context, page = _log_in(browser, live_server.url, user, {"width": 1280, "height": 800})
        page.wait_for_load_state("load")
        tops = page.eval_on_selector_all("nav.mainnav a", "els => els.map(e => e.getBoundingClientRect().top)")
        assert tops and len(set(round(t) for t in tops)) == 1, (role, tops)
        assert not page.locator(".nav-toggle").is_visible()
        # The row is not clipped: every entry lies inside the menu, left of the user box.
        right = page.eval_on_selector_all(
            "nav.mainnav a", "els => Math.max(...els.map(e => e.getBoundingClientRect().right))"
        )
        assert right <= page.eval_on_selector(".userbox", "e => e.getBoundingClientRect().left"), (role, right)
        widths = page.eval_on_selector("nav.mainnav", "e => [e.scrollWidth, e.clientWidth]")
        assert widths[0] <= widths[1], (role, widths)
        # Nothing spills past the right edge either.
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280, role
        page.screenshot(path=str(shots / f"home-{role}-1280x800.png"))
        context.close()

        context, page = _log_in(browser, live_server.url, user, {"width": 800, "height": 1280})
        page.wait_for_load_state("load")
        toggle = page.locator(".nav-toggle")
        toggle.wait_for(state="visible")
        assert not page.locator("nav.mainnav").is_visible(), role
        assert toggle.get_attribute("aria-expanded") == "false"
        page.screenshot(path=str(shots / f"home-{role}-800x1280.png"))
        toggle.click()
        assert page.locator("nav.mainnav").is_visible()
        assert toggle.get_attribute("aria-expanded") == "true"
        page.screenshot(path=str(shots / f"home-{role}-800x1280-menu.png"))
        context.close()
