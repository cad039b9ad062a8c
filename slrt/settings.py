"""SLRT settings.

One settings module, driven by environment variables so that the same code runs the
embedded SQLite demo (`make run`) and a PostgreSQL production install (`DATABASE_URL`).
"""

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("SLRT_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

# No fallback: a key everyone can read in the repository would let anyone forge sessions,
# password-reset links, ticket and OpenRosa nonce HMACs. `make run` generates one once into
# var/secret_key (outside git); production sets SLRT_SECRET_KEY (50+ random characters).
SECRET_KEY = os.environ.get("SLRT_SECRET_KEY", "")
if not SECRET_KEY.strip():
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "SLRT_SECRET_KEY is not set. Set it to 50 or more random characters, e.g. "
        "SLRT_SECRET_KEY=\"$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')\", "
        "and keep it the same across restarts (`make run` keeps its own in var/secret_key)."
    )
# Off unless asked for (SLRT_DEBUG=1 on a developer's machine): the debug page lists every URL
# pattern and setting to whoever reaches a missing record, so the demo runs like production.
DEBUG = os.environ.get("SLRT_DEBUG", "0") == "1"
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("SLRT_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
                 if h.strip()]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "csp",
    # Two-factor sign-in: TOTP devices (slrt.accounts adds the recovery-code device).
    "django_otp",
    "django_otp.plugins.otp_totp",
    "slrt.core",
    "slrt.wilayah",
    "slrt.accounts",
    "slrt.audit",
    "slrt.registry",
    "slrt.programs",
    "slrt.cases",
    "slrt.referrals",
    "slrt.notifications",
    "slrt.updates",
    "slrt.fieldwork",
    "slrt.privacy",
    "slrt.exports",
    "slrt.reports",
    "slrt.demo",
    "slrt.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "slrt.core.static.StaticFilesMiddleware",  # whitenoise: static files answer here, pre-compressed
    # Every answer below (pages, API, PDFs, exports) is personal data: no-store (core.middleware).
    "slrt.core.middleware.NoStoreMiddleware",
    # Content-Security-Policy on every page (django-csp; the policy is CONTENT_SECURITY_POLICY).
    "csp.middleware.CSPMiddleware",
    # Pages are gzipped. BREACH: Django masks the CSRF token afresh on every response and, since
    # 4.2, GZipMiddleware adds 0-99 random bytes to each gzip header ("Heal the Breach"), so the
    # compressed length no longer tells an attacker how much of a guessed secret matched.
    "django.middleware.gzip.GZipMiddleware",
    # Remembers the address this request came in on for links and QR codes (slrt.core.public).
    "slrt.core.public.PublicUrlMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "slrt.core.middleware.ChosenLanguageMiddleware",  # Indonesian unless switched
    "slrt.core.middleware.RejectNulMiddleware",  # PostgreSQL text cannot hold NUL
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # request.user.is_verified(): whether this session passed the second step (django-otp) …
    "django_otp.middleware.OTPMiddleware",
    # … and the rule on it: an enrolled account must have, a required role must enrol first.
    "slrt.accounts.middleware.TwoFactorMiddleware",
    # Signed-in sessions: an ended one is signed out, "last seen" kept, a reset password changed first.
    "slrt.accounts.sessions.SessionTrackingMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Deny-by-default: a view must declare itself region-safe (slrt.accounts.scoping).
    "slrt.accounts.middleware.RegionSafeViewMiddleware",
    # Must be last so it sees authentication failures of the views above.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "slrt.urls"
WSGI_APPLICATION = "slrt.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'slrt.sqlite3'}"),
        conn_max_age=int(os.environ.get("SLRT_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web UI read while an import writes; a generous timeout rides out the writer.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "slrt.accounts.backends.PasswordBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "slrt.accounts.passwords.MixedCharacterValidator"},
]

# Login lockout (django-axes), shared by the web login, the API token endpoint and ODK Collect:
# five failures within 30 minutes lock the ACCOUNT (from whatever addresses they came) and,
# separately, the ADDRESS they came from (whatever usernames it tried). Two separate parameters
# in axes' list mean "username OR ip_address"; a nested list would mean the pair.
AXES_FAILURE_LIMIT = int(os.environ.get("SLRT_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.5  # hours
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# Axes' own reset on success would delete the address's failures too (an attacker signing in to
# his own account would clear his spray); slrt.accounts.lockout resets the account's only.
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_CALLABLE = "slrt.accounts.lockout.lockout_response"
AXES_VERBOSE = False
# The client address behind reverse proxies (slrt/accounts/client_ip.py): SLRT_PROXY_COUNT=0
# (default) uses REMOTE_ADDR only, so X-Forwarded-For cannot be spoofed; N trusts the last N hops
# of X-Forwarded-For, and SLRT_TRUSTED_PROXIES (comma-separated addresses/networks) limits that
# to requests arriving from those proxies.
SLRT_PROXY_COUNT = int(os.environ.get("SLRT_PROXY_COUNT", "0"))
SLRT_TRUSTED_PROXIES = [p.strip() for p in os.environ.get("SLRT_TRUSTED_PROXIES", "").split(",") if p.strip()]
AXES_CLIENT_IP_CALLABLE = "slrt.accounts.client_ip.client_ip"

# Two-factor sign-in (README "Two-factor sign-in"): offered to every account; required, before
# anything else, of the roles named here (comma-separated role codes; empty: none). Production
# default Admin, Dinsos, Manajer; `make run`/`make demo` set it empty so the printed demo accounts
# sign in with a password; the tests run with it empty and override it where they test the rule.
SLRT_2FA_ROLES = [r.strip() for r in os.environ.get("SLRT_2FA_ROLES", "admin,dinsos,manajer").split(",")
                  if r.strip()]
OTP_TOTP_ISSUER = "SLRT"  # the name authenticator apps show next to the account
# One 30-second step either side of the server's clock (each device's tolerance=1), never more:
# without SYNC, django-otp does not move its window along with a drifting phone.
OTP_TOTP_SYNC = False

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"
SESSION_COOKIE_AGE = 8 * 3600  # one working day
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # HTMX reads it to send X-CSRFToken
CSRF_FAILURE_VIEW = "slrt.core.errors.csrf_failure"  # the app's page, not Django's English text

# Content-Security-Policy (django-csp): scripts, styles, fonts and images only from the app itself
# (static/js, static/css; HTMX is served from static too), no inline script or style attribute,
# no eval (htmx.config.allowEval is off), forms post only here, and no framing (clickjacking).
# QR codes are inline SVG; `data:` images stay allowed for any QR a browser page might show.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Bahasa Indonesia")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Jakarta"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("SLRT_STATIC_ROOT", BASE_DIR / "staticfiles"))  # collectstatic writes here
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns on a missing root even when serving from finders
STATICFILES_DIRS = [BASE_DIR / "static"]
# Front-end packages come from npm at install time and are served by the app (no CDN).
if (BASE_DIR / "node_modules").exists():
    STATICFILES_DIRS.append(("vendor", BASE_DIR / "node_modules"))
# Content-hashed, gzip- and brotli-compressed copies made by `collectstatic` (make run does it);
# whitenoise serves hashed names with "max-age=31536000, immutable". Only a DEBUG session reads
# straight from the source folders.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG

MEDIA_ROOT = VAR_DIR / "media"

# Uploaded registry files can be large; they are streamed to disk, never held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# Registry import limits: web upload size, cell/row/column bounds, XLSX unzipped size and ratio,
# imports at once. Each default, and why (the size of a real district export), is in
# slrt/registry/imports/limits.py; set any of them in the environment, e.g. SLRT_IMPORT_MAX_BYTES.
for _name in ("SLRT_IMPORT_MAX_BYTES", "SLRT_IMPORT_MAX_CELL_CHARS", "SLRT_IMPORT_MAX_ROW_CHARS",
              "SLRT_IMPORT_MAX_COLUMNS", "SLRT_IMPORT_MAX_PROGRAM_COLUMNS", "SLRT_IMPORT_XLSX_MAX_ROWS",
              "SLRT_IMPORT_XLSX_MAX_UNCOMPRESSED_BYTES", "SLRT_IMPORT_XLSX_MAX_SHARED_STRINGS_BYTES",
              "SLRT_IMPORT_XLSX_MAX_RATIO", "SLRT_IMPORT_MAX_CONCURRENT"):
    if os.environ.get(_name):
        globals()[_name] = int(os.environ[_name])

EMAIL_BACKEND = os.environ.get("SLRT_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")

# API tokens expire; the HTTP API is for staff tools and field tablets.
SLRT_API_TOKEN_TTL_HOURS = int(os.environ.get("SLRT_API_TOKEN_TTL_HOURS", "12"))

# One cache for all workers in production (the public status page's rate limit counts in it):
# SLRT_CACHE_URL=redis://127.0.0.1:6379/1. Without it each process counts on its own.
if os.environ.get("SLRT_CACHE_URL"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": os.environ["SLRT_CACHE_URL"]}}
# The status page's rate limit counts the same client address as the sign-in lock-out
# (SLRT_PROXY_COUNT, SLRT_TRUSTED_PROXIES), so behind a proxy residents do not share one limit.
RATELIMIT_IP_META_KEY = "slrt.accounts.client_ip.rate_limit_key"

# Public address printed on receipts, in letter QR codes and in messages (slrt.core.public):
# when empty, a page uses the address its request came in on, and a background job (a Celery task)
# the fallback below. `make run` sets it for its worker from HOST.
SLRT_PUBLIC_URL = os.environ.get("SLRT_PUBLIC_URL", "").rstrip("/")
SLRT_PUBLIC_URL_FALLBACK = "http://127.0.0.1:8000"

# Field work (ODK Collect over OpenRosa, the sync API) and registry proposals.
# The digest realm is part of every stored HA1: changing it means everyone sets a new password.
SLRT_OPENROSA_REALM = os.environ.get("SLRT_OPENROSA_REALM", "SLRT")
# Basic authentication sends the password itself, so it is refused unless the request came
# over TLS: directly, or through a reverse proxy that terminates TLS and sets the header below
# (SLRT_BEHIND_TLS_PROXY=1 trusts X-Forwarded-Proto; only set it when the proxy overwrites it).
# SLRT_TLS=1 is the one switch for a site served over HTTPS (README "Production environment"):
# secure session and CSRF cookies, HSTS for a year (subdomains too), http:// redirected to
# https://, and X-Forwarded-Proto trusted from the TLS-terminating proxy (which must overwrite it).
SLRT_TLS = os.environ.get("SLRT_TLS") == "1"
if SLRT_TLS or os.environ.get("SLRT_BEHIND_TLS_PROXY") == "1":
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if SLRT_TLS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # the proxy's local health probe speaks plain HTTP
    SECURE_HSTS_SECONDS = int(os.environ.get("SLRT_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Preloading binds the district's whole registrable domain (every subdomain, for months): the
    # domain owner's decision, not the application's. SLRT_HSTS_PRELOAD=1 once they have decided.
    SECURE_HSTS_PRELOAD = os.environ.get("SLRT_HSTS_PRELOAD") == "1"
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
SLRT_OPENROSA_MAX_BYTES = int(os.environ.get("SLRT_OPENROSA_MAX_BYTES", str(20 * 1024 * 1024)))
# A submitted proposal that this many releases after submission still do not contain is rejected.
SLRT_PROPOSAL_RELEASES_BEFORE_REJECT = int(os.environ.get("SLRT_PROPOSAL_RELEASES_BEFORE_REJECT", "2"))
# Notifications to residents: "sms" or "whatsapp" through one HTTP gateway (see notifications.sending).
SLRT_RESIDENT_CHANNEL = os.environ.get("SLRT_RESIDENT_CHANNEL", "whatsapp")
SLRT_SMS_GATEWAY_URL = os.environ.get("SLRT_SMS_GATEWAY_URL", "")
SLRT_SMS_GATEWAY_TOKEN = os.environ.get("SLRT_SMS_GATEWAY_TOKEN", "")
SLRT_SMS_GATEWAY_TIMEOUT = float(os.environ.get("SLRT_SMS_GATEWAY_TIMEOUT", "10"))
# Outbox retries: give up (status failed, audited) after this many attempts.
SLRT_NOTIFY_MAX_ATTEMPTS = int(os.environ.get("SLRT_NOTIFY_MAX_ATTEMPTS", "8"))
# Minutes to wait after the 1st, 2nd, … failed attempt (the last step repeats).
SLRT_NOTIFY_BACKOFF_MINUTES = (1, 5, 15, 60, 240, 720)
DEFAULT_FROM_EMAIL = os.environ.get("SLRT_DEFAULT_FROM_EMAIL", "SLRT <slrt@localhost>")

# Retention (slrt/audit/retention.py): days each kind of record is kept before it is erased or
# anonymised, overriding the rules' defaults, e.g.
# SLRT_RETENTION_DAYS="cases.closed_anonymous=730,cases.closed=1825,audit.detail=off".
SLRT_RETENTION_DAYS = {}
for _item in filter(None, (i.strip() for i in os.environ.get("SLRT_RETENTION_DAYS", "").split(","))):
    _kind, _, _days = _item.partition("=")
    if not _days.strip().isdigit() and _days.strip() != "off":
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"SLRT_RETENTION_DAYS: '{_item}' is not kind=days or kind=off")
    SLRT_RETENTION_DAYS[_kind.strip()] = None if _days.strip() == "off" else int(_days)

# Personal data never goes to logs: our code logs ids and counts only, axes is told not to log
# usernames in full (AXES_VERBOSE=False), and every handler scrubs query-string values and
# 16-digit numbers from every line (slrt.core.logs), runserver's access log included: its
# `django.server` logger and Django's own loggers are re-pointed at these handlers (Django's
# defaults would keep their own, unfiltered ones). SLRT_LOG_FILE also appends to that file (the
# test run uses it for the leak scan of scripts/scan_test_logs.py).
_LOG_HANDLERS = {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["scrub"]}}
if os.environ.get("SLRT_LOG_FILE"):
    # `{worker}`: the pytest-xdist worker (the test run's one file per worker); relative to the project.
    _LOG_FILE = BASE_DIR / os.environ["SLRT_LOG_FILE"].replace(
        "{worker}", os.environ.get("PYTEST_XDIST_WORKER", "main"))
    _LOG_FILE.parent.mkdir(parents=True, exist_ok=True)
    _LOG_HANDLERS["file"] = {
        "class": "logging.FileHandler", "filename": str(_LOG_FILE), "formatter": "plain",
        "filters": ["scrub"], "delay": True, "encoding": "utf-8",
    }
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"scrub": {"()": "slrt.core.logs.ScrubPersonalData"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": _LOG_HANDLERS,
    "root": {"handlers": list(_LOG_HANDLERS), "level": os.environ.get("SLRT_LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": [], "level": "INFO", "propagate": True},
    },
}

# The production stack, one module per concern (slrt/conf, README "Production"): PostgreSQL
# pooling, timeouts and the read replica; the task queue; shared file storage; logs and metrics.
from slrt.conf import database, observability, queue, storage  # noqa: E402

for _part in (database, queue, storage, observability):
    _part.apply(globals())
