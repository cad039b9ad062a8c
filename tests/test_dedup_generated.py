"""End to end on realistic data: the planted near-duplicates of `generate_registry` are found after import."""

import csv

import pytest

from slrt.demo.generate import generate_registry
from slrt.registry.models import DuplicateCandidate, Person
from slrt.registry.services.dedup import scan_for_duplicates
from slrt.registry.services.imports import create_import_job, run_import

pytestmark = pytest.mark.django_db

REGION = "32.04"


def test_planted_duplicates_are_found_and_few_others_are_proposed(tmp_path):
    out, key = tmp_path / "registry.csv", tmp_path / "key.csv"
    generate_registry(out=out, households=400, region=REGION, seed=20260, duplicate_share=0.04, key_path=key,
                      period="2026-01")
    run_import(create_import_job(path=out, original_name=out.name))
    with open(key, newline="") as f:
        planted = {
            frozenset((row["nik"], row["related_nik"]))
            for row in csv.DictReader(f, fieldnames=["line", "kind", "reason", "nik", "related_nik"])
            if row["kind"] == "duplicate"
        }
    assert len(planted) >= 40

    result = scan_for_duplicates(region_code=REGION)

    nik_of = dict(Person.objects.system().values_list("pk", "nik"))
    proposed = {
        frozenset((nik_of[a], nik_of[b]))
        for a, b in DuplicateCandidate.objects.values_list("person_a_id", "person_b_id")
    }
    missed = planted - proposed
    assert len(missed) <= 0.03 * len(planted), sorted(map(sorted, missed))
    extra = proposed - planted
    assert len(extra) <= 0.1 * len(proposed)
    assert result.found == len(proposed)
