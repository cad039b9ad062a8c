"""seed_demo: the demo district of `make run`, with one working account per role, idempotent."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from slrt.accounts.models import User
from slrt.accounts.roles import ALLOWED_LEVELS, Role
from slrt.demo.seed import DEMO_KAB, DEMO_PASSWORD
from slrt.registry.models import Household, ImportJob, Person, Release
from slrt.wilayah.models import Puskesos, Secretariat


def seed(households=200) -> str:
    out = StringIO()
    call_command("seed_demo", "--households", str(households), stdout=out)
    return out.getvalue()


def counts() -> dict:
    return {
        "users": User.objects.count(),
        "households": Household.objects.system().count(),
        "people": Person.objects.system().count(),
        "jobs": ImportJob.objects.count(),
        "releases": Release.objects.count(),
        "secretariats": Secretariat.objects.count(),
        "puskesos": Puskesos.objects.count(),
    }


@pytest.mark.django_db
def test_seed_demo_creates_one_account_per_role_and_prints_it(client):
    output = seed()
    demo_users = User.objects.filter(username__startswith="demo-")
    assert sorted(demo_users.values_list("role", flat=True)) == sorted(Role.values)
    for user in demo_users:
        assert user.region.level in ALLOWED_LEVELS[user.role]
        assert user.username in output
        if user.role == Role.MITRA:
            assert user.agency_code == f"RSUD-{DEMO_KAB.replace('.', '')}"
        elif user.role in (Role.MANAJER, Role.FRONT_OFFICE, Role.BACK_OFFICE):
            assert user.region_id == DEMO_KAB
        elif user.role in (Role.SUPERVISOR, Role.FASILITATOR, Role.KOORDINATOR_PUSKESOS):
            assert user.region_id.startswith(DEMO_KAB + ".")
    assert DEMO_PASSWORD in output


@pytest.mark.django_db
def test_every_printed_demo_account_can_log_in(client):
    seed()
    for user in User.objects.filter(username__startswith="demo-"):
        client.logout()
        response = client.post(reverse("accounts:login"), {"username": user.username, "password": DEMO_PASSWORD})
        assert response.status_code == 302, user.username
        assert int(client.session["_auth_user_id"]) == user.pk


@pytest.mark.django_db
def test_seed_demo_loads_registry_data_secretariat_and_puskesos_in_the_demo_kab():
    seed()
    households = Household.objects.system().filter(kab_code=DEMO_KAB)
    assert 150 <= households.count() <= 210  # 200 KK, some of which may lose their only row as a bad row
    assert Person.objects.system().filter(kab_code=DEMO_KAB).count() > 400
    assert Secretariat.objects.get(region_id=DEMO_KAB)
    posts = Puskesos.objects.filter(secretariat__region_id=DEMO_KAB)
    assert posts.count() >= 1
    # Desa-level accounts sit where the data is, so their pages are not empty.
    fasilitator = User.objects.get(username="demo-fasilitator")
    assert households.filter(desa_code=fasilitator.region_id).exists()
    assert posts.filter(region_id=fasilitator.region_id).exists()
    job = ImportJob.objects.get()
    assert job.status == "done" and job.rejected > 0  # a few deliberate bad rows for the error report


@pytest.mark.django_db
def test_seed_demo_is_idempotent():
    seed()
    before = counts()
    output = seed()
    assert counts() == before
    assert "sudah dimuat" in output


@pytest.mark.django_db
def test_seed_demo_holds_a_living_service_desk_with_every_state():
    """A new user meets cases, recommendations and referrals in every state, and the demo
    Manajer can edit the rules of the district's own programmes."""
    from slrt.cases.models import Case, CaseStatus, RecommendationStatus
    from slrt.programs.models import Program
    from slrt.programs.services.catalogue import may_edit_rule
    from slrt.referrals.models import Referral, ReferralStatus

    seed(households=600)
    cases = Case.objects.system().filter(kab_code=DEMO_KAB)
    assert set(cases.values_list("status", flat=True)) == set(CaseStatus.values)
    assert cases.filter(in_registry=False).exists()
    recommendations = {r.status for c in cases for r in c.recommendations.all()}
    assert recommendations == set(RecommendationStatus.values)
    referrals = Referral.objects.system().filter(kab_code=DEMO_KAB)
    assert set(referrals.values_list("status", flat=True)) == set(ReferralStatus.values)
    assert referrals.exclude(escalated_at=None).exists()
    # One resident withdrew consent to share: the RSUD's inbox shows the flag.
    assert referrals.exclude(consent_withdrawn_at=None).filter(agency__code__startswith="RSUD-").exists()
    assert cases.exclude(consent_share_withdrawn_at=None).count() == 1
    manajer = User.objects.get(username="demo-manajer")
    assert any(may_edit_rule(manajer, p) for p in Program.objects.all())


@pytest.mark.django_db(transaction=True)
def test_seed_demo_is_all_or_nothing_and_a_rerun_completes_it(monkeypatch, regions_after_flush):
    """A seeding that fails at its last step (the field visits) leaves nothing behind, so a second
    run is not fooled into skipping a half demo: it seeds the proposals and visits too."""
    from slrt.fieldwork import demo as fieldwork_demo
    from slrt.fieldwork.models import Visit
    from slrt.updates.models import Proposal

    real = fieldwork_demo.seed_visits

    def broken(**kw):
        raise RuntimeError("the tablet fell")

    monkeypatch.setattr(fieldwork_demo, "seed_visits", broken)
    with pytest.raises(RuntimeError):
        seed(households=600)
    assert not Person.objects.system().exists()
    assert not User.objects.filter(username__startswith="demo-").exists()
    assert not Proposal.objects.system().exists() and not ImportJob.objects.exists()

    monkeypatch.setattr(fieldwork_demo, "seed_visits", real)
    seed(households=600)
    assert Proposal.objects.system().filter(kab_code=DEMO_KAB).count() >= 6
    assert Visit.objects.system().exists()


@pytest.mark.django_db
def test_seed_demo_picks_the_same_registry_rows_whatever_the_ids():
    """The demo's cases go to residents chosen by NIK, not by database id, so the seeding is the same
    on PostgreSQL and SQLite (ids there follow the order the importer inserted in)."""
    from slrt.cases.models import Case

    seed(households=600)
    first_niks = sorted(
        Person.objects.system().filter(kab_code=DEMO_KAB, is_active=True).values_list("nik", flat=True)
    )[:4]
    case_niks = set(Case.objects.system().filter(person__isnull=False).values_list("person__nik", flat=True))
    assert set(first_niks) <= case_niks
