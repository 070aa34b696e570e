"""docker-compose.yml and the Dockerfile have the production shape (Docker itself cannot run
here, so the files are read and checked)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def test_compose_runs_the_five_services_with_health_checks(compose):
    services = compose["services"]
    assert set(services) == {"web", "worker", "beat", "postgres", "redis"}
    for name, service in services.items():
        assert service.get("healthcheck", {}).get("test"), name
        assert service.get("restart") == "unless-stopped", name


def test_compose_app_services_run_in_production_mode(compose):
    services = compose["services"]
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert env["APP_ENV"] == "production"
        assert (
            env["DATABASE_URL"].startswith("postgres://")
            and "@postgres:5432/" in env["DATABASE_URL"]
        )
        assert env["REDIS_URL"].startswith("redis://redis:6379/")
        assert "${SECRET_KEY:?" in env["SECRET_KEY"]
    web = services["web"]
    assert "migrate --noinput" in web["command"] and "gunicorn config.wsgi" in web["command"]
    assert web["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert web["depends_on"]["redis"]["condition"] == "service_healthy"
    assert "/healthz" in " ".join(web["healthcheck"]["test"])
    assert services["worker"]["command"].startswith("celery -A config worker")
    assert services["beat"]["command"].startswith("celery -A config beat")


def test_compose_keeps_data_in_named_volumes(compose):
    named = set(compose["volumes"])
    assert {"pgdata", "redisdata", "media"} <= named
    mounts = [
        mount.split(":")[0]
        for service in compose["services"].values()
        for mount in service.get("volumes", [])
    ]
    assert mounts and all(source in named for source in mounts), mounts
    assert "pgdata:/var/lib/postgresql/data" in compose["services"]["postgres"]["volumes"]


def test_dockerfile_builds_a_non_root_image_with_static_files():
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    lines = [line.strip() for line in text.splitlines()]
    froms = [line for line in lines if line.startswith("FROM")]
    assert froms == ["FROM python:3.11-slim"]
    assert "RUN pip install ." in lines
    assert "collectstatic --noinput" in text
    users = [line for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in {"USER root", "USER 0"}
    assert "gunicorn" in text


def test_dockerignore_keeps_local_state_out_of_the_image():
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".git", ".venv", "db.sqlite3", ".env"} <= set(ignored)
