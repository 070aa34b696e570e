"""The deployment files agree with each other and with the settings: docker-compose.yml, the
nginx configuration, .env.example, the Dockerfile, the lock files, the Makefile and the README.

Docker cannot run containers here, so the files are read and cross-checked; `docker compose
config` runs too where the compose plugin exists, and the nginx configuration is checked and
served by a real nginx where its binary exists (CI unpacks one; NGINX_BIN names it).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ("web", "worker", "beat")
NGINX_TEMPLATE = ROOT / "deploy" / "nginx" / "default.conf.template"
# Read by the settings but meaningless in the containers (they use PostgreSQL).
DEVELOPMENT_ONLY = {"SQLITE_PATH", "API_BENCH_CEILING"}
# What `docker compose` needs to interpolate the file.
COMPOSE_ENV = {
    "SECRET_KEY": "x" * 64,
    "ALLOWED_HOSTS": "gongzhi.example.cn",
    "POSTGRES_PASSWORD": "pg-password",
    "TLS_CERT_PATH": "/etc/ssl/gongzhi/fullchain.pem",
    "TLS_KEY_PATH": "/etc/ssl/gongzhi/privkey.pem",
}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def compose_text() -> str:
    return (ROOT / "docker-compose.yml").read_text(encoding="utf-8")


def readme() -> str:
    return (ROOT / "README.md").read_text(encoding="utf-8")


def readme_table_variables() -> set[str]:
    """The variables named in the first column of the README's configuration table."""
    section = readme().split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            names |= set(re.findall(r"`([A-Z][A-Z0-9_]+)`", line.split("|")[1]))
    return names


def settings_variables() -> set[str]:
    """Every environment variable the configuration package reads."""
    pattern = re.compile(
        r"(?:env\.[a-z]+|env_bool|env_int|env|os\.environ\.get|os\.getenv)\(\s*\"([A-Z][A-Z0-9_]+)\""
    )
    return {
        name
        for path in (ROOT / "config").glob("*.py")
        for name in pattern.findall(path.read_text(encoding="utf-8"))
    }


def compose_variables() -> set[str]:
    """The variables docker-compose.yml interpolates (``${NAME...}``; ``$$`` is a literal $)."""
    return set(re.findall(r"(?<!\$)\$\{([A-Z][A-Z0-9_]*)", compose_text()))


def nginx_conf() -> str:
    return NGINX_TEMPLATE.read_text(encoding="utf-8")


def location_block(conf: str, path: str) -> str:
    match = re.search(rf"location {re.escape(path)} \{{(.*?)\}}", conf, re.S)
    assert match, f"no location {path}"
    return match.group(1)


def mounts(service: dict) -> dict[str, str]:
    """target → source of a service's volumes."""
    result = {}
    for mount in service.get("volumes", []):
        if isinstance(mount, dict):  # the long syntax
            result[mount["target"]] = mount["source"]
            continue
        source, _, rest = mount.partition(":")
        result[rest.split(":")[0]] = source
    return result


# --- compose -----------------------------------------------------------------------------


def test_compose_runs_the_six_services_with_health_checks(compose):
    services = compose["services"]
    assert set(services) == {"nginx", "web", "worker", "beat", "postgres", "redis"}
    for name, service in services.items():
        assert service.get("healthcheck", {}).get("test"), name
        assert service.get("restart") == "unless-stopped", name


def test_compose_app_services_run_in_production_mode(compose):
    services = compose["services"]
    for name in APP_SERVICES:
        env = services[name]["environment"]
        assert env["APP_ENV"] == "production"
        assert env["DATABASE_URL"].startswith("postgres://gongzhi:${POSTGRES_PASSWORD:?")
        assert env["DATABASE_URL"].endswith("@postgres:5432/gongzhi")
        assert env["REDIS_URL"].startswith("redis://redis:6379/")
        assert "${SECRET_KEY:?" in env["SECRET_KEY"]
    # No published, guessable database password.
    assert "${POSTGRES_PASSWORD:?" in services["postgres"]["environment"]["POSTGRES_PASSWORD"]
    web = services["web"]
    assert "migrate --noinput" in web["command"] and "gunicorn config.wsgi" in web["command"]
    assert "collectstatic --noinput" in web["command"]
    assert web["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert web["depends_on"]["redis"]["condition"] == "service_healthy"
    assert "/healthz" in " ".join(web["healthcheck"]["test"])
    assert services["worker"]["command"].startswith("celery -A config worker")
    assert services["beat"]["command"].startswith("celery -A config beat")


def test_every_setting_the_configuration_reads_is_in_the_readme_table():
    documented = readme_table_variables()
    missing = settings_variables() - DEVELOPMENT_ONLY - documented
    assert not missing, f"add to README.md's configuration table: {sorted(missing)}"
    for name in DEVELOPMENT_ONLY:
        assert f"`{name}`" in readme()


def test_every_readme_variable_reaches_web_worker_and_beat(compose):
    documented = readme_table_variables()
    assert {"SECURE_SSL_REDIRECT", "EMAIL_USE_SSL", "CELERY_BROKER_URL", "LOG_LEVEL"} <= documented
    for name in APP_SERVICES:
        env = compose["services"][name]["environment"]
        missing = documented - set(env)
        assert not missing, f"{name} does not get {sorted(missing)}"
        # A value from .env is passed through: ${NAME...} or a fixed value of this stack.
        for variable in documented:
            value = str(env[variable])
            assert f"${{{variable}" in value or "${" not in value or variable == "DATABASE_URL"


def test_web_sits_behind_nginx_with_sendfile_and_one_trusted_proxy(compose):
    web = compose["services"]["web"]
    assert web["environment"]["MEDIA_SENDFILE"] == "nginx"
    assert str(web["environment"]["TRUSTED_PROXY_COUNT"]) == "1"
    # Only nginx is published; gunicorn is reachable inside the stack only.
    assert "ports" not in web and web["expose"] == ["8000"]
    nginx = compose["services"]["nginx"]
    assert nginx["depends_on"]["web"]["condition"] == "service_healthy"
    assert set(nginx["ports"]) == {"${HTTP_PORT:-80}:80", "${WEB_PORT:-443}:443"}


def test_compose_volumes_exist_and_bind_mounts_are_the_nginx_files(compose):
    named = set(compose["volumes"])
    assert {"pgdata", "redisdata", "media", "static", "beat"} <= named
    for name, service in compose["services"].items():
        for source in mounts(service).values():
            if source.startswith("./"):
                assert (ROOT / source).is_file(), (name, source)
            elif source.startswith("${"):
                assert re.fullmatch(r"\$\{TLS_(CERT|KEY)_PATH:\?[^}]+\}", source), source
            else:
                assert source in named, (name, source)
    assert mounts(compose["services"]["postgres"])["/var/lib/postgresql/data"] == "pgdata"


def test_docker_compose_config_validates():
    docker = shutil.which("docker")
    if not docker:
        pytest.skip("docker is not installed")
    probe = subprocess.run([docker, "compose", "version"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip("the docker compose plugin is not installed")
    result = subprocess.run(
        [docker, "compose", "-f", str(ROOT / "docker-compose.yml"), "config", "--quiet"],
        cwd=ROOT,
        env={**os.environ, **COMPOSE_ENV},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


# --- nginx -------------------------------------------------------------------------------


def test_nginx_configuration_matches_the_compose_stack(compose):
    conf = nginx_conf()
    services = compose["services"]
    nginx_mounts = mounts(services["nginx"])
    # The template is mounted where the nginx image renders templates from.
    assert nginx_mounts["/etc/nginx/templates/default.conf.template"] == (
        "./deploy/nginx/default.conf.template"
    )
    # The upstream is the web service on the port gunicorn binds.
    upstream = re.search(r"server (\w+):(\d+);", conf)
    assert upstream.group(1) in services and upstream.group(1) == "web"
    assert f"--bind 0.0.0.0:{upstream.group(2)}" in services["web"]["command"]
    # Static files: the volume web collects into, read-only in nginx.
    static = location_block(conf, "/static/")
    static_dir = re.search(r"alias (\S+)/;", static).group(1)
    assert mounts(services["web"])[static_dir] == "static"
    assert f"static:{static_dir}:ro" in services["nginx"]["volumes"]
    assert re.search(r"STATIC_ROOT = BASE_DIR / \"staticfiles\"", settings_source())
    # Protected media: internal only, the media volume where MEDIA_ROOT points, read-only.
    protected = location_block(conf, "/_protected/")
    assert re.search(r"^\s*internal;", protected, re.M)
    media_dir = re.search(r"alias (\S+)/;", protected).group(1)
    assert media_dir == "/app/media" == services["web"]["environment"]["MEDIA_ROOT"]
    assert f"media:{media_dir}:ro" in services["nginx"]["volumes"]
    # /media/ itself is not served from disk: it goes to Django, which decides.
    assert "location /media/" not in conf
    # TLS: the certificate and key are the files the TLS_*_PATH variables are mounted as.
    cert = re.search(r"ssl_certificate (\S+);", conf).group(1)
    key = re.search(r"ssl_certificate_key (\S+);", conf).group(1)
    assert nginx_mounts[cert].startswith("${TLS_CERT_PATH:?")
    assert nginx_mounts[key].startswith("${TLS_KEY_PATH:?")
    for mount in services["nginx"]["volumes"]:
        if isinstance(mount, dict):  # a missing certificate file fails, not an empty folder
            assert mount["read_only"] is True and mount["bind"]["create_host_path"] is False
    # Plain http only redirects; the redirect uses the published port given to nginx.
    assert re.search(r"return 301 https://\$host\$https_port_suffix\$request_uri;", conf)
    assert services["nginx"]["environment"]["WEB_PORT"] == "${WEB_PORT:-443}"
    # The only variables the image substitutes are those given to the container.
    assert set(re.findall(r"\$\{([A-Z_]+)\}", conf)) <= set(services["nginx"]["environment"])
    # Django sees https and the client address appended by one proxy.
    proxied = location_block(conf.split("listen 443", 1)[1], "/")
    assert "proxy_set_header X-Forwarded-Proto https;" in proxied
    assert "$proxy_add_x_forwarded_for" in proxied


def settings_source() -> str:
    return (ROOT / "config" / "settings.py").read_text(encoding="utf-8")


def nginx_binary() -> str:
    binary = os.environ.get("NGINX_BIN") or shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(binary).is_file():
        pytest.skip("no nginx binary (CI unpacks Debian's; NGINX_BIN)")
    return binary


def temp_paths(directory: Path) -> str:
    """nginx's working folders and logs inside the test's folder (not the packaged paths)."""
    kinds = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    return "access_log off;\n" + "".join(
        f"{kind}_temp_path {directory}/{kind};\n" for kind in kinds
    )


def self_signed(directory: Path) -> None:
    """cert.pem and key.pem for localhost in ``directory``."""
    if not shutil.which("openssl"):
        pytest.skip("openssl is not installed")
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=localhost", "-keyout", str(directory / "key.pem")),
            *("-out", str(directory / "cert.pem")),
        ],
        check=True,
        capture_output=True,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def served(tmp_path, request):
    """The compose stack's nginx configuration, run for real on loopback ports: web replaced by
    a small upstream that answers /media/ with X-Accel-Redirect as Django does. An indirect
    parameter sets WEB_PORT (default: the port nginx really listens on)."""
    nginx = nginx_binary()
    http_port, https_port, upstream_port = free_port(), free_port(), free_port()
    published = getattr(request, "param", https_port)
    self_signed(tmp_path)
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "site.css").write_text("body{}")
    (tmp_path / "media" / "cases").mkdir(parents=True)
    (tmp_path / "media" / "cases" / "photo.jpg").write_bytes(b"JPEG-BYTES")
    conf = (
        nginx_conf()
        .replace("${WEB_PORT}", str(published))
        .replace("server web:8000;", f"server 127.0.0.1:{upstream_port};")
        .replace("listen 80 ", f"listen 127.0.0.1:{http_port} ")
        .replace("listen 443 ", f"listen 127.0.0.1:{https_port} ")
        .replace("/etc/nginx/tls/", f"{tmp_path}/")
        .replace("/app/staticfiles/", f"{tmp_path}/static/")
        .replace("/app/media/", f"{tmp_path}/media/")
    )
    assert conf.count("listen 127.0.0.1:") == 2 and "listen 80" not in conf, conf
    (tmp_path / "site.conf").write_text(conf)
    (tmp_path / "nginx.conf").write_text(
        f"daemon off;\nworker_processes 1;\npid {tmp_path}/nginx.pid;\n"
        f"error_log {tmp_path}/error.log;\nuser root;\nevents {{}}\n"
        f"http {{\n{temp_paths(tmp_path)}include {tmp_path}/site.conf;\n}}\n"
    )
    upstream = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("accel_upstream.py")), str(upstream_port)]
    )
    server = subprocess.Popen(
        [nginx, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-e", "stderr"],
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", https_port), timeout=0.2).close()
                socket.create_connection(("127.0.0.1", upstream_port), timeout=0.2).close()
                break
            except OSError:
                assert server.poll() is None, server.stderr.read().decode()
                time.sleep(0.1)
        yield {"http": http_port, "https": https_port}
    finally:
        server.terminate()
        upstream.terminate()
        server.wait(10)
        upstream.wait(10)


def test_nginx_accepts_the_configuration(tmp_path):
    """`nginx -t` on the template as the image renders it (only the upstream host and the
    certificate folder differ: neither exists outside the stack)."""
    nginx = nginx_binary()
    self_signed(tmp_path)
    conf = (
        nginx_conf()
        .replace("${WEB_PORT}", "443")
        .replace("server web:8000;", "server 127.0.0.1:8000;")
        .replace("/etc/nginx/tls/", f"{tmp_path}/")
    )
    (tmp_path / "site.conf").write_text(conf)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log stderr;\nevents {{}}\n"
        f"http {{\n{temp_paths(tmp_path)}include {tmp_path}/site.conf;\n}}\n"
    )
    result = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-e", "stderr"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr


def fetch(url: str) -> tuple[int, dict, bytes]:
    import ssl

    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect, urllib.request.HTTPSHandler(context=context))
    try:
        with opener.open(url, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_nginx_redirects_http_serves_static_and_only_accel_redirected_media(served):
    status, headers, _ = fetch(f"http://localhost:{served['http']}/admin/?q=1")
    assert status == 301
    assert headers["Location"] == f"https://localhost:{served['https']}/admin/?q=1"

    base = f"https://localhost:{served['https']}"
    assert fetch(f"{base}/static/site.css")[2] == b"body{}"
    # The upstream (standing in for Django) allowed this one: nginx sends the file.
    status, headers, body = fetch(f"{base}/media/cases/photo.jpg")
    assert (status, body) == (200, b"JPEG-BYTES")
    # Django refused: its 404 stands, the file is not reachable any other way.
    assert fetch(f"{base}/media/cases/denied.jpg")[0] == 404
    assert fetch(f"{base}/_protected/cases/photo.jpg")[0] == 404
    # Everything else is proxied with the headers Django relies on.
    status, _, body = fetch(f"{base}/echo")
    assert status == 200
    assert b"proto=https" in body and f"host=localhost:{served['https']}".encode() in body
    assert b"for=127.0.0.1" in body


@pytest.mark.parametrize("served", [443], indirect=True)
def test_nginx_redirect_leaves_out_the_default_https_port(served):
    status, headers, _ = fetch(f"http://localhost:{served['http']}/portal/")
    assert (status, headers["Location"]) == (301, "https://localhost/portal/")


# --- .env, .gitignore, .dockerignore --------------------------------------------------------


def test_env_example_lists_every_variable():
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    listed = set(re.findall(r"^#?([A-Z][A-Z0-9_]+)=", text, re.M))
    expected = readme_table_variables() | compose_variables() | DEVELOPMENT_ONLY
    assert not expected - listed, f"add to .env.example: {sorted(expected - listed)}"
    assert not listed - expected, f"not documented: {sorted(listed - expected)}"


def test_dotenv_is_ignored_by_git_and_docker():
    if shutil.which("git") and (ROOT / ".git").exists():
        ignored = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=ROOT)
        assert ignored.returncode == 0
        kept = subprocess.run(["git", "check-ignore", "-q", ".env.example"], cwd=ROOT)
        assert kept.returncode == 1
    assert ".env" in (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".git", ".venv", "db.sqlite3", ".env"} <= set(ignored)


# --- Dockerfile, locks, packaging, Makefile, CI ---------------------------------------------


def test_dockerfile_installs_the_production_lock_into_a_non_root_image():
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    lines = [line.strip() for line in text.splitlines()]
    froms = [line for line in lines if line.startswith("FROM")]
    assert froms == ["FROM python:3.11-slim"]
    assert "COPY requirements-prod.lock ./" in lines
    assert "RUN pip install --require-hashes --no-deps -r requirements-prod.lock" in lines
    assert not [line for line in lines if re.match(r"RUN pip install (?!--require-hashes)", line)]
    assert "collectstatic --noinput" in text
    assert "chown -R app:app /app/media /app/beat /app/staticfiles" in text
    users = [line for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in {"USER root", "USER 0"}
    assert "gunicorn" in text


def lock_pins(path: Path) -> dict[str, str]:
    return dict(re.findall(r"^([a-z0-9][a-z0-9._-]*)==(\S+)", path.read_text(), re.M))


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_locks_pin_every_dependency_with_hashes_and_agree():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    dev, prod = lock_pins(ROOT / "requirements.lock"), lock_pins(ROOT / "requirements-prod.lock")

    def names(requirements):
        return {canonical(re.match(r"[A-Za-z0-9._-]+", r).group()) for r in requirements}

    assert names(project["dependencies"]) <= set(prod)
    assert names(project["dependencies"] + project["optional-dependencies"]["dev"]) <= set(dev)
    # The image gets exactly the versions CI tested.
    assert {name: dev[name] for name in prod} == prod
    for lock in ("requirements.lock", "requirements-prod.lock"):
        text = (ROOT / lock).read_text()
        entries = re.split(r"\n(?=[a-z0-9])", text.split("\n", 2)[2])
        assert entries and all("--hash=sha256:" in entry for entry in entries), lock


def copy_for_lock_check(tmp_path: Path) -> Path:
    for name in ("pyproject.toml", "requirements.lock", "requirements-prod.lock"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / "deploy").mkdir()
    shutil.copy(ROOT / "deploy" / "lockfile.py", tmp_path / "deploy" / "lockfile.py")
    return tmp_path


def lock_check(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "deploy/lockfile.py", "check"], cwd=root, capture_output=True, text=True
    )


def test_lock_check_passes_on_the_committed_locks():
    result = lock_check(ROOT)
    assert result.returncode == 0, result.stderr


def test_lock_check_fails_with_the_fix_when_a_dependency_changes(tmp_path):
    root = copy_for_lock_check(tmp_path)
    pyproject = root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace('"redis>=5",', '"redis>=5",\n    "orjson>=3",')
    )
    result = lock_check(root)
    assert result.returncode == 1
    assert "requirements.lock" in result.stderr and "`make lock`" in result.stderr


def test_lock_check_ignores_changes_outside_the_dependencies(tmp_path):
    root = copy_for_lock_check(tmp_path)
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("line-length = 100", "line-length = 99"))
    assert lock_check(root).returncode == 0


def test_pyproject_installs_every_package_with_its_files():
    from setuptools import find_namespace_packages

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    found = set(
        find_namespace_packages(
            str(ROOT),
            include=config["packages"]["find"]["include"],
            exclude=config["packages"]["find"]["exclude"],
        )
    )
    sys.path.insert(0, str(ROOT))
    from django.conf import settings

    for app in settings.PROJECT_APPS:
        package_dir = ROOT / app.replace(".", "/")
        for init in package_dir.rglob("__init__.py"):
            package = ".".join(init.parent.relative_to(ROOT).parts)
            assert package in found, package
    assert {"config", "templates", "static"} <= found
    # Every kind of non-Python file those packages hold is shipped as package data.
    patterns = config["package-data"]["*"]
    for package in found:
        for path in (ROOT / package.replace(".", "/")).iterdir():
            if path.is_file() and path.suffix not in {".py", ".pyc"}:
                assert f"*{path.suffix}" in patterns, path


def make_dry_run(*targets: str) -> str:
    if not shutil.which("make"):
        pytest.skip("make is not installed")
    result = subprocess.run(
        ["make", "-n", *targets, "VENV=/nonexistent/venv"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_make_installs_the_lock_then_the_project_without_dependencies():
    commands = make_dry_run("venv")
    install_lock = commands.index("pip install --quiet --require-hashes -r requirements.lock")
    install_project = commands.index("pip install --quiet --no-deps -e .")
    assert install_lock < install_project
    assert "deploy/lockfile.py compile" in make_dry_run("lock")
    assert "deploy/lockfile.py check" in make_dry_run("lock-check")


def test_ci_checks_the_lock_and_runs_the_suite():
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    steps = [
        "make lock-check",
        "CREATE DATABASE",
        "make venv",
        ".venv/bin/ruff check .",
        "makemigrations --check",
        "make test",
    ]
    positions = [script.index(step) for step in steps]
    assert positions == sorted(positions)


# --- README --------------------------------------------------------------------------------


def test_readme_documents_the_make_knobs_compose_variables_and_prerequisites():
    text = readme()
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    knobs = set(re.findall(r"^([A-Z_]+) \?=", makefile, re.M)) | {"PYTEST_ARGS", "LOCK_ARGS"}
    for name in knobs | compose_variables():
        assert f"`{name}" in text, name
    for phrase in ("python3-venv", "APP_ENV=test", "make lock", "make lock-check", "make clean"):
        assert phrase in text, phrase
    assert re.search(r"`make clean`[^\n]*(删除|deletes)[^\n]*(数据库|database)", text)
