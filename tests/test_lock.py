"""The committed lock is what both README commands install, and it agrees with pyproject.toml:
every dependency pyproject declares (runtime and every extra) is pinned exactly, inside the
declared range, and the install this suite runs in is the locked one.
"""

from __future__ import annotations

import re
import tomllib
from importlib import metadata

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import REPO

LOCK = REPO / "constraints.txt"
README = (REPO / "README.md").read_text(encoding="utf-8")


def _pins(path: str) -> dict[str, str]:
    """name -> version of the lock's lines that apply to this interpreter and platform."""
    pins: dict[str, str] = {}
    for raw in (REPO / path).read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        spec, _, marker = line.partition(";")
        if marker.strip() and not Marker(marker.strip()).evaluate():
            continue
        name, _, version = spec.strip().partition("==")
        assert version, f"{path}: not an exact pin: {line!r}"
        pins[canonicalize_name(name)] = version.strip()
    return pins


def _declared() -> list[Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        reqs.extend(extra)
    return [Requirement(r) for r in reqs]


def test_every_declared_dependency_is_pinned_inside_its_range() -> None:
    pins = _pins("constraints.txt")
    for req in _declared():
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is not in the lock: refresh it (README, Dependencies)"
        assert req.specifier.contains(pins[name], prereleases=True), (
            f"the lock pins {req.name}=={pins[name]}, outside pyproject's {req.specifier}: "
            "refresh the lock"
        )


def test_this_environment_is_the_locked_one() -> None:
    """The suite runs in what the README's test command installs: every locked package at its
    locked version (a stale venv or an unlocked install fails here, naming the package)."""
    wrong = {}
    for name, version in _pins("constraints.txt").items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            wrong[name] = (None, version)
            continue
        if installed != version:
            wrong[name] = (installed, version)
    assert not wrong, f"installed vs locked: {wrong}; run the README's test command"


def test_checkov_is_locked_too() -> None:
    pins = _pins(".ci/checkov.txt")
    assert "checkov" in pins
    ci = (REPO / ".ci" / "run").read_text()
    assert ".ci/checkov.txt" in ci


def test_both_readme_commands_install_from_the_lock() -> None:
    commands = re.findall(r"```bash\n(python3 -m venv .*?)\n```", README)
    assert len(commands) >= 2
    for command in commands[:2]:
        assert "-c constraints.txt" in command, command
