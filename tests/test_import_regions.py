"""Imports belong to their region (issue 9, point 7): a job is visible to the offices whose
kab/kota its accepted rows touch, from the CLI or the web; a wider import shows them only their
own rows' count and no error report (its other rows are another office's)."""

import datetime as dt
import re

import pytest
from django.core.management import call_command
from django.test import Client

from slrt.registry.models import ImportJob, ImportJobRegion
from slrt.registry.services.imports import create_import_job, run_import
from tests.test_import import DESA, DESA_OTHER_KAB, HEADER, kk, nik, person, write_csv

pytestmark = pytest.mark.django_db


def _rows():
    """Two residents of Kab. Bogor (32.01), one of Kab. Sukabumi (32.02), one bad row."""
    sukabumi = person(3, kk_no=3, desa=DESA_OTHER_KAB, nik=nik(dt.date(1980, 1, 15), "L", 3, "320201"),
                      nomor_kk=kk(3, "320201"))
    return [person(1), person(2, kk_no=2, desa=DESA), sukabumi, person(4, kk_no=4, desil="99")]


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _listed(user) -> dict[int, tuple[str, str]]:
    """Job id -> (accepted, rejected) as the import list page shows them to the user."""
    html = _client(user).get("/registri/impor/").content.decode()
    body = html.split("<tbody>", 1)[1] if "<tbody>" in html else ""
    plain = lambda text: re.sub(r"[.,\s]", "", text)  # noqa: E731 - thousands separators of either language
    return {int(m[0]): (plain(m[1]), plain(m[2])) for m in re.findall(
        r'<td><a href="/registri/impor/(\d+)/">\d+</a></td>.*?<td class="num"[^>]*>([^<]*)</td>\s*'
        r'<td class="num[^"]*"[^>]*>([^<]*)</td>', body, re.S)}


def test_a_cli_import_counts_its_accepted_rows_per_kab(tmp_path):
    call_command("import_registry", str(write_csv(tmp_path / "f.csv", _rows(), header=HEADER)), stdout=None)
    job = ImportJob.objects.get()
    assert job.region_code == "" and (job.created, job.rejected) == (3, 1)
    assert dict(ImportJobRegion.objects.filter(job=job).values_list("kab_code", "rows")) == {"32.01": 2, "32.02": 1}


def test_a_cli_import_is_visible_to_the_manajer_of_a_kab_it_touches_with_their_rows_only(tmp_path, make_user):
    call_command("import_registry", str(write_csv(tmp_path / "f.csv", _rows(), header=HEADER)), stdout=None)
    job = ImportJob.objects.get()
    bogor, sukabumi, cianjur = (make_user("manajer", code) for code in ("32.01", "32.02", "32.03"))
    assert _listed(bogor) == {job.pk: ("2", "—")}
    assert _listed(sukabumi) == {job.pk: ("1", "—")}
    assert _listed(cianjur) == {}
    assert _client(cianjur).get(f"/registri/impor/{job.pk}/").status_code == 404
    detail = _client(bogor).get(f"/registri/impor/{job.pk}/").content.decode()
    assert re.search(r"data-region-rows>2<", detail)
    assert "/galat" not in detail and "Nilai" not in detail  # no error report of the whole file
    assert _client(bogor).get(f"/registri/impor/{job.pk}/galat.csv").status_code == 404
    # Dinas Sosial of the province sees both kab/kota's rows; the nation's Admin everything.
    assert _listed(make_user("dinsos", "32")) == {job.pk: ("3", "—")}
    assert _listed(make_user("admin", "00")) == {job.pk: ("3", "1")}


def test_a_web_import_is_visible_to_its_starters_region_and_to_no_other(tmp_path, make_user):
    bogor = make_user("manajer", "32.01")
    rows = [r for r in _rows() if r["kode_wilayah"] != DESA_OTHER_KAB.replace(".", "")]
    job = run_import(create_import_job(path=write_csv(tmp_path / "f.csv", rows, header=HEADER),
                                       original_name="f.csv", actor=bogor))
    assert (job.created, job.rejected) == (2, 1)
    colleague = make_user("manajer", "32.01")
    assert _listed(bogor) == {job.pk: ("2", "1")}
    assert _listed(colleague) == {job.pk: ("2", "1")}  # the starter's region sees it whole
    assert _client(colleague).get(f"/registri/impor/{job.pk}/galat.csv").status_code == 200
    assert _listed(make_user("manajer", "32.02")) == {}


def test_a_province_admins_upload_shows_each_kab_only_its_rows(tmp_path, make_user):
    admin = make_user("admin", "32")
    job = run_import(create_import_job(path=write_csv(tmp_path / "f.csv", _rows(), header=HEADER),
                                       original_name="f.csv", actor=admin))
    assert _listed(make_user("manajer", "32.02")) == {job.pk: ("1", "—")}
    assert _listed(admin) == {job.pk: ("3", "1")}


def test_the_demo_import_shows_up_for_demo_manajer():
    from slrt.accounts.models import User
    from slrt.demo.seed import DEMO_KAB
    from slrt.registry.models import Person

    call_command("seed_demo", "--households", "60", stdout=None)
    job = ImportJob.objects.get()
    manajer = User.objects.get(username="demo-manajer")
    accepted = str(Person.objects.system().filter(kab_code=DEMO_KAB).count())
    assert _listed(manajer) == {job.pk: (accepted, "—")}


def test_imports_finished_before_the_region_table_are_backfilled_from_the_registry(tmp_path):
    import importlib

    from django.apps import apps

    call_command("import_registry", str(write_csv(tmp_path / "f.csv", _rows(), header=HEADER)), stdout=None)
    ImportJobRegion.objects.all().delete()  # as for a job imported before migration 0008
    importlib.import_module("slrt.registry.migrations.0008_backfill_import_job_regions").backfill(apps, None)
    assert dict(ImportJobRegion.objects.values_list("kab_code", "rows")) == {"32.01": 2, "32.02": 1}


def test_the_demo_desks_have_a_letterhead_and_a_signatory_that_sign_its_letters(settings, tmp_path):
    from slrt.cases.models import Letter
    from slrt.demo.seed import DEMO_KAB
    from slrt.wilayah.models import Secretariat, Signatory

    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("seed_demo", "--households", "60", stdout=None)
    secretariat = Secretariat.objects.get(region_id=DEMO_KAB)
    assert secretariat.phone and "000-0000" not in secretariat.phone and secretariat.email and secretariat.logo
    signatories = Signatory.objects.filter(is_default=True)
    assert signatories.filter(secretariat=secretariat).exists() and signatories.filter(puskesos__isnull=False).exists()
    assert all(len(s.nip) == 18 and s.nip.isdigit() and "Kabupaten Kabupaten" not in s.title for s in signatories)
    letters = Letter.objects.all()
    assert letters.exists() and not letters.filter(signer_nip="").exists()
