"""The duplicate scan (`find_candidates`): blocking finds each kind of pair, stores it once, and is idempotent."""

import datetime as dt
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from slrt.audit.models import AuditEvent
from slrt.registry.models import CandidateStatus, DuplicateCandidate, Person
from slrt.registry.services import dedup as dedup_services
from slrt.registry.services.dedup import find_candidates, scan_for_duplicates

pytestmark = pytest.mark.django_db


DESA = "32.01.02.2001"
OTHER_DESA = "32.01.05.2003"  # same kabupaten, other kecamatan


def _retype(nik: str, pos: int, digit: str) -> str:
    assert nik[pos] != digit
    return nik[:pos] + digit + nik[pos + 1:]


def _pair(a: Person, b: Person) -> DuplicateCandidate:
    lo, hi = sorted([a.pk, b.pk])
    return DuplicateCandidate.objects.get(person_a_id=lo, person_b_id=hi)


def _has_pair(a: Person, b: Person) -> bool:
    lo, hi = sorted([a.pk, b.pk])
    return DuplicateCandidate.objects.filter(person_a_id=lo, person_b_id=hi).exists()


def test_scan_pairs_one_mistyped_nik_digit_across_desas(make_person):
    a = make_person(desa_code=DESA, nama="Dewi Lestari", birth=dt.date(1979, 11, 2))
    b = make_person(desa_code=OTHER_DESA, nama="Dewi Lestari", birth=dt.date(1979, 11, 2),
                    nik=_retype(a.nik, 13, "9" if a.nik[13] != "9" else "8"))
    assert find_candidates(region_code="32.01") == 1
    cand = _pair(a, b)
    assert "nik_one_digit" in cand.reasons
    assert cand.person_a_id < cand.person_b_id
    assert cand.kab_code == "32.01"
    assert cand.status == CandidateStatus.OPEN


def test_scan_pairs_adjacent_nik_digits_swapped(make_person):
    a = make_person(desa_code=DESA, nama="Bambang Sutrisno", sex="L", birth=dt.date(1970, 1, 23),
                    nik="3201022301700012")
    b = make_person(desa_code=OTHER_DESA, nama="Bambang Sutrisno", sex="L", birth=dt.date(1970, 1, 23),
                    nik="3201022301700021")
    find_candidates(region_code="32.01")
    assert "nik_transposed" in _pair(a, b).reasons


def test_scan_pairs_day_and_month_swapped_across_desas(make_person):
    a = make_person(desa_code=DESA, nama="Sri Wahyuni", birth=dt.date(1988, 4, 9), nik="3201024904880031")
    b = make_person(desa_code=OTHER_DESA, nama="Sri Wahyuni", birth=dt.date(1988, 9, 4), nik="3201024409880031")
    find_candidates(region_code="32.01")
    assert {"nik_date_swapped", "birth_date_swapped"} <= set(_pair(a, b).reasons)


def test_scan_pairs_swapped_birth_date_with_unrelated_niks(make_person):
    a = make_person(desa_code=DESA, nama="Sri Wahyuni", birth=dt.date(1988, 4, 9))
    b = make_person(desa_code=OTHER_DESA, nama="Sri Wahyuni", birth=dt.date(1988, 9, 4))
    find_candidates(region_code="32.01")
    assert "birth_date_swapped" in _pair(a, b).reasons


def test_scan_pairs_name_variants_with_same_birth_date_and_desa(make_person):
    a = make_person(desa_code=DESA, nama="Moehammad Djoenaedi", sex="L", birth=dt.date(1960, 7, 30))
    b = make_person(desa_code=DESA, nama="M. Junaedi", sex="L", birth=dt.date(1960, 7, 30))
    find_candidates(region_code="32.01")
    reasons = _pair(a, b).reasons
    assert {"name_variant", "same_birth_date", "same_desa"} <= set(reasons)


def test_scan_pairs_same_birth_date_and_desa(make_person):
    a = make_person(desa_code=DESA, nama="Siti Aminah", birth=dt.date(1985, 3, 14))
    b = make_person(desa_code=DESA, nama="Siti Aminah", birth=dt.date(1985, 3, 14))
    find_candidates(region_code="32.01")
    assert {"same_name", "same_birth_date", "same_desa"} <= set(_pair(a, b).reasons)


def test_scan_pairs_a_member_listed_twice_in_one_kk_by_mother_name(make_person):
    a = make_person(desa_code=DESA, nama="Aminah", birth=dt.date(1985, 3, 14), nama_ibu_kandung="Fatimah")
    b = make_person(household=a.household, nama="Siti Aminah", birth=dt.date(1985, 3, 14),
                    nama_ibu_kandung="Fatimah")
    find_candidates(region_code="32.01")
    assert {"same_kk", "same_mother"} <= set(_pair(a, b).reasons)


def test_two_siti_aminah_with_different_birth_dates_in_one_desa_are_not_paired(make_person):
    make_person(desa_code=DESA, nama="Siti Aminah", birth=dt.date(1985, 3, 14))
    make_person(desa_code=DESA, nama="Siti Aminah", birth=dt.date(1992, 10, 27))
    make_person(desa_code=DESA, nama="Siti Aminah", birth=None, nik="3201026601000077")
    assert find_candidates(region_code="32.01") == 0
    assert not DuplicateCandidate.objects.exists()


def test_scan_ignores_inactive_people_and_other_regions(make_person):
    a = make_person(desa_code=DESA, nama="Siti Aminah")
    b = make_person(desa_code=DESA, nama="Siti Aminah")
    b.is_active = False
    b.save()
    c = make_person(desa_code="32.02.01.2001", nama="Siti Aminah")
    d = make_person(desa_code="32.02.01.2001", nama="Siti Aminah")
    find_candidates(region_code="32.01")
    assert not DuplicateCandidate.objects.exists()
    find_candidates(region_code="32.02.01")
    assert _has_pair(c, d) and not _has_pair(a, c)


def test_scan_without_region_covers_everyone_and_pairs_across_kabupaten(make_person):
    a = make_person(desa_code=DESA, nama="Dewi Lestari", birth=dt.date(1979, 11, 2))
    b = make_person(desa_code="33.01.01.2001", nama="Dewi Lestari", birth=dt.date(1979, 11, 2),
                    nik=_retype(a.nik, 15, "0" if a.nik[15] != "0" else "1"))
    find_candidates()
    assert _pair(a, b).kab_code == a.kab_code if a.pk < b.pk else b.kab_code


def test_second_scan_changes_nothing(make_person):
    make_person(desa_code=DESA, nama="Siti Aminah")
    make_person(desa_code=DESA, nama="St. Aminah")
    x = make_person(desa_code=DESA, nama="Dewi Lestari", birth=dt.date(1979, 11, 2))
    make_person(desa_code=OTHER_DESA, nama="Dewi Lestari", birth=dt.date(1979, 11, 2),
                nik=_retype(x.nik, 12, "7" if x.nik[12] != "7" else "6"))
    first = scan_for_duplicates(region_code="32.01")
    rows = list(DuplicateCandidate.objects.order_by("pk").values_list("pk", "person_a", "person_b", "score", "reasons"))
    second = scan_for_duplicates(region_code="32.01")
    assert first.created == 2
    assert (second.created, second.updated, second.removed, second.unchanged) == (0, 0, 0, 2)
    assert list(
        DuplicateCandidate.objects.order_by("pk").values_list("pk", "person_a", "person_b", "score", "reasons")
    ) == rows


def test_scan_leaves_decided_pairs_alone(make_person):
    a = make_person(desa_code=DESA, nama="Siti Aminah")
    b = make_person(desa_code=DESA, nama="Siti Aminah")
    find_candidates(region_code="32.01")
    DuplicateCandidate.objects.update(status=CandidateStatus.DISMISSED, score=0.5)
    result = scan_for_duplicates(region_code="32.01")
    assert (result.skipped_decided, result.created, result.found) == (1, 0, 0)
    cand = _pair(a, b)
    assert (cand.status, cand.score) == (CandidateStatus.DISMISSED, 0.5)


def test_scan_refreshes_score_of_open_pairs_and_removes_those_that_no_longer_qualify(make_person):
    a = make_person(desa_code=DESA, nama="Siti Aminah")
    b = make_person(desa_code=DESA, nama="Siti Aminah")
    find_candidates(region_code="32.01")
    DuplicateCandidate.objects.update(score=0.1)
    assert scan_for_duplicates(region_code="32.01").updated == 1
    assert _pair(a, b).score > 0.6
    # A newer release corrects b's name (they are a different person): the pair is gone.
    Person.objects.system().filter(pk=b.pk).update(nama="Dewi Lestari", name_key="dewi lestari")
    result = scan_for_duplicates(region_code="32.01")
    assert result.removed == 1
    assert not DuplicateCandidate.objects.exists()


def test_oversized_blocks_are_split_by_first_name_and_counted_when_still_too_big(make_person, monkeypatch):
    monkeypatch.setattr(dedup_services, "MAX_BLOCK", 3)
    birth = dt.date(1970, 1, 1)  # the placeholder date of an unknown birthday
    for nama in ["Siti Aminah", "Siti Aminah", "Budi Santoso", "Joko Widodo", "Ani Yudhoyono"]:
        make_person(desa_code=DESA, nama=nama, birth=birth)
    result = scan_for_duplicates(region_code="32.01")
    assert result.found == 1  # the two Siti Aminah, found in the "siti" sub-block
    for _ in range(3):
        make_person(desa_code=DESA, nama="Siti Rahayu", birth=birth)
    result = scan_for_duplicates(region_code="32.01")
    assert result.oversized_blocks >= 1


def test_scan_is_audited_with_counts_only(make_person):
    make_person(desa_code=DESA, nama="Siti Aminah")
    make_person(desa_code=DESA, nama="Siti Aminah")
    find_candidates(region_code="32.01")
    event = AuditEvent.objects.get(action="registry.dedup_scan")
    assert event.region_code == "32.01"
    assert event.detail["people"] == 2 and event.detail["created"] == 1
    assert "Siti" not in str(event.detail)


def test_scan_rejects_an_unknown_region_in_indonesian(db):
    with pytest.raises(ValidationError, match="tidak ada di data Kemendagri"):
        find_candidates(region_code="99.99")


def test_scan_by_a_user_is_limited_to_their_scope_and_role(make_user, make_person):
    make_person(desa_code=DESA, nama="Siti Aminah")
    make_person(desa_code=DESA, nama="Siti Aminah")
    manajer = make_user("manajer", "32.01")
    assert find_candidates(actor=manajer) == 1  # defaults to the user's region
    with pytest.raises(PermissionDenied):
        find_candidates(region_code="32.02", actor=manajer)
    with pytest.raises(PermissionDenied):
        find_candidates(actor=make_user("fasilitator", DESA))


def test_find_duplicates_command_prints_counts(make_person):
    make_person(desa_code=DESA, nama="Siti Aminah")
    make_person(desa_code=DESA, nama="Siti Aminah")
    out = StringIO()
    call_command("find_duplicates", "--region", "3201", stdout=out)
    text = out.getvalue()
    assert "Kandidat duplikat terbuka" in text
    assert "32.01" in text
    assert DuplicateCandidate.objects.count() == 1


def test_find_duplicates_command_names_an_unknown_region(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="tidak ada di data Kemendagri"):
        call_command("find_duplicates", "--region", "99.99", stdout=StringIO())
