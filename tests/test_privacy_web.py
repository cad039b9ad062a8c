"""The resident's own data on the desk's pages (issue 11, point 8): from the person page the desk
records the request, checks the KTP, downloads the PDF copy (not cached) that names the
resident's case and who opened it; an overdue request is a card on the Manajer's home whose number
is the rows of the list it opens; other regions get 404.
"""

import datetime as dt
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from slrt.audit.models import AuditEvent
from slrt.cases import services as case_services
from slrt.privacy import services
from slrt.privacy.models import DataRequest

pytestmark = pytest.mark.django_db

DESA = "32.01.02.2001"


@pytest.fixture
def person(make_person):
    return make_person(DESA, nama="Siti Aminah")


def _login(client, user):
    client.force_login(user)
    return client


def _case(user, person):
    return case_services.create_case(user, case_services.Intake(
        complaint_type="pengaduan", channel="sekretariat",
        needs=[{"sector": "pendidikan", "description": "Seragam sekolah anak kedua"}],
        consent_given=True, consent_purpose="Penanganan keluhan", consent_share_agencies=False,
    ), person=person).case


def test_the_desk_receives_verifies_and_downloads_the_copy_naming_the_case_and_who_saw_it(
        client, django_user_model, make_user, person):
    fo = make_user("front_office", "32.01")
    bo = make_user("back_office", "32.01")
    bo.first_name, bo.last_name = "Dewi", "Lestari"
    bo.save()
    case = _case(fo, person)
    _login(client, bo).get(reverse("cases:detail", args=[case.pk]))  # an access the copy must name

    page = _login(client, fo).get(reverse("registry:person", args=[person.pk])).content.decode()
    new_url = reverse("privacy:new", args=[person.pk])
    assert new_url in page and "Permintaan data pribadi" in page

    response = client.post(new_url, {"kind": "akses", "channel": "loket", "details": ""})
    assert response.status_code == 302
    r = DataRequest.objects.system().get()
    detail = reverse("privacy:detail", args=[r.pk])
    assert response["Location"] == detail
    # The list page shows the person's name: its audit row names whom (ids only).
    assert person.nama in client.get(reverse("privacy:list")).content.decode()
    shown = AuditEvent.objects.filter(action="data_request.list").latest("pk").detail
    assert shown["data_requests"] == [r.pk] and shown["people"] == [person.pk]
    page = client.get(detail).content.decode()
    assert "Periksa identitas" in page and "Unduh salinan" not in page

    # A wrong KTP number is refused on the page, with the reason.
    response = client.post(reverse("privacy:verify", args=[r.pk]), {
        "identity_method": "ktp", "identity_digits": "0000" if person.nik[-4:] != "0000" else "1111",
        "version": r.version})
    assert response.status_code == 422
    assert "tidak cocok dengan data registri" in response.content.decode()
    response = client.post(reverse("privacy:verify", args=[r.pk]), {
        "identity_method": "ktp", "identity_digits": person.nik[-4:], "version": r.version})
    assert response.status_code == 302
    r.refresh_from_db()
    page = client.get(detail).content.decode()
    assert "Unduh salinan" in page

    response = client.post(reverse("privacy:copy", args=[r.pk]), {"version": r.version})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Disposition"].startswith("attachment")
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(response.content)).pages)
    assert person.nik in text and "Siti Aminah" in text
    assert case.ticket in text and "Seragam sekolah anak kedua" in text
    assert "Dewi Lestari (Back office)" in text and "membuka kasus" in text
    r.refresh_from_db()
    assert r.status == "dipenuhi" and r.closed_by == fo
    # Fulfilled: no second "fulfil", a reprint instead.
    again = client.post(reverse("privacy:copy", args=[r.pk]), {"version": r.version})
    assert again.status_code == 409
    reprint = client.post(reverse("privacy:copy_again", args=[r.pk]))
    assert reprint.status_code == 200 and "no-store" in reprint["Cache-Control"]


def test_a_correction_request_becomes_a_proposal_from_the_page(client, make_user, person):
    bo = make_user("back_office", "32.01")
    r = services.receive(bo, person=person, kind="koreksi", details="Nama ibu kandung salah eja")
    services.verify_identity(bo, r, r.version, identity_method="ktp", identity_digits=person.nik[-4:])
    r.refresh_from_db()
    response = _login(client, bo).post(reverse("privacy:propose", args=[r.pk]), {
        "column": "nama_ibu_kandung", "value": "Aisyah", "reason": "Salah eja di registri", "version": r.version})
    assert response.status_code == 302
    r.refresh_from_db()
    assert r.status == "dipenuhi" and r.proposal is not None
    page = client.get(reverse("privacy:detail", args=[r.pk])).content.decode()
    assert reverse("updates:detail", args=[r.proposal_id]) in page
    proposal_page = client.get(reverse("updates:detail", args=[r.proposal_id]))
    assert proposal_page.status_code == 200 and "Aisyah" in proposal_page.content.decode()


def test_an_overdue_request_is_a_manajer_card_whose_number_is_the_rows_it_opens(client, make_user, person,
                                                                                 make_person):
    fo = make_user("front_office", "32.01")
    manajer = make_user("manajer", "32.01")
    services.receive(fo, person=person, kind="akses", channel="surat",
                     received_at=timezone.now() - dt.timedelta(hours=73))
    services.receive(fo, person=person, kind="akses", channel="surat",
                     received_at=timezone.now() - dt.timedelta(hours=10))  # open, not yet late
    elsewhere = make_user("front_office", "32.02")
    services.receive(elsewhere, person=make_person("32.02.01.2001"), kind="akses", channel="email",
                     received_at=timezone.now() - dt.timedelta(hours=90))  # another kabupaten's

    home = _login(client, manajer).get("/").content.decode()
    card = re.search(r'<a class="stat warn" href="([^"]+)" data-queue="lewat_tenggat" data-count="(\d+)"', home)
    assert card, "the overdue card is missing or not marked"
    href, count = card.group(1).replace("&amp;", "&"), int(card.group(2))
    listing = client.get(href).content.decode()
    assert count == 1 == len(re.findall(r'data-request-id="\d+"', listing))
    assert "Lewat tenggat" in listing

    # The desk's own card counts both open requests of its region.
    home = _login(client, fo).get("/").content.decode()
    card = re.search(r'href="([^"]+)" data-queue="terbuka" data-count="(\d+)"', home)
    listing = client.get(card.group(1).replace("&amp;", "&")).content.decode()
    assert int(card.group(2)) == 2 == len(re.findall(r'data-request-id="\d+"', listing))


def test_another_region_gets_404_and_oversight_gets_no_forms(client, make_user, person):
    fo = make_user("front_office", "32.01")
    r = services.receive(fo, person=person, kind="akses")
    _login(client, make_user("front_office", "32.02"))
    assert client.get(reverse("privacy:detail", args=[r.pk])).status_code == 404
    assert client.get(reverse("privacy:new", args=[person.pk])).status_code == 404
    assert client.post(reverse("privacy:verify", args=[r.pk]), {
        "identity_method": "ktp", "identity_digits": person.nik[-4:], "version": r.version}).status_code == 404
    assert client.post(reverse("privacy:copy", args=[r.pk]), {"version": r.version}).status_code == 404
    _login(client, make_user("dinsos", "32"))
    page = client.get(reverse("privacy:detail", args=[r.pk]))
    assert page.status_code == 200 and "Periksa identitas" not in page.content.decode()
    assert client.post(reverse("privacy:copy", args=[r.pk]), {"version": r.version}).status_code == 403
    _login(client, make_user("fasilitator", DESA))
    assert client.get(reverse("privacy:list")).status_code == 403


OWN = {1: "32", 2: "32.01", 3: "32.01.02", 4: DESA}
SIBLING = {1: "33", 2: "32.02", 3: "32.01.03", 4: "32.01.02.2002"}


@pytest.mark.parametrize("where", ["own", "sibling"])
@pytest.mark.parametrize("role", ["admin", "dinsos", "manajer", "supervisor", "fasilitator", "front_office",
                                  "back_office", "koordinator_puskesos", "mitra"])
def test_every_role_sees_a_request_only_inside_its_region_and_with_the_capability(client, make_user, person,
                                                                                   role, where):
    """The scope matrix of data requests: page and API, each role at its narrowest level, in the
    person's region and in the neighbouring one."""
    from slrt.accounts.roles import ALLOWED_LEVELS, can
    from tests.conftest import PASSWORD

    r = services.receive(make_user("front_office", "32.01"), person=person, kind="akses")
    level = max(ALLOWED_LEVELS[role])
    user = make_user(role, (OWN if where == "own" else SIBLING)[level])
    sees = can(user, "view_data_requests") and where == "own"
    page = _login(client, user).get(reverse("privacy:detail", args=[r.pk])).status_code
    assert page == (200 if sees else 404 if can(user, "view_data_requests") else 403), (role, where, page)
    token = client.post("/api/v1/auth/token", {"username": user.username, "password": PASSWORD},
                        content_type="application/json").json()["token"]
    api = client.get(f"/api/v1/data-requests/{r.pk}", headers={"Authorization": f"Bearer {token}"}).status_code
    assert api == (200 if sees else 404), (role, where, api)
    listed = client.get("/api/v1/data-requests", headers={"Authorization": f"Bearer {token}"})
    if can(user, "view_data_requests"):
        assert [i["id"] for i in listed.json()["items"]] == ([r.pk] if sees else [])
    else:
        assert listed.status_code == 403
