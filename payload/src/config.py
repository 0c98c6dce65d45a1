"""Settings of the service, read from an environment file and the process environment.

Precedence (later wins): the defaults below < the environment file < the process environment.
The environment file is `$APP_ENV_FILE` when set (the deploy hooks point it at
`<destination>/var/app.env`), else `configs/sample.env` next to the code.

File format: `KEY=VALUE` lines, blank lines and `#` comments, an optional `export ` prefix and
optional matching quotes around the value; nothing is expanded. This is the subset that systemd's
`EnvironmentFile=`, docker compose's `env_file:` and this module all read the same way.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PAYLOAD_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ENV_FILE = PAYLOAD_ROOT / "configs" / "sample.env"
LOG_LEVELS = ("critical", "error", "warning", "info", "debug")


class SettingsError(ValueError):
    """A setting has a bad value; the message names the variable and the fix."""


@dataclass(frozen=True)
class Settings:
    app_name: str = "python-app"
    app_version: str = "0.1.0"
    environment: str = "development"
    log_level: str = "info"
    host: str = "127.0.0.1"
    port: int = 8000
    health_path: str = "/health"
    # Written by the AfterInstall hook from CodeDeploy's environment; absent when run by hand.
    deployment_id: str | None = None
    deployment_group: str | None = None
    application_name: str | None = None
    revision: str | None = None
    deployed_at: str | None = None


#: environment variable -> Settings field
VARIABLES = {
    "APP_NAME": "app_name",
    "APP_VERSION": "app_version",
    "APP_ENV": "environment",
    "LOG_LEVEL": "log_level",
    "APP_HOST": "host",
    "APP_PORT": "port",
    "APP_HEALTH_PATH": "health_path",
    "DEPLOYMENT_ID": "deployment_id",
    "DEPLOYMENT_GROUP_NAME": "deployment_group",
    "APPLICATION_NAME": "application_name",
    "APP_REVISION": "revision",
    "APP_DEPLOYED_AT": "deployed_at",
}


def parse_env_file(text: str, source: str = "<env file>") -> dict[str, str]:
    """The `KEY=VALUE` pairs of an environment file (last assignment of a key wins)."""
    values: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :].lstrip()
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not key.isidentifier():
            raise SettingsError(f"{source}:{number}: expected KEY=VALUE, got {raw.strip()!r}")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[key] = value
    return values


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise SettingsError(f"APP_PORT: {value!r} is not a TCP port; use a number from 1 to 65535")
    return port


def _log_level(value: str) -> str:
    level = value.strip().lower()
    if level not in LOG_LEVELS:
        raise SettingsError(f"LOG_LEVEL: {value!r} is not a log level; use one of {LOG_LEVELS}")
    return level


def _health_path(value: str) -> str:
    if not value.startswith("/"):
        raise SettingsError(f"APP_HEALTH_PATH: {value!r} must start with '/', e.g. '/health'")
    return value


def load_settings(
    env_file: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Build the settings from `env_file` (default: `$APP_ENV_FILE` or configs/sample.env)
    and `environ` (default: the process environment)."""
    environ = os.environ if environ is None else environ
    path = Path(env_file or environ.get("APP_ENV_FILE") or DEFAULT_ENV_FILE)
    merged: dict[str, str] = {}
    if path.is_file():
        merged.update(parse_env_file(path.read_text(encoding="utf-8"), str(path)))
    elif env_file or environ.get("APP_ENV_FILE"):
        raise SettingsError(f"APP_ENV_FILE: {str(path)!r} does not exist")
    merged.update({k: v for k, v in environ.items() if k in VARIABLES})

    fields: dict[str, object] = {}
    for variable, name in VARIABLES.items():
        value = merged.get(variable, "")
        if value == "":
            continue  # unset or empty: keep the default
        if name == "port":
            fields[name] = _port(value)
        elif name == "log_level":
            fields[name] = _log_level(value)
        elif name == "health_path":
            fields[name] = _health_path(value)
        else:
            fields[name] = value
    return Settings(**fields)  # type: ignore[arg-type]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process (read once)."""
    return load_settings()
