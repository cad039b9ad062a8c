"""Signed-in browser sessions of an account: recorded at sign-in, listed on the account page,
ended from it or by a password change or reset.

Django's session store cannot be searched by account, so every sign-in (user_logged_in) adds a
`SignedInSession` row keyed by a SHA-256 hash of the session key and sign-out removes it. A
session is over when its row is gone: `end_sessions` deletes the rows and, on the database
engines, the stored sessions themselves; `SessionTrackingMiddleware` signs out any recorded
session whose row has disappeared (the same end for an engine that cannot be searched at all).

The middleware also holds an account whose password was reset by someone else
(`User.must_change_password`) on the change page until it has chosen its own.
"""

import hashlib
import re
from importlib import import_module

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.db.models.functions import SHA256
from django.http import JsonResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _

from .client_ip import client_ip
from .models import SignedInSession

TRACKED = "slrt_session_tracked"  # set in a session once its row exists
SEEN_EVERY = timezone.timedelta(minutes=1)  # "last seen" is coarse: not a write per request
DB_ENGINES = ("django.contrib.sessions.backends.db", "django.contrib.sessions.backends.cached_db")


def key_hash(session_key: str) -> str:
    return hashlib.sha256(session_key.encode()).hexdigest()


# --- What the list shows of a browser: a short name, never the raw header -----------------------

_BROWSERS = (
    ("ODK Collect", r"org\.odk\.collect|ODK Collect"),
    ("Edge", r"\bEdg(?:e|A|iOS)?/(\d+)"),
    ("Opera", r"\bOPR/(\d+)"),
    ("Samsung Internet", r"SamsungBrowser/(\d+)"),
    ("Firefox", r"\bFirefox/(\d+)"),
    ("Chrome", r"\b(?:HeadlessChrome|Chrome|CriOS)/(\d+)"),
    ("Safari", r"\bVersion/(\d+)[\d.]* (?:Mobile/\S+ )?Safari/"),
    ("curl", r"^curl/(\d+)"),
    ("Python", r"python-requests|python-httpx|Python-urllib"),
)
_SYSTEMS = (
    ("Android", r"Android"),
    ("iOS", r"iPhone|iPad|iPod"),
    ("Windows", r"Windows"),
    ("macOS", r"Macintosh|Mac OS X"),
    ("ChromeOS", r"CrOS"),
    ("Linux", r"Linux|X11"),
)


def user_agent_summary(user_agent: str) -> str:
    """`Chrome 131 · Android` from a User-Agent header; an unknown client shows its first words."""
    ua = (user_agent or "")[:512]
    browser = ""
    for name, pattern in _BROWSERS:
        match = re.search(pattern, ua)
        if match:
            browser = f"{name} {match.group(1)}" if match.groups() and match.group(1) else name
            break
    system = next((name for name, pattern in _SYSTEMS if re.search(pattern, ua)), "")
    summary = " · ".join(part for part in (browser, system) if part)
    if not summary:
        summary = "".join(c for c in ua if c.isprintable())[:60].strip()
    return summary[:120]


def request_user_agent(request) -> str:
    return user_agent_summary(request.META.get("HTTP_USER_AGENT", ""))


# --- Recording ---------------------------------------------------------------------------------


def _record(request, user) -> None:
    key = request.session.session_key
    if not key:
        return
    now = timezone.now()
    SignedInSession.objects.update_or_create(
        key_hash=key_hash(key),
        defaults={"user": user, "last_seen_at": now, "user_agent": request_user_agent(request),
                  "client_ip": client_ip(request)},
    )
    request.session[TRACKED] = True


def on_logged_in(sender, request, user, **kwargs):
    if request is None or not hasattr(request, "session"):
        return
    # Rows of sessions that expired without a sign-out go when the account signs in again.
    SignedInSession.objects.filter(user=user, last_seen_at__lt=timezone.now() - _lifetime()).delete()
    _record(request, user)


def on_logged_out(sender, request, user, **kwargs):
    key = getattr(getattr(request, "session", None), "session_key", None)
    if key:
        SignedInSession.objects.filter(key_hash=key_hash(key)).delete()


def _lifetime():
    return timezone.timedelta(seconds=settings.SESSION_COOKIE_AGE)


def active(user):
    """The account's sessions that may still be signed in, most recently seen first."""
    return (SignedInSession.objects.filter(user=user, last_seen_at__gt=timezone.now() - _lifetime())
            .order_by("-last_seen_at"))


# --- Ending ------------------------------------------------------------------------------------


class _Sha256Hex(SHA256):
    """SHA-256 as lowercase hex. Django's PostgreSQL form calls pgcrypto's DIGEST(), an extension
    the database need not have; PostgreSQL 11+ has sha256(bytea) built in."""

    def as_postgresql(self, compiler, connection, **extra_context):
        template = "ENCODE(SHA256(CONVERT_TO(%(expressions)s, 'UTF8')), 'hex')"
        return super().as_sql(compiler, connection, template=template, **extra_context)


def delete_from_store(hashes) -> int:
    """Delete the stored sessions whose keys hash to `hashes` (database engines; elsewhere the
    middleware ends them at their next request). The hash is computed by the database, so no
    session leaves it; the scan covers unexpired sessions only."""
    hashes = list(hashes)
    if not hashes or settings.SESSION_ENGINE not in DB_ENGINES:
        return 0
    from django.contrib.sessions.models import Session

    store = import_module(settings.SESSION_ENGINE).SessionStore
    keys = list(Session.objects.filter(expire_date__gt=timezone.now()).annotate(h=_Sha256Hex("session_key"))
                .filter(h__in=hashes).values_list("session_key", flat=True))
    for key in keys:
        store(session_key=key).delete()  # cached_db: the cached copy too
    return len(keys)


def end_sessions(user, *, keep_key: str | None = None) -> int:
    """End every signed-in session of `user` except the one with key `keep_key`; how many ended."""
    rows = SignedInSession.objects.filter(user=user)
    if keep_key:
        rows = rows.exclude(key_hash=key_hash(keep_key))
    hashes = list(rows.values_list("key_hash", flat=True))
    SignedInSession.objects.filter(key_hash__in=hashes).delete()
    delete_from_store(hashes)
    return len(hashes)


def end_one(row: SignedInSession) -> None:
    row.delete()
    delete_from_store([row.key_hash])


# --- Per request -------------------------------------------------------------------------------

# What an account that must change its password may still reach: the change page, signing out,
# and the sign-in steps (two-factor: the second step and enrolment, which has its own redirect).
MUST_CHANGE_OPEN = {
    "accounts:password_change", "accounts:login", "accounts:logout", "accounts:otp_verify",
    "accounts:otp_recover", "accounts:otp_enrol", "set_language",
}


def _url_name(request) -> str:
    match = request.resolver_match
    if match is None:
        return ""
    return f"{match.namespace}:{match.url_name}" if match.namespace else (match.url_name or "")


class SessionTrackingMiddleware:
    """After authentication: a recorded session whose row is gone was ended elsewhere and is
    signed out here; an older session without a row gets one; "last seen" moves at most once a
    minute; a changed session key (update_session_auth_hash, sign-in) carries the row along; an
    account that must change its password reaches only the change page (API: 403)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        before = request.session.session_key
        response = self.get_response(request)
        after = request.session.session_key
        if before and after and before != after:
            old = key_hash(before)
            if SignedInSession.objects.filter(key_hash=key_hash(after)).exists():
                SignedInSession.objects.filter(key_hash=old).delete()  # a sign-in recorded the new key
            else:
                SignedInSession.objects.filter(key_hash=old).update(key_hash=key_hash(after))
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated or not request.session.session_key:
            return None
        refused = self._check_session(request, user)
        if refused is not None:
            return refused
        if user.must_change_password and _url_name(request) not in MUST_CHANGE_OPEN:
            message = _("Kata sandi Anda direset oleh pengelola akun. Buat kata sandi baru sebelum melanjutkan.")
            if request.path.startswith("/api/"):
                return JsonResponse({"code": "password_change_required", "detail": message}, status=403)
            messages.info(request, message)
            return redirect("accounts:password_change")
        return None

    def _check_session(self, request, user):
        row = SignedInSession.objects.filter(key_hash=key_hash(request.session.session_key)).first()
        if row is None and not request.session.get(TRACKED):
            _record(request, user)  # signed in before sessions were recorded
            return None
        if row is None or row.user_id != user.pk:
            logout(request)
            message = _("Sesi ini telah diakhiri. Masuk lagi.")
            if request.path.startswith("/api/"):
                return JsonResponse({"code": "session_ended", "detail": message}, status=401)
            messages.info(request, message)
            return redirect(settings.LOGIN_URL)
        now = timezone.now()
        if now - row.last_seen_at > SEEN_EVERY:
            SignedInSession.objects.filter(pk=row.pk).update(last_seen_at=now, client_ip=client_ip(request))
        return None
