"""HTTP authentication for ODK Collect: Digest (RFC 7616, MD5, qop=auth) and Basic over TLS only.

Digest is checked against `User.digest_ha1` (MD5 of username:realm:password, set with the
password), so the server never needs the password itself. Nonces are stateless: a timestamp and
an HMAC of it under SECRET_KEY. An expired nonce gets a fresh challenge with `stale=true`, on
which Collect retries without asking the user. Each (user, nonce, nc) is accepted once: a
replayed request gets a fresh challenge. The record is kept in Django's cache for the nonce's
lifetime, so with several workers set SLRT_CACHE_URL (Redis) to share it.

Wrong passwords count towards the same django-axes lockout as the web login and the API token
endpoint: per account and per client address (slrt/accounts/lockout.py).
"""

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import time
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils.translation import gettext as _

NONCE_TTL_SECONDS = 300
USERNAME_MAX = 150
_PARAM = re.compile(r'(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')


class AuthFailure(Exception):
    """Not authenticated: answer 401 (with a fresh challenge) or 429 (locked out)."""

    def __init__(self, message: str, *, stale: bool = False, status: int = 401):
        super().__init__(message)
        self.message = message
        self.stale = stale
        self.status = status


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def _nonce_mac(stamp: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"openrosa-nonce:{stamp}".encode(), hashlib.sha256).hexdigest()[:32]


def make_nonce(now: float | None = None) -> str:
    # Seconds plus a random part: two challenges in one second differ, so the replay record
    # (user, nonce, nc) of one device never blocks another.
    stamp = f"{int(now if now is not None else time.time())}-{secrets.token_hex(8)}"
    return f"{stamp}.{_nonce_mac(stamp)}"


def nonce_state(nonce: str, now: float | None = None) -> str:
    """'ok', 'stale' (ours but expired) or 'invalid'."""
    stamp, _sep, mac = nonce.partition(".")
    seconds, _sep, salt = stamp.partition("-")
    # ASCII digits only, and few: str.isdigit() also takes "²" and int() refuses huge numbers;
    # compare_digest refuses non-ASCII str, so the MAC is compared as bytes.
    if not (seconds.isascii() and seconds.isdigit() and len(seconds) <= 12 and len(salt) <= 32):
        return "invalid"
    if not hmac.compare_digest(mac.encode("utf-8", "replace"), _nonce_mac(stamp).encode()):
        return "invalid"
    age = (now if now is not None else time.time()) - int(seconds)
    return "ok" if -60 <= age <= NONCE_TTL_SECONDS else "stale"


def challenges(request, *, stale: bool = False) -> list[str]:
    realm = settings.SLRT_OPENROSA_REALM
    digest = (
        f'Digest realm="{realm}", qop="auth", nonce="{make_nonce()}", opaque="{secrets.token_hex(16)}", '
        f"algorithm=MD5"
    )
    if stale:
        digest += ", stale=true"
    headers = [digest]
    if request.is_secure():
        headers.append(f'Basic realm="{realm}", charset="UTF-8"')
    return headers


def parse_digest(value: str) -> dict:
    return {m[1].lower(): (m[2].replace('\\"', '"') if m[2] is not None else m[3]) for m in _PARAM.finditer(value)}


def _uri_matches(uri: str, request) -> bool:
    parts = urlsplit(uri)
    query = request.META.get("QUERY_STRING", "")
    return unquote(parts.path) == request.path and parts.query == query


def _lockout_check(request, username: str) -> None:
    from axes.handlers.proxy import AxesProxyHandler

    if AxesProxyHandler.is_locked(request, {"username": username}):
        raise AuthFailure(_("Terlalu banyak percobaan gagal. Akun dikunci sementara."), status=429)


def _failed(request, username: str):
    """Count the failure for the lockout; the response stays ours (OpenRosa headers)."""
    from axes.handlers.proxy import AxesProxyHandler

    AxesProxyHandler.user_login_failed(__name__, {"username": username}, request)
    locked = getattr(request, "axes_locked_out", False)
    # Axes' middleware would swap our response for the web lockout page; answer it ourselves.
    request.axes_locked_out = False
    if locked:
        raise AuthFailure(_("Terlalu banyak percobaan gagal. Akun dikunci sementara."), status=429)
    raise AuthFailure(_("Nama pengguna atau kata sandi salah."))


def _succeeded(request, username: str) -> None:
    from axes.handlers.proxy import AxesProxyHandler
    from axes.utils import reset

    if AxesProxyHandler.get_failures(request, {"username": username}):
        reset(username=username)


def _check_username(username: str) -> None:
    """A name no account can have (NUL, which PostgreSQL text cannot hold, or over-long) is refused
    before any lookup, and not counted: there is no account to lock."""
    if "\x00" in username or len(username) > USERNAME_MAX:
        raise AuthFailure(_("Nama pengguna atau kata sandi salah."))


def _active_user(username: str):
    user = get_user_model()._default_manager.filter(username=username).first()
    return user if user is not None and user.is_active else None


def _digest(request, header: str):
    params = parse_digest(header)
    username = params.get("username", "")
    required = ("username", "realm", "nonce", "uri", "response", "qop", "nc", "cnonce")
    if not all(params.get(k) for k in required):
        raise AuthFailure(_("Header autentikasi Digest tidak lengkap."))
    if params["realm"] != settings.SLRT_OPENROSA_REALM or params["qop"] != "auth":
        raise AuthFailure(_("Autentikasi Digest tidak sesuai dengan server ini."))
    if params.get("algorithm", "MD5").upper() != "MD5":
        raise AuthFailure(_("Algoritme Digest tidak didukung."))
    state = nonce_state(params["nonce"])
    if state == "invalid":
        raise AuthFailure(_("Nonce tidak dikenal."))
    if not _uri_matches(params["uri"], request):
        raise AuthFailure(_("URI Digest tidak sama dengan alamat permintaan."))
    _check_username(username)
    _lockout_check(request, username)
    user = _active_user(username)
    ha1 = user.digest_ha1 if user is not None and user.digest_ha1 else _md5(secrets.token_hex(16))
    ha2 = _md5(f"{request.method}:{params['uri']}")
    expected = _md5(f"{ha1}:{params['nonce']}:{params['nc']}:{params['cnonce']}:auth:{ha2}")
    # As bytes: compare_digest refuses str with non-ASCII characters (a 500 otherwise).
    answered = params["response"].lower().encode("utf-8", "replace")
    if user is None or not hmac.compare_digest(expected.encode(), answered):
        _failed(request, username)
    if state == "stale":
        # Right password, old nonce: a fresh challenge and Collect retries by itself.
        raise AuthFailure(_("Nonce kedaluwarsa."), stale=True)
    # Collect counts `nc` up with every request on one nonce; the same count again is a replay.
    seen = f"openrosa-nc:{user.pk}:{params['nonce']}:{params['nc']}"
    if not cache.add(seen, 1, timeout=NONCE_TTL_SECONDS + 120):
        raise AuthFailure(_("Permintaan ini sudah pernah dipakai; minta tantangan baru."), stale=True)
    _succeeded(request, username)
    return user


def _basic(request, header: str):
    if not request.is_secure():
        raise AuthFailure(_("Autentikasi Basic hanya diterima melalui HTTPS. Gunakan Digest atau HTTPS."))
    try:
        username, _sep, password = base64.b64decode(header, validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise AuthFailure(_("Header autentikasi Basic tidak valid.")) from None
    _check_username(username)
    _lockout_check(request, username)
    user = _active_user(username)
    if user is None or not user.check_password(password):
        _failed(request, username)
    _succeeded(request, username)
    return user


def authenticate(request):
    """The user the request authenticates as; raises AuthFailure otherwise."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _sep, rest = header.partition(" ")
    scheme = scheme.lower()
    if scheme == "digest":
        return _second_factor_free(_digest(request, rest))
    if scheme == "basic":
        return _second_factor_free(_basic(request, rest.strip()))
    raise AuthFailure(_("Autentikasi diperlukan."))


def _second_factor_free(user):
    """ODK Collect can send only a password. A role that must sign in with a second factor
    (SLRT_2FA_ROLES) gets no way in with the password alone, so Collect is refused for it; the
    other accounts keep Collect even when they have enrolled, since the field forms need it."""
    from slrt.accounts.twofactor import required_for

    if required_for(user):
        raise AuthFailure(_("Peran akun ini wajib verifikasi dua langkah, yang tidak dapat dipakai ODK Collect. "
                            "Gunakan akun petugas lapangan."), status=403)
    return user
