"""Letters an office can send (issue 9, point 8): each desk's letterhead and signatories, set on
a settings page for Admin and Manajer (scoped, validated, audited), printed on every letter."""

import io
import random

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from pypdf import PdfReader

from slrt.audit.models import AuditEvent
from slrt.cases import decisions, letters
from slrt.cases.models import Letter
from slrt.wilayah.models import Puskesos, Secretariat, Signatory
from tests.test_referrals_fixtures import DESA, build_desk, client_for, make_case, move

pytestmark = pytest.mark.django_db

NIP = "196805121994031007"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _desks():
    bogor, _ = Secretariat.objects.get_or_create(region_id="32.01", defaults={"name": "Sekretariat SLRT Bogor"})
    post, _ = Puskesos.objects.get_or_create(region_id=DESA, secretariat=bogor, defaults={"name": "Puskesos Uji"})
    sukabumi, _ = Secretariat.objects.get_or_create(region_id="32.02", defaults={"name": "Sekretariat SLRT Sukabumi"})
    return bogor, post, sukabumi


def png(width=120, height=120, noise=False) -> bytes:
    image = Image.new("RGB", (width, height), (10, 90, 80))
    if noise:
        rnd = random.Random(1)
        image = Image.frombytes("RGB", (width, height), bytes(rnd.getrandbits(8) for _ in range(width * height * 3)))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _post_letterhead(client, desk_url, **extra):
    data = {"action": "letterhead", "address": "Jl. Tegar Beriman No. 1, Cibinong", "phone": "(021) 875 1234",
            "email": "slrt@dinsos.bogorkab.go.id", **extra}
    return client.post(desk_url, data)


def _url(desk):
    kind = "puskesos" if isinstance(desk, Puskesos) else "sekretariat"
    return f"/wilayah/kantor/{kind}/{desk.pk}/"


def test_a_manajer_manages_their_kab_secretariat_and_its_puskesos_only(make_user):
    bogor, post, sukabumi = _desks()
    client = client_for(make_user("manajer", "32.01"))
    page = client.get("/wilayah/kantor/").content.decode()
    assert "Sekretariat SLRT Bogor" in page and "Puskesos Uji" in page and "Sukabumi" not in page
    assert client.get(_url(bogor)).status_code == 200 and client.get(_url(post)).status_code == 200
    assert client.get(_url(sukabumi)).status_code == 404
    assert _post_letterhead(client, _url(sukabumi)).status_code == 404
    assert client_for(make_user("back_office", "32.01")).get("/wilayah/kantor/").status_code == 403
    assert client_for(make_user("koordinator_puskesos", DESA)).get(_url(post)).status_code == 403
    # An Admin manages every desk of their scope.
    admin_page = client_for(make_user("admin", "32")).get("/wilayah/kantor/").content.decode()
    assert "Sekretariat SLRT Bogor" in admin_page and "Sekretariat SLRT Sukabumi" in admin_page
    assert "Sukabumi" not in client_for(make_user("admin", "32.01")).get("/wilayah/kantor/").content.decode()


def test_the_menu_offers_the_settings_page_to_admin_and_manajer_only(make_user):
    _desks()
    # The menu's administration entry leads to the page (core:admin), which the front office lacks.
    assert 'href="/wilayah/kantor/"' in client_for(make_user("manajer", "32.01")).get("/kelola/").content.decode()
    assert client_for(make_user("front_office", "32.01")).get("/kelola/").status_code == 404


def test_every_change_is_audited_through_the_service(make_user):
    bogor, _post, _ = _desks()
    manajer = make_user("manajer", "32.01")
    client = client_for(manajer)
    response = _post_letterhead(client, _url(bogor), logo=SimpleUploadedFile("kop.png", png(), "image/png"))
    assert response.status_code == 302
    bogor.refresh_from_db()
    assert bogor.phone == "(021) 875 1234" and bogor.email == "slrt@dinsos.bogorkab.go.id"
    assert bogor.logo.name.endswith(".png") and bogor.logo.path.startswith(str(bogor.logo.storage.location))
    event = AuditEvent.objects.get(action="desk.letterhead")
    assert event.actor == manajer and event.object_id == str(bogor.pk)
    assert set(event.detail["fields"]) == {"address", "phone", "email", "logo"}
    client.post(_url(bogor), {"action": "add_signatory", "name": "Drs. Asep", "title": "Kepala Dinas Sosial",
                              "nip": NIP})
    second = {"action": "add_signatory", "name": "Dra. Nining", "title": "Sekretaris Dinas", "nip": NIP[:-1] + "8"}
    client.post(_url(bogor), second)
    first, other = Signatory.objects.order_by("pk")
    assert first.is_default and not other.is_default  # the first is the default until another is chosen
    client.post(_url(bogor), {"action": "make_default", "signatory": other.pk})
    assert list(Signatory.objects.filter(is_default=True)) == [other]
    client.post(_url(bogor), {"action": "remove", "signatory": first.pk})
    assert list(AuditEvent.objects.filter(action__startswith="desk.").order_by("pk").values_list("action", flat=True)) \
        == ["desk.letterhead", "desk.signatory_added", "desk.signatory_added", "desk.signatory_default",
            "desk.signatory_removed"]


@pytest.mark.parametrize("nip", ["19680512199403100", "19680512199403100A", "1968-0512-1994-0310"])
def test_a_bad_nip_is_refused_naming_the_field_and_keeping_the_input(make_user, nip):
    bogor, _post, _ = _desks()
    response = client_for(make_user("manajer", "32.01")).post(
        _url(bogor), {"action": "add_signatory", "name": "Drs. Asep", "title": "Kepala Dinas", "nip": nip})
    page = response.content.decode()
    assert response.status_code == 200 and "NIP harus 18 angka" in page
    assert 'value="Drs. Asep"' in page and 'id="id_nip_error"' in page
    assert not Signatory.objects.exists()


@pytest.mark.parametrize(("upload", "message"), [
    (SimpleUploadedFile("logo.png", b"bukan gambar sama sekali", "image/png"), "PNG atau JPEG"),
    (SimpleUploadedFile("logo.gif", b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00"
                        b"\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;", "image/gif"),
     "PNG atau JPEG"),
    (SimpleUploadedFile("besar.png", png(700, 700, noise=True), "image/png"), "terlalu besar"),
    (SimpleUploadedFile("lebar.png", png(2600, 40), "image/png"), "piksel"),
])
def test_a_logo_that_is_not_a_small_png_or_jpeg_is_refused(make_user, upload, message):
    bogor, _post, _ = _desks()
    response = _post_letterhead(client_for(make_user("manajer", "32.01")), _url(bogor), logo=upload)
    page = response.content.decode()
    assert response.status_code == 200 and message in page and 'id="id_logo_error"' in page
    assert "Jl. Tegar Beriman No. 1, Cibinong" in page  # nothing typed is lost
    bogor.refresh_from_db()
    assert not bogor.logo and bogor.phone == ""
    assert not AuditEvent.objects.filter(action="desk.letterhead").exists()


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _images(data: bytes) -> int:
    return sum(len(page.images) for page in PdfReader(io.BytesIO(data)).pages)


def test_letters_print_the_desks_letterhead_logo_signatory_nip_and_the_addressee(make_user):
    desk = build_desk()
    bogor, _post, _ = _desks()
    manajer = make_user("manajer", "32.01")
    client = client_for(manajer)
    _post_letterhead(client, _url(bogor), logo=SimpleUploadedFile("kop.png", png(), "image/png"))
    client.post(_url(bogor), {"action": "add_signatory", "name": "Drs. H. Asep Sudrajat, M.Si.",
                              "title": "Kepala Dinas Sosial Kabupaten Bogor", "nip": NIP})
    desk.rsud.address = "Jl. Raya Cibinong No. 99"
    desk.rsud.save()
    case, need = make_case()
    rec = decisions.draft_recommendation(desk.bo, need, "lembaga", service=desk.rsud_service)
    decisions.decide_recommendation(desk.manajer, rec, approve=True, expected_version=rec.version)
    referral = move(rec.referrals.get(), "send", desk.bo)
    letter = Letter.objects.get(referral=referral)
    assert (letter.signer_name, letter.signer_nip) == ("Drs. H. Asep Sudrajat, M.Si.", NIP)
    pdf = letters.render_letter(letter, desk.mitra)
    text = " ".join(_pdf_text(pdf).split())
    for expected in ("Jl. Tegar Beriman No. 1, Cibinong", "Telp. (021) 875 1234", "slrt@dinsos.bogorkab.go.id",
                     "Kepada Yth.", f"Kepala {desk.rsud.name}", "Jl. Raya Cibinong No. 99",
                     "Drs. H. Asep Sudrajat, M.Si.", "Kepala Dinas Sosial Kabupaten Bogor", f"NIP {NIP}"):
        assert expected in text, expected
    assert "000-0000" not in text
    assert _images(pdf) == 2  # the logo and the QR code
    # A Surat Keterangan of the same desk carries the same signatory but no addressee.
    _case2, need2 = make_case()
    rec2 = decisions.draft_recommendation(desk.bo, need2, "puskesos", note="Pertimbangan")
    decisions.decide_recommendation(desk.manajer, rec2, approve=True, expected_version=rec2.version)
    rec_letter = Letter.objects.get(recommendation=rec2)
    rec_text = " ".join(_pdf_text(letters.render_letter(rec_letter, desk.bo)).split())
    assert f"NIP {NIP}" in rec_text and "Yth." not in rec_text


def test_a_puskesos_coordinators_letter_carries_the_posts_letterhead(make_user):
    desk = build_desk()
    bogor, post, _ = _desks()
    client = client_for(make_user("manajer", "32.01"))
    _post_letterhead(client, _url(post), phone="0812 2045 7731", email="puskesos@desa.example.id",
                     address="Kantor Desa Uji")
    client.post(_url(post), {"action": "add_signatory", "name": "Euis Komalasari, S.Sos.",
                             "title": "Koordinator Puskesos Uji", "nip": "197903142006042011"})
    case, need = make_case()
    case.puskesos = post
    case.save(update_fields=["puskesos"])
    koordinator = make_user("koordinator_puskesos", DESA)
    rec = decisions.draft_recommendation(desk.bo, need, "puskesos", note="Pertimbangan")
    decisions.decide_recommendation(koordinator, rec, approve=True, expected_version=rec.version)
    letter = Letter.objects.get(recommendation=rec)
    text = " ".join(_pdf_text(letters.render_letter(letter, desk.bo)).split())
    assert "Puskesos Uji" in text and "Kantor Desa Uji" in text and "NIP 197903142006042011" in text
