"""Production settings: no secret key default, and Django's deployment checks pass.

Each test loads the settings in a fresh interpreter, because this process already runs on
kam.settings.test.
"""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent


def production_env(**extra: str) -> dict[str, str]:
    """This process's environment without any project switch, on production settings."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "KAM_", "CELERY_", "DATABASE_"))
    }
    env["DJANGO_SETTINGS_MODULE"] = "kam.settings.production"
    env.update(extra)
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )


def test_production_settings_refuse_to_load_without_a_secret_key():
    result = run(["-c", "import django; django.setup()"], production_env())

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_settings_load_with_a_secret_key():
    secret = secrets.token_urlsafe(60)
    code = (
        "import django; django.setup(); from django.conf import settings; "
        f"print(settings.DEBUG, settings.SECRET_KEY == {secret!r}, settings.KAM_ALLOW_DEMO_DATA)"
    )

    result = run(["-c", code], production_env(DJANGO_SECRET_KEY=secret))

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True", "False"]


def test_production_ignores_a_request_for_demo_data():
    result = run(
        ["manage.py", "load_demo"],
        production_env(DJANGO_SECRET_KEY=secrets.token_urlsafe(60), KAM_ALLOW_DEMO_DATA="true"),
    )

    assert result.returncode != 0
    assert "Demo data creates logins with a well-known password" in result.stderr


@pytest.mark.parametrize("hsts_preload", ["false", "true"])
def test_the_deployment_checks_pass_without_warnings(hsts_preload):
    secret = secrets.token_urlsafe(60)
    assert len(secret) >= 50

    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        production_env(
            DJANGO_SECRET_KEY=secret,
            DJANGO_ALLOWED_HOSTS="example.com",
            DJANGO_SECURE_HSTS_PRELOAD=hsts_preload,
        ),
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stderr


def test_transport_security_defaults_on_and_each_switch_comes_from_the_environment():
    names = (
        "SECURE_SSL_REDIRECT",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    )
    code = (
        "import django; django.setup(); from django.conf import settings; "
        f"print(*(getattr(settings, name) for name in {names!r}))"
    )
    secret = secrets.token_urlsafe(60)

    defaults = run(["-c", code], production_env(DJANGO_SECRET_KEY=secret))
    switched = run(
        ["-c", code],
        production_env(
            DJANGO_SECRET_KEY=secret,
            DJANGO_SECURE_SSL_REDIRECT="false",
            DJANGO_SESSION_COOKIE_SECURE="false",
            DJANGO_CSRF_COOKIE_SECURE="false",
            DJANGO_SECURE_HSTS_SECONDS="0",
            DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS="false",
        ),
    )

    assert defaults.stdout.split() == ["True", "True", "True", "2592000", "True"], defaults.stderr
    assert switched.stdout.split() == ["False", "False", "False", "0", "False"], switched.stderr


def test_production_responses_send_the_content_security_policy():
    # A response that needs neither the database nor collected static files: the redirect
    # of a page to the login (the 404 page extends base.html, which needs the static files).
    code = (
        "import django; django.setup(); from django.test import Client; "
        "response = Client().get('/accounts/', secure=True); "
        "print(response.status_code); print(response.headers['Content-Security-Policy'])"
    )

    result = run(
        ["-c", code],
        production_env(
            DJANGO_SECRET_KEY=secrets.token_urlsafe(60), DJANGO_ALLOWED_HOSTS="testserver"
        ),
    )

    assert result.returncode == 0, result.stderr
    status, policy = result.stdout.splitlines()[-2:]
    assert status == "302"
    assert "script-src 'self'" in policy
    assert "default-src 'self'" in policy
    assert "object-src 'none'" in policy


@pytest.mark.parametrize(
    ("minutes", "cool_off"), [("", "0:30:00"), ("10", "0:10:00"), ("0", "None")]
)
def test_the_login_cool_off_comes_from_the_environment(minutes, cool_off):
    extra = {"KAM_LOGIN_COOLOFF_MINUTES": minutes} if minutes else {}
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.AXES_COOLOFF_TIME, settings.AXES_FAILURE_LIMIT)"
    )

    result = run(["-c", code], production_env(DJANGO_SECRET_KEY="x" * 60, **extra))

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [cool_off, "5"]
