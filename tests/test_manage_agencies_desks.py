"""Administration of agencies and desks (issue 13, point 4): agencies with their services and SLAs,
the secretariat of a kab/kota and its Puskesos posts. An Admin everywhere in its scope, a Manajer
inside its kab/kota; an agency of a province or the nation is its Admin's. Every change audited.
Through the real pages, signed in as a person would."""

import pytest
from django.test import Client

from slrt.audit.models import AuditEvent
from slrt.programs.models import Agency, AgencyService
from slrt.wilayah.models import Puskesos, Secretariat

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db

BOGOR, SUKABUMI = "32.01", "32.02"
DESA_BOGOR, DESA_BOGOR_2, DESA_SUKABUMI = "32.01.02.2001", "32.01.02.2002", "32.02.02.2001"


def _browser(user):
    client = Client(REMOTE_ADDR="10.0.0.5")
    assert client.post("/akun/masuk/", {"username": user.username, "password": PASSWORD}).status_code == 302
    return client


def _agency_form(**fields):
    return {"code": "", "name": "", "kind": "rsud", "region": "", "address": "", "phone": "", "email": "",
            "active": "on", **fields}


def _service_form(**fields):
    return {"code": "", "name": "", "sector": "kesehatan", "sla_days": "7", "active": "on", **fields}


@pytest.fixture
def agencies(db):
    return {
        "bogor": Agency.objects.create(code="RSUD-CIBINONG", name="RSUD Cibinong", kind="rsud", region_id=BOGOR),
        "sukabumi": Agency.objects.create(code="RSUD-SEKARWANGI", name="RSUD Sekarwangi", kind="rsud",
                                          region_id=SUKABUMI),
        "province": Agency.objects.create(code="BAZNAS-JABAR", name="BAZNAS Jawa Barat", kind="baznas",
                                          region_id="32"),
    }


# --- Agencies ------------------------------------------------------------------------------------


def test_a_manajer_creates_an_agency_of_its_kab_kota_with_a_service_and_its_sla(make_user):
    manajer = make_user("manajer", BOGOR)
    client = _browser(manajer)
    made = client.post("/program/lembaga/baru/", _agency_form(code="puskesmas-cibinong", name="Puskesmas Cibinong",
                                                              kind="puskesmas", region=BOGOR))
    assert made.status_code == 302
    agency = Agency.objects.get(code="PUSKESMAS-CIBINONG")
    assert agency.region_id == BOGOR and agency.active
    added = client.post(f"/program/lembaga/{agency.pk}/layanan/baru/",
                        _service_form(code="rawat-jalan", name="Rawat jalan gratis", sla_days="5"))
    assert added.status_code == 302
    service = AgencyService.objects.get(agency=agency)
    assert (service.code, service.sla_days) == ("RAWAT-JALAN", 5)
    page = client.get(f"/program/lembaga/{agency.pk}/").content.decode()
    assert "Rawat jalan gratis" in page and "<td class=\"num\">5</td>" in page
    create, = AuditEvent.objects.filter(action="agency.create", actor=manajer)
    assert create.object_id == str(agency.pk) and create.region_code == BOGOR
    assert AuditEvent.objects.filter(action="agency_service.create", actor=manajer, object_id=str(service.pk)).exists()

    # The SLA changes: audited with the field named; saving again unchanged writes nothing.
    client.post(f"/program/lembaga/{agency.pk}/layanan/{service.pk}/",
                _service_form(code="rawat-jalan", name="Rawat jalan gratis", sla_days="3"))
    service.refresh_from_db()
    assert service.sla_days == 3
    update, = AuditEvent.objects.filter(action="agency_service.update", object_id=str(service.pk))
    assert update.detail["fields"] == ["sla_days"]
    client.post(f"/program/lembaga/{agency.pk}/layanan/{service.pk}/",
                _service_form(code="rawat-jalan", name="Rawat jalan gratis", sla_days="3"))
    assert AuditEvent.objects.filter(action="agency_service.update").count() == 1


def test_deactivating_an_agency_and_a_service_is_audited_as_such(make_user, agencies):
    admin = make_user("admin", "00")
    client = _browser(admin)
    agency = agencies["bogor"]
    service = AgencyService.objects.create(agency=agency, code="HD", name="Cuci darah", sector="kesehatan", sla_days=3)
    client.post(f"/program/lembaga/{agency.pk}/layanan/{service.pk}/",
                {"code": "HD", "name": "Cuci darah", "sector": "kesehatan", "sla_days": "3"})  # no "active"
    service.refresh_from_db()
    assert not service.active
    assert AuditEvent.objects.filter(action="agency_service.deactivate", object_id=str(service.pk)).exists()
    answer = client.post(f"/program/lembaga/{agency.pk}/ubah/", _agency_form(
        code=agency.code, name=agency.name, region=BOGOR, active=""))
    assert answer.status_code == 302
    agency.refresh_from_db()
    assert not agency.active
    event, = AuditEvent.objects.filter(action="agency.deactivate", object_id=str(agency.pk))
    assert event.actor == admin and event.detail == {"code": agency.code, "fields": ["active"]}
    assert "nonaktif" in client.get(f"/program/lembaga/{agency.pk}/").content.decode()


@pytest.mark.parametrize(("actor", "agency", "allowed"), [
    (("admin", "00"), "province", True),
    (("admin", "32"), "province", True),
    (("admin", BOGOR), "province", False),  # a province's agency is the province's Admin's
    (("admin", BOGOR), "sukabumi", False),
    (("manajer", BOGOR), "bogor", True),
    (("manajer", BOGOR), "sukabumi", False),
    (("manajer", BOGOR), "province", False),
    (("manajer", SUKABUMI), "bogor", False),
    (("back_office", BOGOR), "bogor", False),
    (("koordinator_puskesos", DESA_BOGOR), "bogor", False),
])
def test_who_may_change_which_agency(actor, agency, allowed, make_user, agencies):
    client = _browser(make_user(*actor))
    target = agencies[agency]
    page = client.get(f"/program/lembaga/{target.pk}/").content.decode()
    assert (f"/program/lembaga/{target.pk}/ubah/" in page) is allowed
    edit = client.post(f"/program/lembaga/{target.pk}/ubah/", _agency_form(
        code=target.code, name="Nama Baru", kind=target.kind, region=target.region_id))
    service = client.post(f"/program/lembaga/{target.pk}/layanan/baru/", _service_form(code="X1", name="Layanan"))
    assert (edit.status_code == 302) is allowed and (service.status_code == 302) is allowed
    if not allowed:
        assert edit.status_code == 403 and service.status_code == 403
    target.refresh_from_db()
    assert (target.name == "Nama Baru") is allowed
    assert AuditEvent.objects.filter(action__startswith="agency").exists() is allowed


def test_a_manajer_cannot_place_an_agency_outside_its_kab_kota(make_user, agencies):
    client = _browser(make_user("manajer", BOGOR))
    new = client.post("/program/lembaga/baru/", _agency_form(code="RS-SUKABUMI", name="RS Lain", region=SUKABUMI))
    assert new.status_code == 400 and "di dalam wilayah tugas Anda" in new.content.decode()
    assert not Agency.objects.filter(code="RS-SUKABUMI").exists()
    target = agencies["bogor"]
    moved = client.post(f"/program/lembaga/{target.pk}/ubah/", _agency_form(
        code=target.code, name=target.name, region="32"))
    assert moved.status_code == 400
    target.refresh_from_db()
    assert target.region_id == BOGOR
    assert not AuditEvent.objects.filter(action__startswith="agency").exists()


# --- Secretariats and Puskesos posts ------------------------------------------------------------------


@pytest.fixture
def bogor_secretariat(db):
    return Secretariat.objects.create(region_id=BOGOR, name="Sekretariat SLRT Kabupaten Bogor")


def _desk_form(**fields):
    return {"region": "", "name": "", "address": "", "phone": "", "email": "", **fields}


def test_a_manajer_opens_renames_and_closes_a_puskesos_post_of_its_kab_kota(make_user, bogor_secretariat):
    manajer = make_user("manajer", BOGOR)
    client = _browser(manajer)
    made = client.post("/wilayah/kantor/puskesos/baru/", _desk_form(region=DESA_BOGOR, name="Puskesos Cibinong",
                                                                     phone="021 875"))
    assert made.status_code == 302
    post = Puskesos.objects.get(region_id=DESA_BOGOR)
    assert post.secretariat == bogor_secretariat and post.active and post.phone == "021 875"
    assert made["Location"] == f"/wilayah/kantor/puskesos/{post.pk}/"
    again = client.post("/wilayah/kantor/puskesos/baru/", _desk_form(region=DESA_BOGOR, name="Puskesos Dua"))
    assert again.status_code == 422 and "sudah punya Puskesos yang aktif" in again.content.decode()

    client.post(f"/wilayah/kantor/puskesos/{post.pk}/", {"action": "rename", "name": "Puskesos Desa Cibinong"})
    post.refresh_from_db()
    assert post.name == "Puskesos Desa Cibinong"
    client.post(f"/wilayah/kantor/puskesos/{post.pk}/", {"action": "deactivate"})
    post.refresh_from_db()
    assert not post.active
    assert Puskesos.objects.filter(pk=post.pk).exists()  # closed, never deleted
    assert "nonaktif" in client.get("/wilayah/kantor/").content.decode()
    # Closed, the desa may have a new post; the old one cannot then reopen beside it.
    assert client.post("/wilayah/kantor/puskesos/baru/", _desk_form(region=DESA_BOGOR,
                                                                    name="Puskesos Baru")).status_code == 302
    client.post(f"/wilayah/kantor/puskesos/{post.pk}/", {"action": "reactivate"})
    post.refresh_from_db()
    assert not post.active

    actions = list(AuditEvent.objects.filter(actor=manajer, action__startswith="desk.").order_by("id")
                   .values_list("action", "object_id"))
    newer = Puskesos.objects.get(region_id=DESA_BOGOR, active=True)
    assert actions == [("desk.create", str(post.pk)), ("desk.update", str(post.pk)),
                       ("desk.deactivate", str(post.pk)), ("desk.create", str(newer.pk))]


@pytest.mark.parametrize(("actor", "desa", "allowed"), [
    (("admin", "00"), DESA_SUKABUMI, True),
    (("admin", "32"), DESA_BOGOR, True),
    (("manajer", BOGOR), DESA_BOGOR_2, True),
    (("manajer", BOGOR), DESA_SUKABUMI, False),
    (("manajer", SUKABUMI), DESA_BOGOR, False),
    (("koordinator_puskesos", DESA_BOGOR), DESA_BOGOR, False),
    (("back_office", BOGOR), DESA_BOGOR, False),
])
def test_who_may_open_a_puskesos_post_where(actor, desa, allowed, make_user, bogor_secretariat):
    Secretariat.objects.create(region_id=SUKABUMI, name="Sekretariat SLRT Kabupaten Sukabumi")
    client = _browser(make_user(*actor))
    answer = client.post("/wilayah/kantor/puskesos/baru/", _desk_form(region=desa, name="Puskesos Baru"))
    assert (answer.status_code == 302) is allowed
    assert Puskesos.objects.filter(region_id=desa).exists() is allowed
    assert AuditEvent.objects.filter(action="desk.create").exists() is allowed
    if not allowed:
        assert answer.status_code in (403, 422)


def test_a_manajer_cannot_close_or_rename_another_kab_kotas_post(make_user, bogor_secretariat):
    sukabumi = Secretariat.objects.create(region_id=SUKABUMI, name="Sekretariat SLRT Kabupaten Sukabumi")
    post = Puskesos.objects.create(region_id=DESA_SUKABUMI, secretariat=sukabumi, name="Puskesos Sukabumi")
    client = _browser(make_user("manajer", BOGOR))
    assert client.post(f"/wilayah/kantor/puskesos/{post.pk}/", {"action": "deactivate"}).status_code == 404
    assert client.post(f"/wilayah/kantor/sekretariat/{sukabumi.pk}/",
                       {"action": "rename", "name": "Lain"}).status_code == 404
    post.refresh_from_db()
    sukabumi.refresh_from_db()
    assert post.active and sukabumi.name == "Sekretariat SLRT Kabupaten Sukabumi"
    assert not AuditEvent.objects.filter(action__startswith="desk.").exists()


def test_a_secretariat_is_made_once_per_kab_kota_and_a_post_needs_one(make_user):
    admin = make_user("admin", "32")
    client = _browser(admin)
    orphan = client.post("/wilayah/kantor/puskesos/baru/", _desk_form(region=DESA_BOGOR, name="Puskesos X"))
    assert orphan.status_code == 422 and "belum punya sekretariat" in orphan.content.decode()
    made = client.post("/wilayah/kantor/sekretariat/baru/", _desk_form(region=BOGOR, name="Sekretariat SLRT Bogor"))
    assert made.status_code == 302
    secretariat = Secretariat.objects.get(region_id=BOGOR)
    twice = client.post("/wilayah/kantor/sekretariat/baru/", _desk_form(region=BOGOR, name="Lagi"))
    assert twice.status_code == 422 and "sudah punya sekretariat" in twice.content.decode()
    client.post(f"/wilayah/kantor/sekretariat/{secretariat.pk}/",
                {"action": "rename", "name": "Sekretariat SLRT Kabupaten Bogor"})
    secretariat.refresh_from_db()
    assert secretariat.name == "Sekretariat SLRT Kabupaten Bogor"
    assert list(AuditEvent.objects.filter(actor=admin, action__startswith="desk.").order_by("id")
                .values_list("action", flat=True)) == ["desk.create", "desk.update"]
    # A Manajer cannot make a secretariat for another kab/kota.
    other = _browser(make_user("manajer", BOGOR)).post("/wilayah/kantor/sekretariat/baru/",
                                                       _desk_form(region=SUKABUMI, name="S"))
    assert other.status_code == 422 and not Secretariat.objects.filter(region_id=SUKABUMI).exists()
