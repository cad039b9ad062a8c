"""The digest key ODK Collect authenticates against follows the password."""

import pytest
from django.contrib.auth import authenticate

from slrt.accounts.models import User, digest_ha1
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_setting_a_password_sets_the_digest_key_and_a_new_password_replaces_it(make_user):
    user = make_user("fasilitator", "32.01.02.2001")
    assert user.digest_ha1 == digest_ha1(user.username, PASSWORD)
    user.set_password("Sandi-Baru-2026")
    user.save()
    user.refresh_from_db()
    assert user.digest_ha1 == digest_ha1(user.username, "Sandi-Baru-2026")


def test_an_account_from_before_odk_support_gets_its_digest_key_at_the_next_login(make_user, rf):
    user = make_user("fasilitator", "32.01.02.2001")
    User.objects.filter(pk=user.pk).update(digest_ha1="")
    assert authenticate(rf.post("/akun/masuk/"), username=user.username, password="salah") is None
    assert User.objects.get(pk=user.pk).digest_ha1 == ""
    assert authenticate(rf.post("/akun/masuk/"), username=user.username, password=PASSWORD) is not None
    assert User.objects.get(pk=user.pk).digest_ha1 == digest_ha1(user.username, PASSWORD)
