"""Foundation (issue 2, R34): a fresh database, demo data and the first pages."""

import io
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from wagtail.models import Site

from accounts.models import User
from home.models import HomePage

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_migrations_make_homepage_the_site_root():
    site = Site.objects.get(is_default_site=True)
    assert isinstance(site.root_page.specific, HomePage)


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_site_serves_chinese(client):
    from activities.models import ActivityPage
    from activities.states import ReviewState, annotate_review_state

    call_command("seed_demo", stdout=io.StringIO())
    first = (User.objects.count(), ActivityPage.objects.count())
    call_command("seed_demo", stdout=io.StringIO())
    assert (User.objects.count(), ActivityPage.objects.count()) == first
    assert User.objects.filter(is_superuser=True).exists()
    assert first[1] >= 40
    # The demo shows every review state and a taken-down activity.
    states = {page.review_state for page in annotate_review_state(ActivityPage.objects.all())}
    assert states == set(ReviewState)
    listing = {page.listing_state for page in annotate_review_state(ActivityPage.objects.all())}
    assert listing == {"on", "off", "taken_down"}

    home = client.get("/")
    assert home.status_code == 200
    body = home.content.decode()
    assert '<html lang="zh-hans">' in body
    assert "全国科普日" in body
    assert "搜索活动" in body  # a translated source string, not just data

    login = client.get("/admin/login/")
    assert login.status_code == 200
    assert "登录" in login.content.decode()


@pytest.mark.django_db
def test_demo_superuser_logs_in_to_chinese_admin(client):
    from accounts.seed import DEMO_PASSWORD, SUPERUSER_PHONE

    call_command("seed_demo", stdout=io.StringIO())
    response = client.post(
        "/admin/login/", {"username": SUPERUSER_PHONE, "password": DEMO_PASSWORD}, follow=True
    )
    assert response.status_code == 200
    assert response.wsgi_request.user.is_authenticated
    assert "控制面板" in response.content.decode()


@pytest.mark.django_db
def test_chinese_is_the_default_and_english_is_chosen(client):
    # An English browser still gets the Chinese site until the visitor switches.
    assert "搜索活动" in client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert "Search activities" in client.get("/").content.decode()


@pytest.mark.django_db
def test_seed_demo_refused_without_debug(settings):
    from django.core.management.base import CommandError

    settings.DEMO_DATA_ALLOWED = False
    with pytest.raises(CommandError):
        call_command("seed_demo")


def _production_env(**extra):
    env = {
        k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            # Never touch the developer's db.sqlite3 from a test.
            "DATABASE_URL": "sqlite:////tmp/kepuri-check-deploy.sqlite3",
            **extra,
        }
    )
    return env


def _in_django(code, env):
    """Run `code` in a fresh process set up with `env` (production settings)."""
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _check_deploy(extra_env):
    env = _production_env(**extra_env)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy():
    result = _check_deploy(
        {"SECRET_KEY": secrets.token_urlsafe(64), "ALLOWED_HOSTS": "kepuri.example.cn"}
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNINGS" not in result.stderr + result.stdout


def test_production_settings_refuse_a_missing_secret():
    result = _check_deploy({"SECRET_KEY": "", "ALLOWED_HOSTS": "kepuri.example.cn"})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_mails_link_to_the_site_not_to_a_developers_machine():
    """Without WAGTAILADMIN_BASE_URL, review and password-reset mails linked to
    http://127.0.0.1:8000 (the development default)."""
    code = "from django.conf import settings; print(settings.WAGTAILADMIN_BASE_URL)"
    base = {"SECRET_KEY": secrets.token_urlsafe(64), "ALLOWED_HOSTS": ".kepuri.example.cn,x"}
    for extra, expected in (
        ({}, "https://kepuri.example.cn"),
        (
            {"WAGTAILADMIN_BASE_URL": "https://admin.kepuri.example.cn"},
            "https://admin.kepuri.example.cn",
        ),
    ):
        env = _production_env(**base, **extra)
        if not extra:
            env.pop("WAGTAILADMIN_BASE_URL", None)  # a developer's shell may set it
        result = _in_django(code, env)
        assert result.stdout.strip().splitlines()[-1] == expected, result.stderr


def test_production_sends_security_headers():
    code = (
        "from django.test import Client;"
        "r = Client(raise_request_exception=False)"
        ".get('/', secure=True, HTTP_HOST='kepuri.example.cn');"
        "print(r.status_code);"
        "print(r.headers.get('Strict-Transport-Security'));"
        "print(r.headers.get('Content-Security-Policy'))"
    )
    env = _production_env(SECRET_KEY=secrets.token_urlsafe(64), ALLOWED_HOSTS="kepuri.example.cn")
    result = _in_django(code, env)
    lines = result.stdout.splitlines()
    # Without a migrated database the page itself may fail; the headers are what we check.
    assert "max-age=31536000" in lines[1], result.stderr
    assert "default-src 'self'" in lines[2]


def test_production_sessions_and_login_throttling():
    """Issue #9: cookies only over HTTPS and out of scripts' reach, a working-day session,
    and django-axes in front of every login with its defaults (5 / 20 failures, 15 minutes)."""
    code = (
        "import json; from django.conf import settings as s;"
        "print(json.dumps({name: str(getattr(s, name)) if name == 'AXES_COOLOFF_TIME'"
        " else getattr(s, name) for name in ["
        "'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY',"
        "'SESSION_COOKIE_AGE', 'AXES_FAILURE_LIMIT', 'LOGIN_IP_FAILURE_LIMIT',"
        "'AXES_COOLOFF_TIME', 'TRUSTED_PROXY_COUNT', 'AUTHENTICATION_BACKENDS', 'MIDDLEWARE']}))"
    )
    env = _production_env(SECRET_KEY=secrets.token_urlsafe(64), ALLOWED_HOSTS="kepuri.example.cn")
    for name in (
        "SESSION_COOKIE_AGE",
        "LOGIN_FAILURE_LIMIT",
        "LOGIN_IP_FAILURE_LIMIT",
        "LOGIN_LOCKOUT_MINUTES",
        "TRUSTED_PROXY_COUNT",
    ):
        env.pop(name, None)
    result = _in_django(code, env)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.splitlines()[-1])
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["SESSION_COOKIE_AGE"] == 12 * 60 * 60
    assert values["AXES_FAILURE_LIMIT"] == 5
    assert values["LOGIN_IP_FAILURE_LIMIT"] == 20
    assert values["AXES_COOLOFF_TIME"] == "0:15:00"
    assert values["TRUSTED_PROXY_COUNT"] == 0
    assert values["AUTHENTICATION_BACKENDS"][0] == "axes.backends.AxesStandaloneBackend"
    assert values["MIDDLEWARE"][-1] == "axes.middleware.AxesMiddleware"
