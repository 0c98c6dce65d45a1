"""One lock per workspace: held by a real process, refused with who holds it, taken over when the
holder died (issue 10, faults 2 and 3; the terraform runs are in tests/test_faults.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO
from wizard.services.workspace_lock import (
    LOCK_FILE,
    WorkspaceBusy,
    WorkspaceLock,
    current_holder,
    held_here,
)

HOLDER = """
import sys
from pathlib import Path
from wizard.services.workspace_lock import WorkspaceLock
with WorkspaceLock(Path(sys.argv[1]), "apply"):
    print("locked", flush=True)
    sys.stdin.read()  # hold it until the test closes our stdin (or kills us)
"""


def hold(out: Path) -> subprocess.Popen[str]:
    """Another process holding the lock of `out` (it says so before we go on)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(out)],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline() == "locked\n"
    return proc


def test_a_held_workspace_is_refused_naming_the_holder(tmp_path: Path) -> None:
    holder = hold(tmp_path / "ws")
    try:
        with pytest.raises(WorkspaceBusy) as refused:
            WorkspaceLock(tmp_path / "ws", "plan").acquire()
        found = refused.value.holder
        assert found is not None and (found.pid, found.command) == (holder.pid, "apply")
        assert time.time() - found.since < 600
        assert f"is in use by cdwizard apply (pid {holder.pid}, since " in str(refused.value)
        assert current_holder(tmp_path / "ws") == found
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
    # released cleanly: free, and nothing to take over
    with WorkspaceLock(tmp_path / "ws", "plan") as lock:
        assert lock.took_over is None
    assert current_holder(tmp_path / "ws") is None


def test_the_lock_of_a_killed_process_is_taken_over(tmp_path: Path) -> None:
    holder = hold(tmp_path / "ws")
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=30)
    with WorkspaceLock(tmp_path / "ws", "render") as lock:
        assert lock.took_over is not None and lock.took_over.pid == holder.pid
        assert lock.took_over.command == "apply"


def test_the_lock_is_reentrant_in_one_process_and_not_inherited(tmp_path: Path) -> None:
    out = tmp_path / "ws"
    with WorkspaceLock(out, "wizard"):
        with WorkspaceLock(out, "apply"):  # the wizard's terraform workflow takes it again
            assert held_here(out)
        assert held_here(out)
        # a child (terraform) started meanwhile, even one that keeps every descriptor, does
        # not get the lock: it must not outlive us holding it
        child = subprocess.Popen(["sleep", "60"], close_fds=False)
    try:
        assert not held_here(out)
        assert (out / LOCK_FILE).read_text() == ""  # released: no holder recorded
        other = hold(out)  # free for another process while the child still runs
        assert other.stdin is not None
        other.stdin.close()
        other.wait(timeout=30)
    finally:
        child.kill()
        child.wait()


def test_a_garbage_lock_file_does_not_block(tmp_path: Path) -> None:
    (tmp_path / "ws" / ".cdwizard").mkdir(parents=True)
    (tmp_path / "ws" / LOCK_FILE).write_bytes(b"\x00garbage{")
    with WorkspaceLock(tmp_path / "ws", "render") as lock:
        assert lock.took_over is None
