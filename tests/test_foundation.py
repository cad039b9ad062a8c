import pytest

from slrt.wilayah.models import Level, Region


@pytest.mark.django_db
def test_every_kemendagri_region_is_loaded():
    counts = {lvl: Region.objects.filter(level=lvl).count() for lvl in Level}
    assert counts[Level.PROVINSI] == 38
    assert counts[Level.KABUPATEN] == 514
    assert counts[Level.KECAMATAN] == 7285
    assert counts[Level.DESA] == 83762


@pytest.mark.django_db
def test_healthz_names_the_database_engine(client, settings):
    from django.db import connection

    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == connection.vendor
