"""The sample service as rendered into a workspace: its own tests pass there, its pins and
configuration files are consistent (Docker cannot run here, so those are checked statically)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from tests.payload_support import render_payload
from wizard.core import resources
from wizard.core.answers import default_answers

PAYLOAD = resources.payload_dir()


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render_payload(default_answers(), tmp_path_factory.mktemp("workspace"))


def test_the_services_own_tests_pass_in_the_rendered_payload(rendered: Path) -> None:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("APP_ENV_FILE", None)
    ran = subprocess.run(
        [sys.executable, "-m", "pytest", "-q"],
        cwd=rendered,
        env=env,
        capture_output=True,
        text=True,
    )
    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-2000:]
    assert re.search(r"\b\d+ passed\b", ran.stdout)
    assert " failed" not in ran.stdout


def test_runtime_requirements_are_all_pinned() -> None:
    lines = [
        line.split("#", 1)[0].strip()
        for line in (PAYLOAD / "dependencies" / "requirements.pip").read_text().splitlines()
    ]
    pins = [line for line in lines if line]
    assert pins
    names = set()
    for pin in pins:
        match = re.fullmatch(
            r"([A-Za-z0-9._-]+)==([0-9][A-Za-z0-9.]*)( ; python_version < \"3\.\d+\")?", pin
        )
        assert match, f"not pinned exactly: {pin!r}"
        names.add(match.group(1).lower())
    assert {"fastapi", "hypercorn", "pydantic", "starlette"} <= names


def test_hypercorn_config_is_valid_for_hypercorn() -> None:
    from hypercorn.config import Config

    path = PAYLOAD / "configs" / "hypercorn.toml"
    config = Config.from_toml(path)
    assert tomllib.loads(path.read_text())["accesslog"] == "-"
    assert config.workers >= 1


def test_container_files_agree_with_the_service() -> None:
    dockerfile = (PAYLOAD / "Dockerfile").read_text()
    assert "COPY dependencies/requirements.pip" in dockerfile
    assert '"--config", "configs/hypercorn.toml"' in dockerfile
    assert '"src.main:app"' in dockerfile
    assert re.search(r"^USER app$", dockerfile, re.MULTILINE)
    for copied in re.findall(r"^COPY (\S+)", dockerfile, re.MULTILINE):
        assert (PAYLOAD / copied).exists(), copied
    compose = yaml.safe_load((PAYLOAD / "docker-compose.yml").read_text())
    service = compose["services"]["app"]
    assert service["build"] == "."
    assert (PAYLOAD / service["env_file"]).is_file()
    assert service["ports"] == ["127.0.0.1:8000:8000"]
    assert "version" not in compose  # obsolete in the compose specification


def test_ignore_files_keep_caches_and_state_out() -> None:
    ignored = (PAYLOAD / ".gitignore").read_text().split()
    assert {"__pycache__/", ".venv/", "var/", ".pytest_cache/"} <= set(ignored)
    docker_ignored = (PAYLOAD / ".dockerignore").read_text().split()
    assert {".venv", "var", "**/__pycache__"} <= set(docker_ignored)


def test_unit_placeholders_are_the_ones_the_start_hook_replaces(rendered: Path) -> None:
    unit = (PAYLOAD / "configs" / "python-app.service").read_text()
    start = (rendered / "scripts" / "start_server.sh").read_text()
    placeholders = set(re.findall(r"@[A-Z_]+@", unit))
    replaced = set(re.findall(r"unit=\$\{unit//(@[A-Z_]+@)/", start))
    assert placeholders == replaced == {"@APP_HOME@", "@APP_USER@", "@APP_GROUP@", "@APP_NAME@"}
