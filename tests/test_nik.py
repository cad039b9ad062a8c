"""NIK rules (registry.nik), property-based: what is an error, what only a warning."""

import calendar
import datetime as dt

from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from lokal import wilayah as lokal_wilayah
from lokal.provinces import PROVINCES

from slrt.registry.nik import MESSAGES, check_nik, mask_nik

TODAY = dt.date(2026, 11, 22)
KECAMATAN = sorted(c for c in lokal_wilayah._base() if c.count(".") == 2)

kecamatan = st.sampled_from(KECAMATAN)
# Every date a living person can have: within the hundred years up to today.
birth_dates = st.dates(min_value=dt.date(TODAY.year - 100, TODAY.month, TODAY.day) + dt.timedelta(days=1),
                       max_value=TODAY)
sexes = st.sampled_from(["L", "P"])
serials = st.integers(min_value=1, max_value=9999)


def make_nik(kec: str, birth: dt.date, sex: str, serial: int) -> str:
    day = birth.day + (40 if sex == "P" else 0)
    return f"{kec.replace('.', '')}{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial:04d}"


@settings(max_examples=300)
@given(kec=kecamatan, birth=birth_dates, sex=sexes, serial=serials)
@example(kec="32.01.01", birth=dt.date(1926, 12, 1), sex="L", serial=1)  # a centenarian, born "later this year"
@example(kec="32.01.01", birth=dt.date(2000, 2, 29), sex="P", serial=9999)
def test_generated_valid_nik_is_accepted_with_its_sex_and_birth_date(kec, birth, sex, serial):
    check = check_nik(make_nik(kec, birth, sex, serial), jenis_kelamin=sex, tanggal_lahir=birth, today=TODAY)
    assert check.valid, check.errors
    assert check.warnings == []
    assert check.sex == sex
    assert check.birth_date == birth


@given(kec=kecamatan, birth=birth_dates, serial=serials)
def test_women_have_forty_added_to_the_day(kec, birth, serial):
    nik = make_nik(kec, birth, "P", serial)
    assert 41 <= int(nik[6:8]) <= 71
    check = check_nik(nik, today=TODAY)
    assert check.sex == "P"
    assert check.birth_date.day == birth.day


@given(kec=kecamatan, birth=birth_dates, sex=sexes, serial=serials)
def test_without_stated_birth_date_the_century_is_the_latest_not_after_today(kec, birth, sex, serial):
    check = check_nik(make_nik(kec, birth, sex, serial), today=TODAY)
    assert check.birth_date == birth


@given(
    kec=kecamatan,
    day=st.one_of(st.just(0), st.integers(32, 40), st.integers(72, 99)),
    month=st.integers(0, 99), yy=st.integers(0, 99), serial=serials,
)
def test_day_outside_both_ranges_is_an_error(kec, day, month, yy, serial):
    nik = f"{kec.replace('.', '')}{day:02d}{month:02d}{yy:02d}{serial:04d}"
    check = check_nik(nik, today=TODAY)
    assert not check.valid
    assert "birth_date" in check.errors


@given(kec=kecamatan, sex=sexes, month=st.one_of(st.just(0), st.integers(13, 99)), yy=st.integers(0, 99))
def test_month_outside_1_to_12_is_an_error(kec, sex, month, yy):
    day = 10 + (40 if sex == "P" else 0)
    check = check_nik(f"{kec.replace('.', '')}{day:02d}{month:02d}{yy:02d}0001", today=TODAY)
    assert check.errors == ["birth_date"]


@given(kec=kecamatan, sex=sexes, month=st.integers(1, 12), yy=st.integers(0, 99))
def test_day_past_the_end_of_the_month_is_an_error(kec, sex, month, yy):
    year = 2000 + yy if yy <= TODAY.year % 100 else 1900 + yy
    last = calendar.monthrange(year, month)[1]
    assume(last < 31)
    day = last + 1 + (40 if sex == "P" else 0)
    check = check_nik(f"{kec.replace('.', '')}{day:02d}{month:02d}{yy:02d}0001", today=TODAY)
    assert check.errors == ["birth_date"]


def test_29_february_only_in_leap_years():
    assert check_nik("3201012902040001", today=TODAY).valid
    assert check_nik("3201016902040001", today=TODAY).valid
    assert check_nik("3201012902030001", today=TODAY).errors == ["birth_date"]


@given(digits=st.text(alphabet="0123456789", min_size=0, max_size=30).filter(lambda s: len(s) != 16))
def test_wrong_length_is_a_format_error(digits):
    assert check_nik(digits, today=TODAY).errors == ["format"]


@given(
    kec=kecamatan, birth=birth_dates, sex=sexes, serial=serials, position=st.integers(0, 15),
    junk=st.sampled_from(list("abcxO/*#_+")),
)
def test_a_non_digit_is_a_format_error(kec, birth, sex, serial, position, junk):
    nik = make_nik(kec, birth, sex, serial)
    bad = nik[:position] + junk + nik[position + 1 :]
    assert check_nik(bad, today=TODAY).errors == ["format"]


@given(kec=kecamatan, birth=birth_dates, sex=sexes, serial=serials)
def test_spaces_dots_and_dashes_between_digits_are_tolerated(kec, birth, sex, serial):
    nik = make_nik(kec, birth, sex, serial)
    check = check_nik(f" {nik[:6]}.{nik[6:12]}-{nik[12:]} ", today=TODAY)
    assert check.valid and check.nik == nik


@given(kec=kecamatan, birth=birth_dates, sex=sexes, serial=serials)
def test_sex_mismatch_is_a_warning_not_an_error(kec, birth, sex, serial):
    other = "L" if sex == "P" else "P"
    check = check_nik(make_nik(kec, birth, sex, serial), jenis_kelamin=other, today=TODAY)
    assert check.valid
    assert check.warnings == ["sex_mismatch"]
    assert check.sex == sex  # what the NIK says, for the visit to verify


def test_sex_is_compared_case_insensitively():
    assert check_nik("3201014506900001", jenis_kelamin="p", today=TODAY).warnings == []


@given(kec=kecamatan, birth=birth_dates, sex=sexes, serial=serials, shift=st.integers(1, 400))
def test_stated_birth_date_mismatch_is_a_warning(kec, birth, sex, serial, shift):
    stated = birth - dt.timedelta(days=shift)
    check = check_nik(make_nik(kec, birth, sex, serial), tanggal_lahir=stated, today=TODAY)
    assert check.valid
    assert check.warnings == ["birth_date_mismatch"]


def test_stated_birth_date_names_the_century():
    # Encoded 01-03-26: on 2026-11-22 alone it reads as 2026, with a stated 1926 it is 1926.
    assert check_nik("3201010103260001", today=TODAY).birth_date == dt.date(2026, 3, 1)
    check = check_nik("3201010103260001", tanggal_lahir=dt.date(1926, 3, 1), today=TODAY)
    assert check.birth_date == dt.date(1926, 3, 1) and check.warnings == []


@given(
    prov=st.sampled_from(sorted(PROVINCES)), kab=st.integers(1, 99), kec=st.integers(1, 99),
    birth=birth_dates, sex=sexes, serial=serials,
)
def test_unknown_kecamatan_is_a_warning_not_an_error(prov, kab, kec, birth, sex, serial):
    code = f"{prov}.{kab:02d}.{kec:02d}"
    assume(code not in KECAMATAN)
    check = check_nik(make_nik(code, birth, sex, serial), today=TODAY)
    assert check.valid
    assert check.warnings == ["kecamatan_unknown"]


@given(kec=kecamatan, birth=birth_dates, sex=sexes)
def test_serial_0000_is_an_error(kec, birth, sex):
    assert check_nik(make_nik(kec, birth, sex, 0), today=TODAY).errors == ["serial"]


@given(prov=st.integers(0, 99), birth=birth_dates, sex=sexes, serial=serials)
def test_unknown_province_is_an_error(prov, birth, sex, serial):
    assume(f"{prov:02d}" not in PROVINCES)
    check = check_nik(make_nik(f"{prov:02d}.01.01", birth, sex, serial), today=TODAY)
    assert "province" in check.errors


@given(prov=st.sampled_from(sorted(PROVINCES)), birth=birth_dates, sex=sexes, serial=serials,
       zero_kab=st.booleans())
def test_kab_or_kecamatan_00_is_an_error(prov, birth, sex, serial, zero_kab):
    code = f"{prov}.00.01" if zero_kab else f"{prov}.01.00"
    assert "wilayah" in check_nik(make_nik(code, birth, sex, serial), today=TODAY).errors


def test_every_code_has_an_indonesian_message():
    check = check_nik("12345", today=TODAY)
    assert check.messages() == [str(MESSAGES["format"])]
    assert all(str(message) for message in MESSAGES.values())


@given(kec=kecamatan, birth=birth_dates, sex=sexes, serial=serials)
def test_mask_keeps_region_and_last_two_digits_only(kec, birth, sex, serial):
    nik = make_nik(kec, birth, sex, serial)
    masked = mask_nik(nik)
    assert len(masked) == 16
    assert masked[:6] == nik[:6] and masked[-2:] == nik[-2:] and set(masked[6:14]) == {"*"}
    assert mask_nik("123") == "*" * 16
