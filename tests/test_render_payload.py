"""The rendered payload: layout, appspec rules the CodeDeploy agent enforces, hook scripts that
pass bash -n and shellcheck, and answer values that stay inert in shell and YAML."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.payload_support import HOOK_ORDER
from wizard.core import resources
from wizard.core.answers import Answers, AnswersError, default_answers, validate_mapping
from wizard.core.events.lifecycle import SCRIPTABLE_EVENTS
from wizard.core.render import RenderedTree, render

SCRIPTS = (
    "stop_server.sh",
    "before_install.sh",
    "after_install.sh",
    "start_server.sh",
    "validate_service.sh",
)
#: Every hook name the agent knows (in-place and blue/green); anything else is never invoked.
KNOWN_HOOKS = SCRIPTABLE_EVENTS
SEED_LAYOUT = [
    "Dockerfile",
    "Makefile",
    "README.md",
    "appspec.yml",
    "configs/hypercorn.toml",
    "configs/python-app.service",
    "configs/sample.env",
    "dependencies/requirements.pip",
    "docker-compose.yml",
    *(f"scripts/{name}" for name in SCRIPTS),
    "src/config.py",
    "src/main.py",
    "src/models.py",
    "src/tests/__init__.py",
    "src/tests/test_main.py",
]

VARIANTS = {
    "default": {},
    "disallow-root-short": {
        "file_exists_behavior": "DISALLOW",
        "user": "root",
        "hook_timeout": 1,
        "port": 80,
    },
    "retain-long-custom-health": {
        "file_exists_behavior": "RETAIN",
        "hook_timeout": 3600,
        "health_path": "/ops/ready",
        "destination": "/srv/devops-python-service",
        "user": "app_user-1",
        "bind_address": "127.0.0.1",
    },
}


def _answers(variant: str) -> Answers:
    return validate_mapping({"version": 1, "payload": VARIANTS[variant]})


def _payload(tree: RenderedTree) -> dict[str, tuple[bytes, int]]:
    return {
        key.removeprefix("payload/"): (f.content, f.mode)
        for key, f in tree.items()
        if key.startswith("payload/")
    }


def _write(tree: RenderedTree, out: Path) -> Path:
    for rel, (content, mode) in _payload(tree).items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        path.chmod(mode)
    return out


def test_the_payload_has_the_seed_layout_and_no_caches() -> None:
    files = _payload(render(default_answers()))
    assert set(SEED_LAYOUT) <= set(files)
    for rel in files:
        assert not re.search(r"(^|/)(__pycache__|\.pytest_cache|\.venv|var)(/|$)|\.py[co]$", rel)
    for name in SCRIPTS:
        assert files[f"scripts/{name}"][1] == 0o755
    for rel, (content, _mode) in files.items():
        source = resources.payload_dir() / rel
        if source.is_file():  # static files are copied byte for byte
            assert content == source.read_bytes(), rel


def test_rendering_the_payload_is_deterministic() -> None:
    assert _payload(render(default_answers())) == _payload(render(default_answers()))


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_appspec_obeys_the_agent_rules(variant: str) -> None:
    answers = _answers(variant)
    files = _payload(render(answers))
    text = files["appspec.yml"][0].decode()
    spec = yaml.safe_load(text)

    # version: the agent compares with the float 0.0; a quoted "0.0" is refused
    assert re.search(r"^version: 0\.0$", text, re.MULTILINE)
    assert isinstance(spec["version"], float)
    assert spec["version"] == 0.0
    assert spec["os"] == "linux"
    assert spec["files"] == [{"source": "/", "destination": answers.payload.destination}]
    assert spec["file_exists_behavior"] == answers.payload.file_exists_behavior
    assert spec["file_exists_behavior"] in {"DISALLOW", "OVERWRITE", "RETAIN"}

    hooks = spec["hooks"]
    assert list(hooks) == list(HOOK_ORDER)
    assert set(hooks) <= KNOWN_HOOKS
    for event, entries in hooks.items():
        assert isinstance(entries, list)
        assert entries, event
        for entry in entries:
            location = str(entry["location"]).strip()
            assert location, event
            assert location in files, f"{event}: {location} is not in the bundle"
            assert files[location][1] & 0o111, f"{event}: {location} is not executable"
            assert isinstance(entry["timeout"], int)
            assert 0 < entry["timeout"] <= 3600
            assert entry["timeout"] == answers.payload.hook_timeout
            assert isinstance(entry["runas"], str)
            assert entry["runas"]
    assert hooks["BeforeInstall"][0]["runas"] == "root"  # it creates the run-as user
    assert hooks["AfterInstall"][0]["runas"] == answers.payload.user
    assert hooks["ValidateService"][0]["runas"] == answers.payload.user


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_hooks_pass_bash_n_and_shellcheck(variant: str, tmp_path: Path) -> None:
    bundle = _write(render(_answers(variant)), tmp_path)
    scripts = [bundle / "scripts" / name for name in SCRIPTS]
    for script in scripts:
        checked = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
        assert checked.returncode == 0, f"{script.name}: {checked.stderr}"
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        pytest.skip("shellcheck is not installed (Debian/Ubuntu: apt-get install shellcheck)")
    linted = subprocess.run(
        [shellcheck, "--shell=bash", "--severity=style", *map(str, scripts)],
        capture_output=True,
        text=True,
    )
    assert linted.returncode == 0, linted.stdout + linted.stderr


def test_each_hook_starts_safely_and_assigns_each_value_once() -> None:
    files = _payload(render(default_answers()))
    for name in SCRIPTS:
        text = files[f"scripts/{name}"][0].decode()
        assert text.startswith("#!/usr/bin/env bash\n"), name
        commands = [ln for ln in text.splitlines()[1:] if ln.strip() and not ln.startswith("#")]
        assert commands[0] == "set -euo pipefail", name
        for variable in ("DESTINATION", "APP_USER", "APP_PORT", "HEALTH_PATH", "HOOK_TIMEOUT"):
            assert len(re.findall(rf"^\s*{variable}=", text, re.MULTILINE)) == 1, (name, variable)
        # no answer is pasted anywhere else in the script
        assert text.count("/home/snake/_target") == 1, name


# --- hostile values -------------------------------------------------------------------------

HOSTILE = [
    "$(touch pwned)",
    "`touch pwned`",
    "${HOME}",
    "a'b\"c",
    "line\nbreak",
    "x; touch pwned",
    "/srv/x && touch pwned",
    "../../etc",
    "ünïcødé",
    "-rf",
    "x" * 5000,
]


@pytest.mark.parametrize("field", ["destination", "user", "health_path"])
@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_values_are_rejected_by_the_answers(field: str, value: str) -> None:
    with pytest.raises(AnswersError, match=rf"payload\.{field}"):
        validate_mapping({"version": 1, "payload": {field: value}})


#: Values the answers rules accept that are still awkward in shell, YAML or URLs.
ALLOWED_ODDITIES = [
    {"destination": "/srv/-rf/--help", "user": "no", "health_path": "/~root/-x"},
    {"destination": "/opt/app/.hidden/a..b", "user": "_", "health_path": "/"},
    {"destination": "/srv/a-b_c.d/" + "x" * 200, "user": "on", "health_path": "/a/../b"},
    {"destination": "/data/null", "user": "null", "health_path": "/health~0"},
]


def _values_block(script: str) -> str:
    start = script.index("# --- answers")
    return script[start : script.index("# --- derived", start)]


def _evaluated(block: str, cwd: Path) -> list[str]:
    probe = block + '\nprintf "%s\\0" "$DESTINATION" "$APP_USER" "$HEALTH_PATH" "$APP_PORT"\n'
    out = subprocess.run(["bash", "-c", probe], capture_output=True, cwd=cwd, check=True)
    return out.stdout.decode().split("\0")[:-1]


@pytest.mark.parametrize("values", ALLOWED_ODDITIES, ids=range(len(ALLOWED_ODDITIES)))
def test_allowed_odd_values_render_inert(values: dict[str, str], tmp_path: Path) -> None:
    answers = validate_mapping({"version": 1, "payload": values})
    files = _payload(render(answers))
    spec = yaml.safe_load(files["appspec.yml"][0])
    assert spec["files"][0]["destination"] == values["destination"]
    assert spec["hooks"]["AfterInstall"][0]["runas"] == values["user"]
    for name in SCRIPTS:
        script = files[f"scripts/{name}"][0].decode()
        expected = [values["destination"], values["user"], values["health_path"], "8000"]
        assert _evaluated(_values_block(script), tmp_path) == expected, name
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_even_unvalidated_values_render_inert(value: str, tmp_path: Path) -> None:
    """Defence in depth: if a value ever slipped past validation, the filters still hold."""
    answers = default_answers()
    payload = dataclasses.replace(answers.payload, destination=value, user=value, health_path=value)
    files = _payload(render(dataclasses.replace(answers, payload=payload)))
    spec = yaml.safe_load(files["appspec.yml"][0])
    assert spec["files"][0]["destination"] == value
    assert spec["hooks"]["ValidateService"][0]["runas"] == value
    for name in SCRIPTS:
        script = files[f"scripts/{name}"][0].decode()
        assert _evaluated(_values_block(script), tmp_path) == [value, value, value, "8000"], name
    assert list(tmp_path.iterdir()) == []


def test_a_hand_edited_bad_value_stops_the_hook_before_it_acts(tmp_path: Path) -> None:
    answers = default_answers()
    bad = f"{tmp_path}/x; touch {tmp_path}/pwned"
    payload = dataclasses.replace(answers.payload, destination=bad)
    bundle = _write(render(dataclasses.replace(answers, payload=payload)), tmp_path / "bundle")
    ran = subprocess.run(
        [str(bundle / "scripts" / "stop_server.sh")], capture_output=True, text=True, cwd=tmp_path
    )
    assert ran.returncode == 1
    assert "is not a plain absolute path; fix payload.destination" in ran.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle"]
