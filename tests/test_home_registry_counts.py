"""The home page's registry counts are cached per scope and recounted after exactly the changes that
can move them: a finished import, a merge of two people and its undo (issue 12's load test: the
counts over a million people were most of a home page)."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from slrt.demo.generate import generate_registry
from slrt.registry.models import DuplicateCandidate, Person
from slrt.registry.services.dedup import find_candidates, merge_people, undo_merge
from slrt.registry.services.imports import create_import_job, run_import

pytestmark = pytest.mark.django_db
DESA = "32.01.02.2001"


def _home_people(client) -> int:
    response = client.get("/")
    assert response.status_code == 200
    return response.context["people"]


def _counts_people(queries) -> bool:
    return any("COUNT" in q["sql"].upper() and 'FROM "registry_person"' in q["sql"] for q in queries)


@pytest.fixture
def manajer_client(client, make_user):
    user = make_user("manajer", "32.01")
    client.force_login(user)
    return client, user


def test_a_second_home_page_counts_no_people_and_a_merge_and_its_undo_recount(manajer_client, make_person):
    client, manajer = manajer_client
    make_person(desa_code=DESA, nama="Siti Aminah", birth=dt.date(1985, 3, 14), nik="3201025403850011")
    make_person(desa_code="32.01.02.2002", nama="St. Aminah", birth=dt.date(1985, 3, 14), nik="3201025403850017")
    make_person(desa_code="32.02.01.2001", nama="Di Kabupaten Lain", birth=dt.date(1990, 1, 1))
    assert _home_people(client) == 2  # the other kab's person is outside the scope
    with CaptureQueriesContext(connection) as queries:
        assert _home_people(client) == 2
    assert not _counts_people(queries.captured_queries)

    find_candidates(region_code="32.01")
    candidate = DuplicateCandidate.objects.get()
    merge = merge_people(candidate_or_pair=candidate, survivor=candidate.person_a, merged=candidate.person_b,
                         actor=manajer)
    assert _home_people(client) == 1 == Person.objects.system().filter(kab_code="32.01", is_active=True).count()
    undo_merge(merge=merge, actor=manajer)
    assert _home_people(client) == 2


def test_a_finished_import_recounts_the_home_page(manajer_client, tmp_path):
    client, _manajer = manajer_client
    assert _home_people(client) == 0
    path = tmp_path / "release.csv"
    generate_registry(out=path, households=5, region="32.01", seed=7, period="2026-07")
    job = run_import(create_import_job(path=path, original_name="release.csv", period="2026-07"))
    assert job.created > 0
    assert _home_people(client) == Person.objects.system().filter(kab_code="32.01", is_active=True).count() > 0
