"""The case list's one filter parser (`cases.selectors.case_filters_from`), shared by the list page,
its export and the dashboard figures' links: every parameter understood, every bad one refused
with an Indonesian message naming it, and the page showing the active filters in names."""

import datetime as dt

import pytest
from django.urls import reverse

from slrt.cases.selectors import CaseFilters, FilterError, case_filters_from, case_list_url, filter_params
from slrt.wilayah.models import Puskesos, Secretariat
from tests.test_referrals_fixtures import client_for, program, user

pytestmark = pytest.mark.django_db


@pytest.fixture
def manajer():
    return user("manajer", "32.01")


def test_every_filter_survives_the_round_trip(manajer):
    sec = Secretariat.objects.create(region_id="32.01", name="Sekretariat SLRT Kabupaten Bogor")
    post = Puskesos.objects.create(region_id="32.01.02.2001", secretariat=sec, name="Puskesos Desa Uji")
    full = CaseFilters(
        status="terbuka", sector="kesehatan", urgency="darurat", channel="telepon", desa="32.01.02",
        date_from=dt.date(2026, 11, 1), date_to=dt.date(2026, 11, 30), overdue=True, ticket="SLRT-3201",
        complaint_type="saran", desk=f"puskesos:{post.pk}", in_registry=False, need_status="tertangani",
        rec_program="PKH", rec_agency="RSUD-3201", rec_service=7, rec_status="disetujui", rec_override=True,
        has_recommendation=True,
    )
    assert case_filters_from(filter_params(full), manajer) == full
    assert case_filters_from({}, manajer) == CaseFilters() and not CaseFilters().active
    # The API's English names are understood too (the exports API takes the list's filters).
    assert case_filters_from({"date_from": "2026-11-01", "region": "3201", "ticket": "X"}, manajer) == CaseFilters(
        date_from=dt.date(2026, 11, 1), desa="32.01", ticket="X")
    assert case_filters_from({"loket": f"sekretariat:{sec.pk}"}, manajer).desk == f"sekretariat:{sec.pk}"


@pytest.mark.parametrize(
    "params,param,words",
    [
        ({"status": "tutup"}, "status", "tidak dikenal"),
        ({"sector": "olahraga"}, "sector", "tidak dikenal"),
        ({"jenis": "keluhan"}, "jenis", "pilihan: pertanyaan, saran, pengaduan"),
        ({"kebutuhan": "x"}, "kebutuhan", "tidak dikenal"),
        ({"rek_status": "ok"}, "rek_status", "tidak dikenal"),
        ({"dari": "2026-11-31"}, "dari", "YYYY-MM-DD"),
        ({"sampai": "kemarin"}, "sampai", "YYYY-MM-DD"),
        ({"dari": "2026-11-30", "sampai": "2026-11-01"}, "sampai", "tidak boleh sebelum"),
        ({"registri": "mungkin"}, "registri", "ya atau tidak"),
        ({"rek_override": "2"}, "rek_override", "ya atau tidak"),
        ({"loket": "puskesos:999999"}, "loket", "tidak dikenal"),
        ({"loket": "kantor"}, "loket", "tidak dikenal"),
        ({"rek_layanan": "satu"}, "rek_layanan", "nomor layanan"),
        ({"desa": "32.02"}, "desa", "di luar wilayah tugas"),
        ({"desa": "Desa Yang Tidak Ada Sama Sekali"}, "desa", ""),
        ({"antrian": "semua"}, "antrian", "tidak dikenal"),
        ({"tiket": "x" * 300}, "tiket", "terlalu panjang"),
    ],
)
def test_a_bad_parameter_is_refused_naming_it(manajer, params, param, words):
    with pytest.raises(FilterError) as exc:
        case_filters_from(params, manajer)
    assert isinstance(exc.value, ValueError) and exc.value.param == param
    assert words in str(exc.value)
    if param not in ("desa",):
        assert param in str(exc.value) or param == "loket"


def test_the_page_shows_the_active_filters_in_names_and_the_bad_one_next_to_its_field(manajer):
    program("PKH_UJI")
    client = client_for(manajer)
    url = case_list_url(desa="32.01.02", complaint_type="saran", rec_program="PKH_UJI", in_registry=False,
                        date_from=dt.date(2026, 11, 1), date_to=dt.date(2026, 11, 30), status="terbuka")
    html = client.get(url).content.decode()
    assert 'data-filter-active="1"' in html
    for words in ("Jenis keluhan: Saran", "Program PKH_UJI", "tidak terdaftar", "Belum selesai", "1 Nov 2026"):
        assert words in html, words
    assert "Kec. " in html or "Kecamatan" in html  # the region by its name
    plain = client.get(reverse("cases:list")).content.decode()
    assert 'data-filter-active="1"' not in plain
    bad = client.get(reverse("cases:list"), {"jenis": "keluhan"}).content.decode()
    assert "Saringan jenis: nilai keluhan tidak dikenal" in bad and "data-total" not in bad
