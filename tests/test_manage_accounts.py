"""Account management in the UI (issue 13, point 4): who may make and change whose account, and
what each change does to signing in. Every step goes through the real pages (/pengelolaan/) and
the sign-in page as a person would; API tokens come from the API's own answers.

The matrix: an Admin everywhere in its scope; a Manajer inside its kab/kota for the desk roles and
Mitra only; only an Admin makes Admin, Dinsos and Manajer accounts; nobody changes or deactivates
their own account; other roles see none of it."""

import re

import pytest
from django.test import Client, override_settings

from slrt.accounts.models import User
from slrt.audit.models import AuditEvent
from slrt.programs.models import Agency
from slrt.wilayah.models import Region

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Sandi-Baru-2027x"
BOGOR, SUKABUMI = "32.01", "32.02"
DESA_BOGOR = "32.01.02.2001"
DESA_SUKABUMI = "32.02.02.2001"


def _browser(user, password=PASSWORD, ip="10.0.0.5"):
    client = Client(REMOTE_ADDR=ip)
    answer = client.post("/akun/masuk/", {"username": user.username, "password": password})
    assert answer.status_code == 302, answer.content.decode()[:500]
    return client


def _sign_in(username, password, ip="10.0.0.9"):
    client = Client(REMOTE_ADDR=ip)
    return client, client.post("/akun/masuk/", {"username": username, "password": password})


def _token(username, password):
    return Client().post("/api/v1/auth/token", {"username": username, "password": password},
                         content_type="application/json")


def _create(client, **fields):
    data = {"username": "", "full_name": "", "email": "", "role": "", "region": "", "agency": "",
            "first_login": "one_time", "password1": "", "password2": ""}
    data.update(fields)
    return client.post("/pengelolaan/akun/baru/", data)


def _handed_over(answer) -> str:
    assert answer.status_code == 201, answer.content.decode()[:2000]
    assert "no-store" in answer["Cache-Control"]
    return re.search(r'id="one-time-password"><strong>([^<]+)</strong>', answer.content.decode()).group(1)


def _change(client, pk, **fields):
    return client.post(f"/pengelolaan/akun/{pk}/", {"full_name": "", "email": "", "agency": "", **fields})


def _unmasked(answer) -> str:
    """What the 404 page says (its <main>; the header carries the address and a fresh CSRF mask)."""
    return re.search(r"<main.*?</main>", answer.content.decode(), re.S).group(0)


def _events(action, target=None):
    qs = AuditEvent.objects.filter(action=action)
    if target is not None:
        qs = qs.filter(object_type="accounts.user", object_id=str(target.pk))
    return list(qs)


@pytest.fixture
def rsud_bogor(db):
    return Agency.objects.create(code="RSUD-CIBINONG", name="RSUD Cibinong", kind="rsud", region_id=BOGOR)


@pytest.fixture
def rsud_sukabumi(db):
    return Agency.objects.create(code="RSUD-SUKABUMI", name="RSUD Sekarwangi", kind="rsud", region_id=SUKABUMI)


# --- Making an account, and its first sign-in ----------------------------------------------------


def test_a_manajer_makes_a_facilitator_who_signs_in_with_the_handed_over_password_and_must_change_it(make_user):
    manajer = make_user("manajer", BOGOR)
    client = _browser(manajer)
    answer = _create(client, username="fasil.cibinong", full_name="Dewi Lestari", role="fasilitator",
                     region=DESA_BOGOR)
    password = _handed_over(answer)
    user = User.objects.get(username="fasil.cibinong")
    assert (user.role, user.region_id, user.first_name, user.is_active) == ("fasilitator", DESA_BOGOR,
                                                                             "Dewi Lestari", True)
    assert user.must_change_password and user.check_password(password)
    # The page names the region, not its code.
    assert Region.objects.get(code=DESA_BOGOR).name in answer.content.decode()

    event, = _events("user.create", user)
    assert event.actor == manajer and event.region_code == DESA_BOGOR
    assert event.detail == {"role": "fasilitator", "agency": "", "password": "one_time"}
    assert password not in str(event.detail)

    # The first sign-in leads to the change page and nowhere else; a token is refused until then.
    fresh, signed = _sign_in("fasil.cibinong", password)
    assert signed.status_code == 302
    assert fresh.get("/")["Location"] == "/akun/sandi/"
    assert _token("fasil.cibinong", password).json()["code"] == "password_change_required"
    changed = fresh.post("/akun/sandi/", {"current_password": password, "new_password1": NEW_PASSWORD,
                                          "new_password2": NEW_PASSWORD})
    assert changed.status_code == 302
    assert fresh.get("/").status_code == 200
    assert _token("fasil.cibinong", NEW_PASSWORD).status_code == 200


def test_an_admin_may_set_the_first_password_which_must_still_be_changed(make_user):
    client = _browser(make_user("admin", "00"))
    answer = _create(client, username="manajer.bogor", role="manajer", region=BOGOR, first_login="set",
                     password1="Kantor-Bogor-2026", password2="Kantor-Bogor-2026")
    assert answer.status_code == 201
    assert 'id="one-time-password"' not in answer.content.decode()
    user = User.objects.get(username="manajer.bogor")
    assert user.check_password("Kantor-Bogor-2026") and user.must_change_password
    assert _events("user.create", user)[0].detail["password"] == "given"
    assert "Kantor-Bogor-2026" not in str([e.detail for e in AuditEvent.objects.all()])


def test_a_password_the_admin_sets_follows_the_policy(make_user):
    client = _browser(make_user("admin", "00"))
    answer = _create(client, username="fo.satu", role="front_office", region=BOGOR, first_login="set",
                     password1="pendek", password2="pendek")
    assert answer.status_code == 422
    assert not User.objects.filter(username="fo.satu").exists()
    mismatch = _create(client, username="fo.satu", role="front_office", region=BOGOR, first_login="set",
                       password1="Kantor-Bogor-2026", password2="Kantor-Bogor-2027")
    assert mismatch.status_code == 422 and "Kedua isian kata sandi tidak sama" in mismatch.content.decode()


@pytest.mark.parametrize(("actor", "role", "region", "allowed"), [
    (("admin", "00"), "admin", "32", True),
    (("admin", "00"), "dinsos", "32", True),
    (("admin", "00"), "manajer", BOGOR, True),
    (("admin", "32"), "manajer", SUKABUMI, True),
    (("admin", "32"), "dinsos", "33", False),  # outside the Admin's province
    (("manajer", BOGOR), "front_office", BOGOR, True),
    (("manajer", BOGOR), "back_office", DESA_BOGOR, True),
    (("manajer", BOGOR), "supervisor", "32.01.02", True),
    (("manajer", BOGOR), "koordinator_puskesos", DESA_BOGOR, True),
    (("manajer", BOGOR), "fasilitator", DESA_SUKABUMI, False),  # another kab/kota
    (("manajer", BOGOR), "front_office", SUKABUMI, False),
    (("manajer", BOGOR), "manajer", BOGOR, False),  # only an Admin makes these
    (("manajer", BOGOR), "admin", BOGOR, False),
    (("manajer", BOGOR), "dinsos", "32", False),
    (("manajer", SUKABUMI), "fasilitator", DESA_BOGOR, False),
])
def test_who_may_make_which_account_where(actor, role, region, allowed, make_user):
    me = make_user(*actor)
    client = _browser(me)
    answer = _create(client, username="baru.satu", role=role, region=region)
    assert (answer.status_code == 201) is allowed, answer.content.decode()[:1500]
    assert User.objects.filter(username="baru.satu").exists() is allowed
    assert AuditEvent.objects.filter(action="user.create", actor=me).exists() is allowed
    if not allowed:
        assert answer.status_code == 422
        page = answer.content.decode()
        assert "di luar wilayah" in page or "hanya dibuat dan diubah oleh Admin" in page, page[:3000]


def test_a_role_is_given_only_at_its_levels(make_user):
    client = _browser(make_user("manajer", BOGOR))
    answer = _create(client, username="fasil.kab", role="fasilitator", region=BOGOR)
    assert answer.status_code == 422
    assert "ditugaskan di tingkat Desa/Kelurahan, bukan Kabupaten/Kota" in answer.content.decode()


def test_a_username_is_never_reused_not_even_of_a_deactivated_account(make_user):
    admin = make_user("admin", "00")
    old = make_user("front_office", BOGOR)
    client = _browser(admin)
    client.post(f"/pengelolaan/akun/{old.pk}/nonaktifkan/", {"confirm": "on"})
    answer = _create(client, username=old.username.upper(), role="front_office", region=BOGOR)
    assert answer.status_code == 422 and "sudah dipakai" in answer.content.decode()
    old.refresh_from_db()
    assert not old.is_active and old.check_password(PASSWORD)  # not silently reset


@pytest.mark.parametrize("role", ["koordinator_puskesos", "supervisor", "front_office", "dinsos", "mitra"])
def test_other_roles_reach_no_management_page(role, make_user):
    region = {"koordinator_puskesos": DESA_BOGOR, "supervisor": "32.01.02", "dinsos": "32"}.get(role, BOGOR)
    client = _browser(make_user(role, region))
    target = make_user("fasilitator", DESA_BOGOR)
    assert client.get("/pengelolaan/").status_code == 403
    assert _create(client, username="x.y", role="fasilitator", region=DESA_BOGOR).status_code == 403
    assert client.get(f"/pengelolaan/akun/{target.pk}/").status_code == 403
    assert client.post(f"/pengelolaan/akun/{target.pk}/nonaktifkan/", {"confirm": "on"}).status_code == 403
    assert not User.objects.filter(username="x.y").exists()
    target.refresh_from_db()
    assert target.is_active and not AuditEvent.objects.filter(action__startswith="user.").exclude(
        action="user.create").exists()


# --- A Mitra account and its agency ----------------------------------------------------------------


def test_a_mitra_account_needs_an_agency_of_the_manajers_kab_kota(make_user, rsud_bogor, rsud_sukabumi):
    client = _browser(make_user("manajer", BOGOR))
    page = client.get("/pengelolaan/akun/baru/").content.decode()
    assert "RSUD Cibinong" in page and "RSUD Sekarwangi" not in page  # only its own kab/kota's
    missing = _create(client, username="mitra.satu", role="mitra", region=BOGOR)
    assert missing.status_code == 422 and "harus terhubung ke satu lembaga" in missing.content.decode()
    other = _create(client, username="mitra.satu", role="mitra", region=BOGOR, agency=rsud_sukabumi.code)
    assert other.status_code == 422
    assert not User.objects.filter(username="mitra.satu").exists()
    made = _create(client, username="mitra.satu", role="mitra", region=BOGOR, agency=rsud_bogor.code)
    assert made.status_code == 201 and "RSUD Cibinong" in made.content.decode()
    assert User.objects.get(username="mitra.satu").agency_code == "RSUD-CIBINONG"
    staff = _create(client, username="fo.dua", role="front_office", region=BOGOR, agency=rsud_bogor.code)
    assert staff.status_code == 422 and "Hanya akun Mitra" in staff.content.decode()


def test_a_closed_agency_cannot_be_given(make_user, rsud_bogor):
    rsud_bogor.active = False
    rsud_bogor.save()
    client = _browser(make_user("admin", "00"))
    assert _create(client, username="mitra.dua", role="mitra", region=BOGOR, agency=rsud_bogor.code).status_code == 422


# --- Changing an account -------------------------------------------------------------------------


def test_a_manajer_moves_staff_inside_its_kab_kota_and_the_change_is_audited(make_user):
    manajer = make_user("manajer", BOGOR)
    client = _browser(manajer)
    user = make_user("fasilitator", DESA_BOGOR)
    token = _token(user.username, PASSWORD).json()["token"]
    answer = _change(client, user.pk, role="back_office", region=BOGOR, full_name="Budi Santoso")
    assert answer.status_code == 302
    user.refresh_from_db()
    assert (user.role, user.region_id, user.first_name) == ("back_office", BOGOR, "Budi Santoso")
    event, = _events("user.update", user)
    assert event.actor == manajer
    assert event.detail == {"fields": ["role", "region", "first_name"], "role": ["fasilitator", "back_office"],
                            "region": [DESA_BOGOR, BOGOR], "tokens_revoked": 1}
    assert "Budi" not in str(event.detail)
    # A new reach: the old token no longer works.
    assert Client().get("/api/v1/regions/32.01", headers={"authorization": f"Bearer {token}"}).status_code == 401
    # No change, no audit row.
    _change(client, user.pk, role="back_office", region=BOGOR, full_name="Budi Santoso")
    assert len(_events("user.update", user)) == 1


@pytest.mark.parametrize(("actor", "target", "fields"), [
    (("manajer", BOGOR), ("fasilitator", DESA_BOGOR), {"role": "manajer", "region": BOGOR}),
    (("manajer", BOGOR), ("fasilitator", DESA_BOGOR), {"role": "fasilitator", "region": DESA_SUKABUMI}),
    (("admin", "32"), ("front_office", BOGOR), {"role": "front_office", "region": "33.01"}),
])
def test_a_change_beyond_the_actors_reach_is_refused(actor, target, fields, make_user):
    client = _browser(make_user(*actor))
    user = make_user(*target)
    answer = _change(client, user.pk, **fields)
    assert answer.status_code == 422
    user.refresh_from_db()
    assert (user.role, user.region_id) == target
    assert not _events("user.update")


@pytest.mark.parametrize(("actor", "target"), [
    (("manajer", BOGOR), ("fasilitator", DESA_SUKABUMI)),  # another kab/kota
    (("manajer", SUKABUMI), ("front_office", BOGOR)),
    (("manajer", BOGOR), ("manajer", BOGOR)),  # the same reach: Admin only
    (("manajer", BOGOR), ("admin", BOGOR)),
    (("manajer", BOGOR), ("dinsos", "32")),
    (("manajer", BOGOR), ("mitra", "32")),  # a province's Mitra lies outside the kab/kota
    (("admin", BOGOR), ("admin", "32")),  # wider than the Admin's scope
])
def test_an_account_beyond_the_actors_reach_answers_as_if_it_did_not_exist(actor, target, make_user):
    client = _browser(make_user(*actor))
    user = make_user(*target)
    nothing = client.get("/pengelolaan/akun/999999/")
    assert nothing.status_code == 404
    for answer in (client.get(f"/pengelolaan/akun/{user.pk}/"),
                   _change(client, user.pk, role="front_office", region=BOGOR),
                   client.post(f"/pengelolaan/akun/{user.pk}/nonaktifkan/", {"confirm": "on"}),
                   client.post(f"/pengelolaan/akun/{user.pk}/aktifkan/"),
                   client.post(f"/pengelolaan/akun/{user.pk}/reset-sandi/"),
                   client.post(f"/pengelolaan/akun/{user.pk}/buka-kunci/")):
        assert answer.status_code == 404
        assert _unmasked(answer) == _unmasked(nothing)
    assert f'data-account="{user.pk}"' not in client.get("/pengelolaan/").content.decode()
    user.refresh_from_db()
    assert user.is_active and (user.role, user.region_id) == target and user.check_password(PASSWORD)
    assert not AuditEvent.objects.filter(action__in=["user.update", "user.deactivate", "user.reactivate",
                                                     "user.password_reset", "user.unlock"]).exists()


@pytest.mark.parametrize("role", ["admin", "manajer"])
def test_nobody_changes_their_own_role_or_deactivates_themselves(role, make_user):
    from django.core.exceptions import PermissionDenied

    from slrt.accounts import services

    me = make_user(role, "00" if role == "admin" else BOGOR)
    client = _browser(me)
    assert client.get(f"/pengelolaan/akun/{me.pk}/").status_code == 404
    assert _change(client, me.pk, role="admin", region="00").status_code == 404
    assert client.post(f"/pengelolaan/akun/{me.pk}/nonaktifkan/", {"confirm": "on"}).status_code == 404
    with pytest.raises(PermissionDenied):
        services.change_account(me, me, role="admin", region_code="00")
    with pytest.raises(PermissionDenied):
        services.deactivate_user(me, me)
    me.refresh_from_db()
    assert me.role == role and me.is_active
    assert f'data-account="{me.pk}"' not in client.get("/pengelolaan/").content.decode()


def test_an_admin_changes_a_manajer_and_a_manajer_cannot(make_user):
    target = make_user("manajer", BOGOR)
    assert _change(_browser(make_user("manajer", BOGOR)), target.pk, role="manajer",
                   region=SUKABUMI).status_code == 404
    assert _change(_browser(make_user("admin", "32")), target.pk, role="manajer", region=SUKABUMI).status_code == 302
    target.refresh_from_db()
    assert target.region_id == SUKABUMI


# --- Deactivation, reactivation, reset, unlock -------------------------------------------------------


def test_a_deactivated_account_cannot_sign_in_its_tokens_and_sessions_end_and_it_comes_back(make_user):
    manajer = make_user("manajer", BOGOR)
    client = _browser(manajer)
    user = make_user("front_office", BOGOR)
    their_session = _browser(user, ip="10.0.0.7")
    token = _token(user.username, PASSWORD).json()["token"]

    unconfirmed = client.post(f"/pengelolaan/akun/{user.pk}/nonaktifkan/")
    assert unconfirmed.status_code == 302
    user.refresh_from_db()
    assert user.is_active and not _events("user.deactivate")

    assert client.post(f"/pengelolaan/akun/{user.pk}/nonaktifkan/", {"confirm": "on"}).status_code == 302
    user.refresh_from_db()
    assert not user.is_active
    assert their_session.get("/").status_code == 302  # signed out
    assert Client().get("/api/v1/regions/32.01", headers={"authorization": f"Bearer {token}"}).status_code == 401
    _fresh, refused = _sign_in(user.username, PASSWORD)
    assert refused.status_code == 200 and "_auth_user_id" not in _fresh.session
    assert _token(user.username, PASSWORD).status_code == 401
    event, = _events("user.deactivate", user)
    assert event.actor == manajer and event.detail == {"was_active": True, "tokens_revoked": 1, "sessions": 1}
    assert User.objects.filter(pk=user.pk).exists()  # never deleted

    listing = client.get("/pengelolaan/?status=nonaktif").content.decode()
    assert user.username in listing

    assert client.post(f"/pengelolaan/akun/{user.pk}/aktifkan/").status_code == 302
    user.refresh_from_db()
    assert user.is_active
    assert _events("user.reactivate", user)[0].actor == manajer
    _fresh, signed = _sign_in(user.username, PASSWORD)
    assert signed.status_code == 302


def test_a_reset_from_the_management_page_hands_over_a_temporary_password(make_user):
    manajer = make_user("manajer", BOGOR)
    client = _browser(manajer)
    user = make_user("koordinator_puskesos", DESA_BOGOR)
    answer = client.post(f"/pengelolaan/akun/{user.pk}/reset-sandi/")
    assert answer.status_code == 200 and "no-store" in answer["Cache-Control"]
    temporary = re.search(r'id="temporary-password"><strong>([^<]+)</strong>', answer.content.decode()).group(1)
    user.refresh_from_db()
    assert user.check_password(temporary) and user.must_change_password
    event, = _events("user.password_reset", user)
    assert event.actor == manajer and temporary not in str(event.detail)


@override_settings(AXES_FAILURE_LIMIT=3)
def test_a_locked_account_shows_as_locked_and_unlocking_lets_it_sign_in(make_user):
    admin = make_user("admin", "00")
    client = _browser(admin)
    user = make_user("fasilitator", DESA_BOGOR)
    other = make_user("fasilitator", DESA_BOGOR)
    for n in range(3):  # from three addresses: the account is locked, none of the addresses
        _sign_in(user.username, "Salah-12345", ip=f"10.7.0.{n + 1}")
    _c, locked = _sign_in(user.username, PASSWORD, ip="10.7.1.1")
    assert locked.status_code == 429

    listing = client.get(f"/pengelolaan/?q={user.username}").content.decode()
    row = re.search(rf'<tr data-account="{user.pk}">(.*?)</tr>', listing, re.S).group(1)
    assert "data-locked" in row
    other_row = re.search(rf'<tr data-account="{other.pk}">(.*?)</tr>',
                          client.get("/pengelolaan/").content.decode(), re.S).group(1)
    assert "data-locked" not in other_row
    assert 'id="unlock"' in client.get(f"/pengelolaan/akun/{user.pk}/").content.decode()

    assert client.post(f"/pengelolaan/akun/{user.pk}/buka-kunci/").status_code == 302
    _c, signed = _sign_in(user.username, PASSWORD, ip="10.7.1.1")
    assert signed.status_code == 302
    event, = _events("user.unlock", user)
    assert event.actor == admin and event.detail["cleared"] >= 1
    assert "data-locked" not in client.get(f"/pengelolaan/akun/{user.pk}/").content.decode()


# --- The list --------------------------------------------------------------------------------------


def test_the_list_shows_exactly_the_managed_accounts_filtered_with_names_not_codes(make_user, rsud_bogor):
    manajer = make_user("manajer", BOGOR)
    inside = [make_user("fasilitator", DESA_BOGOR), make_user("fasilitator", "32.01.02.2002"),
              make_user("front_office", BOGOR), make_user("mitra", BOGOR, agency=rsud_bogor.code)]
    closed = make_user("back_office", BOGOR)
    closed.is_active = False
    closed.save()
    outside = [make_user("fasilitator", DESA_SUKABUMI), make_user("manajer", BOGOR), make_user("admin", BOGOR),
               make_user("dinsos", "32"), make_user("mitra", "32")]
    client = _browser(manajer)

    def listed(query=""):
        return set(map(int, re.findall(r'<tr data-account="(\d+)">', client.get(f"/pengelolaan/{query}").content
                                        .decode())))

    assert listed() == {u.pk for u in [*inside, closed]}
    assert listed("?peran=fasilitator") == {inside[0].pk, inside[1].pk}
    assert listed(f"?wilayah={DESA_BOGOR}") == {inside[0].pk}
    assert listed("?status=aktif") == {u.pk for u in inside}
    assert listed("?status=nonaktif") == {closed.pk}
    assert not {u.pk for u in outside} & listed()
    page = client.get("/pengelolaan/").content.decode()
    assert "RSUD Cibinong" in page and "Mitra (lembaga rujukan)" in page and "Fasilitator" in page
    assert Region.objects.get(code=DESA_BOGOR).name in page
    assert ">fasilitator<" not in page and f">{DESA_BOGOR}<" not in page
    # A region outside the Manajer's kab/kota is a clear message, not someone else's accounts.
    out = client.get(f"/pengelolaan/?wilayah={SUKABUMI}")
    assert out.status_code == 422 and "di luar wilayah tugas Anda" in out.content.decode()
    # The roles offered to a Manajer are the ones it manages.
    form = client.get("/pengelolaan/akun/baru/").content.decode()
    options = set(re.findall(r'<option value="([a-z_]+)"', form.split('name="role"')[1].split("</select>")[0]))
    assert options == {"supervisor", "fasilitator", "front_office", "back_office", "koordinator_puskesos", "mitra"}
