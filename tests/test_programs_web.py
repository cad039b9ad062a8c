"""Programme pages and API: permissions per role, rule editor with versions and conflicts,
agency directory, household assessment, targeting runs and their scope."""

import datetime as dt

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory

from slrt.audit.models import AuditEvent
from slrt.programs.catalogue import load_agencies
from slrt.programs.models import Agency, EligibilityRule, Program, TargetingRun
from slrt.registry.models import ProgramParticipation
from tests.conftest import PASSWORD


@pytest.fixture
def household(make_person):
    p = make_person("32.01.02.2001", "Dewi Lestari", dt.date(1999, 5, 1), "P", hamil=True)
    p.household.desil = 6
    p.household.save(update_fields=["desil"])
    return p.household


def rule_post(rows, note="Juknis 2026", version=1):
    data = {
        "field": [r[0] for r in rows],
        "op": [r[1] for r in rows],
        "value": [r[2] for r in rows],
        "note": note,
        "version": version,
    }
    return data


# --- catalogue and rule editor ---------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role,region,status",
    [
        ("back_office", "32.01", 200),
        ("front_office", "32.01", 200),
        ("dinsos", "32", 200),
        ("mitra", "32.01", 403),
    ],
)
def test_catalogue_is_open_to_staff_not_to_mitra(client, make_user, role, region, status):
    client.force_login(make_user(role, region))
    response = client.get("/program/")
    assert response.status_code == status
    if status == 200:
        assert "PKH komponen ibu hamil/nifas" in response.content.decode()
        assert "desil 1–4" in response.content.decode()


def regional_program(code="BLT-DD-3201", region="32.01"):
    return Program.objects.create(
        code=code,
        name=f"BLT Dana Desa {region}",
        owner="Pemda",
        target_unit="family",
        sector="pangan",
        region_id=region,
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role,region,status",
    [
        ("admin", "32", 200),
        ("manajer", "32.01", 200),
        ("back_office", "32.01", 403),
        ("dinsos", "32", 403),
        ("front_office", "32.01", 403),
    ],
)
def test_only_admin_and_manajer_may_edit_rules(client, make_user, role, region, status):
    regional_program()
    client.force_login(make_user(role, region))
    assert client.get("/program/BLT-DD-3201/aturan/").status_code == status
    response = client.post("/program/BLT-DD-3201/aturan/", rule_post([("desil", "between", "1-3")], version=0))
    assert response.status_code == (302 if status == 200 else 403)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role,region,code,allowed",
    [
        ("admin", "00", "ATENSI", True),  # national programmes: only the national Admin
        ("admin", "32", "ATENSI", False),
        ("manajer", "32.02", "ATENSI", False),
        ("manajer", "32.01", "PKH-BUMIL", False),
        ("manajer", "32.02", "BLT-DD-3201", False),  # another district's programme
        ("admin", "32.02", "BLT-DD-3201", False),
        ("manajer", "32.01", "BLT-DD-3201", True),
        ("admin", "32", "BLT-DD-3201", True),
        ("admin", "00", "BLT-DD-3201", True),
    ],
)
def test_rule_editing_is_limited_to_the_programme_region(client, make_user, role, region, code, allowed):
    regional_program()
    user = make_user(role, region)
    client.force_login(user)
    program = Program.objects.get(code=code)
    before = program.rules.count()
    detail = client.get(f"/program/{code}/").content.decode()
    assert (f"/program/{code}/aturan/" in detail) is allowed
    assert client.get(f"/program/{code}/aturan/").status_code == (200 if allowed else 403)
    version = program.rules.filter(is_current=True).values_list("version", flat=True).first() or 0
    response = client.post(f"/program/{code}/aturan/", rule_post([("desil", "lte", "2")], version=version))
    assert response.status_code == (302 if allowed else 403)
    assert program.rules.count() == before + (1 if allowed else 0)
    if not allowed:
        from django.core.exceptions import PermissionDenied

        from slrt.programs.services.catalogue import save_rule

        with pytest.raises(PermissionDenied):
            save_rule(user, program, [{"field": "desil", "op": "lte", "value": 2}])


@pytest.mark.django_db
def test_saving_a_rule_creates_a_new_current_version_with_history_and_audit(client, make_user):
    manajer = make_user("admin", "00")
    client.force_login(manajer)
    response = client.post(
        "/program/PKH-BUMIL/aturan/",
        rule_post([("desil", "between", "1–3"), ("anggota_hamil", "is", "ya"), ("", "", "")]),
    )
    assert response.status_code == 302
    program = Program.objects.get(code="PKH-BUMIL")
    versions = list(program.rules.order_by("version").values_list("version", "is_current"))
    assert versions == [(1, False), (2, True)]
    rule = program.rules.get(is_current=True)
    assert rule.criteria == [
        {"field": "desil", "op": "between", "value": [1, 3]},
        {"field": "anggota_hamil", "op": "is", "value": True},
    ]
    assert rule.created_by == manajer and rule.note == "Juknis 2026"
    event = AuditEvent.objects.get(action="rule.save")
    assert event.detail == {"program": "PKH-BUMIL", "version": 2}
    page = client.get("/program/PKH-BUMIL/").content.decode()
    assert 'data-version="2"' in page and 'data-version="1"' in page and "desil 1–3" in page


@pytest.mark.django_db
def test_an_invalid_rule_is_refused_with_errors_and_the_typed_rows_kept(client, make_user):
    client.force_login(make_user("admin", "00"))
    response = client.post(
        "/program/BPNT/aturan/", rule_post([("desil", "between", "5-2"), ("lantai", "in", "tanah, emas")])
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Kriteria 1 (Desil): batas bawah lebih besar dari batas atas." in page
    assert "Kriteria 2 (Lantai): nilai tidak dikenal: emas." in page
    assert 'value="5-2"' in page and 'value="tanah, emas"' in page
    assert Program.objects.get(code="BPNT").rules.count() == 1


@pytest.mark.django_db
def test_a_stale_rule_edit_is_a_conflict_that_keeps_the_input(client, make_user):
    admin = make_user("admin", "00")
    client.force_login(admin)
    assert client.post("/program/BPNT/aturan/", rule_post([("desil", "lte", "4")])).status_code == 302
    # A second editor still holds version 1.
    response = client.post("/program/BPNT/aturan/", rule_post([("desil", "lte", "3")], version=1))
    assert response.status_code == 409
    page = response.content.decode()
    assert "sudah diubah orang lain (kini versi 2)" in page and 'value="3"' in page
    assert EligibilityRule.objects.get(program__code="BPNT", is_current=True).criteria[0]["value"] == 4


@pytest.mark.django_db
def test_htmx_adds_an_empty_rule_row(client, make_user):
    client.force_login(make_user("manajer", "32.01"))
    response = client.get("/program/aturan/baris/", headers={"HX-Request": "true"})
    assert response.status_code == 200 and 'class="rule-row"' in response.content.decode()


# --- agencies --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_load_agencies_creates_the_directory_of_a_district_idempotently():
    load_agencies("32.04")
    load_agencies("32.04")
    codes = set(Agency.objects.values_list("code", flat=True))
    assert {
        "RSUD-3204",
        "DINKES-3204",
        "PKM-3204",
        "DUKCAPIL-3204",
        "DISDIK-3204",
        "DISPERKIM-3204",
        "BAZNAS-3204",
        "CSR-3204",
    } <= codes
    for agency in Agency.objects.all():
        assert 2 <= agency.services.count() <= 4 and all(s.sla_days > 0 for s in agency.services.all())
    from slrt.programs.catalogue import referral_agency

    assert referral_agency(Program.objects.get(code="PBI-JK"), "32.04.01.2001").code == "DINKES-3204"
    assert referral_agency(Program.objects.get(code="PBI-JK"), "32.01.02.2001") is None


@pytest.mark.django_db
def test_admin_creates_agency_and_service_others_only_browse(client, make_user):
    load_agencies("32.01")
    # A Manajer manages its own kab/kota's agencies (tests/test_manage_agencies_desks.py); the desk browses.
    client.force_login(make_user("back_office", "32.01"))
    assert client.get("/program/lembaga/").status_code == 200
    assert "RSUD-3201" in client.get("/program/lembaga/?wilayah=32.01&jenis=rsud").content.decode()
    assert client.get("/program/lembaga/baru/").status_code == 403
    client.force_login(make_user("admin", "32"))
    bad = client.post("/program/lembaga/baru/", {"code": "rs x", "name": "", "kind": "rsud", "region": "32.01"})
    assert bad.status_code == 400 and "Kode hanya huruf besar" in bad.content.decode()
    response = client.post(
        "/program/lembaga/baru/",
        {"code": "rs-hasan-3201", "name": "RS Hasan Sadikin", "kind": "rsud", "region": "32.01", "active": "on"},
    )
    assert response.status_code == 302
    agency = Agency.objects.get(code="RS-HASAN-3201")
    response = client.post(
        f"/program/lembaga/{agency.pk}/layanan/baru/",
        {"code": "hd", "name": "Cuci darah", "sector": "kesehatan", "sla_days": "0", "active": "on"},
    )
    assert response.status_code == 400 and "antara 1 dan 365 hari" in response.content.decode()
    response = client.post(
        f"/program/lembaga/{agency.pk}/layanan/baru/",
        {"code": "hd", "name": "Cuci darah", "sector": "kesehatan", "sla_days": "3", "active": "on"},
    )
    assert response.status_code == 302 and agency.services.get().code == "HD"
    assert AuditEvent.objects.filter(action__in=["agency.create", "agency_service.create"]).count() == 2


# --- assessment ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_household_assessment_page_explains_each_programme_and_is_scoped(client, make_user, household):
    client.force_login(make_user("back_office", "32.01"))
    page = client.get(f"/program/keluarga/{household.pk}/").content.decode()
    assert "Desil 6; PKH Ibu Hamil mensyaratkan desil 1–4: tidak memenuhi" in page
    assert AuditEvent.objects.filter(action="household.assess", object_id=str(household.pk)).exists()
    client.force_login(make_user("back_office", "32.02"))
    assert client.get(f"/program/keluarga/{household.pk}/").status_code == 404
    client.force_login(make_user("front_office", "32.01"))
    assert client.get(f"/program/keluarga/{household.pk}/").status_code == 403


@pytest.mark.django_db
def test_case_page_block_shows_matching_or_explains_that_registry_data_is_needed(make_user, household):
    request = RequestFactory().get("/")
    request.user = make_user("back_office", "32.01")

    class Case:
        household_id = household.pk

    html = render_to_string("programs/_assessment.html", {"case": Case(), "request": request})
    assert "PKH Ibu Hamil mensyaratkan desil 1–4: tidak memenuhi" in html
    Case.household_id = None
    html = render_to_string("programs/_assessment.html", {"case": Case(), "request": request})
    assert "Pemohon belum terdaftar di registri" in html and "kunjungan verifikasi" in html


# --- targeting (web) -------------------------------------------------------------------------


@pytest.mark.django_db
def test_targeting_web_run_results_export_and_scope(client, make_user, make_person,
                                                   django_capture_on_commit_callbacks):
    p = make_person("32.01.02.2001", "Bambang", dt.date(1980, 1, 1), "L")
    p.household.desil = 9
    p.household.save(update_fields=["desil"])
    ProgramParticipation.objects.create(person=p, program_code="BPNT", since_period="2025-01")
    manajer = make_user("manajer", "32.01")
    client.force_login(manajer)
    response = client.post("/program/penargetan/", {"region": "32.02"})
    assert response.status_code == 400 and not TargetingRun.objects.exists()
    # Queued: the page says so and polls its status until the queue's task has run.
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post("/program/penargetan/", {"region": "32.01"})
    run = TargetingRun.objects.get()
    assert response.status_code == 302 and response.url == f"/program/penargetan/{run.pk}/"
    assert run.status == "queued" and len(queued) == 1
    waiting = client.get(f"/program/penargetan/{run.pk}/").content.decode()
    assert "Dalam antrean" in waiting and f'hx-get="/program/penargetan/{run.pk}/status/"' in waiting
    assert "Keluarga dinilai" not in waiting
    assert client.get(f"/program/penargetan/{run.pk}/excel/").status_code == 404
    status = client.get(f"/program/penargetan/{run.pk}/status/")
    assert "HX-Refresh" not in status and "Menunggu giliran" in status.content.decode()
    queued[0]()  # the task (eager in the test run) evaluates the run
    run.refresh_from_db()
    assert (run.status, run.attempts) == ("done", 1)
    assert client.get(f"/program/penargetan/{run.pk}/status/")["HX-Refresh"] == "true"
    page = client.get(f"/program/penargetan/{run.pk}/?program=BPNT&kind=inclusion").content.decode()
    assert f'data-household="{p.household_id}"' in page and 'data-desa="32.01.02.2001"' in page
    assert p.household.nomor_kk in page
    bad = client.get(f"/program/penargetan/{run.pk}/?desa=xx")
    assert bad.status_code == 200 and "Wilayah “xx” tidak ditemukan" in bad.content.decode()
    export = client.get(f"/program/penargetan/{run.pk}/excel/")
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd.openxmlformats")
    other = make_user("manajer", "32.02")
    client.force_login(other)
    assert client.get(f"/program/penargetan/{run.pk}/").status_code == 404
    assert client.get(f"/program/penargetan/{run.pk}/excel/").status_code == 404
    assert f"/program/penargetan/{run.pk}/" not in client.get("/program/penargetan/").content.decode()
    client.force_login(make_user("front_office", "32.01"))
    assert client.get("/program/penargetan/").status_code == 403


# --- API -------------------------------------------------------------------------------------


@pytest.fixture
def api(client):
    def login(user):
        token = client.post(
            "/api/v1/auth/token", {"username": user.username, "password": PASSWORD}, content_type="application/json"
        ).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}

        class Api:
            def get(self, path, **params):
                return client.get(path, params, headers=headers)

            def post(self, path, data):
                return client.post(path, data, content_type="application/json", headers=headers)

        return Api()

    return login


@pytest.mark.django_db
def test_api_programs_agencies_assessment_and_targeting(api, make_user, household,
                                                        django_capture_on_commit_callbacks):
    load_agencies("32.01")
    bo = api(make_user("back_office", "32.01"))
    programs = bo.get("/api/v1/programs").json()
    bumil = next(p for p in programs if p["code"] == "PKH-BUMIL")
    assert bumil["registry_code"] == "PKH" and bumil["rule"]["version"] == 1
    assert bumil["rule"]["criteria"][0] == {"field": "desil", "op": "between", "value": [1, 4], "text": "desil 1–4"}
    agencies = bo.get("/api/v1/agencies", region="32.01", kind="rsud").json()
    assert [a["code"] for a in agencies] == ["RSUD-3201"] and agencies[0]["services"]
    assert bo.get("/api/v1/agencies", kind="bank").json()["code"] == "invalid_kind"
    a = bo.get(f"/api/v1/households/{household.pk}/assessment").json()
    bumil = next(m for m in a["not_eligible"] if m["program"] == "PKH-BUMIL")
    assert bumil["explanation"][0] == {
        "field": "desil",
        "passed": False,
        "text": "Desil 6; PKH Ibu Hamil mensyaratkan desil 1–4: tidak memenuhi",
    }
    outside = api(make_user("back_office", "32.02")).get(f"/api/v1/households/{household.pk}/assessment")
    assert outside.status_code == 404 and outside.json()["code"] == "not_found"
    manajer = api(make_user("manajer", "32.01"))
    refused = manajer.post("/api/v1/targeting-runs", {"region": "32.02"})
    assert refused.status_code == 422 and refused.json()["code"] == "invalid_region"
    with django_capture_on_commit_callbacks(execute=False) as queued:
        started = manajer.post("/api/v1/targeting-runs", {"region": "32.01"})
    assert started.status_code == 201
    run = started.json()
    assert (run["status"], run["households"], run["programs"]) == ("queued", 0, [])
    queued[0]()  # the queue's task (eager in the test run)
    run = manajer.get(f"/api/v1/targeting-runs/{run['id']}").json()
    assert run["status"] == "done" and run["message"] == ""
    assert run["households"] == 1 and {p["code"] for p in run["programs"]} >= {"BPNT", "PKH-BUMIL"}
    assert manajer.get(f"/api/v1/targeting-runs/{run['id']}").json()["id"] == run["id"]
    assert manajer.get(f"/api/v1/targeting-runs/{run['id']}/errors").json()["count"] == 0
    # The error list carries KK numbers: its read is in the access log, like the web page's.
    read = AuditEvent.objects.filter(action="targeting.view").latest("id")
    assert read.object_id == str(run["id"]) and read.detail == {"offset": 0, "limit": 100}
    other = api(make_user("manajer", "32.02"))
    assert other.get(f"/api/v1/targeting-runs/{run['id']}").status_code == 404
    assert (
        api(make_user("front_office", "32.01")).post("/api/v1/targeting-runs", {"region": "32.01"}).status_code == 403
    )
    spec = bo.get("/api/v1/openapi.json").json()["paths"]
    assert {
        "/api/v1/programs",
        "/api/v1/agencies",
        "/api/v1/households/{household_id}/assessment",
        "/api/v1/targeting-runs",
        "/api/v1/targeting-runs/{run_id}",
    } <= set(spec)


@pytest.mark.django_db
def test_every_programme_page_renders_for_its_roles(client, make_user, household):
    load_agencies("32.01")
    agency = Agency.objects.get(code="RSUD-3201")
    service = agency.services.first()
    client.force_login(make_user("admin", "00"))  # national programmes' rules: the national Admin
    for url in (
        "/program/",
        "/program/RUTILAHU/",
        "/program/RUTILAHU/aturan/",
        "/program/lembaga/",
        f"/program/lembaga/{agency.pk}/",
        f"/program/lembaga/{agency.pk}/ubah/",
        f"/program/lembaga/{agency.pk}/layanan/baru/",
        f"/program/lembaga/{agency.pk}/layanan/{service.pk}/",
        "/program/penargetan/",
        f"/program/keluarga/{household.pk}/",
    ):
        assert client.get(url).status_code == 200, url
    assert client.get("/program/TIDAK-ADA/").status_code == 404
    assert client.get(f"/program/lembaga/{agency.pk}/layanan/999999/").status_code == 404
    response = client.post(
        f"/program/lembaga/{agency.pk}/ubah/",
        {"code": agency.code, "name": "RSUD Soreang", "kind": "rsud", "region": "32.01.02", "active": "on"},
    )
    assert response.status_code == 400 and "provinsi atau kabupaten/kota" in response.content.decode()


@pytest.mark.django_db
def test_api_rule_versions_are_listed_saved_validated_scoped_and_conflict_checked(api, make_user):
    """The rule editor's capability is in the API too: history, a new version, named errors,
    the programme's region as scope, and a conflict when someone saved in between."""
    regional_program()
    manajer = api(make_user("manajer", "32.01"))
    history = manajer.get("/api/v1/programs/BLT-DD-3201/rules").json()
    current = {"version": next((r["version"] for r in history if r["is_current"]), 0)}

    saved = manajer.post(
        "/api/v1/programs/BLT-DD-3201/rules",
        {
            "criteria": [{"field": "desil", "op": "lte", "value": 2}],
            "note": "Perdes 2026",
            "based_on": current["version"],
        },
    )
    assert saved.status_code == 201, saved.content
    body = saved.json()
    assert body["version"] == current["version"] + 1 and body["is_current"] and body["note"] == "Perdes 2026"
    assert body["criteria"][0]["text"]  # explained in words
    assert AuditEvent.objects.filter(action="rule.save").count() == 1

    stale = manajer.post(
        "/api/v1/programs/BLT-DD-3201/rules",
        {"criteria": [{"field": "desil", "op": "lte", "value": 3}], "based_on": current["version"]},
    )
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"

    invalid = manajer.post(
        "/api/v1/programs/BLT-DD-3201/rules",
        {"criteria": [{"field": "desil", "op": "between", "value": [9, 2]}], "based_on": body["version"]},
    )
    assert invalid.status_code == 422 and invalid.json()["code"] == "invalid_rule"
    assert "desil" in invalid.json()["detail"].lower()

    other_district = api(make_user("manajer", "32.02"))
    refused = other_district.post(
        "/api/v1/programs/BLT-DD-3201/rules",
        {"criteria": [{"field": "desil", "op": "lte", "value": 1}], "based_on": body["version"]},
    )
    assert refused.status_code == 403
    assert manajer.get("/api/v1/programs/NOPE/rules").status_code == 404
    assert Program.objects.get(code="BLT-DD-3201").rules.count() == len(history) + 1
