"""The web UI: pages per role, 403 and 404, language switch, upload checks, scoped search."""

import datetime as dt
import re
from pathlib import Path

import pytest
from django.urls import reverse

from slrt.registry.models import (
    CandidateStatus,
    DuplicateCandidate,
    ImportJob,
    ImportRowError,
    ImportStatus,
    Person,
    ProgramParticipation,
)

pytestmark = pytest.mark.django_db

KAB = "32.01"
DESA = "32.01.02.2001"
OTHER_KAB_DESA = "32.02.02.2001"


@pytest.fixture
def manajer(client, make_user):
    user = make_user("manajer", KAB)
    client.force_login(user)
    return user


def _text(response) -> str:
    return response.content.decode()


def _search(client, data, **headers):
    """The search form's way: terms posted, then the page of the session key they were kept under."""
    return client.post(reverse("registry:search"), data, follow=True, **headers)


def _visible_person_ids(response) -> set[int]:
    return {int(pk) for pk in re.findall(r'data-person-id="(\d+)"', _text(response))}


# --- pages render for the roles allowed ---------------------------------------------------------


def test_every_registry_page_renders_for_a_manajer(client, manajer, make_person):
    person = make_person(desa_code=DESA, nama="Sumarni Wulandari")
    twin = make_person(desa_code=DESA, nama="Sumarni Wulandari", household=person.household)
    candidate = DuplicateCandidate.objects.create(
        person_a=person, person_b=twin, score=0.9, reasons=["same_name", "same_kk"], kab_code=KAB
    )
    job = ImportJob.objects.create(file_path="/tmp/x.csv", original_name="dtsen.csv", started_by=manajer,
                                   region_code=KAB, status=ImportStatus.DONE)
    pages = [
        reverse("core:home"),
        reverse("registry:search"),
        reverse("registry:search") + "?q=Sumarni",
        reverse("registry:person", args=[person.pk]),
        reverse("registry:household", args=[person.household_id]),
        reverse("registry:imports"),
        reverse("registry:import_detail", args=[job.pk]),
        reverse("registry:duplicates"),
        reverse("registry:duplicate_detail", args=[candidate.pk]),
    ]
    for url in pages:
        # A search with terms answers on its session key (303 to ?s=...): follow it.
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
        assert '<html lang="id">' in _text(response), url


def test_navigation_shows_only_the_entries_the_role_may_use(client, make_user):
    client.force_login(make_user("front_office", KAB))
    html = _text(client.get(reverse("core:home")))
    assert reverse("registry:search") in html
    assert reverse("registry:imports") not in html
    assert reverse("registry:duplicates") not in html

    client.force_login(make_user("back_office", KAB))
    html = _text(client.get(reverse("core:home")))
    assert reverse("registry:duplicates") in html
    assert reverse("registry:imports") not in html


def test_home_dashboard_counts_only_the_users_scope(client, manajer, make_person):
    make_person(desa_code=DESA)
    make_person(desa_code=DESA)
    make_person(desa_code=OTHER_KAB_DESA)
    response = client.get(reverse("core:home"))
    assert response.context["people"] == 2
    assert response.context["households"] == 2


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    for url in (reverse("core:home"), reverse("registry:search"), reverse("registry:imports")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


# --- 403 for a role lacking the capability ----------------------------------------------------


@pytest.mark.parametrize(
    ("role", "region", "url_name"),
    [
        ("fasilitator", DESA, "registry:imports"),
        ("back_office", KAB, "registry:imports"),
        ("front_office", KAB, "registry:duplicates"),
        ("supervisor", "32.01.02", "registry:duplicates"),
        ("mitra", KAB, "registry:imports"),
    ],
)
def test_a_role_without_the_capability_gets_an_indonesian_403(client, make_user, role, region, url_name):
    client.force_login(make_user(role, region))
    response = client.get(reverse(url_name))
    assert response.status_code == 403
    assert "Akses ditolak" in _text(response)
    assert "Peran Anda tidak memiliki akses ke halaman ini." in _text(response)


def test_merge_and_dismiss_are_refused_to_a_role_that_may_not_review(client, make_user, make_person):
    a = make_person(desa_code=DESA)
    b = make_person(desa_code=DESA)
    candidate = DuplicateCandidate.objects.create(person_a=a, person_b=b, score=0.8, reasons=[], kab_code=KAB)
    client.force_login(make_user("front_office", KAB))
    for name in ("registry:duplicate_merge", "registry:duplicate_dismiss", "registry:duplicate_undo"):
        assert client.post(reverse(name, args=[candidate.pk])).status_code == 403
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.OPEN


def test_a_role_without_registry_access_sees_a_notice_not_people(client, make_user, make_person):
    person = make_person(desa_code=DESA, nama="Sumarni Wulandari")
    client.force_login(make_user("mitra", KAB))
    response = _search(client, {"q": "Sumarni"})
    assert response.status_code == 200
    assert person.pk not in _visible_person_ids(response)
    assert "tidak memiliki akses ke data registri" in _text(response)


# --- 404 outside the scope ----------------------------------------------------------------------


def test_records_outside_the_scope_answer_404_like_missing_ones(client, manajer, make_person):
    outside = make_person(desa_code=OTHER_KAB_DESA)
    for url in (
        reverse("registry:person", args=[outside.pk]),
        reverse("registry:household", args=[outside.household_id]),
        reverse("registry:person", args=[999_999_999]),
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Data tidak ditemukan" in _text(response)


def test_duplicate_pairs_and_import_jobs_outside_the_scope_answer_404(client, manajer, make_person, make_user):
    a, b = make_person(desa_code=OTHER_KAB_DESA), make_person(desa_code=OTHER_KAB_DESA)
    candidate = DuplicateCandidate.objects.create(person_a=a, person_b=b, score=0.8, reasons=[], kab_code="32.02")
    other = make_user("manajer", "32.02")
    job = ImportJob.objects.create(file_path="/tmp/x.csv", original_name="x.csv", started_by=other,
                                   region_code="32.02")
    assert client.get(reverse("registry:duplicate_detail", args=[candidate.pk])).status_code == 404
    assert client.get(reverse("registry:import_detail", args=[job.pk])).status_code == 404
    assert client.get(reverse("registry:import_errors", args=[job.pk])).status_code == 404


# --- language -----------------------------------------------------------------------------------


def test_switching_to_english_shows_english_and_back(client, manajer):
    home = reverse("core:home")
    assert "Cari warga" in _text(client.get(home))
    response = client.post(reverse("set_language"), {"language": "en", "next": home}, follow=True)
    html = _text(response)
    assert '<html lang="en">' in html
    assert "Find residents" in html
    assert "Integrated Service and Referral System" in html
    assert "Cari warga" not in html
    html = _text(client.get(reverse("registry:search")))
    assert "NIK, KK number or name" in html
    client.post(reverse("set_language"), {"language": "id", "next": home})
    assert "Cari warga" in _text(client.get(home))


def test_indonesian_is_the_default_whatever_the_browser_asks_for(client, manajer, settings):
    settings.MIDDLEWARE = [
        "slrt.core.middleware.ChosenLanguageMiddleware" if m == "django.middleware.locale.LocaleMiddleware" else m
        for m in settings.MIDDLEWARE
    ]
    home = reverse("core:home")
    assert "Cari warga" in _text(client.get(home, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9"))
    client.post(reverse("set_language"), {"language": "en", "next": home})
    assert "Find residents" in _text(client.get(home, HTTP_ACCEPT_LANGUAGE="id"))


# --- search -------------------------------------------------------------------------------------


def test_search_shows_only_people_inside_the_scope(client, manajer, make_person):
    inside = make_person(desa_code=DESA, nama="Sumarni Wulandari")
    outside = make_person(desa_code=OTHER_KAB_DESA, nama="Sumarni Wulandari")
    response = _search(client, {"q": "Sumarni Wulandari"})
    ids = _visible_person_ids(response)
    assert inside.pk in ids
    assert outside.pk not in ids
    # The number of an outside person finds nothing either.
    response = _search(client, {"q": outside.nik})
    assert _visible_person_ids(response) == set()


def test_search_finds_an_old_spelling_of_a_name(client, manajer, make_person):
    person = make_person(desa_code=DESA, nama="Sukarni Tjahjadi")
    response = _search(client, {"q": "Soekarni Cahyadi"})
    assert person.pk in _visible_person_ids(response)


def test_search_by_kk_number_lists_the_members(client, manajer, make_person):
    head = make_person(desa_code=DESA, nama="Budi Santoso", sex="L")
    wife = make_person(desa_code=DESA, nama="Ani Lestari", household=head.household)
    response = _search(client, {"q": head.household.nomor_kk})
    assert _visible_person_ids(response) == {head.pk, wife.pk}


def test_search_by_nik_with_separators_finds_the_person(client, manajer, make_person):
    person = make_person(desa_code=DESA)
    spaced = f"{person.nik[:6]} {person.nik[6:12]} {person.nik[12:]}"
    assert _visible_person_ids(_search(client, {"q": spaced})) == {person.pk}


def test_live_search_answers_htmx_with_the_results_fragment_only(client, manajer, make_person):
    person = make_person(desa_code=DESA, nama="Sumarni Wulandari")
    response = _search(client, {"q": "Sumarni"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results")
    html = _text(response)
    assert "<html" not in html
    assert f'data-person-id="{person.pk}"' in html


def test_search_filters_by_region_and_birth_year(client, manajer, make_person):
    here = make_person(desa_code=DESA, nama="Sumarni Wulandari", birth=dt.date(1980, 1, 5))
    other_kec = make_person(desa_code="32.01.03.2001", nama="Sumarni Wulandari", birth=dt.date(1980, 1, 5))
    younger = make_person(desa_code=DESA, nama="Sumarni Wulandari", birth=dt.date(1999, 1, 5))
    # The cascade sends one value per level; the deepest consistent one counts.
    response = _search(client, {"q": "Sumarni", "region": ["32.01.02", ""],
                                                        "birth_year": "1980"})
    assert _visible_person_ids(response) == {here.pk}
    assert other_kec.pk not in _visible_person_ids(response)
    assert younger.pk not in _visible_person_ids(response)


def test_a_region_filter_outside_the_scope_is_refused_in_indonesian(client, manajer, make_person):
    make_person(desa_code=OTHER_KAB_DESA, nama="Sumarni Wulandari")
    response = _search(client, {"q": "Sumarni", "region": "32.02"})
    assert response.status_code == 200
    assert _visible_person_ids(response) == set()
    assert "berada di luar wilayah tugas Anda" in _text(response)


def test_a_number_of_the_wrong_length_is_named_as_such(client, manajer):
    response = _search(client, {"q": "320101450690"})
    assert "16 digit; yang diketik 12 digit" in _text(response)


def test_nik_is_masked_for_a_role_without_full_nik_access(client, make_user, make_person):
    person = make_person(desa_code=DESA, nama="Sumarni Wulandari")
    client.force_login(make_user("dinsos", "32"))
    html = _text(_search(client, {"q": "Sumarni"}))
    assert person.nik not in html
    assert f"{person.nik[:6]}********{person.nik[14:]}" in html
    html = _text(client.get(reverse("registry:person", args=[person.pk])))
    assert person.nik not in html
    assert person.household.nomor_kk not in html


def test_region_cascade_lists_children_inside_the_scope_only(client, manajer):
    response = client.get(reverse("registry:region_options"), {"parent": KAB, "region": "32.01.02"})
    html = _text(response)
    assert 'value="32.01.02" selected' in html
    assert "32.01.02.2001" in html  # the desa select of the chosen kecamatan
    assert client.get(reverse("registry:region_options"), {"parent": "32.02"}).status_code == 404


# --- person and household ----------------------------------------------------------------------


def test_household_profile_shows_members_desil_programmes_and_audits_the_read(client, manajer, make_person):
    from slrt.audit.models import AuditEvent

    head = make_person(desa_code=DESA, nama="Budi Santoso", sex="L", hubungan_keluarga="Kepala Keluarga")
    make_person(desa_code=DESA, nama="Ani Lestari", household=head.household)
    household = head.household
    household.desil = 2
    household.save()
    ProgramParticipation.objects.create(person=head, program_code="pkh", since_period="2025-01")
    response = client.get(reverse("registry:household", args=[household.pk]))
    html = _text(response)
    assert "Budi Santoso" in html and "Ani Lestari" in html
    assert 'class="desil desil-2"' in html
    assert "PKH" in html
    assert AuditEvent.objects.filter(action="household.view", object_id=str(household.pk), actor=manajer).exists()


def test_person_page_links_to_the_household_and_audits_the_read(client, manajer, make_person):
    from slrt.audit.models import AuditEvent

    person = make_person(desa_code=DESA, nama="Sumarni Wulandari")
    html = _text(client.get(reverse("registry:person", args=[person.pk])))
    assert reverse("registry:household", args=[person.household_id]) in html
    assert person.nik in html  # a manajer may see the full NIK
    assert AuditEvent.objects.filter(action="person.view", object_id=str(person.pk), actor=manajer).exists()


# --- imports ------------------------------------------------------------------------------------


@pytest.fixture
def no_background(monkeypatch):
    """The ids of the import jobs handed to the task queue (the task itself does not run)."""
    started = []
    monkeypatch.setattr("slrt.registry.tasks.run_import_job.apply_async",
                        lambda args, task_id: started.append((args[0], task_id)))
    return started


def test_upload_rejects_a_file_that_is_not_csv_or_xlsx_in_indonesian(client, manajer, settings, tmp_path,
                                                                      no_background):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("laporan.pdf", b"%PDF-1.4 not a registry", content_type="application/pdf")
    response = client.post(reverse("registry:imports"), {"file": upload, "source": "DTSEN"})
    assert response.status_code == 200
    assert "Berkas laporan.pdf bukan CSV atau XLSX" in _text(response)
    assert not ImportJob.objects.exists()
    assert no_background == []


def test_upload_rejects_a_renamed_file_posing_as_xlsx(client, manajer, settings, tmp_path, no_background):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("data.xlsx", b"nik,nama\n", content_type="application/octet-stream")
    response = client.post(reverse("registry:imports"), {"file": upload, "source": "DTSEN"})
    assert "bukan lembar kerja Excel" in _text(response)
    assert not ImportJob.objects.exists()


def test_upload_rejects_a_malformed_period_and_keeps_the_other_choices(client, manajer, settings, tmp_path,
                                                                       no_background):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("data.csv", b"nik,nomor_kk,nama,kode_wilayah\n", content_type="text/csv")
    response = client.post(reverse("registry:imports"), {"file": upload, "source": "DTKS", "period": "2026-13"})
    html = _text(response)
    assert "Periode harus berformat TTTT-BB" in html
    assert '<option value="DTKS" selected>' in html
    assert not ImportJob.objects.exists()


def test_upload_of_a_csv_creates_a_job_stores_the_file_and_starts_it(client, manajer, settings, tmp_path,
                                                                     no_background,
                                                                     django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    body = b"nik,nomor_kk,nama,kode_wilayah\n3201024503850001,3201020000000001,Siti,3201022001\n"
    upload = SimpleUploadedFile("dtsen-2026-07.csv", body, content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(reverse("registry:imports"),
                               {"file": upload, "source": "DTSEN", "period": "2026-07"})
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("registry:import_detail", args=[job.pk])
    # Enqueued once the request's writes commit, with the task id the job records as its owner.
    assert len(callbacks) == 1 and no_background == [(job.pk, job.task_id)] and job.task_id
    assert job.status == ImportStatus.PENDING
    assert job.original_name == "dtsen-2026-07.csv"
    assert job.period == "2026-07"
    assert job.started_by == manajer
    stored = (Path(settings.MEDIA_ROOT) / "imports" / "uploads").rglob("*.csv")  # the shared storage
    assert [p.read_bytes() for p in stored] == [body]


def test_an_uploaded_file_is_imported_by_the_queue_task_once_the_upload_commits(
        client, manajer, settings, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    body = b"nik,nomor_kk,nama,kode_wilayah\n3201024503850001,3201020000000001,Siti,3201022001\n"
    upload = SimpleUploadedFile("dtsen-2026-07.csv", body, content_type="text/csv")
    # The test run's queue is eager (SLRT_TASK_ALWAYS_EAGER=1): the task runs here, after commit.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("registry:imports"), {"file": upload, "source": "DTSEN", "period": "2026-07"})
    job = ImportJob.objects.get()
    assert (job.status, job.created, job.attempts, job.release.period) == (ImportStatus.DONE, 1, 1, "2026-07")
    html = _text(client.get(reverse("registry:import_progress", args=[job.pk])))
    assert "Selesai: 1 baris dibaca." in html


def test_progress_fragment_polls_while_running_and_refreshes_when_done(client, manajer):
    job = ImportJob.objects.create(file_path="/tmp/x.csv", original_name="x.csv", started_by=manajer,
                                   region_code=KAB, status=ImportStatus.PENDING, bytes_total=100)
    response = client.get(reverse("registry:import_progress", args=[job.pk]))
    assert 'hx-trigger="every 1s"' in _text(response)
    assert "HX-Refresh" not in response
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.DONE, created=5)
    response = client.get(reverse("registry:import_progress", args=[job.pk]))
    assert 'hx-trigger="every 1s"' not in _text(response)
    assert response["HX-Refresh"] == "true"


def test_finished_job_shows_the_summary_and_the_error_report_downloads_as_csv(client, manajer):
    job = ImportJob.objects.create(file_path="/tmp/x.csv", original_name="x.csv", started_by=manajer,
                                   region_code=KAB, status=ImportStatus.DONE, created=3, rejected=1, rows_read=4)
    ImportRowError.objects.create(job=job, line=3, column="nik", value="123", reason="NIK harus 16 digit.")
    html = _text(client.get(reverse("registry:import_detail", args=[job.pk])))
    assert "Ringkasan" in html
    assert reverse("registry:import_errors", args=[job.pk]) in html
    response = client.get(reverse("registry:import_errors", args=[job.pk]))
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert body.splitlines()[0] == "baris,kolom,nilai,alasan,jenis"
    assert "3,nik,123,NIK harus 16 digit.,galat" in body


# --- duplicates ---------------------------------------------------------------------------------


def _pair(make_person):
    a = make_person(desa_code=DESA, nama="Siti Aminah", pekerjaan="Petani")
    b = make_person(desa_code=DESA, nama="Sitti Aminah", pekerjaan="", household=a.household)
    return DuplicateCandidate.objects.create(
        person_a=a, person_b=b, score=0.92, reasons=["name_variant", "same_birth_date"], kab_code=KAB
    )


def test_review_queue_lists_open_candidates_with_their_reasons(client, manajer, make_person):
    candidate = _pair(make_person)
    html = _text(client.get(reverse("registry:duplicates")))
    assert reverse("registry:duplicate_detail", args=[candidate.pk]) in html
    assert "Tanggal lahir sama" in html
    assert ">92<" in html


def test_merge_keeps_the_chosen_values_and_undo_restores_both(client, manajer, make_person):
    candidate = _pair(make_person)
    a, b = candidate.person_a, candidate.person_b
    detail = client.get(reverse("registry:duplicate_detail", args=[candidate.pk]))
    assert 'name="pick_nama"' in _text(detail)
    response = client.post(
        reverse("registry:duplicate_merge", args=[candidate.pk]),
        {"keep": "a", "pick_nik": "a", "pick_nama": "b", "pick_pekerjaan": "a"},
    )
    assert response.status_code == 302
    a = Person.objects.system().get(pk=a.pk)
    b = Person.objects.system().get(pk=b.pk)
    assert (a.nama, a.pekerjaan, a.is_active) == ("Sitti Aminah", "Petani", True)
    assert (b.is_active, b.merged_into_id) == (False, a.pk)
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.MERGED
    assert "Batalkan penggabungan" in _text(client.get(reverse("registry:duplicate_detail", args=[candidate.pk])))

    client.post(reverse("registry:duplicate_undo", args=[candidate.pk]))
    a = Person.objects.system().get(pk=a.pk)
    b = Person.objects.system().get(pk=b.pk)
    assert (a.nama, b.is_active, b.merged_into_id) == ("Siti Aminah", True, None)
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.OPEN


def test_dismissing_a_pair_takes_it_off_the_queue(client, manajer, make_person):
    candidate = _pair(make_person)
    response = client.post(reverse("registry:duplicate_dismiss", args=[candidate.pk]), {"note": "kakak-adik"})
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert (candidate.status, candidate.note) == (CandidateStatus.DISMISSED, "kakak-adik")
    assert reverse("registry:duplicate_detail", args=[candidate.pk]) not in _text(
        client.get(reverse("registry:duplicates"))
    )
