"""Search terms never travel in a URL (UU PDP; issue 11 point 7): the registry search, the intake
search and the home page's quick search post their terms; the answer's address, its paging links
and HTMX's pushed history carry a session key only; the audit row names the people the page showed."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from slrt.audit.models import AuditEvent

pytestmark = pytest.mark.django_db
DESA = "32.01.02.2001"


def _ids(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-person-id="(\d+)"', html)]


def _hrefs(html: str) -> list[str]:
    return re.findall(r'(?:href|hx-get|hx-post|action)="([^"]*)"', html)


@pytest.fixture
def people(make_person):
    return [make_person(desa_code=DESA, nama="Sumarni Wulandari") for _ in range(30)]


@pytest.fixture
def bo(client, make_user):
    client.force_login(make_user("back_office", "32.01"))
    return client


@pytest.mark.parametrize(("url_name", "page_size"), [("registry:search", 25), ("cases:intake", 20)])
def test_a_posted_search_answers_on_a_key_and_pages_without_the_terms(bo, people, url_name, page_size):
    url = reverse(url_name)
    nik = people[0].nik
    posted = bo.post(url, {"q": "Sumarni Wulandari", "birth_year": ""})
    assert posted.status_code == 303
    location = posted["Location"]
    assert re.fullmatch(re.escape(url) + r"\?s=[\w-]{8,}", location), location
    first = bo.get(location)
    html = first.content.decode()
    assert len(_ids(html)) == page_size
    # No link, form or paging URL of the answer carries the terms.
    for href in _hrefs(html):
        assert "Sumarni" not in href and "Wulandari" not in href, href
    key = location.split("?s=")[1]
    assert f"?s={key}&amp;hal=2" in html
    second = bo.get(f"{url}?s={key}&hal=2").content.decode()
    assert len(_ids(second)) == len(people) - page_size
    assert not set(_ids(second)) & set(_ids(html))
    # Each page shown wrote one audit row with exactly the people of that page.
    events = list(AuditEvent.objects.filter(action="person.search").order_by("pk"))
    assert [e.detail["people"] for e in events] == [_ids(html), _ids(second)]
    assert all("Sumarni" not in str(e.detail) for e in events)
    # A NIK search too: its number never reaches a URL.
    by_nik = bo.post(url, {"q": nik})
    assert nik not in by_nik["Location"]
    assert _ids(bo.get(by_nik["Location"]).content.decode()) == [people[0].pk]


def test_htmx_live_search_gets_the_fragment_and_a_pushed_url_with_the_key_only(bo, people):
    response = bo.post(reverse("registry:search"), {"q": "Sumarni"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results")
    assert response.status_code == 200 and "<html" not in response.content.decode()
    pushed = response["HX-Push-Url"]
    assert pushed.startswith(reverse("registry:search") + "?s=") and "Sumarni" not in pushed
    assert len(_ids(response.content.decode())) == 25
    # The pushed address, opened again (Back, reload), shows the same results.
    assert _ids(bo.get(pushed).content.decode()) == _ids(response.content.decode())


def test_an_old_link_with_terms_is_moved_onto_a_key(bo, people):
    response = bo.get(reverse("registry:search"), {"q": "Sumarni"})
    assert response.status_code == 303 and "Sumarni" not in response["Location"]
    assert len(_ids(bo.get(response["Location"]).content.decode())) == 25


def test_a_key_is_good_only_in_the_session_that_made_it(bo, people, make_user):
    location = bo.post(reverse("registry:search"), {"q": "Sumarni"})["Location"]
    other = Client()
    other.force_login(make_user("back_office", "32.01"))
    html = other.get(location).content.decode()
    assert _ids(html) == [] and "Ketik untuk mulai mencari" in html


def test_the_search_forms_post_with_csrf(bo):
    for name in ("registry:search", "cases:intake", "core:home"):
        html = bo.get(reverse(name)).content.decode()
        form = re.search(r'<form[^>]*role="search"[^>]*>', html)
        assert form and 'method="post"' in form.group(0), name
        assert 'name="csrfmiddlewaretoken"' in html[form.end():form.end() + 400], name


def test_a_posted_search_without_csrf_is_refused(make_user, people):
    user = make_user("back_office", "32.01")
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)
    assert strict.post(reverse("registry:search"), {"q": "Sumarni"}).status_code == 403
