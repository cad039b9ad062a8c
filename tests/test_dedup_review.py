"""The review queue: who sees which candidates, who may decide, and the comparison table."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from slrt.accounts import roles
from slrt.audit.models import AuditEvent
from slrt.registry.models import CandidateStatus, DuplicateCandidate, Household, Person
from slrt.registry.nik import mask_nik
from slrt.registry.selectors.dedup import (
    candidates_for_user,
    compare_candidate,
    default_choices,
    get_candidate,
    get_merge,
    latest_merge,
    merge_decisions,
    reasons_of,
)
from slrt.registry.services.dedup import dismiss_candidate, find_candidates, merge_people, undo_merge

pytestmark = pytest.mark.django_db


DESA = "32.01.02.2001"


@pytest.fixture
def cand(make_person):
    a = make_person(desa_code=DESA, nama="Siti Aminah", pekerjaan="", tempat_lahir="Bogor")
    b = make_person(desa_code=DESA, nama="St. Aminah", pekerjaan="Petani", tempat_lahir="")
    find_candidates(region_code="32.01")
    return DuplicateCandidate.objects.get(person_a=min(a.pk, b.pk))


def _unchanged(cand):
    people = Person.objects.system().filter(pk__in=[cand.person_a_id, cand.person_b_id])
    return all(p.is_active for p in people) and DuplicateCandidate.objects.get(pk=cand.pk).status == "open"


def test_reviewers_of_the_kabupaten_its_province_and_the_desa_see_the_candidate(cand, make_user):
    for role, region in [("manajer", "32.01"), ("admin", "32"), ("back_office", DESA), ("admin", "00")]:
        user = make_user(role, region)
        assert list(candidates_for_user(user)) == [cand], (role, region)
        assert get_candidate(user, cand.pk) == cand


def test_out_of_scope_reviewer_cannot_see_the_candidate(cand, make_user):
    for role, region in [("manajer", "32.02"), ("back_office", "32.01.02.2002"), ("admin", "33")]:
        user = make_user(role, region)
        assert not candidates_for_user(user, status=None).exists()
        with pytest.raises(Http404):
            get_candidate(user, cand.pk)


def test_out_of_scope_reviewer_cannot_merge(cand, make_user):
    outsider = make_user("manajer", "32.02")
    with pytest.raises(Http404):
        merge_people(candidate_or_pair=cand, survivor=cand.person_a_id, merged=cand.person_b_id, actor=outsider)
    assert _unchanged(cand)


def test_out_of_scope_reviewer_cannot_undo_a_merge(cand, make_user):
    merge = merge_people(candidate_or_pair=cand, survivor=cand.person_a, merged=cand.person_b,
                         actor=make_user("manajer", "32.01"))
    outsider = make_user("manajer", "32.02")
    with pytest.raises(Http404):
        undo_merge(merge=merge, actor=outsider)
    with pytest.raises(Http404):
        get_merge(outsider, merge.pk)
    merge.refresh_from_db()
    assert merge.undone_at is None


def test_out_of_scope_reviewer_cannot_dismiss(cand, make_user):
    with pytest.raises(Http404):
        dismiss_candidate(candidate=cand, actor=make_user("back_office", "32.01.02.2002"))
    assert _unchanged(cand)


def test_a_pair_straddling_two_desas_is_left_to_a_reviewer_holding_both(make_person, make_user):
    a = make_person(desa_code=DESA, nama="Siti Aminah")
    b = make_person(desa_code="32.01.02.2002", nama="Siti Aminah")
    find_candidates(region_code="32.01")
    desa_user = make_user("back_office", DESA)
    assert not candidates_for_user(desa_user).exists()
    with pytest.raises(Http404):
        merge_people(candidate_or_pair=None, survivor=a, merged=b, actor=desa_user)
    assert candidates_for_user(make_user("back_office", "32.01")).count() == 1


def test_roles_without_review_duplicates_are_refused(cand, make_user):
    for role, region in [("front_office", "32.01"), ("fasilitator", DESA), ("supervisor", "32.01.02"),
                         ("dinsos", "32"), ("koordinator_puskesos", DESA)]:
        user = make_user(role, region)
        assert not candidates_for_user(user).exists()
        with pytest.raises(PermissionDenied):
            get_candidate(user, cand.pk)
        with pytest.raises(PermissionDenied):
            merge_people(candidate_or_pair=cand, survivor=cand.person_a_id, merged=cand.person_b_id, actor=user)
        with pytest.raises(PermissionDenied):
            dismiss_candidate(candidate=cand, actor=user)
    merge = merge_people(candidate_or_pair=cand, survivor=cand.person_a_id, merged=cand.person_b_id,
                         actor=make_user("manajer", "32.01"))
    with pytest.raises(PermissionDenied):
        undo_merge(merge=merge, actor=make_user("front_office", "32.01"))


def test_queue_filters_by_status_and_hides_pairs_whose_person_was_merged_elsewhere(make_person, make_user):
    a = make_person(desa_code=DESA, nama="Siti Aminah")
    b = make_person(desa_code=DESA, nama="Siti Aminah")
    c = make_person(desa_code=DESA, nama="Siti Aminah")
    find_candidates(region_code="32.01")
    reviewer = make_user("manajer", "32.01")
    assert candidates_for_user(reviewer).count() == 3
    ab = DuplicateCandidate.objects.get(person_a=a, person_b=b)
    merge = merge_people(candidate_or_pair=ab, survivor=a, merged=b, actor=reviewer)
    assert [(x.person_a_id, x.person_b_id) for x in candidates_for_user(reviewer)] == [(a.pk, c.pk)]
    assert list(candidates_for_user(reviewer, status=CandidateStatus.MERGED)) == [ab]
    assert latest_merge(ab) == merge
    assert candidates_for_user(reviewer, status=None).count() == 3


def test_comparison_lists_every_field_marks_differences_and_audits_both_views(cand, make_user):
    reviewer = make_user("manajer", "32.01")
    comparison = compare_candidate(reviewer, cand)
    rows = {r.field: r for r in comparison.rows}
    assert rows["nama"].differs and rows["pekerjaan"].differs and rows["nik"].differs
    assert not rows["tanggal_lahir"].differs and rows["tanggal_lahir"].value_a == "14-03-1985"
    assert rows["nama"].label == "nama" and rows["nama"].choosable
    assert not rows["desa"].choosable
    assert rows["nik"].value_a == comparison.person_a.nik  # manajer may see the full NIK
    assert {r.code for r in comparison.reasons} >= {"name_variant", "same_birth_date"}
    viewed = set(AuditEvent.objects.filter(action="person.view").values_list("object_id", flat=True))
    assert viewed == {str(cand.person_a_id), str(cand.person_b_id)}


def test_comparison_masks_nik_and_kk_without_see_full_nik(cand, make_user, monkeypatch):
    reviewer = make_user("back_office", "32.01")
    monkeypatch.setitem(roles.CAPABILITIES, "see_full_nik", set())
    rows = {r.field: r for r in compare_candidate(reviewer, cand).rows}
    assert rows["nik"].value_a == mask_nik(cand.person_a.nik)
    assert rows["household"].value_a == mask_nik(cand.person_a.household.nomor_kk)
    assert rows["nik"].differs  # compared on the real values, shown masked


def test_reasons_have_labels_and_default_choices_fill_empty_values(cand):
    labels = {r.code: r.label for r in reasons_of(cand)}
    assert labels["same_birth_date"] == "Tanggal lahir sama"
    suggested = default_choices(cand.person_a, cand.person_b)
    assert suggested["pekerjaan"] == "merged"  # survivor has none
    assert suggested["tempat_lahir"] == "survivor"
    assert suggested["nama"] == "survivor"


def test_merge_decisions_are_readable_and_masked_for_display(cand, make_user, monkeypatch):
    reviewer = make_user("manajer", "32.01")
    merge = merge_people(candidate_or_pair=cand, survivor=cand.person_a, merged=cand.person_b, actor=reviewer,
                         choices={"pekerjaan": "merged"})
    monkeypatch.setitem(roles.CAPABILITIES, "see_full_nik", set())
    rows = {r.field: r for r in merge_decisions(reviewer, get_merge(reviewer, merge.pk))}
    assert (rows["pekerjaan"].won, rows["pekerjaan"].lost, rows["pekerjaan"].source) == ("Petani", "", "merged")
    assert "*" in rows["nik"].won


def test_birth_date_is_shown_day_first(make_person, make_user):
    a = make_person(desa_code=DESA, nama="Sri Wahyuni", birth=dt.date(1988, 4, 9))
    make_person(desa_code=DESA, nama="Sri Wahyuni", birth=dt.date(1988, 9, 4))
    find_candidates(region_code="32.01")
    reviewer = make_user("manajer", "32.01")
    cand = candidates_for_user(reviewer).get()
    rows = {r.field: r for r in compare_candidate(reviewer, cand).rows}
    shown = {rows["tanggal_lahir"].value_a, rows["tanggal_lahir"].value_b}
    assert shown == {"09-04-1988", "04-09-1988"} and a.pk in (cand.person_a_id, cand.person_b_id)


def test_merge_decisions_show_no_kk_number_of_a_household_now_outside_the_reviewers_scope(cand, make_user):
    reviewer = make_user("manajer", "32.01")
    survivor, merged = cand.person_a, cand.person_b
    merge = merge_people(candidate_or_pair=cand, survivor=survivor, merged=merged, actor=reviewer,
                         choices={"household": "merged"})
    # The KK that lost has since been moved to another kabupaten by a later release.
    old_kk = Household.objects.system().get(pk=merge.decisions["household"]["lost"])
    old_kk.set_region("32.02.02.2001")
    old_kk.save()
    row = {r.field: r for r in merge_decisions(reviewer, get_merge(reviewer, merge.pk))}["household"]
    assert row.won == merged.household.nomor_kk
    assert row.lost == ""
