"""Deploying the payload in tests: render it, install its requirements offline, run its hooks.

Registered as a pytest plugin in `tests/conftest.py`, so every test module can use:

- `payload_wheelhouse` (session): a folder of wheels for `payload/dependencies/requirements.pip`,
  built once per test session with `pip wheel` by the Python the hooks will pick
  (`hook_python()`). Set `CDWIZARD_PAYLOAD_WHEELHOUSE` to a prebuilt folder to skip the build.
  Skips the test, with the reason, when the wheels cannot be built (no PyPI).
- `payload_pip_env` (session): `os.environ` plus `PIP_NO_INDEX=1` and `PIP_FIND_LINKS=<that
  folder>`: run the hooks with it and AfterInstall installs from the wheelhouse, without network.

and these helpers: `free_port()`, `payload_answers()`, `render_payload()`, `agent_env()`,
`run_hook()` (runs the scripts the appspec lists for one event the way the CodeDeploy agent
does; the full agent emulation is `cdwizard rehearse`), `pid_alive()`, `read_pid()`.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from wizard.core import resources
from wizard.core.answers import Answers, validate_mapping
from wizard.core.events.lifecycle import IN_PLACE_EVENTS, SCRIPTABLE_EVENTS
from wizard.core.render import render, write_workspace

REQUIREMENTS = resources.payload_dir() / "dependencies" / "requirements.pip"

#: The script hooks of an in-place deployment without a load balancer, in the agent's order.
HOOK_ORDER = tuple(e for e in IN_PLACE_EVENTS if e in SCRIPTABLE_EVENTS)

#: The interpreters the hooks try, in order (`find_python` in templates/payload/scripts/_lib).
PYTHON_CANDIDATES = (
    "python3",
    "python3.14",
    "python3.13",
    "python3.12",
    "python3.11",
    "python3.10",
)
_PYTHON_CHECK = (
    "import sys, venv, ensurepip; ensurepip.version(); sys.exit(sys.version_info < (3, 10))"
)


def hook_python() -> str | None:
    """The interpreter AfterInstall will build the virtual environment with, on this PATH."""
    for name in PYTHON_CANDIDATES:
        found = shutil.which(name)
        if found is None:
            continue
        if subprocess.run([found, "-I", "-c", _PYTHON_CHECK], capture_output=True).returncode == 0:
            return found
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="session")
def payload_wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    prebuilt = os.environ.get("CDWIZARD_PAYLOAD_WHEELHOUSE")
    if prebuilt:
        if not any(Path(prebuilt).glob("*.whl")):
            pytest.skip(f"CDWIZARD_PAYLOAD_WHEELHOUSE={prebuilt} holds no wheels")
        return Path(prebuilt)
    python = hook_python()
    if python is None:
        pytest.skip("no Python >= 3.10 with venv support on PATH (the hooks need one)")
    wheelhouse = tmp_path_factory.mktemp("payload-wheelhouse")
    pip = [python, "-m", "pip"]
    if subprocess.run([*pip, "--version"], capture_output=True).returncode != 0:
        venv = tmp_path_factory.mktemp("wheelhouse-venv")
        subprocess.run([python, "-m", "venv", str(venv)], check=True, capture_output=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip"]
    built = subprocess.run(
        [*pip, "wheel", "--quiet", "--disable-pip-version-check", "-r", str(REQUIREMENTS)],
        cwd=wheelhouse,
        capture_output=True,
        text=True,
    )
    if built.returncode != 0:
        pytest.skip(
            f"cannot build the payload wheelhouse (is PyPI reachable?): {built.stderr[-800:]}"
        )
    return wheelhouse


@pytest.fixture(scope="session")
def payload_pip_env(payload_wheelhouse: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PIP_NO_INDEX="1",
        PIP_FIND_LINKS=str(payload_wheelhouse),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_NO_INPUT="1",
    )
    return env


def payload_answers(
    destination: Path | str, *, port: int, user: str | None = None, **payload: Any
) -> Answers:
    """Validated answers for a local deployment: loopback only, run-as the current user."""
    values = {
        "destination": str(destination),
        "user": user or getpass.getuser(),
        "port": port,
        "bind_address": "127.0.0.1",
        **payload,
    }
    return validate_mapping({"version": 1, "payload": values})


def render_payload(answers: Answers, workspace: Path) -> Path:
    """Render into `workspace` like `cdwizard render` does; returns the bundle (`payload/`)."""
    write_workspace(render(answers), workspace)
    return workspace / "payload"


def agent_env(
    base: Mapping[str, str],
    event: str,
    deployment_id: str,
    *,
    application: str = "devops-python-service",
    group: str = "devops-python-service-dg",
    group_id: str = "6859c2df-1fdb-4591-94f9-7acf02eba479",
) -> dict[str, str]:
    """The inherited environment plus the five variables the agent adds for a hook."""
    env = dict(base)
    env.update(
        LIFECYCLE_EVENT=event,
        DEPLOYMENT_ID=deployment_id,
        APPLICATION_NAME=application,
        DEPLOYMENT_GROUP_NAME=group,
        DEPLOYMENT_GROUP_ID=group_id,
    )
    return env


@dataclass(frozen=True)
class HookResult:
    event: str
    location: str
    command: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def output(self) -> str:
        return f"--- stdout\n{self.stdout}--- stderr\n{self.stderr}"

    def check(self) -> HookResult:
        assert self.returncode == 0, (
            f"{self.event} ({self.location}) exited {self.returncode}\n{self.output}"
        )
        return self


def hook_command(script: Path, runas: str | None) -> list[str]:
    """How the agent starts a script: by absolute path, or `su USER -c PATH` with runas.

    Without root `su` cannot switch users, so the script then runs as the current user (what a
    non-root rehearsal does)."""
    if runas and os.geteuid() == 0:
        return ["su", runas, "-c", str(script)]
    return [str(script)]


def run_hook(
    bundle: Path,
    event: str,
    env: Mapping[str, str],
    *,
    cwd: Path | None = None,
    as_user: str | None = None,
) -> list[HookResult]:
    """Run every script the bundle's appspec lists for `event`, in order, like the agent: by
    absolute path, in `cwd` (the agent's working directory, which the script inherits; default
    the caller's), each in its own process group, stdin closed, with the appspec timeout and
    `runas` through `su`. `as_user` runs every script as that user instead, whatever its
    runas, like an agent or a rehearsal without root. A script that times out, or leaves its
    stdout/stderr open past it, gets TERM to its group and fails the test."""
    spec = yaml.safe_load((bundle / "appspec.yml").read_text(encoding="utf-8"))
    results: list[HookResult] = []
    for entry in (spec.get("hooks") or {}).get(event) or []:
        script = (bundle / str(entry["location"]).strip()).resolve()
        timeout = int(entry.get("timeout", 3600))
        command = hook_command(script, as_user or entry.get("runas"))
        started = time.monotonic()
        proc = subprocess.Popen(
            command,
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            process_group=0,
        )
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            stdout, stderr = proc.communicate(timeout=30)
            raise AssertionError(
                f"{event} ({entry['location']}) did not finish, or left its outputs open, within "
                f"{timeout}s\n--- stdout\n{stdout}--- stderr\n{stderr}"
            ) from None
        result = HookResult(
            event,
            str(entry["location"]),
            tuple(command),
            proc.returncode,
            stdout,
            stderr,
            time.monotonic() - started,
        )
        results.append(result)
        if result.returncode != 0:
            break  # like the agent: the first failing script fails the event
    return results


def read_pid(pid_file: Path) -> int | None:
    try:
        text = pid_file.read_text().strip()
    except FileNotFoundError:
        return None
    return int(text) if text.isdigit() else None


def pid_alive(pid: int) -> bool:
    """The process exists and is not a zombie (an orphan nobody reaped is gone for us)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def kill_service(pid_file: Path) -> None:
    """Test clean-up: TERM (then KILL) the process group named by the service's pid file."""
    pid = read_pid(pid_file)
    if pid is None or not pid_alive(pid):
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(os.getpgid(pid), sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 10
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if not pid_alive(pid):
            return
