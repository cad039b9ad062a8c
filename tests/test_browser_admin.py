"""Administration in a real Chromium (issue 13, point 4): an Admin makes a front-office account
on the management page, reads the one-time password off the screen, and the new account signs
in with it in another browser, is led to the change page, chooses its own and reaches its home."""

import re

import pytest

from slrt.accounts.models import User
from slrt.audit.models import AuditEvent
from tests.browser import log_in, new_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OWN_PASSWORD = "Meja-Depan-2027"


@pytest.fixture
def admin(regions_after_flush, make_user):
    return make_user("admin", "32")


@pytest.fixture
def post(regions_after_flush):
    from slrt.wilayah.models import Puskesos, Secretariat

    secretariat = Secretariat.objects.create(region_id="32.01", name="Sekretariat SLRT Kabupaten Bogor")
    return Puskesos.objects.create(region_id="32.01.02.2001", secretariat=secretariat, name="Puskesos Uji")


def test_an_admin_creates_an_account_that_then_signs_in_and_changes_its_one_time_password(
    admin, post, live_server, chromium, shots
):
    base = live_server.url
    with chromium() as browser:
        context, page = log_in(browser, base, admin)
        page.goto(f"{base}/pengelolaan/")
        page.click("text=Tambah pengguna")
        page.wait_for_url(f"{base}/pengelolaan/akun/baru/")
        page.fill("#id_username", "fo.cibinong")
        page.fill("#id_full_name", "Rina Marlina")
        page.select_option("#id_role", "front_office")
        page.fill("#id_region", "Kabupaten Bogor")
        page.screenshot(path=str(shots / "admin-new-account-form.png"), full_page=True)
        page.click("#account-form button[type=submit]")
        page.wait_for_selector("#account-created")
        assert page.inner_text("#new-username") == "fo.cibinong"
        assert "Kabupaten Bogor" in page.inner_text("#account-created")
        one_time = page.inner_text("#one-time-password").strip()
        assert re.fullmatch(r"[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}", one_time)
        page.screenshot(path=str(shots / "admin-account-created.png"), full_page=True)

        # The list now names it, with its role and region in words.
        page.goto(f"{base}/pengelolaan/?q=fo.cibinong")
        row = page.locator("#accounts tbody tr").first
        assert "Front office" in row.inner_text() and "Kabupaten Bogor" in row.inner_text()
        assert "wajib ganti sandi" in row.inner_text()
        page.screenshot(path=str(shots / "admin-account-list.png"), full_page=True)
        page.click("#accounts tbody tr >> text=fo.cibinong")
        page.wait_for_selector("#account-facts")
        assert "Front office" in page.inner_text("#account-facts")
        assert page.input_value("#id_region") == "Kabupaten Bogor, Jawa Barat"  # the name, not 32.01
        page.screenshot(path=str(shots / "admin-account-detail.png"), full_page=True)
        # The desks the account works at: a Puskesos post's page with its name and closing.
        page.goto(f"{base}/wilayah/kantor/puskesos/{post.pk}/")
        assert page.locator("#desk-deactivate").is_visible()
        page.screenshot(path=str(shots / "admin-desk-puskesos.png"), full_page=True)
        context.close()

        # The owner, at their own tablet, with the password handed over.
        owner_context, owner = new_page(browser)
        owner.goto(f"{base}/akun/masuk/")
        owner.fill("#id_username", "fo.cibinong")
        owner.fill("#id_password", one_time)
        owner.click("button[type=submit]")
        owner.wait_for_url(f"{base}/akun/sandi/")
        owner.goto(f"{base}/layanan/")  # nothing else opens before a password of their own
        owner.wait_for_url(f"{base}/akun/sandi/")
        owner.screenshot(path=str(shots / "admin-new-account-must-change.png"), full_page=True)
        owner.fill("#id_current_password", one_time)
        owner.fill("#id_new_password1", OWN_PASSWORD)
        owner.fill("#id_new_password2", OWN_PASSWORD)
        owner.click("#password-change-form button[type=submit]")
        owner.wait_for_url(f"{base}/akun/")
        assert "Kata sandi diganti" in owner.inner_text(".msg-success")
        owner.goto(f"{base}/")
        assert owner.url == f"{base}/"
        assert "Rina Marlina" in owner.locator(".userbox .who").text_content()
        owner.screenshot(path=str(shots / "admin-new-account-home.png"), full_page=True)
        owner_context.close()

    user = User.objects.get(username="fo.cibinong")
    assert (user.role, user.region_id, user.must_change_password) == ("front_office", "32.01", False)
    assert user.check_password(OWN_PASSWORD)
    assert AuditEvent.objects.filter(action="user.create", actor=admin, object_id=str(user.pk)).exists()
    assert AuditEvent.objects.filter(action="user.password_change", actor=user).exists()
