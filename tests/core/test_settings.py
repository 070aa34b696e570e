"""Configuration by environment: bad settings stop start-up with one clear sentence (no
traceback), and the production mode passes ``check --deploy``."""

from __future__ import annotations

import io
import logging
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest

from config.env import redact_url

ROOT = Path(__file__).resolve().parents[2]
# Everything that could leak in from the developer's or CI's environment.
CONFIG_VARS = {
    "APP_ENV",
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "CELERY_RESULT_BACKEND",
    "DB_CONN_MAX_AGE",
    "EMAIL_PORT",
    "LOG_LEVEL",
    # Set by the browser tests' Playwright fixture for the test process only.
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}


def run(command: list[str], **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in CONFIG_VARS}
    base.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        command,
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    return run([sys.executable, "manage.py", *args], **env)


def assert_one_sentence(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("配置错误：") and lines[0].endswith("。"), lines[0]
    for fragment in fragments:
        assert fragment in lines[0]


def test_production_without_secret_key_stops_with_one_sentence():
    result = manage("check", APP_ENV="production", ALLOWED_HOSTS="gov.example.cn")
    assert_one_sentence(result, "SECRET_KEY")


def test_production_with_a_short_secret_key_stops():
    result = manage("check", APP_ENV="production", SECRET_KEY="short", ALLOWED_HOSTS="x.cn")
    assert_one_sentence(result, "SECRET_KEY")


def test_production_without_allowed_hosts_stops():
    result = manage("check", APP_ENV="production", SECRET_KEY=secrets.token_urlsafe(64))
    assert_one_sentence(result, "ALLOWED_HOSTS")


@pytest.mark.parametrize(
    "url",
    ["postgres://::bad", "postgres://user@host:notaport/db", "mysql://u@h/db", "nonsense"],
)
def test_malformed_database_url_stops_with_one_sentence(url):
    assert_one_sentence(manage("check", DATABASE_URL=url), "DATABASE_URL")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("APP_ENV", "staging"),
        ("DEBUG", "maybe"),
        ("DB_CONN_MAX_AGE", "forever"),
        ("LOG_LEVEL", "loud"),
    ],
)
def test_other_malformed_values_stop_with_one_sentence(name, value):
    env = {name: value}
    if name == "DB_CONN_MAX_AGE":
        env["DATABASE_URL"] = "postgres://u@127.0.0.1:5432/x"
    assert_one_sentence(manage("check", **env), name)


def test_production_mode_passes_check_deploy():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        APP_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="gongzhi.example.cn",
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_embedded_default_needs_no_environment():
    result = manage("check")
    assert result.returncode == 0, result.stderr


def test_locale_and_time_zone(settings):
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.USE_TZ is True


CELERY_PROGRAMS = [["worker", "--pool", "solo"], ["beat"]]
# A malformed URL (the port is not a number) whose password must not be repeated.
LEAKY_URL = "postgres://gongzhi:Pa55-w0rd-XYZ@db.internal:54x2/gongzhi"


@pytest.mark.parametrize("program", CELERY_PROGRAMS)
def test_celery_stops_with_one_sentence_too(program):
    result = run([sys.executable, "-m", "celery", "-A", "config", *program], APP_ENV="production")
    assert_one_sentence(result, "SECRET_KEY")


@pytest.mark.parametrize(
    "command",
    [
        ["manage.py", "check"],
        ["-m", "celery", "-A", "config", *CELERY_PROGRAMS[0]],
        ["-m", "celery", "-A", "config", *CELERY_PROGRAMS[1]],
        ["-m", "gunicorn", "--bind", "127.0.0.1:0"],
    ],
    ids=["manage.py", "worker", "beat", "gunicorn"],
)
def test_a_malformed_database_url_is_repeated_without_its_password(command):
    result = run([sys.executable, *command], DATABASE_URL=LEAKY_URL)
    assert result.returncode == 2
    assert_one_sentence(result, "DATABASE_URL", "postgres://gongzhi:***@db.internal:54x2/gongzhi")
    assert "Pa55-w0rd-XYZ" not in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"APP_ENV": "production", "ALLOWED_HOSTS": "gov.example.cn"}, "SECRET_KEY"),
        ({"DATABASE_URL": "postgres://user@host:notaport/db"}, "DATABASE_URL"),
    ],
    ids=["no-secret-key", "malformed-database-url"],
)
def test_gunicorn_stops_in_the_master_at_once(env, fragment):
    """The master validates before forking: no worker is booted and respawned in a loop."""
    started = time.monotonic()
    result = run([sys.executable, "-m", "gunicorn", "--bind", "127.0.0.1:0"], **env)
    elapsed = time.monotonic() - started
    assert elapsed < 5, elapsed
    assert result.returncode == 2
    assert_one_sentence(result, fragment)
    assert "Booting worker" not in result.stderr + result.stdout


def test_gunicorn_configuration_loads_the_application_with_valid_settings():
    result = run(
        [sys.executable, "-m", "gunicorn", "--check-config"],
        APP_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="gongzhi.example.cn",
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("url", "redacted"),
    [
        ("postgres://u:secret@h:5432/db", "postgres://u:***@h:5432/db"),
        ("redis://:secret@redis:6379/0", "redis://:***@redis:6379/0"),
        ("postgres://u:p@ss/w:rd@h/db", "postgres://u:***@h/db"),
        ("postgres://u@h:5432/db", "postgres://u@h:5432/db"),
        ("postgres://h:5432/db", "postgres://h:5432/db"),
        ("u:secret@h/db", "u:***@h/db"),
        ("nonsense", "nonsense"),
    ],
)
def test_redact_url_hides_the_password_only(url, redacted):
    assert redact_url(url) == redacted


def test_a_disallowed_host_logs_one_line_without_traceback(client):
    logger = logging.getLogger("django.security.DisallowedHost")
    handler = logger.handlers[0]
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        response = client.get("/healthz", HTTP_HOST="scanner.example")
    finally:
        handler.setStream(previous)
    assert response.status_code == 400
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1, lines
    assert "scanner.example" in lines[0] and "DisallowedHost" in lines[0]
    assert "Traceback" not in stream.getvalue()


def test_error_reports_show_urls_without_their_passwords(settings):
    from django.views.debug import get_default_exception_reporter_filter

    settings.DATABASE_URL = "postgres://gongzhi:Pa55-w0rd@db:5432/gongzhi"
    settings.CELERY_BROKER_URL = "redis://:Br0ker-pw@redis:6379/0"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "redis://:Cache-pw@redis:6379/1",
        }
    }
    shown = get_default_exception_reporter_filter().get_safe_settings()
    assert shown["DATABASE_URL"] == "postgres://gongzhi:***@db:5432/gongzhi"
    assert shown["CELERY_BROKER_URL"] == "redis://:***@redis:6379/0"
    assert shown["CACHES"]["default"]["LOCATION"] == "redis://:***@redis:6379/1"
    assert shown["STATIC_URL"] == "/static/"
