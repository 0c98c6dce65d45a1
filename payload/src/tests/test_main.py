"""Tests of the service: endpoints and settings (run with `make test`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from src.config import (
    DEFAULT_ENV_FILE,
    Settings,
    SettingsError,
    load_settings,
    parse_env_file,
)
from src.main import create_app


def client(**settings: object) -> TestClient:
    return TestClient(create_app(Settings(**settings)))  # type: ignore[arg-type]


def test_health_answers_exactly_status_ok() -> None:
    response = client().get("/health")
    assert response.status_code == 200
    assert response.text == '{"status":"ok"}'


def test_a_custom_health_path_is_served_too() -> None:
    http = client(health_path="/ops/ready")
    assert http.get("/ops/ready").text == '{"status":"ok"}'
    assert http.get("/health").status_code == 200


def test_version_shows_the_deployment() -> None:
    http = client(
        app_name="demo",
        app_version="1.2.3",
        deployment_id="d-MS07UR13G",
        deployment_group="demo-dg",
        application_name="demo",
        revision="sha256:0123456789ab",
    )
    body = http.get("/version").json()
    assert body == {
        "name": "demo",
        "version": "1.2.3",
        "deployment": {
            "id": "d-MS07UR13G",
            "group": "demo-dg",
            "application": "demo",
            "revision": "sha256:0123456789ab",
            "deployed_at": None,
        },
    }


def test_root_describes_the_service() -> None:
    body = client(environment="production", health_path="/ready").get("/").json()
    assert body["environment"] == "production"
    assert body["deployment"]["id"] is None
    assert {"/", "/version", "/health", "/ready"} <= set(body["endpoints"])
    assert body["uptime_seconds"] >= 0


def test_env_file_format() -> None:
    text = "# comment\n\nexport APP_NAME='quoted name'\nAPP_PORT = 9000\nEMPTY=\nAPP_PORT=9001\n"
    assert parse_env_file(text) == {"APP_NAME": "quoted name", "APP_PORT": "9001", "EMPTY": ""}
    with pytest.raises(SettingsError, match=r"x\.env:2: expected KEY=VALUE"):
        parse_env_file("A=1\nnot a pair\n", "x.env")


def test_settings_come_from_the_file_then_the_environment(tmp_path: Path) -> None:
    env_file = tmp_path / "app.env"
    env_file.write_text("APP_NAME=from-file\nAPP_PORT=9000\nDEPLOYMENT_ID=d-FILE\nLOG_LEVEL=DEBUG\n")
    settings = load_settings(env_file, environ={"APP_PORT": "9100", "UNRELATED": "x"})
    assert settings.app_name == "from-file"
    assert settings.port == 9100
    assert settings.deployment_id == "d-FILE"
    assert settings.log_level == "debug"
    via_variable = load_settings(environ={"APP_ENV_FILE": str(env_file)})
    assert via_variable.app_name == "from-file"


def test_the_sample_env_file_is_valid() -> None:
    settings = load_settings(DEFAULT_ENV_FILE, environ={})
    assert settings.port == 8000
    assert settings.health_path == "/health"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("APP_PORT", "http", "APP_PORT: 'http' is not a TCP port"),
        ("APP_PORT", "70000", "APP_PORT: '70000' is not a TCP port"),
        ("LOG_LEVEL", "loud", "LOG_LEVEL: 'loud' is not a log level"),
        ("APP_HEALTH_PATH", "health", "APP_HEALTH_PATH: 'health' must start with '/'"),
    ],
)
def test_bad_settings_name_the_variable(variable: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(DEFAULT_ENV_FILE, environ={variable: value})


def test_a_missing_env_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings(environ={"APP_ENV_FILE": str(tmp_path / "nope.env")})
