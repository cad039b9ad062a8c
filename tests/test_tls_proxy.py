"""TLS through the reverse proxy: Debian's nginx, running deploy/nginx/slrt.conf itself (only its
ports, paths, name and upstream substituted), with a self-signed certificate, in front of a real
gunicorn (deploy/gunicorn.conf.py) with SLRT_TLS=1 and SLRT_PROXY_COUNT=1, on the PostgreSQL test
database. Clients connect from 127.0.0.2/127.0.0.3 while nginx reaches gunicorn from 127.0.0.1,
so the address the application counts is visibly the proxy's header, not the connection's.
"""

import base64
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.db import connection
from requests.adapters import HTTPAdapter
from requests.auth import HTTPDigestAuth

from tests.conftest import PASSWORD
from tests.openrosa_client import instance_xml
from tests.ports import is_free

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "deploy" / "nginx" / "slrt.conf"
NGINX = Path("/usr/sbin/nginx")
DEBIAN_CONF = Path("/etc/nginx/nginx.conf")
HOST = "localhost"
CLIENT_A, CLIENT_B = "127.0.0.2", "127.0.0.3"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.xdist_group("tls_proxy"),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="gunicorn shares the test database only on PostgreSQL (SQLite's is in memory)"),
]


def _missing(what: str):
    if os.environ.get("CI") == "1":
        pytest.fail(f"{what} is not installed (.ci/run installs nginx-light and openssl)")
    pytest.skip(f"{what} is not installed")


def _ports(n: int) -> list[int]:
    # Each xdist worker its own half of the range: a port that is free when one stack looks may be
    # taken by another worker's stack a moment later (its nginx would then answer with its own cert).
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    start = 18200 + 50 * (int(worker[2:] or 0) % 2)
    found = [p for p in range(start, start + 50) if is_free(p)][:n]
    assert len(found) == n, f"no free ports in {start}-{start + 49}"
    return found


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _sub(text: str, old: str, new: str) -> str:
    """Replace, and fail if the shipped file no longer has the line the test depends on."""
    assert old in text, f"deploy/nginx/slrt.conf has no {old!r}"
    return text.replace(old, new)


def site_config(http: int, https: int, upstream: int, tmp: Path) -> str:
    text = SITE.read_text()
    text = re.sub(r"^\s*listen \[::\].*\n", "", text, flags=re.M)  # loopback only in the test
    text = _sub(text, "listen 80", f"listen 127.0.0.1:{http}")
    text = _sub(text, "listen 443", f"listen 127.0.0.1:{https}")
    text = _sub(text, "https://$server_name$request_uri", f"https://$server_name:{https}$request_uri")
    text = _sub(text, "server_name slrt.example.go.id;", f"server_name {HOST};")
    # $host has no port; on 443 none is needed, on the test's port the app must see it (CSRF origin).
    text = _sub(text, "proxy_set_header Host $host;", f"proxy_set_header Host $host:{https};")
    text = _sub(text, "server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream};")
    text = _sub(text, "/var/log/nginx/slrt-access.log", str(tmp / "access.log"))
    text = _sub(text, "/var/www/letsencrypt", str(tmp / "acme"))
    text = _sub(text, "/etc/letsencrypt/live/slrt.example.go.id/fullchain.pem", str(tmp / "cert.pem"))
    return _sub(text, "/etc/letsencrypt/live/slrt.example.go.id/privkey.pem", str(tmp / "key.pem"))


def main_config(tmp: Path) -> str:
    """Debian's own nginx.conf (its http-level TLS 1.0/1.1 included, which the site must override),
    with this run's pid, logs and temp paths, and the site as the only one enabled."""
    text = DEBIAN_CONF.read_text()
    text = re.sub(r"^\s*user\s+[^;]*;", "", text, flags=re.M)
    text = re.sub(r"^\s*worker_processes\s+[^;]*;", "worker_processes 1;", text, flags=re.M)
    text = re.sub(r"^\s*pid\s+[^;]*;", f"pid {tmp / 'nginx.pid'};", text, flags=re.M)
    text = re.sub(r"^\s*error_log\s+[^;]*;", f"error_log {tmp / 'error.log'};", text, flags=re.M)
    text = re.sub(r"^\s*access_log\s+[^;]*;", f"access_log {tmp / 'default-access.log'};", text, flags=re.M)
    text = re.sub(r"^\s*include /etc/nginx/conf\.d/[^;]*;", "", text, flags=re.M)
    text, n = re.subn(r"^\s*include /etc/nginx/sites-enabled/[^;]*;", f"include {tmp / 'slrt.conf'};", text,
                      flags=re.M)
    assert n == 1, "Debian's nginx.conf no longer includes sites-enabled/"
    temps = "".join(f"{kind}_temp_path {tmp / 'temp' / kind};\n"
                    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return re.sub(r"^http\s*\{", "http {\n" + temps, text, count=1, flags=re.M)


class Stack:
    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.http, self.https, self.gport, self.mport = _ports(4)
        self.procs: list[subprocess.Popen] = []
        self.cert = tmp / "cert.pem"
        self.base = f"https://{HOST}:{self.https}"
        self.app = f"http://127.0.0.1:{self.gport}"

    def start(self):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                        f"/CN={HOST}", "-addext", f"subjectAltName=DNS:{HOST}", "-keyout", str(self.tmp / "key.pem"),
                        "-out", str(self.cert)], check=True, capture_output=True)
        # The production static storage renders hashed names from a manifest (make serve collects it).
        key = {"SLRT_SECRET_KEY": os.environ.get("SLRT_SECRET_KEY", "x")}
        subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, check=True,
                       env={**os.environ, **key})
        db = connection.settings_dict
        auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
        env = {**os.environ, "DATABASE_URL": f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
                                             f"/{db['NAME']}",
               "SLRT_TLS": "1", "SLRT_PROXY_COUNT": "1", "SLRT_TRUSTED_PROXIES": "127.0.0.1",
               "SLRT_ALLOWED_HOSTS": HOST, "SLRT_BIND": f"127.0.0.1:{self.gport}",
               # One process: the status page's rate limit counts in its memory (no SLRT_CACHE_URL).
               "SLRT_WEB_WORKERS": "1", "SLRT_WEB_THREADS": "4",
               "SLRT_METRICS_ADDR": f"127.0.0.1:{self.mport}", "PROMETHEUS_MULTIPROC_DIR": str(self.tmp / "prom"),
               "SLRT_VAR_DIR": str(self.tmp / "var"), "SLRT_LOG_FILE": str(self.tmp / "app.log"),
               "SLRT_READY_MIN_FREE_MB": "1", "SLRT_DB_POOL": "0"}
        env.pop("SLRT_BROKER_URL", None)
        (self.tmp / "prom").mkdir()
        gunicorn = Path(sys.executable).parent / "gunicorn"
        self._spawn([str(gunicorn), "-c", str(ROOT / "deploy" / "gunicorn.conf.py")], env, "gunicorn.txt")
        self._wait(self.gport, "gunicorn.txt")

        (self.tmp / "acme").mkdir()
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.tmp / "temp" / kind).mkdir(parents=True)
        (self.tmp / "slrt.conf").write_text(site_config(self.http, self.https, self.gport, self.tmp))
        (self.tmp / "nginx.conf").write_text(main_config(self.tmp))
        preexec = None
        if os.geteuid() == 0:  # never as root: the master runs as nobody, like an unprivileged user's
            for path in [self.tmp, *self.tmp.rglob("*")]:
                os.chown(path, 65534, 65534)
            preexec = _as_nobody
        command = [str(NGINX), "-e", str(self.tmp / "error.log"), "-c", str(self.tmp / "nginx.conf"),
                   "-g", "daemon off;"]
        check = subprocess.run([*command, "-t"], capture_output=True, text=True, preexec_fn=preexec)
        assert check.returncode == 0, check.stderr
        self._spawn(command, os.environ.copy(), "nginx.txt", preexec)
        self._wait(self.https, "nginx.txt")
        self._wait(self.http, "nginx.txt")

    def _spawn(self, command, env, console, preexec=None):
        with (self.tmp / console).open("w") as out:
            self.procs.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                               preexec_fn=preexec))

    def _wait(self, port, console):
        for _ in range(300):
            if self.procs[-1].poll() is not None:
                raise RuntimeError(f"{console} ended: {(self.tmp / console).read_text()[-3000:]}")
            if _listening(port):
                return
            time.sleep(0.1)
        raise RuntimeError(f"{console} did not listen: {(self.tmp / console).read_text()[-3000:]}")

    def stop(self):
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)

    def access_log(self) -> str:
        path = self.tmp / "access.log"
        return path.read_text() if path.exists() else ""

    def session(self, source: str = CLIENT_A) -> requests.Session:
        """A client at `source` (a loopback address of its own), trusting the test certificate."""
        s = requests.Session()
        s.verify = str(self.cert)
        adapter = _SourceAdapter(source, str(self.cert))
        s.mount("https://", adapter)
        s.mount("http://", adapter)
        return s

    def raw(self, head: str, *, source: str = CLIENT_A, body: bytes = b"") -> tuple[int, dict, bytes]:
        """One request on a TLS socket, its body sent only if given: nginx answers a too-large
        Content-Length before any body arrives; an unbuffered location passes the headers on."""
        ctx = ssl.create_default_context(cafile=str(self.cert))
        sock = socket.create_connection(("127.0.0.1", self.https), timeout=30, source_address=(source, 0))
        with ctx.wrap_socket(sock, server_hostname=HOST) as tls:
            tls.sendall(head.encode() + body)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = tls.recv(65536)
                if not chunk:
                    break
                data += chunk
        head_part, _, rest = data.partition(b"\r\n\r\n")
        lines = head_part.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return int(lines[0].split()[1]), headers, rest


def _as_nobody():
    os.setgid(65534)
    os.setgroups([])
    os.setuid(65534)


class _SourceAdapter(HTTPAdapter):
    def __init__(self, source: str, cafile: str):
        self.source, self.cafile = source, cafile
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.source, 0)
        kwargs["ssl_context"] = ssl.create_default_context(cafile=self.cafile)
        super().init_poolmanager(*args, **kwargs)


@pytest.fixture(scope="module")
def stack(django_db_setup, django_db_blocker):
    if not NGINX.exists() or not DEBIAN_CONF.exists():
        _missing("Debian's nginx (/usr/sbin/nginx)")
    if not shutil.which("openssl"):
        _missing("openssl")
    if not (Path(sys.executable).parent / "gunicorn").exists():
        _missing("gunicorn")
    tmp = Path(tempfile.mkdtemp(prefix="slrt-tls-"))
    tmp.chmod(0o755)  # nginx runs as nobody and reads its config here
    running = Stack(tmp)
    try:
        running.start()
        yield running
    finally:
        running.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def _from_app(response_headers) -> bool:
    """Every answer of the application carries its request id; nginx's own answers do not."""
    return "x-request-id" in {k.lower() for k in response_headers}


def _set_cookies(response) -> dict[str, SimpleCookie]:
    cookies = {}
    for header in response.raw.headers.getlist("Set-Cookie"):
        jar = SimpleCookie()
        jar.load(header)
        for name, morsel in jar.items():
            cookies[name] = morsel
    return cookies


def _user(make_user, role, region):
    """An account gunicorn can check: the test run hashes with MD5 (conftest), the server with
    Django's default PBKDF2."""
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    user = make_user(role, region)
    hasher = PBKDF2PasswordHasher()
    user.password = hasher.encode(PASSWORD, hasher.salt())
    user.save(update_fields=["password"])
    return user


def _sign_in(stack, session, username, password=PASSWORD):
    url = f"{stack.base}/akun/masuk/"
    page = session.get(url, timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return page, session.post(url, data={"csrfmiddlewaretoken": token, "username": username, "password": password},
                              headers={"Referer": url}, allow_redirects=False, timeout=30)


# --- TLS, redirects, HSTS -----------------------------------------------------------------------

def test_plain_http_moves_to_https_on_the_same_path_except_the_acme_challenge(stack):
    s = stack.session()
    moved = s.get(f"http://{HOST}:{stack.http}/akun/masuk/?next=/registri/", allow_redirects=False, timeout=30)
    assert moved.status_code == 301
    assert moved.headers["Location"] == f"https://{HOST}:{stack.https}/akun/masuk/?next=/registri/"
    assert not _from_app(moved.headers)  # nginx answers; nothing plain reaches the application
    token = stack.tmp / "acme" / ".well-known" / "acme-challenge" / "tok3n"
    token.parent.mkdir(parents=True)
    token.write_text("tok3n.key")
    os.chmod(token, 0o644)
    challenge = s.get(f"http://{HOST}:{stack.http}/.well-known/acme-challenge/tok3n", allow_redirects=False,
                      timeout=30)
    assert challenge.status_code == 200 and challenge.text == "tok3n.key"


def test_an_unknown_name_gets_no_answer_and_no_certificate(stack):
    with socket.create_connection(("127.0.0.1", stack.http), timeout=10) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: other.example\r\n\r\n")
        assert sock.recv(1024) == b""  # 444: the connection is closed without a response
    ctx = ssl.create_default_context(cafile=str(stack.cert))
    ctx.check_hostname = False
    with socket.create_connection(("127.0.0.1", stack.https), timeout=10) as sock:
        with pytest.raises(ssl.SSLError):
            ctx.wrap_socket(sock, server_hostname="other.example")


def _handshake(stack, *, version=None, ciphers=None) -> str:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(str(stack.cert))
    # The client offers everything (security level 0), so only the server's settings refuse.
    ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    ctx.set_ciphers(ciphers or "ALL:@SECLEVEL=0")
    if version:
        ctx.minimum_version = ctx.maximum_version = version
    with socket.create_connection(("127.0.0.1", stack.https), timeout=10) as sock:
        with ctx.wrap_socket(sock, server_hostname=HOST) as tls:
            return tls.version()


def test_only_tls_1_2_and_1_3_with_forward_secret_ciphers(stack):
    assert _handshake(stack, version=ssl.TLSVersion.TLSv1_3) == "TLSv1.3"
    assert _handshake(stack, version=ssl.TLSVersion.TLSv1_2) == "TLSv1.2"
    for old in (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1):
        with pytest.raises(ssl.SSLError):
            _handshake(stack, version=old)
    # RSA key exchange (no forward secrecy) and CBC: refused even on TLS 1.2.
    with pytest.raises(ssl.SSLError):
        _handshake(stack, version=ssl.TLSVersion.TLSv1_2, ciphers="AES128-SHA:AES256-SHA256:@SECLEVEL=0")


def test_hsts_comes_once_from_the_application(stack):
    page = stack.session().get(f"{stack.base}/akun/masuk/", timeout=30)
    assert page.status_code == 200
    hsts = page.raw.headers.getlist("Strict-Transport-Security")
    assert hsts == [f"max-age={settings.SECURE_HSTS_SECONDS or 31536000}; includeSubDomains"]
    assert "add_header" not in SITE.read_text()  # no second HSTS (or any header) from the proxy


@pytest.mark.django_db(transaction=True)
def test_session_and_csrf_cookies_are_secure_samesite_and_the_session_httponly(stack, make_user):
    user = _user(make_user, "front_office", "32.01")
    page, signed_in = _sign_in(stack, stack.session(), user.username)
    csrf = _set_cookies(page)["csrftoken"]
    assert csrf["secure"] and csrf["samesite"] == "Lax"
    # The CSRF cookie is readable by script on purpose: HTMX sends it back as X-CSRFToken
    # (CSRF_COOKIE_HTTPONLY = False); it guards nothing a script on the page could not read anyway.
    assert not csrf["httponly"]
    assert signed_in.status_code == 302, signed_in.text[:500]
    session = _set_cookies(signed_in)["sessionid"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"


# --- the client address: from the proxy, never from the client ---------------------------------

def _token_attempt(stack, session, username, password, forged):
    return session.post(f"{stack.base}/api/v1/auth/token", json={"username": username, "password": password},
                        headers={"X-Forwarded-For": forged, "X-Real-IP": forged, "Forwarded": f"for={forged}"},
                        timeout=30)


@pytest.mark.django_db(transaction=True)
def test_failed_sign_ins_with_forged_forwarded_for_lock_the_real_address_only(stack, make_user):
    from axes.models import AccessAttempt

    staff = _user(make_user, "front_office", "32.01")
    attacker, colleague = stack.session(CLIENT_A), stack.session(CLIENT_B)
    for n in range(settings.AXES_FAILURE_LIMIT):
        # Another username each time (the account lock-out stays out of it) and another forged
        # address each time, the last one the colleague's: still one address, the real one.
        forged = CLIENT_B if n == settings.AXES_FAILURE_LIMIT - 1 else f"203.0.113.{n + 1}, 198.51.100.7"
        failed = _token_attempt(stack, attacker, f"tebakan{n}", "salah-sandi-123", forged)
        assert failed.status_code in (401, 429), failed.text
    locked = _token_attempt(stack, attacker, staff.username, PASSWORD, "192.0.2.99")
    assert locked.status_code == 429 and locked.json()["code"] == "locked_out"
    # The web sign-in and ODK Collect share the lock-out: the real address is locked there too.
    _page, web = _sign_in(stack, attacker, staff.username)
    assert web.status_code == 429
    # The colleague at another address, whom the attacker named in X-Forwarded-For, is not locked.
    assert _token_attempt(stack, colleague, staff.username, PASSWORD, "203.0.113.1").status_code == 200
    recorded = set(AccessAttempt.objects.values_list("ip_address", flat=True))
    assert recorded == {CLIENT_A}  # not 127.0.0.1 (nginx), not any forged address


@pytest.mark.django_db(transaction=True)
def test_the_status_page_rate_limit_counts_the_real_address_whatever_it_claims(stack):
    from slrt.cases.views import PUBLIC_RATE

    allowed = int(PUBLIC_RATE.split("/")[0])
    url = f"{stack.base}/status/"

    def ask(session, forged):
        page = session.get(url, timeout=30)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        return session.post(url, data={"csrfmiddlewaretoken": token, "tiket": "SLRT-3201-2026-000001",
                                       "kode": "ABCDEF"},
                            headers={"Referer": url, "X-Forwarded-For": forged}, timeout=30).status_code

    guesser = stack.session("127.0.0.4")
    answers = [ask(guesser, f"198.51.100.{n}") for n in range(allowed + 1)]
    assert 429 not in answers[:allowed] and answers[allowed] == 429, answers
    assert ask(stack.session("127.0.0.5"), "127.0.0.4") != 429


# --- ODK Collect over TLS through the proxy -----------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_collect_signs_in_with_digest_and_with_basic_over_tls(stack, make_user):
    user = _user(make_user, "fasilitator", "32.01.02.2001")
    collect = stack.session()
    collect.auth = HTTPDigestAuth(user.username, PASSWORD)
    collect.headers["X-OpenRosa-Version"] = "1.0"
    listing = collect.get(f"{stack.base}/formList", timeout=30)
    assert listing.status_code == 200 and listing.headers["X-OpenRosa-Version"] == "1.0"
    head = collect.head(f"{stack.base}/submission", timeout=30)
    assert head.status_code == 204
    xml = instance_xml("slrt_pengaduan", {
        "persetujuan": "tidak", "boleh_dibagikan": "tidak", "kode_wilayah": "32.01.02.2001", "jenis_keluhan": "saran",
        "urgensi": "biasa", "sektor": "pendidikan", "uraian": "Perlu beasiswa untuk anak sekolah",
    }, instance_id="uuid:bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb")
    posted = collect.post(f"{stack.base}/submission", files={"xml_submission_file": ("submission.xml", xml,
                                                                                      "text/xml")}, timeout=60)
    assert posted.status_code == 201, posted.text
    assert posted.headers["Location"].startswith(f"https://{HOST}:")  # the app knows it is served over TLS

    basic = "Basic " + base64.b64encode(f"{user.username}:{PASSWORD}".encode()).decode()
    # Through the proxy the request is HTTPS, so Basic is offered and accepted …
    challenge = stack.session().get(f"{stack.base}/formList", timeout=30)
    assert challenge.status_code == 401 and "Basic " in challenge.headers["WWW-Authenticate"]
    over_tls = stack.session().get(f"{stack.base}/formList", headers={"Authorization": basic}, timeout=30)
    assert over_tls.status_code == 200
    # … while straight to gunicorn, in plain HTTP, the application does not take the request as
    # secure and sends it to HTTPS: only nginx's X-Forwarded-Proto (which a client cannot send on
    # port 80: redirected there) makes it HTTPS.
    plain = requests.get(f"{stack.app}/formList", headers={"Authorization": basic, "Host": HOST},
                         allow_redirects=False, timeout=30)
    assert plain.status_code == 301 and plain.headers["Location"] == f"https://{HOST}/formList"


# --- body limits per location agree with the application ---------------------------------------

def _multipart(size: int) -> tuple[bytes, str]:
    """A multipart body of exactly `size` bytes (one padding part, no instance)."""
    boundary = "slrtTlsBoundary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"pad\"; filename=\"pad.bin\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    return head + b"x" * (size - len(head) - len(tail)) + tail, f"multipart/form-data; boundary={boundary}"


@pytest.mark.django_db(transaction=True)
def test_the_submission_limit_is_the_openrosa_setting(stack, make_user):
    limit = settings.SLRT_OPENROSA_MAX_BYTES
    user = _user(make_user, "fasilitator", "32.01.02.2001")
    collect = stack.session()
    collect.auth = HTTPDigestAuth(user.username, PASSWORD)
    head = collect.head(f"{stack.base}/submission", timeout=30)
    assert int(head.headers["X-OpenRosa-Accept-Content-Length"]) == limit  # what Collect is told
    body, content_type = _multipart(limit)
    at_limit = collect.post(f"{stack.base}/submission", data=body, headers={"Content-Type": content_type},
                            timeout=120)
    # Passed on, signed in, read by the application (which finds no instance in it).
    assert _from_app(at_limit.headers) and at_limit.status_code == 400, at_limit.text[:300]
    body, content_type = _multipart(limit + 1)
    over = collect.post(f"{stack.base}/submission", data=body, headers={"Content-Type": content_type},
                        timeout=120)
    assert over.status_code == 413 and not _from_app(over.headers)


def test_the_import_upload_limit_is_the_registry_setting(stack):
    from slrt.registry.imports.limits import limits
    from slrt.registry.services.imports import _MULTIPART_SLACK

    limit = limits().upload_bytes + _MULTIPART_SLACK  # the largest body the application reads
    head = ("POST /registri/impor/ HTTP/1.1\r\nHost: {host}\r\nContent-Type: multipart/form-data; boundary=b\r\n"
            "Content-Length: {length}\r\nConnection: close\r\n\r\n")
    # Unbuffered: the headers reach the application at once, which answers before the file
    # (here: not signed in, so to the sign-in page).
    status, headers, _ = stack.raw(head.format(host=HOST, length=limit))
    assert status == 302 and "x-request-id" in headers and "/akun/masuk/" in headers["location"]
    status, headers, body = stack.raw(head.format(host=HOST, length=limit + 1))
    assert status == 413 and "x-request-id" not in headers


def test_every_other_location_takes_the_forms_limit(stack):
    from slrt.updates.services import MINUTES_MAX_BYTES

    limit = max(settings.DATA_UPLOAD_MAX_MEMORY_SIZE, MINUTES_MAX_BYTES) + 64 * 1024
    head = ("POST /akun/masuk/ HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/octet-stream\r\n"
            "Content-Length: {length}\r\nConnection: close\r\n\r\n")
    status, headers, _ = stack.raw(head.format(host=HOST, length=limit), body=b"x" * limit)
    assert status == 403 and "x-request-id" in headers  # reached the application (no CSRF cookie)
    status, headers, _ = stack.raw(head.format(host=HOST, length=limit + 1))
    assert status == 413 and "x-request-id" not in headers


def test_metrics_are_not_answered_through_the_proxy(stack):
    for path in ("/metrics", "/metrics/", "/metrics/x"):
        answer = stack.session().get(f"{stack.base}{path}", timeout=30)
        assert answer.status_code == 404 and not _from_app(answer.headers)
    assert stack.session().get(f"{stack.base}/healthz", timeout=30).status_code == 200


# --- the proxy's log ------------------------------------------------------------------------------

def test_the_access_log_holds_paths_without_query_strings(stack):
    nik, name = "3201024107850003", "Suprihatin"
    s = stack.session()
    for path in (f"/registri/cari/?q={nik}", f"/api/v1/people?nik={nik}&nama={name}", f"/status/?tiket={nik}"):
        s.get(f"{stack.base}{path}", allow_redirects=False, timeout=30)
    s.get(f"http://{HOST}:{stack.http}/registri/cari/?q={nik}", allow_redirects=False, timeout=30)
    time.sleep(0.3)
    logged = stack.access_log()
    assert '"GET /registri/cari/ HTTP/1.1"' in logged and '"GET /api/v1/people HTTP/1.1"' in logged
    assert nik not in logged and name not in logged and "?" not in logged
    assert CLIENT_A in logged  # the address nginx saw, as the lock-out counts it
