"""Duplicate detection logic (slrt.registry.dedup): reasons, scores, and what is not a pair."""

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from slrt.registry import dedup
from slrt.registry.dedup import PersonFacts, assess
from slrt.registry.search import name_key

_ids = iter(range(1, 10**9))


def facts(nama="Siti Aminah", nik="3201024503850001", birth=dt.date(1985, 3, 5), sex="P",
          desa="32.01.02.2001", mother="", household=None):
    return PersonFacts(
        id=next(_ids), nik=nik, nama=nama, name_key=name_key(nama), tanggal_lahir=birth, jenis_kelamin=sex,
        desa_code=desa, kab_code=desa[:5], nama_ibu_kandung=mother, household_id=household,
    )


def test_one_mistyped_nik_digit_with_same_name_is_a_candidate():
    a = facts(nik="3201024503850001", desa="32.01.02.2001")
    b = facts(nik="3201024503850007", desa="32.01.05.2003")  # typed elsewhere, one digit off
    verdict = assess(a, b)
    assert verdict.is_candidate
    assert "nik_one_digit" in verdict.reasons
    assert verdict.score >= 0.9


def test_two_adjacent_nik_digits_swapped_is_a_candidate():
    a = facts(nik="3201024503850012")
    b = facts(nik="3201024503850021", desa="32.01.05.2003")
    verdict = assess(a, b)
    assert verdict.is_candidate
    assert "nik_transposed" in verdict.reasons
    assert "nik_one_digit" not in verdict.reasons


def test_day_and_month_swapped_in_birth_date_and_nik_is_a_candidate():
    # A woman born 5 March 1985 (NIK day 45) recorded once as 3 May (NIK day 43, month 05).
    a = facts(nik="3201024503850001", birth=dt.date(1985, 3, 5))
    b = facts(nik="3201024305850001", birth=dt.date(1985, 5, 3), desa="32.01.05.2003")
    verdict = assess(a, b)
    assert verdict.is_candidate
    assert {"nik_date_swapped", "birth_date_swapped"} <= set(verdict.reasons)
    assert "birth_date_differs" not in verdict.counter


def test_swapped_birth_date_alone_ties_a_pair_in_one_desa():
    a = facts(nik="3201024503850001", birth=dt.date(1985, 3, 5))
    b = facts(nik="3201024305850009", birth=dt.date(1985, 5, 3))
    verdict = assess(a, b)
    assert verdict.is_candidate
    assert "birth_date_swapped" in verdict.reasons


def test_nik_date_swap_needs_the_same_sex_encoding():
    # Day 45 (woman, 5th) vs day 03 month 05 (man): not a swap of the same date.
    assert not dedup.nik_date_swapped("3201024503850001", "3201020305850001")
    assert dedup.nik_date_swapped("3201021503850001", "3201020315850001")


def test_spelling_variants_of_a_name_with_same_birth_date_and_desa_are_a_candidate():
    for old, new in [
        ("Muhammad Rizki", "M. Rizki"),
        ("Moh. Soekarno", "Muhamad Sukarno"),
        ("St. Aminah", "Siti Aminah"),
        ("Djoko Santoso", "Joko Santoso"),
    ]:
        verdict = assess(facts(nama=old, nik="3201020503850001", sex="L"),
                         facts(nama=new, nik="3201020503850002", sex="L"))
        assert verdict.is_candidate, (old, new)
        assert "name_variant" in verdict.reasons
        assert {"same_birth_date", "same_desa"} <= set(verdict.reasons)


def test_a_typo_in_the_name_still_matches_with_same_birth_date_and_desa():
    verdict = assess(facts(nama="Siti Aminah", nik="3201024503850001"),
                     facts(nama="Siti Aminnah Putri", nik="3201024503850022"))
    assert {"similar_name", "name_part"} & set(verdict.reasons)
    assert verdict.is_candidate


def test_same_birth_date_and_desa_with_same_name_is_a_candidate_with_those_reasons():
    verdict = assess(facts(nik="3201024503850001"), facts(nik="3201024503850099"))
    assert verdict.is_candidate
    assert set(verdict.reasons) >= {"same_name", "same_birth_date", "same_desa"}


def test_two_siti_aminah_born_on_different_days_in_one_desa_are_not_a_pair():
    a = facts(nik="3201024503850001", birth=dt.date(1985, 3, 5))
    b = facts(nik="3201025708900003", birth=dt.date(1990, 8, 17))
    verdict = assess(a, b)
    assert not verdict.is_candidate
    assert "birth_date_differs" in verdict.counter


def test_a_name_and_a_village_alone_are_not_enough():
    a = facts(nik="3201024503850001", birth=None)
    b = facts(nik="3201025708900003", birth=None)
    assert not assess(a, b).is_candidate


def test_same_birth_date_and_desa_with_different_names_are_not_a_pair():
    a = facts(nama="Siti Aminah", nik="3201024503850001")
    b = facts(nama="Dewi Lestari", nik="3201024503850002")
    assert not assess(a, b).is_candidate


def test_a_shared_muhammad_or_surname_does_not_make_different_names_similar():
    for a, b in [("Muhammad Hasan", "Muhammad Husain"), ("Hendra Hasanah", "Lina Hasanah"),
                 ("Iis Gunawan", "Rizki Gunawan"), ("Siti Aminah", "Siti Rahayu")]:
        assert dedup.name_similarity(name_key(a), name_key(b)) < dedup.NAME_MIN_STRONG, (a, b)


def test_word_order_typos_and_extra_words_are_tolerated():
    for a, b in [("Rizki Ramadhan", "Ramadan Rizky"), ("Siti Aminah", "Aminah"), ("Nurhayati", "Nur Hayati"),
                 ("Bambang Sutrisno", "Bambang Sutrisna")]:
        assert dedup.name_similarity(name_key(a), name_key(b)) >= dedup.NAME_MIN, (a, b)


def test_siblings_sharing_a_surname_and_mother_are_not_a_pair():
    a = facts(nama="Eko Nurhayati", nik="3201022712910001", sex="L", birth=dt.date(1991, 12, 27), mother="Ani")
    b = facts(nama="Dewi Nurhayati", nik="3201026112910001", birth=dt.date(1991, 12, 21), mother="Ani")
    assert not assess(a, b).is_candidate


def test_a_nik_difference_that_only_restates_the_birth_dates_is_no_evidence():
    # Two women born on the 2nd and 3rd: each NIK encodes its own date, one digit apart.
    a = facts(nik="3201024203850001", birth=dt.date(1985, 3, 2))
    b = facts(nik="3201024303850001", birth=dt.date(1985, 3, 3))
    verdict = assess(a, b)
    assert "nik_one_digit" not in verdict.reasons
    assert not verdict.is_candidate


def test_a_mistyped_date_digit_in_the_nik_with_equal_birth_dates_is_evidence():
    a = facts(nik="3201024203850001", birth=dt.date(1985, 3, 2), desa="32.01.05.2003")
    b = facts(nik="3201024303850001", birth=dt.date(1985, 3, 2))
    verdict = assess(a, b)
    assert "nik_one_digit" in verdict.reasons and verdict.is_candidate


def test_same_mother_lowers_the_bar_for_a_shortened_name():
    a = facts(nama="Aminah", nik="3201024503850001", mother="Fatimah")
    b = facts(nama="Siti Aminah", nik="3201024503850005", mother="Fatimah")
    verdict = assess(a, b)
    assert verdict.is_candidate
    assert {"same_mother", "name_part"} <= set(verdict.reasons)


def test_a_name_written_without_its_second_word_pairs_when_kk_mother_and_birth_date_agree():
    a = facts(nama="Ajat Komarudin", nik="3204340811940001", sex="L", birth=dt.date(1994, 11, 8),
              mother="Eti Lestari", household=5)
    b = facts(nama="Ajat", nik="3204340811948001", sex="L", birth=dt.date(1994, 11, 8),
              mother="Eti Lestari", household=5)
    verdict = assess(a, b)
    assert verdict.is_candidate
    assert "name_part" in verdict.reasons and "possible_twins" not in verdict.counter


def test_a_shortened_name_alone_with_a_birth_date_is_not_enough():
    a = facts(nama="Bambang Sutrisno", nik="3201020503850001", sex="L")
    b = facts(nama="Bambang", nik="3201020503850077", sex="L", desa="32.01.05.2003")
    assert not assess(a, b).is_candidate


def test_twins_in_one_kk_are_flagged_as_counter_evidence():
    a = facts(nama="Muhammad Hasan", nik="3201020503850001", sex="L", household=7, mother="Fatimah")
    b = facts(nama="Muhammad Hasanudin", nik="3201020503850002", sex="L", household=7, mother="Fatimah")
    verdict = assess(a, b)
    assert "possible_twins" in verdict.counter


def test_different_sex_is_counter_evidence():
    a = facts(nama="Rizki", nik="3201020503850001", sex="L")
    b = facts(nama="Rizki", nik="3201024503850001", sex="P")
    verdict = assess(a, b)
    assert "sex_differs" in verdict.counter
    assert verdict.score < assess(a, facts(nama="Rizki", nik="3201020503850009", sex="L")).score


def test_every_reason_has_an_indonesian_label():
    for code in [*dedup.WEIGHTS, *dedup.PENALTIES, *dedup.NAME_REASONS, "manual"]:
        assert dedup.reason_label(code) != code


nik_strategy = st.text(alphabet="0123456789", min_size=16, max_size=16)


@given(nik_strategy, st.integers(0, 15), st.sampled_from("0123456789"))
def test_changing_one_digit_is_exactly_hamming_distance_one(nik, pos, digit):
    other = nik[:pos] + digit + nik[pos + 1:]
    assert dedup.nik_one_digit(nik, other) == (digit != nik[pos])


@given(nik_strategy, st.integers(0, 14))
def test_swapping_two_adjacent_distinct_digits_is_a_transposition(nik, pos):
    other = nik[:pos] + nik[pos + 1] + nik[pos] + nik[pos + 2:]
    assert dedup.nik_transposed(nik, other) == (nik[pos] != nik[pos + 1])
    assert not dedup.nik_one_digit(nik, other)


@given(
    st.dates(min_value=dt.date(1930, 1, 1), max_value=dt.date(2020, 12, 31)),
    st.dates(min_value=dt.date(1930, 1, 1), max_value=dt.date(2020, 12, 31)),
    st.sampled_from(["Siti Aminah", "St. Aminah", "Budi Santoso", "Moh. Rizki"]),
    st.sampled_from(["Siti Aminah", "Muhammad Rizki", "Boedi Santoso"]),
)
def test_the_verdict_is_symmetric_and_the_score_between_zero_and_one(d1, d2, n1, n2):
    a = facts(nama=n1, birth=d1, nik="3201024503850001")
    b = facts(nama=n2, birth=d2, nik="3201024503850002", household=3)
    ab, ba = assess(a, b), assess(b, a)
    assert ab.score == ba.score and ab.is_candidate == ba.is_candidate
    assert set(ab.reasons) == set(ba.reasons)
    assert 0.0 <= ab.score <= 1.0
