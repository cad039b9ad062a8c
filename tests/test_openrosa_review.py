"""Hostile or odd input to the OpenRosa transport answers 4xx, never 500: non-ASCII or odd digits
in a digest header, NUL in a username, deeply nested or UTF-16 instance XML; and the digest `uri`
check with query strings and another realm."""

import base64
import time

import pytest

from slrt.fieldwork.openrosa import auth
from slrt.fieldwork.openrosa.instance import InstanceError, parse_instance
from tests.conftest import PASSWORD
from tests.openrosa_client import Collect, challenge, digest_header, instance_xml
from tests.test_openrosa_protocol import _post, fake_receive  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def fasilitator(make_user):
    return make_user("fasilitator", "32.01.02.2001")


def _get(client, header, path="/formList"):
    return client.get(path, HTTP_AUTHORIZATION=header)


def test_non_ascii_in_a_digest_nonce_or_response_is_a_401_not_a_500(client, fasilitator):
    chal = challenge(client.get("/formList"))
    good = digest_header("GET", "/formList", chal, fasilitator.username, PASSWORD)
    stamp = chal["nonce"].split(".")[0]
    for header in (
        good.replace(chal["nonce"], f"{stamp}.é{'0' * 31}"),  # a MAC with a non-ASCII character
        good.replace('response="', 'response="é'),  # a response with one
        good.replace(chal["nonce"], "²." + "0" * 32),  # a digit that int() does not read
        good.replace(chal["nonce"], "9" * 5000 + "." + "0" * 32),  # more digits than int() reads
    ):
        response = _get(client, header)
        assert response.status_code == 401, header[:80]
        assert response["X-OpenRosa-Version"] == "1.0"


def test_a_nul_in_a_username_is_a_401_not_a_500(client, fasilitator):
    basic = "Basic " + base64.b64encode(f"{fasilitator.username}\x00x:{PASSWORD}".encode()).decode()
    assert client.get("/formList", HTTP_AUTHORIZATION=basic, secure=True).status_code == 401
    chal = challenge(client.get("/formList"))
    header = digest_header("GET", "/formList", chal, fasilitator.username + "\x00x", PASSWORD)
    assert _get(client, header).status_code == 401
    long_name = digest_header("GET", "/formList", chal, "u" * 5000, PASSWORD)
    assert _get(client, long_name).status_code == 401


def test_the_digest_uri_must_carry_the_query_string_of_the_request(client, fasilitator):
    chal = challenge(client.get("/formList"))
    with_query = digest_header("GET", "/formList?formID=slrt_pengaduan", chal, fasilitator.username, PASSWORD)
    ok = _get(client, with_query, "/formList?formID=slrt_pengaduan")
    assert ok.status_code == 200 and b"slrt_pengaduan" in ok.content and b"slrt_tindak_lanjut" not in ok.content
    # A header made for the bare path is not accepted for another query (nor the reverse).
    bare = digest_header("GET", "/formList", chal, fasilitator.username, PASSWORD)
    assert _get(client, bare, "/formList?formID=slrt_pengaduan").status_code == 401
    assert _get(client, with_query, "/formList").status_code == 401


def test_a_digest_for_another_realm_is_refused_without_counting_as_a_failure(client, fasilitator, settings):
    chal = challenge(client.get("/formList"))
    wrong = digest_header("GET", "/formList", chal, fasilitator.username, PASSWORD, realm="lain")
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        assert _get(client, wrong).status_code == 401
    assert Collect(client, fasilitator, PASSWORD).get("/formList").status_code == 200


def test_a_header_replayed_for_another_user_name_is_refused(client, fasilitator, make_user):
    other = make_user("fasilitator", "32.01.02.2001")
    chal = challenge(client.get("/formList"))
    header = digest_header("GET", "/formList", chal, fasilitator.username, PASSWORD)
    swapped = header.replace(f'username="{fasilitator.username}"', f'username="{other.username}"')
    assert _get(client, swapped).status_code == 401


def test_a_deeply_nested_instance_is_refused_not_a_500(client, fasilitator, fake_receive):  # noqa: F811
    calls, _outcome = fake_receive
    depth = 5000
    xml = (b'<data id="slrt_pengaduan"><meta><instanceID>uuid:deep</instanceID></meta>' + b"<g>" * depth
           + b"x" + b"</g>" * depth + b"</data>")
    with pytest.raises(InstanceError):
        parse_instance(xml)
    response = _post(Collect(client, fasilitator, PASSWORD), xml)
    assert response.status_code == 400 and not calls


def test_a_utf16_instance_reaches_receive_as_text_without_nul(client, fasilitator, fake_receive):  # noqa: F811
    calls, _outcome = fake_receive
    xml = instance_xml("slrt_pengaduan", {"nama": "Siti", "uraian": "Atap bocor"},
                       instance_id="uuid:16161616-1616-4616-8616-161616161616")
    utf16 = xml.decode("utf-8").replace("encoding='UTF-8'", "encoding='UTF-16'").encode("utf-16")
    parsed = parse_instance(utf16)
    assert parsed.values["uraian"] == "Atap bocor" and "\x00" not in parsed.xml and "Atap bocor" in parsed.xml
    response = _post(Collect(client, fasilitator, PASSWORD), utf16)
    assert response.status_code == 201
    assert "\x00" not in calls[0]["xml"] and "uuid:16161616" in calls[0]["xml"]


def test_nonce_state_of_an_odd_nonce_is_invalid():
    assert auth.nonce_state("") == "invalid"
    assert auth.nonce_state("abc") == "invalid"
    assert auth.nonce_state("１２３." + "0" * 32) == "invalid"  # full-width digits
    assert auth.nonce_state(auth.make_nonce(time.time())) == "ok"
