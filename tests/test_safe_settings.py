"""Safe settings by default (issue 11, point 1).

settings.py has no secret-key fallback: manage.py refuses to start without SLRT_SECRET_KEY and
names it; `make run` keeps its own key in var/secret_key (0600, outside git). The documented
production environment (README "Production environment": a random key, SLRT_TLS=1, the allowed
hosts) passes `manage.py check --deploy --fail-level WARNING` cleanly. Every answer the
application makes carries `Cache-Control: no-store` (pages, API, PDFs, exports), and pages carry
the Content-Security-Policy.
"""

import os
import secrets
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent


def _manage(tmp_path, *args, **env):
    base = {"PATH": os.environ["PATH"], "SLRT_VAR_DIR": str(tmp_path / "var"), "HOME": str(tmp_path)}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env={**base, **env},
                          capture_output=True, text=True, timeout=120)


def production_env():
    return {"SLRT_SECRET_KEY": secrets.token_urlsafe(50), "SLRT_TLS": "1",
            "SLRT_ALLOWED_HOSTS": "slrt.bandungkab.go.id"}


def test_check_deploy_is_clean_with_the_documented_production_environment(tmp_path):
    env = production_env()
    assert len(env["SLRT_SECRET_KEY"]) >= 50
    result = _manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr


def test_check_deploy_warns_without_the_tls_switch(tmp_path):
    env = production_env()
    del env["SLRT_TLS"]
    result = _manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **env)
    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stdout + result.stderr


def test_without_a_secret_key_manage_py_refuses_and_names_the_variable(tmp_path):
    result = _manage(tmp_path, "check")
    assert result.returncode != 0
    assert "SLRT_SECRET_KEY is not set" in result.stderr
    blank = _manage(tmp_path, "check", SLRT_SECRET_KEY="  ")
    assert blank.returncode != 0 and "SLRT_SECRET_KEY is not set" in blank.stderr


def test_tls_switch_sets_secure_cookies_hsts_redirect_and_proxy_header(tmp_path):
    code = ("from django.conf import settings as s; print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,"
            " s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS >= 31536000, s.SECURE_HSTS_INCLUDE_SUBDOMAINS,"
            " s.SECURE_PROXY_SSL_HEADER, s.DEBUG)")
    base = {"PATH": os.environ["PATH"], "SLRT_VAR_DIR": str(tmp_path / "var"),
            "DJANGO_SETTINGS_MODULE": "slrt.settings"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**base, **production_env()},
                         capture_output=True, text=True, check=True).stdout.split(" ", 5)
    assert out[:5] == ["True", "True", "True", "True", "True"]
    assert "HTTP_X_FORWARDED_PROTO" in out[5] and out[5].strip().endswith("False")


def test_make_generates_the_secret_key_once_outside_git_with_mode_0600(tmp_path):
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    subprocess.run(["make", "-s", "var/secret_key"], cwd=tmp_path, check=True, capture_output=True)
    key_file = tmp_path / "var" / "secret_key"
    key = key_file.read_text().strip()
    assert len(key) >= 50
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    subprocess.run(["make", "-s", "var/secret_key"], cwd=tmp_path, check=True, capture_output=True)
    assert key_file.read_text().strip() == key  # kept, not regenerated
    ignored = subprocess.run(["git", "check-ignore", "-q", "var/secret_key"], cwd=ROOT)
    assert ignored.returncode == 0
    # every manage.py the demo targets run gets it
    dry = subprocess.run(["make", "-n", "-W", "var/secret_key", "run"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    key = 'SLRT_SECRET_KEY="${SLRT_SECRET_KEY:-$(cat var/secret_key)}"'
    for command in ("migrate", "load_regions", "seed_demo", "collectstatic"):
        assert any(key in line and f"manage.py {command}" in line for line in dry.splitlines()), command
    assert f"export {key}" in dry  # the Celery worker and runserver


@pytest.mark.django_db
def test_personal_answers_carry_no_store_page_api_pdf_export(make_user, make_person,
                                                           django_capture_on_commit_callbacks):
    from slrt.programs.models import TargetingRun
    from tests.test_referrals_fixtures import api_client, client_for, make_case

    front = make_user("front_office", "32.01")
    case = make_case()[0]
    web = client_for(front)
    web.post(reverse("cases:reprint", args=[case.pk]))  # a fresh status code for the receipt
    answers = {
        "page": web.get("/"),
        "case page": web.get(reverse("cases:detail", args=[case.pk])),
        "pdf": web.get(reverse("cases:receipt", args=[case.pk])),
        "api": api_client(front).get(f"/api/v1/cases/{case.pk}"),
    }
    manajer = make_user("manajer", "32.01")
    make_person("32.01.02.2001", "Bambang", __import__("datetime").date(1980, 1, 1), "L")
    boss = client_for(manajer)
    with django_capture_on_commit_callbacks(execute=True):  # the run's task, queued on commit
        boss.post("/program/penargetan/", {"region": "32.01"})
    answers["export"] = boss.get(f"/program/penargetan/{TargetingRun.objects.get().pk}/excel/")
    assert answers["pdf"]["Content-Type"] == "application/pdf"
    assert answers["export"]["Content-Type"].startswith("application/vnd.openxmlformats")
    for name, response in answers.items():
        assert response.status_code == 200, name
        assert "no-store" in response["Cache-Control"], name


def test_static_files_stay_cacheable(client):
    from django.templatetags.static import static

    response = client.get(static("js/behaviours.js"))
    assert response.status_code == 200
    assert "no-store" not in response["Cache-Control"] and "max-age=31536000" in response["Cache-Control"]


@pytest.mark.django_db
def test_pages_carry_the_content_security_policy(client):
    response = client.get(reverse("accounts:login"))
    policy = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";") if part.strip())
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval'
    assert policy["style-src"] == "'self'"
    assert policy["img-src"] == "'self' data:"
    assert policy["form-action"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"


def test_templates_hold_no_inline_script_handler_or_style():
    import re

    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        for pattern in (r"<script(?![^>]*\bsrc=)[^>]*>", r"\son[a-z]+\s*=", r"\sstyle\s*=",
                        r"hx-(vals|headers)\s*=\s*'js:", r"hx-on"):
            if re.search(pattern, text):
                offenders.append(f"{path.relative_to(ROOT)}: {pattern}")
    assert offenders == []
