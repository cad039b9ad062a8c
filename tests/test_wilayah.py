import pytest

from slrt.wilayah.models import Region, normalize_code
from slrt.wilayah.services import load_regions

pytestmark = pytest.mark.django_db


def test_load_regions_is_idempotent():
    before = Region.objects.count()
    result = load_regions()
    assert result["created"] == 0 and Region.objects.count() == before


def test_descendants_of_a_kabupaten_are_its_kecamatan_and_desa():
    kab = Region.objects.get(code="32.01")
    codes = list(kab.descendants().values_list("code", flat=True))
    assert codes and all(c.startswith("32.01.") for c in codes)
    assert {len(c.split(".")) for c in codes} == {3, 4}
    assert not kab.descendants().filter(code__startswith="32.02").exists()


def test_desa_kind_follows_the_first_digit_of_the_last_segment():
    assert Region.objects.filter(level=4, code__regex=r"\.1\d{3}$").exclude(kind="kelurahan").count() == 0
    assert Region.objects.filter(level=4, code__regex=r"\.2\d{3}$").exclude(kind="desa").count() == 0


@pytest.mark.parametrize(("raw", "dotted"), [("3201012001", "32.01.01.2001"), ("32.01", "32.01"), (" 3201 ", "32.01")])
def test_region_codes_normalise_to_dotted_form(raw, dotted):
    assert normalize_code(raw) == dotted
