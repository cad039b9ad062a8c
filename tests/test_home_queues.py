"""Each role's home starts with its own work queues, every card's number equals the rows of the
list it opens, and the menu holds only pages the role can open (issue 9, point 5).

Runs on the demo district (`seed_demo`) with its nine demo accounts, through HTML only: the
cards are found by `data-count`, the list rows by their `data-…-id` rows over every page.
"""

import re
from html.parser import HTMLParser
from io import StringIO
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.core.management import call_command
from django.test import override_settings

from slrt.accounts.models import User
from slrt.accounts.roles import Role
from tests.conftest import fresh_database

ROW_ATTRS = {
    "data-case-id", "data-referral-id", "data-visit-id", "data-submission-id", "data-notification-id",
    "data-candidate-id", "data-request-id",
}

# The queue each role's home must start with (in this order); see reports.selectors.HOME_QUEUES.
EXPECTED_QUEUES = {
    Role.FRONT_OFFICE: ["hari_ini", "menunggu_asesmen", "terbuka"],
    Role.BACK_OFFICE: ["menunggu_asesmen", "tindak_lanjut", "terlambat", "terbuka"],
    Role.MANAJER: ["menunggu_keputusan", "draf_langsung", "terlambat", "konflik", "gagal", "lewat_tenggat"],
    Role.KOORDINATOR_PUSKESOS: ["menunggu_keputusan", "draf_langsung", "terlambat", "tindak_lanjut", "terbuka"],
    Role.FASILITATOR: ["terlambat", "saya", "hari_ini"],
    Role.SUPERVISOR: ["menunggu_tinjauan", "konflik"],
    Role.MITRA: ["baru", "terlambat"],
    Role.DINSOS: ["terlambat"],
    Role.ADMIN: ["gagal"],
}


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.cards, self.stat_links, self.rows, self.totals, self.hrefs, self.nav = [], [], 0, [], [], []
        self._in_nav = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a":
            self.hrefs.append(a.get("href") or "")
            if "stat" in (a.get("class") or "").split():
                self.stat_links.append(a)
            if self._in_nav:
                self.nav.append(a.get("href"))
        if "data-count" in a:
            self.cards.append(a)
        if tag == "tr" and ROW_ATTRS & a.keys():
            self.rows += 1
        if "data-total" in a:
            self.totals.append(int(a["data-total"]))
        if tag == "nav" and "mainnav" in (a.get("class") or ""):
            self._in_nav = True

    def handle_endtag(self, tag):
        if tag == "nav":
            self._in_nav = False


def parse(response) -> _Page:
    assert response.status_code == 200, (response.status_code, response.request["PATH_INFO"])
    page = _Page()
    page.feed(response.content.decode())
    return page


def rows_behind(client, href) -> int:
    """Rows of the list at `href`, counted over all its pages; checked against its total if shown."""
    parts = urlsplit(href)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    counted, n = 0, 1
    while True:
        page = parse(client.get(f"{parts.path}?{urlencode({**query, 'hal': n})}"))
        counted += page.rows
        if not any(re.search(rf"[?&]hal={n + 1}(&|$)", h.replace("&amp;", "&")) for h in page.hrefs):
            break
        n += 1
    if page.totals:
        assert page.totals[0] == counted, (href, page.totals, counted)
    return counted


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    # Module scope runs before the per-test var folder: the demo's files go to a folder of its own.
    var = tmp_path_factory.mktemp("home-queues-var")
    with django_db_blocker.unblock(), override_settings(VAR_DIR=var, MEDIA_ROOT=var / "media"):
        fresh_database()
        try:
            call_command("seed_demo", "--households", "600", stdout=StringIO())
            users = {u.role: u for u in User.objects.filter(username__startswith="demo-")}
        except BaseException:
            fresh_database()
            raise
    yield users
    with django_db_blocker.unblock():
        fresh_database()


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role))
def test_each_role_home_starts_with_its_own_queues(client, demo, role):
    client.force_login(demo[role])
    page = parse(client.get("/"))
    queues = [c["data-queue"] for c in page.cards if "data-queue" in c]
    assert queues == EXPECTED_QUEUES[role]


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role))
def test_every_home_card_number_equals_the_rows_of_the_list_it_opens(client, demo, role):
    client.force_login(demo[role])
    page = parse(client.get("/"))
    # A linked figure is a card: it must carry its number, so nothing linked can go untested.
    assert all("data-count" in a for a in page.stat_links), page.stat_links
    assert page.cards
    for card in page.cards:
        assert card.get("href"), card
        assert rows_behind(client, card["href"]) == int(card["data-count"]), (role, card)


@pytest.mark.django_db
def test_the_demo_queues_are_not_all_empty(client, demo):
    """The demo gives each queue-holding role something to do, so the equality above is not 0 == 0."""
    nonzero = set()
    for role, user in demo.items():
        client.force_login(user)
        if any(int(c["data-count"]) for c in parse(client.get("/")).cards):
            nonzero.add(role)
    assert {Role.BACK_OFFICE, Role.MANAJER, Role.SUPERVISOR, Role.MITRA, Role.FASILITATOR} <= nonzero


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role))
def test_the_menu_holds_only_pages_the_role_can_open(client, demo, role):
    client.force_login(demo[role])
    nav = parse(client.get("/")).nav
    assert nav
    for href in nav:
        assert client.get(href).status_code == 200, (role, href)


@pytest.mark.django_db
def test_the_mitra_menu_has_no_wilayah_and_the_page_is_refused(client, demo):
    client.force_login(demo[Role.MITRA])
    nav = parse(client.get("/")).nav
    assert "/wilayah/" not in nav
    assert client.get("/wilayah/").status_code == 403
    client.force_login(demo[Role.BACK_OFFICE])
    assert "/wilayah/" in parse(client.get("/")).nav


@pytest.mark.django_db
def test_approvals_card_opens_only_cases_with_drafts_by_others(client, demo):
    """'Rekomendasi menunggu keputusan Anda' used to open the unfiltered case list."""
    from slrt.cases.models import Case, RecommendationStatus

    manajer = demo[Role.MANAJER]
    client.force_login(manajer)
    card = next(c for c in parse(client.get("/")).cards if c.get("data-queue") == "menunggu_keputusan")
    response = client.get(card["href"])
    ids = {int(i) for i in re.findall(r'data-case-id="(\d+)"', response.content.decode())}
    assert ids
    for case in Case.objects.system().filter(pk__in=ids):
        drafts = case.recommendations.filter(status=RecommendationStatus.DRAFT).exclude(drafted_by=manajer)
        assert drafts.exists()
    assert len(ids) < Case.objects.for_user(manajer).count()
