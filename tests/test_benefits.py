"""Benefits as data (issue 13 point 6b): each programme's benefit as rupiah per unit and period,
seeded by the catalogue (PKH per component), edited like the rules (versions, who may, audited,
validated and bounded), shown on the programme page; the description text stays."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from slrt.audit.models import AuditEvent
from slrt.programs.catalogue import BENEFITS, load_catalogue
from slrt.programs.models import MAX_BENEFIT, Benefit, Program
from slrt.programs.services.benefits import save_benefit

PKH_2024 = {  # the catalogue's assumption, written out here by hand
    "PKH-BUMIL": 3_000_000, "PKH-AUD": 3_000_000, "PKH-SD": 900_000, "PKH-SMP": 1_500_000,
    "PKH-SMA": 2_000_000, "PKH-DIS": 2_400_000, "PKH-LANSIA": 2_400_000,
}


def current(code):
    return Benefit.objects.get(program__code=code, is_current=True)


@pytest.mark.django_db
def test_the_catalogue_seeds_each_pkh_component_and_the_other_amounts_per_unit_and_period():
    for code, amount in PKH_2024.items():
        b = current(code)
        assert (b.amount, b.unit, b.period, b.version) == (amount, "family", "year", 1)
        assert "PKH 2024" in b.note
    bpnt = current("BPNT")
    assert (bpnt.amount, bpnt.unit, bpnt.period, bpnt.per_year) == (200_000, "family", "month", 2_400_000)
    assert (current("PBI-JK").amount, current("PBI-JK").unit) == (42_000, "person")
    assert current("RUTILAHU").period == "once" and current("RUTILAHU").per_year == 20_000_000
    # Services in kind have no amount the catalogue could know.
    assert not Benefit.objects.filter(program__code__in=["ATENSI", "CSR-BEDAH"]).exists()
    # The description for people stays.
    assert Program.objects.get(code="PKH-SD").benefit.startswith("Rp900.000 per tahun")
    assert set(BENEFITS) == set(Benefit.objects.values_list("program__code", flat=True))


@pytest.mark.django_db
def test_reloading_the_catalogue_keeps_an_edited_amount(make_user):
    admin = make_user("admin", "00")
    save_benefit(admin, Program.objects.get(code="BPNT"), amount=250_000, unit="family", period="month",
                 note="Juknis Sembako 2026", based_on=1)
    load_catalogue()
    assert current("BPNT").amount == 250_000 and current("BPNT").version == 2


@pytest.mark.django_db
def test_an_edit_saves_a_new_version_and_is_audited(make_user):
    admin = make_user("admin", "00")
    program = Program.objects.get(code="PKH-SD")
    b = save_benefit(admin, program, amount=1_000_000, unit="family", period="year", note="Juknis PKH 2026",
                     based_on=1)
    assert (b.version, b.is_current, b.created_by) == (2, True, admin)
    assert list(program.benefits.order_by("version").values_list("amount", "is_current")) == [
        (900_000, False), (1_000_000, True)]
    event = AuditEvent.objects.get(action="benefit.save", actor=admin)
    assert event.detail == {"program": "PKH-SD", "version": 2, "amount": 1_000_000, "unit": "family",
                            "period": "year", "previous": 900_000}
    # A stale editor (still at version 1) is refused; nothing is written.
    with pytest.raises(ValidationError) as exc:
        save_benefit(admin, program, amount=1_100_000, unit="family", period="year", note="x", based_on=1)
    assert "versi 2" in exc.value.message_dict["version"][0]
    with pytest.raises(ValidationError) as exc:
        save_benefit(admin, program, amount=1_000_000, unit="family", period="year", note="x", based_on=2)
    assert "Tidak ada perubahan" in exc.value.message_dict["amount"][0]
    assert program.benefits.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("amount, unit, period, note, field", [
    (-1, "family", "year", "n", "amount"),
    (MAX_BENEFIT + 1, "family", "year", "n", "amount"),
    (1.5, "family", "year", "n", "amount"),
    ("3000000", "family", "year", "n", "amount"),
    (True, "family", "year", "n", "amount"),
    (1000, "village", "year", "n", "unit"),
    (1000, "family", "week", "n", "period"),
    (1000, "family", "year", "", "note"),
    (1000, "family", "year", "x" * 256, "note"),
])
def test_amounts_are_whole_bounded_rupiah_and_each_fault_is_named(make_user, amount, unit, period, note, field):
    admin = make_user("admin", "00")
    with pytest.raises(ValidationError) as exc:
        save_benefit(admin, Program.objects.get(code="BPNT"), amount=amount, unit=unit, period=period, note=note)
    assert field in exc.value.message_dict
    assert current("BPNT").version == 1


@pytest.mark.django_db
def test_the_database_refuses_an_amount_above_the_bound():
    program = Program.objects.get(code="ATENSI")
    with pytest.raises(IntegrityError), transaction.atomic():
        Benefit.objects.create(program=program, version=1, amount=MAX_BENEFIT + 1, unit="person", period="once")


@pytest.mark.django_db
@pytest.mark.parametrize("role, region", [("manajer", "32.01"), ("admin", "32"), ("back_office", "32.01")])
def test_only_a_national_admin_edits_a_national_programmes_amount(make_user, role, region):
    with pytest.raises(PermissionDenied):
        save_benefit(make_user(role, region), Program.objects.get(code="BPNT"), amount=1, unit="family",
                     period="month", note="n")
    assert current("BPNT").version == 1


@pytest.mark.django_db
def test_the_editor_page_takes_rupiah_as_people_write_it_and_the_programme_page_shows_it(client, make_user):
    client.force_login(make_user("admin", "00"))
    page = client.get("/program/PKH-SMA/manfaat/")
    assert page.status_code == 200 and "Rp2.000.000 per keluarga per tahun" in page.content.decode()
    bad = client.post("/program/PKH-SMA/manfaat/", {"amount": "2.000.000,50", "unit": "family", "period": "year",
                                                   "note": "Juknis", "version": 1})
    assert bad.status_code == 400 and "tanpa sen" in bad.content.decode()
    too_big = client.post("/program/PKH-SMA/manfaat/", {"amount": "Rp2.000.000.000", "unit": "family",
                                                       "period": "year", "note": "Juknis", "version": 1})
    assert too_big.status_code == 400 and "Rp1.000.000.000" in too_big.content.decode()
    ok = client.post("/program/PKH-SMA/manfaat/", {"amount": "Rp2.250.000", "unit": "family", "period": "year",
                                                  "note": "Juknis PKH 2026", "version": 1})
    assert ok.status_code == 302
    assert current("PKH-SMA").amount == 2_250_000
    detail = client.get("/program/PKH-SMA/").content.decode()
    assert "Rp2.250.000 per keluarga per tahun" in detail and "Juknis PKH 2026" in detail
    assert 'data-benefit-version="1"' in detail and 'data-benefit-version="2"' in detail
    stale = client.post("/program/PKH-SMA/manfaat/", {"amount": "2.300.000", "unit": "family", "period": "year",
                                                     "note": "Lagi", "version": 1})
    assert stale.status_code == 409 and "sudah diubah orang lain" in stale.content.decode()


@pytest.mark.django_db
def test_a_manajer_may_not_open_a_national_programmes_editor_and_a_desk_role_not_at_all(client, make_user):
    client.force_login(make_user("manajer", "32.01"))
    assert client.get("/program/BPNT/manfaat/").status_code == 403
    assert "Ubah besaran" not in client.get("/program/BPNT/").content.decode()
    client.force_login(make_user("front_office", "32.01"))
    assert client.post("/program/BPNT/manfaat/", {"amount": "1", "unit": "family", "period": "month",
                                                 "note": "n", "version": 1}).status_code == 403
    assert current("BPNT").version == 1


# --- API: the editor's capability, ids and versions only from earlier answers ---------------------


@pytest.fixture
def api(client):
    from tests.conftest import PASSWORD

    def login(user):
        token = client.post("/api/v1/auth/token", {"username": user.username, "password": PASSWORD},
                            content_type="application/json").json()["token"]
        headers = {"Authorization": f"Bearer {token}"}

        class Api:
            def get(self, path):
                return client.get(path, headers=headers)

            def post(self, path, data):
                return client.post(path, data, content_type="application/json", headers=headers)

        return Api()

    return login


@pytest.mark.django_db
def test_the_api_lists_amounts_and_saves_a_new_version_with_named_errors(api, make_user):
    admin = api(make_user("admin", "00"))
    programs = {p["code"]: p for p in admin.get("/api/v1/programs").json()}
    sd = programs["PKH-SD"]["benefit_amount"]
    assert (sd["amount"], sd["unit"], sd["period"], sd["per_year"]) == (900_000, "family", "year", 900_000)
    assert sd["text"] == "Rp900.000 per keluarga per tahun"
    assert programs["ATENSI"]["benefit_amount"] is None and programs["PKH-SD"]["benefit"].startswith("Rp900.000")
    history = admin.get("/api/v1/programs/PKH-SD/benefits").json()
    based_on = next(b["version"] for b in history if b["is_current"])
    bad = admin.post("/api/v1/programs/PKH-SD/benefits", {"amount": -5, "unit": "family", "period": "year",
                                                          "note": "Juknis", "based_on": based_on})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_amount" and "Rp0" in bad.json()["detail"]
    bad = admin.post("/api/v1/programs/PKH-SD/benefits", {"amount": 5, "unit": "desa", "period": "year",
                                                          "note": "Juknis", "based_on": based_on})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_unit"
    saved = admin.post("/api/v1/programs/PKH-SD/benefits", {"amount": 950_000, "unit": "family", "period": "year",
                                                            "note": "Juknis PKH 2026", "based_on": based_on})
    assert saved.status_code == 201, saved.content
    assert saved.json()["version"] == based_on + 1 and saved.json()["is_current"]
    again = admin.post("/api/v1/programs/PKH-SD/benefits", {"amount": 990_000, "unit": "family", "period": "year",
                                                            "note": "Lagi", "based_on": based_on})
    assert again.status_code == 409
    manajer = api(make_user("manajer", "32.01"))
    refused = manajer.post("/api/v1/programs/PKH-SD/benefits", {"amount": 1, "unit": "family", "period": "year",
                                                                "note": "n", "based_on": based_on + 1})
    assert refused.status_code == 403
    assert [b["amount"] for b in admin.get("/api/v1/programs/PKH-SD/benefits").json()] == [950_000, 900_000]
