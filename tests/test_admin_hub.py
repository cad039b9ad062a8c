"""The menu's one "Pengelolaan" entry opens the administration pages each role may use, and only those."""

import re

import pytest
from django.urls import reverse

from slrt.accounts.roles import can
from slrt.core.menu import ADMIN

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role, region", [("admin", "32"), ("manajer", "32.01"), ("front_office", "32.01"),
                                          ("mitra", "32.01")])
def test_the_admin_page_lists_what_the_role_may_open_and_each_link_opens(client, make_user, role, region):
    user = make_user(role, region)
    client.force_login(user)
    allowed = [item for item in ADMIN if any(can(user, c) for c in item.caps)]
    page = client.get(reverse("core:admin"))
    if not allowed:
        assert page.status_code == 404
        assert reverse("core:admin") not in client.get("/").content.decode()
        return
    assert page.status_code == 200
    links = re.findall(r'<a class="stat" href="([^"]+)" data-admin-link>', page.content.decode())
    assert links == [reverse(item.url_name) for item in allowed]
    for link in links:
        assert client.get(link).status_code == 200, link
    home = client.get("/").content.decode()
    assert f'href="{reverse("core:admin")}"' in home


@pytest.mark.parametrize("role, region, shown", [("manajer", "32.01", True), ("supervisor", "32.01.01", False)])
def test_the_dashboard_opens_the_monthly_reports_for_who_may_read_them(client, make_user, role, region, shown):
    client.force_login(make_user(role, region))
    page = client.get(reverse("dashboard:index")).content.decode()
    assert (f'href="{reverse("monthly_reports:list")}" data-monthly-reports' in page) is shown
    if shown:
        assert client.get(reverse("monthly_reports:list")).status_code == 200
