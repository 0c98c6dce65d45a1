"""Support for the fault tests (tests/test_faults.py): one sandbox workspace applied once per test
session and copied for each test, and a driver for a real cdwizard process that a test signals at
chosen moments (a line in its output, a pause point reached: see tests/faults/sitecustomize.py).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO

FAULTS = Path(__file__).parent / "faults"
DEFAULT_ANSWERS = "version: 1\n"


def cdwizard_env(pause_dir: Path | None = None, *pauses: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("CDWIZARD_DEBUG", None)
    if pause_dir is not None and pauses:
        env["PYTHONPATH"] = f"{FAULTS}{os.pathsep}{REPO}"
        env["CDWIZARD_TEST_PAUSE_DIR"] = str(pause_dir)
        env["CDWIZARD_TEST_PAUSE"] = ",".join(pauses)
    return env


def cli(
    *args: str,
    cwd: Path,
    mirror: Path | None,
    timeout: float = 600,
    env: dict[str, str] | None = None,
) -> tuple[int, list[dict[str, Any]], str]:
    """Run `cdwizard ARGS --json --provider-mirror MIRROR` to its end: (code, events, stderr);
    without a mirror, `cdwizard ARGS` as given (then stdout lines that are not JSON go to the
    returned stderr text too)."""
    extra = ["--json", "--provider-mirror", str(mirror)] if mirror is not None else []
    proc = subprocess.run(
        [sys.executable, "-m", "wizard", *args, *extra],
        cwd=cwd,
        env=env or cdwizard_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    lines = proc.stdout.splitlines()
    plain = "".join(f"{line}\n" for line in lines if not line.startswith("{"))
    return proc.returncode, _events(lines), plain + proc.stderr


def _events(lines: list[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in lines if line.startswith("{")]


def of(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == kind]


def texts(events: list[dict[str, Any]]) -> str:
    """Every notice's text and hint, one per line (to look for a message)."""
    return "\n".join(
        f"{e.get('text', '')} ({e.get('hint') or ''})" for e in events if e["type"] == "notice"
    )


#: `python -m wizard ARGS` with SIGINT, SIGTERM and SIGHUP at their defaults, as a shell starts
#: it (a test runner's worker may ignore SIGHUP, and ignored signals stay ignored across exec).
_WITH_DEFAULT_SIGNALS = [
    sys.executable,
    "-c",
    "import os, signal, sys\n"
    "for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP): signal.signal(s, signal.SIG_DFL)\n"
    "os.execv(sys.executable, [sys.executable, '-m', 'wizard', *sys.argv[1:]])",
]


class Driven:
    """A cdwizard process under test: its JSON events as they come, its pause points, signals."""

    def __init__(
        self, argv: list[str], *, cwd: Path, mirror: Path, pause_dir: Path, pauses: tuple[str, ...]
    ) -> None:
        self.pause_dir = pause_dir
        pause_dir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [*_WITH_DEFAULT_SIGNALS, *argv, "--json", "--provider-mirror", str(mirror)],
            cwd=cwd,
            env=cdwizard_env(pause_dir, *pauses),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.events: list[dict[str, Any]] = []
        self._lines: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._stderr: list[str] = []
        self._released: set[str] = set()
        threading.Thread(target=self._read_out, daemon=True).start()
        threading.Thread(target=self._read_err, daemon=True).start()

    def _read_out(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("{"):
                self._lines.put(json.loads(line))
            else:
                self._stderr.append(line)
        self._lines.put(None)

    def _read_err(self) -> None:
        assert self.proc.stderr is not None
        self._stderr.extend(self.proc.stderr)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def wait_event(
        self,
        wanted: Callable[[dict[str, Any]], bool],
        *,
        release: bool = True,
        timeout: float = 300,
    ) -> dict[str, Any]:
        """The first event (from now on) that `wanted` accepts; pause points reached meanwhile
        are released (with `release`)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if release:
                self.release_all()
            try:
                event = self._lines.get(timeout=0.05)
            except queue.Empty:
                continue
            if event is None:
                raise AssertionError(f"cdwizard exited first:\n{self.stderr}\n{self.events[-5:]}")
            self.events.append(event)
            if wanted(event):
                return event
        raise AssertionError(f"no such event within {timeout}s; last: {self.events[-5:]}")

    def wait_pause(self, point: str, *, timeout: float = 300) -> str:
        """The next pause point `point-N` reached (not yet released); keeps reading events and
        releases the other pause points reached meanwhile."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for marker in sorted(self.pause_dir.iterdir()):
                if marker.name.startswith("go-") or marker.name in self._released:
                    continue
                if marker.name.startswith(f"{point}-"):
                    return marker.name
                self.release(marker.name)
            try:
                event = self._lines.get(timeout=0.05)
            except queue.Empty:
                continue
            if event is None:
                raise AssertionError(f"cdwizard exited first:\n{self.stderr}")
            self.events.append(event)
        raise AssertionError(f"pause point {point} not reached within {timeout}s")

    def release(self, name: str) -> None:
        self._released.add(name)
        (self.pause_dir / f"go-{name}").write_text("")

    def release_all(self) -> None:
        for marker in self.pause_dir.iterdir():
            if not marker.name.startswith("go-") and marker.name not in self._released:
                self.release(marker.name)

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def finish(self, *, release: bool = True, timeout: float = 300) -> int:
        """Wait for the exit (releasing pause points on the way); its exit code."""
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            if release:
                self.release_all()
            with contextlib.suppress(queue.Empty):
                event = self._lines.get(timeout=0.05)
                if event is not None:
                    self.events.append(event)
        if self.proc.poll() is None:
            self.proc.kill()
            raise AssertionError(f"cdwizard did not exit within {timeout}s")
        self.proc.wait()
        while True:  # the rest of the output
            try:
                event = self._lines.get(timeout=5)
            except queue.Empty:
                break
            if event is None:
                break
            self.events.append(event)
        assert "Traceback" not in self.stderr, self.stderr
        return self.proc.returncode

    @property
    def stderr(self) -> str:
        return "".join(self._stderr)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@contextlib.contextmanager
def driven(*args: Any, **kwargs: Any) -> Iterator[Driven]:
    run = Driven(*args, **kwargs)
    try:
        yield run
    finally:
        run.kill()


def _shared_root(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """A folder every xdist worker of this session sees (the session's base temp folder)."""
    base = tmp_path_factory.getbasetemp()
    return base if worker_id == "master" else base.parent


@pytest.fixture(scope="session")
def applied_workspace(
    tmp_path_factory: pytest.TempPathFactory, worker_id: str, provider_mirror: Path
) -> Path:
    """A sandbox workspace with the default answers applied (22 resources): made once per test
    session, whichever worker needs it first; tests copy it (`copy_applied`), never change it."""
    root = _shared_root(tmp_path_factory, worker_id) / "applied-sandbox"
    root.mkdir(parents=True, exist_ok=True)
    done = root / "done"
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(root / "ws", ignore_errors=True)
            (root / "answers.yml").write_text(DEFAULT_ANSWERS)
            code, events, err = cli(
                "apply",
                "--answers",
                "answers.yml",
                "--out",
                "ws",
                "--sandbox",
                "--yes",
                cwd=root,
                mirror=provider_mirror,
            )
            assert code == 0, (err, [e for e in events if e["level"] == "error"])
            done.write_text("")
    return root / "ws"


def run_suggested(command: str, *, cwd: Path, mirror: Path, **kwargs: Any) -> Any:
    """Run a command exactly as cdwizard suggested it (`cdwizard …` or `terraform …`)."""
    import shlex

    words = shlex.split(command)
    if words[0] == "cdwizard":
        if words[1] in ("apply", "destroy") and "--yes" not in words:
            words.append("--yes")  # what the person answers at the prompt
        return cli(*words[1:], cwd=cwd, mirror=mirror, **kwargs)
    if words[0] == "terraform":
        proc = subprocess.run(words, cwd=cwd, capture_output=True, text=True, timeout=300)
        return proc.returncode, [], proc.stdout + proc.stderr
    if words[0] in ("mv", "cp", "rm"):
        proc = subprocess.run(words, cwd=cwd, capture_output=True, text=True, timeout=60)
        return proc.returncode, [], proc.stderr
    raise AssertionError(f"unexpected suggestion: {command}")


def backticked(text: str) -> list[str]:
    """The commands quoted with backticks in a message, in order."""
    import re

    return re.findall(r"`([^`]+)`", text)


def copy_applied(applied: Path, dest: Path, answers: str = DEFAULT_ANSWERS) -> Path:
    """A private copy of the applied workspace in `dest/ws`, with `dest/answers.yml`."""
    shutil.copytree(applied, dest / "ws", symlinks=True, ignore=shutil.ignore_patterns("lock"))
    (dest / "answers.yml").write_text(answers)
    return dest / "ws"


def emulator(workspace: Path) -> Any:
    """The workspace's saved emulator, started in this process (stop it with `.stop(save=False)`
    after use; `box.reset()` first leaves this process's moto empty)."""
    from wizard.services.sandbox.launcher import Sandbox

    box = Sandbox.for_workspace(workspace)
    box.start()
    return box


def saved_leftovers(workspace: Path, answers_text: str = DEFAULT_ANSWERS) -> list[Any]:
    """What the saved emulator holds, tagged for the project, that terraform's state lacks; and
    the check that the emulator's state is not older or newer than terraform's."""
    import yaml

    from wizard.core.answers import validate_mapping
    from wizard.services.aws import leftovers

    answers = validate_mapping(yaml.safe_load(answers_text))
    box = emulator(workspace)
    try:
        assert box.mismatch() is None, box.mismatch()
        state_file = workspace / "terraform" / "terraform.tfstate"
        state = json.loads(state_file.read_text()) if state_file.exists() else {}
        managed = leftovers.managed_in_raw_state(state)
        return leftovers.find(box.clients, answers, managed, account="123456789012")
    finally:
        box.reset()
        box.stop(save=False)


def live_tagged_instances(workspace: Path, project: str = "devops-python-service") -> list[str]:
    box = emulator(workspace)
    try:
        reservations = box.clients.client("ec2").describe_instances(
            Filters=[
                {"Name": "tag:cdwizard:project", "Values": [project]},
                {"Name": "instance-state-name", "Values": ["pending", "running"]},
            ]
        )["Reservations"]
        return [i["InstanceId"] for r in reservations for i in r["Instances"]]
    finally:
        box.reset()
        box.stop(save=False)


__all__ = [
    "Driven",
    "applied_workspace",
    "backticked",
    "cdwizard_env",
    "cli",
    "copy_applied",
    "driven",
    "emulator",
    "live_tagged_instances",
    "of",
    "run_suggested",
    "saved_leftovers",
    "texts",
]
