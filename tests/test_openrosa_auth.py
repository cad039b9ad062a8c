"""Authentication of ODK Collect: HTTP Digest (MD5, qop=auth) against the stored HA1, Basic only
over TLS, stale nonces, inactive users, and the shared lockout after repeated wrong passwords.
One test drives the server with a real digest client (requests' HTTPDigestAuth)."""

import hashlib
import time

import pytest
import requests
from defusedxml import ElementTree
from requests.auth import HTTPDigestAuth

from slrt.fieldwork.openrosa import auth
from tests.conftest import PASSWORD
from tests.openrosa_client import Collect, challenge, digest_header, instance_xml

LIST_NS = "{http://openrosa.org/xforms/xformsList}"


def _basic(username, password):
    import base64

    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


@pytest.fixture
def fasilitator(make_user):
    return make_user("fasilitator", "32.01.02.2001")


def test_digest_with_the_right_password_is_accepted(client, fasilitator):
    response = Collect(client, fasilitator, PASSWORD).get("/formList")
    assert response.status_code == 200


def test_digest_with_a_wrong_password_is_refused_with_a_new_challenge(client, fasilitator):
    chal = challenge(client.get("/formList"))
    response = client.get("/formList", HTTP_AUTHORIZATION=digest_header("GET", "/formList", chal,
                                                                          fasilitator.username, "salah-sandi"))
    assert response.status_code == 401
    assert response["X-OpenRosa-Version"] == "1.0"
    assert response["WWW-Authenticate"].startswith("Digest ")


def test_a_replayed_digest_request_gets_a_fresh_challenge_and_the_next_count_passes(client, fasilitator):
    chal = challenge(client.get("/formList"))
    first = digest_header("GET", "/formList", chal, fasilitator.username, PASSWORD, nc="00000001")
    assert client.get("/formList", HTTP_AUTHORIZATION=first).status_code == 200
    replay = client.get("/formList", HTTP_AUTHORIZATION=first)
    assert replay.status_code == 401 and "stale=true" in replay["WWW-Authenticate"]
    second = digest_header("GET", "/formList", chal, fasilitator.username, PASSWORD, nc="00000002")
    assert client.get("/formList", HTTP_AUTHORIZATION=second).status_code == 200


def test_two_challenges_in_one_second_are_different_nonces():
    now = time.time()
    assert auth.make_nonce(now) != auth.make_nonce(now)
    assert auth.nonce_state(auth.make_nonce(now), now) == "ok"


def test_digest_for_an_unknown_user_is_refused(client, db):
    chal = challenge(client.get("/formList"))
    header = digest_header("GET", "/formList", chal, "tidak-ada", PASSWORD)
    assert client.get("/formList", HTTP_AUTHORIZATION=header).status_code == 401


def test_an_expired_nonce_is_answered_stale_so_collect_retries_without_asking(client, fasilitator):
    chal = challenge(client.get("/formList"))
    chal["nonce"] = auth.make_nonce(now=time.time() - auth.NONCE_TTL_SECONDS - 30)
    response = client.get("/formList", HTTP_AUTHORIZATION=digest_header("GET", "/formList", chal,
                                                                          fasilitator.username, PASSWORD))
    assert response.status_code == 401
    assert "stale=true" in response["WWW-Authenticate"]
    fresh = challenge(response)
    retry = client.get("/formList", HTTP_AUTHORIZATION=digest_header("GET", "/formList", fresh,
                                                                      fasilitator.username, PASSWORD))
    assert retry.status_code == 200


def test_a_forged_nonce_is_refused(client, fasilitator):
    chal = challenge(client.get("/formList"))
    chal["nonce"] = f"{int(time.time())}.{'0' * 32}"
    response = client.get("/formList", HTTP_AUTHORIZATION=digest_header("GET", "/formList", chal,
                                                                          fasilitator.username, PASSWORD))
    assert response.status_code == 401 and "stale=true" not in response["WWW-Authenticate"]


def test_a_digest_made_for_another_uri_is_refused(client, fasilitator):
    chal = challenge(client.get("/formList"))
    header = digest_header("GET", "/forms/slrt_pengaduan/form.xml", chal, fasilitator.username, PASSWORD)
    assert client.get("/formList", HTTP_AUTHORIZATION=header).status_code == 401


def test_an_inactive_user_is_refused(client, fasilitator):
    fasilitator.is_active = False
    fasilitator.save()
    chal = challenge(client.get("/formList"))
    header = digest_header("GET", "/formList", chal, fasilitator.username, PASSWORD)
    assert client.get("/formList", HTTP_AUTHORIZATION=header).status_code == 401


def test_basic_over_plain_http_is_refused_and_says_it_needs_https(client, fasilitator):
    response = client.get("/formList", HTTP_AUTHORIZATION=_basic(fasilitator.username, PASSWORD))
    assert response.status_code == 401
    assert "HTTPS" in response.content.decode()
    assert "Basic" not in response["WWW-Authenticate"]


def test_basic_over_https_is_accepted_and_offered(client, fasilitator):
    challenge_response = client.get("/formList", secure=True)
    assert 'Basic realm="SLRT"' in challenge_response["WWW-Authenticate"]
    response = client.get("/formList", secure=True, HTTP_AUTHORIZATION=_basic(fasilitator.username, PASSWORD))
    assert response.status_code == 200
    wrong = client.get("/formList", secure=True, HTTP_AUTHORIZATION=_basic(fasilitator.username, "salah-sandi"))
    assert wrong.status_code == 401


def test_repeated_wrong_passwords_lock_the_account_with_openrosa_headers(client, fasilitator, settings):
    chal = challenge(client.get("/formList"))
    statuses = []
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        header = digest_header("GET", "/formList", chal, fasilitator.username, "salah-sandi")
        statuses.append(client.get("/formList", HTTP_AUTHORIZATION=header).status_code)
    assert statuses[0] == 401 and statuses[-1] == 429
    locked = client.get("/formList", HTTP_AUTHORIZATION=digest_header("GET", "/formList", chal,
                                                                       fasilitator.username, PASSWORD))
    assert locked.status_code == 429  # even the right password, until the cool-off ends
    assert locked["X-OpenRosa-Version"] == "1.0"


def test_the_stored_ha1_is_what_digest_is_checked_against(fasilitator, settings):
    expected = hashlib.md5(f"{fasilitator.username}:{settings.SLRT_OPENROSA_REALM}:{PASSWORD}".encode(),
                           usedforsecurity=False).hexdigest()
    assert fasilitator.digest_ha1 == expected


@pytest.mark.django_db(transaction=True)
def test_a_real_digest_client_walks_collects_sequence(live_server, make_user):
    """requests' HTTPDigestAuth against a live server: form list, form, manifest, media, HEAD and
    a multipart POST (its 401 → retry with the body is what Collect's HTTP client does too)."""
    user = make_user("fasilitator", "32.01.02.2001")
    session = requests.Session()
    session.auth = HTTPDigestAuth(user.username, PASSWORD)
    session.headers["X-OpenRosa-Version"] = "1.0"

    listing = session.get(f"{live_server.url}/formList", timeout=30)
    assert listing.status_code == 200 and listing.headers["X-OpenRosa-Version"] == "1.0"
    forms = {x.find(f"{LIST_NS}formID").text: x for x in ElementTree.fromstring(listing.content)}
    assert set(forms) == {"slrt_verifikasi_rt", "slrt_pengaduan", "slrt_tindak_lanjut"}
    entry = forms["slrt_pengaduan"]
    xform = session.get(entry.find(f"{LIST_NS}downloadUrl").text, timeout=30)
    assert xform.status_code == 200
    assert entry.find(f"{LIST_NS}hash").text == "md5:" + hashlib.md5(xform.content, usedforsecurity=False).hexdigest()
    manifest = session.get(entry.find(f"{LIST_NS}manifestUrl").text, timeout=30)
    assert manifest.status_code == 200
    urls = [el.text for el in ElementTree.fromstring(manifest.content).iter(
        "{http://openrosa.org/xforms/xformsManifest}downloadUrl")]
    assert len(urls) == 2 and all(session.get(u, timeout=30).status_code == 200 for u in urls)

    head = session.head(f"{live_server.url}/submission", timeout=30)
    assert head.status_code == 204 and int(head.headers["X-OpenRosa-Accept-Content-Length"]) > 0

    xml = instance_xml("slrt_pengaduan", {
        "persetujuan": "tidak", "boleh_dibagikan": "tidak", "kode_wilayah": "32.01.02.2001", "jenis_keluhan": "saran",
        "urgensi": "biasa",
        "sektor": "pendidikan", "uraian": "Perlu beasiswa untuk anak sekolah", "foto": "foto.jpg",
    }, instance_id="uuid:aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa")
    files = {"xml_submission_file": ("submission.xml", xml, "text/xml"),
             "foto.jpg": ("foto.jpg", b"\xff\xd8\xff\xe0fakejpeg\xff\xd9", "image/jpeg")}
    posted = session.post(f"{live_server.url}/submission", files=files, timeout=60)
    assert posted.status_code == 201, posted.text
    assert posted.headers["X-OpenRosa-Version"] == "1.0"
