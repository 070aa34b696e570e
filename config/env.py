"""Reading configuration from the environment, failing with one clear sentence."""

import os
import sys
from urllib.parse import urlsplit

import environ


class ConfigurationError(Exception):
    """A setting is missing or malformed; the message is one sentence for the operator."""


def redact_url(url: str) -> str:
    """The URL with its password replaced by ``***``, for messages and logs.

    Works on malformed URLs too (those are the ones that end up in error messages): whatever
    stands between the first ``:`` of the user part and the last ``@`` is the password.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    at = rest.rfind("@")
    if at == -1:
        return url
    user, colon, _password = rest[:at].partition(":")
    return f"{scheme}{sep}{user}{':***' if colon else ''}{rest[at:]}"


def parse_database_url(url: str) -> dict:
    try:
        parts = urlsplit(url)
        scheme = parts.scheme
        if scheme not in {"postgres", "postgresql", "pgsql", "postgis", "sqlite"}:
            raise ValueError(scheme)
        if scheme != "sqlite" and (not parts.hostname or not parts.path.strip("/")):
            raise ValueError("host or database name missing")
        parts.port  # noqa: B018 - raises ValueError on a malformed port
        config = environ.Env.db_url_config(url)
    except (ValueError, TypeError, KeyError) as exc:
        raise ConfigurationError(
            f"DATABASE_URL 格式错误（{redact_url(url)!r}），应形如 postgres://用户:密码@主机:5432/库名。"
        ) from exc
    return config


_TRUE = {"1", "true", "yes", "on", "y"}
_FALSE = {"0", "false", "no", "off", "n"}


def env_bool(name: str, default: bool) -> bool:
    """A boolean variable; anything but true/false (1/0, yes/no, on/off) is an error."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise ConfigurationError(f"环境变量 {name} 只能是 true 或 false，而不是 {raw!r}。")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigurationError(f"环境变量 {name} 应为整数，而不是 {raw!r}。") from None


def fail_fast(exc: ConfigurationError) -> None:
    """Print the sentence and stop the process, instead of a traceback."""
    sys.stderr.write(f"配置错误：{exc}\n")
    sys.exit(2)


def load_settings_or_exit() -> None:
    """Import the settings module once so configuration errors stop start-up cleanly."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    try:
        from django.conf import settings

        settings.INSTALLED_APPS  # noqa: B018 - forces the import
    except ConfigurationError as exc:
        fail_fast(exc)
