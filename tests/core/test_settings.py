"""Configuration by environment: bad settings stop start-up with one clear sentence (no
traceback), and the production mode passes ``check --deploy``."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

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
    # Set by the browser tests' Playwright fixture for the test process only.
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in CONFIG_VARS}
    base.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


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
    [("APP_ENV", "staging"), ("DEBUG", "maybe"), ("DB_CONN_MAX_AGE", "forever")],
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


@pytest.mark.parametrize("program", [["worker", "--pool", "solo"], ["beat"]])
def test_celery_stops_with_one_sentence_too(program):
    base = {k: v for k, v in os.environ.items() if k not in CONFIG_VARS}
    result = subprocess.run(
        [sys.executable, "-m", "celery", "-A", "config", *program],
        cwd=ROOT,
        env={**base, "APP_ENV": "production"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert_one_sentence(result, "SECRET_KEY")
