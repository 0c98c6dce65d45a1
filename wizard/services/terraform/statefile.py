"""terraform's local state files, checked before a run and after a failed one.

terraform keeps its local state in `terraform.tfstate`, the state before its last write in
`terraform.tfstate.backup`, and, when it cannot write the state (a full disk, a read-only folder),
what it knows in `errored.tfstate` in the working directory. A damaged state makes every terraform
command fail with a parse error that names neither the file nor a way out; a lost one makes the
next apply create everything again. This module says which file to restore and how:

- `check_before_run(workdir)`: the state is damaged, or an `errored.tfstate` newer than the state
  waits to be pushed -> a `StateIssue` (the run must not go on); an old `errored.tfstate` -> a
  note.
- `after_failed_write(workdir, since, messages)`: terraform could not save its state during this
  run -> the recovery steps that replace the usual "terraform keeps what was created".
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from pathlib import Path

STATE = "terraform.tfstate"
BACKUP = "terraform.tfstate.backup"
ERRORED = "errored.tfstate"

#: What terraform prints when it cannot write its state (any of these in a diagnostic).
_SAVE_FAILED = (
    "failed to save state",
    "failed to persist state",
    "error saving state",
    "failed to write state",
    "no space left on device",
)


@dataclass(frozen=True)
class StateFile:
    """One state file on disk: readable (with serial and lineage), or why not."""

    path: Path
    exists: bool
    serial: int | None = None
    lineage: str | None = None
    resources: int = 0
    problem: str | None = None  # None: a valid state (or no file)

    @property
    def valid(self) -> bool:
        return self.exists and self.problem is None

    def describe(self) -> str:
        if not self.exists:
            return f"{self.path} does not exist"
        if self.problem:
            return f"{self.path} is {self.problem}"
        return f"{self.path} (serial {self.serial}, {self.resources} resource(s))"


def read_state(path: Path) -> StateFile:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return StateFile(path, exists=False)
    except OSError as exc:
        return StateFile(path, exists=True, problem=f"unreadable ({exc.strerror or exc})")
    if not raw.strip():
        return StateFile(path, exists=True, problem="empty")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return StateFile(
            path, exists=True, problem=f"not valid JSON (cut off at {len(raw)} bytes?)"
        )
    if not isinstance(data, dict) or not isinstance(data.get("version"), int):
        return StateFile(path, exists=True, problem="not a terraform state (no version)")
    try:
        serial = int(data["serial"])
    except (KeyError, TypeError, ValueError):
        return StateFile(path, exists=True, problem="not a terraform state (no serial)")
    resources = data.get("resources") or []
    return StateFile(
        path,
        exists=True,
        serial=serial,
        lineage=str(data.get("lineage") or ""),
        resources=len(resources) if isinstance(resources, list) else 0,
    )


@dataclass(frozen=True)
class StateIssue:
    """What is wrong with the state files, and the steps that recover."""

    message: str
    steps: tuple[str, ...]
    blocking: bool = True

    @property
    def hint(self) -> str:
        return "; then ".join(self.steps)


def _q(path: Path) -> str:
    return shlex.quote(str(path))


def _restore_steps(workdir: Path, state: StateFile, rerun: str) -> tuple[str, ...]:
    """Put the best copy back: a newer errored.tfstate (push), else the backup (copy)."""
    errored = read_state(workdir / ERRORED)
    backup = read_state(workdir / BACKUP)
    steps: list[str] = []
    if state.exists and state.problem:
        steps.append(f"keep the damaged file aside: `mv {_q(state.path)} {_q(state.path)}.damaged`")
    if errored.valid and (not backup.valid or (errored.serial or 0) >= (backup.serial or 0)):
        steps.append(
            f"push the state terraform could not save: `terraform -chdir={_q(workdir)} state "
            f"push {ERRORED}`, then `rm {_q(workdir / ERRORED)}`"
        )
        since = "saved after that"
    elif backup.valid:
        steps.append(
            f"restore the backup (the state before terraform's last write, serial "
            f"{backup.serial}): `cp {_q(backup.path)} {_q(workdir / STATE)}`"
        )
        since = "created after that copy"
    else:
        steps.append(
            "there is no readable copy (no errored.tfstate, no terraform.tfstate.backup): "
            "terraform starts from an empty state and forgets what it created"
        )
        since = "created before"
    steps.append(
        f"`{rerun}`: terraform refreshes the state against what exists; whatever was {since} is "
        "listed as left over, each with the command that adopts or removes it"
    )
    return tuple(steps)


def check_before_run(workdir: Path, rerun: str) -> StateIssue | None:
    """Look at the local state files before terraform runs (`rerun`: the command to suggest
    once the state is back)."""
    workdir = Path(workdir)
    state = read_state(workdir / STATE)
    errored = read_state(workdir / ERRORED)
    if errored.valid and (not state.valid or (errored.serial or 0) > (state.serial or 0)):
        return StateIssue(
            f"terraform could not save its state last time and wrote it to {errored.path} "
            f"(serial {errored.serial}; {state.describe()}): running on would create everything "
            "in it again",
            _restore_steps(workdir, state, rerun),
        )
    if state.exists and state.problem:
        return StateIssue(
            f"terraform's state {state.path} is {state.problem}: terraform cannot plan without it",
            _restore_steps(workdir, state, rerun),
        )
    if errored.exists:
        return StateIssue(
            f"an old {errored.path} is still there ({errored.problem or 'not newer than the state'}"
            ")",
            (f"delete it once you no longer need it: `rm {_q(errored.path)}`",),
            blocking=False,
        )
    return None


def after_failed_write(
    workdir: Path, since: float, messages: list[str], rerun: str
) -> StateIssue | None:
    """terraform could not write its state during a run that started at `since` (epoch)? Then
    what happened and how to recover (`messages`: the run's error diagnostics)."""
    workdir = Path(workdir)
    errored_path = workdir / ERRORED
    fresh = errored_path.exists() and errored_path.stat().st_mtime >= since - 1
    said = any(marker in m.lower() for m in messages for marker in _SAVE_FAILED)
    if not (fresh or said):
        return None
    state = read_state(workdir / STATE)
    errored = read_state(errored_path)
    why = next((m for m in messages if any(k in m.lower() for k in _SAVE_FAILED)), "")
    reason = f" ({why.rstrip('.')})" if why else ""
    free = f"free some space (or make the folder writable) first: `df -h {_q(workdir)}`"
    if errored.valid:
        kept = f"it wrote what it knows to {errored.path} (serial {errored.serial})"
    elif errored.exists:
        kept = f"not even to {errored.path}, which is {errored.problem}"
    else:
        kept = "and wrote no errored.tfstate"
    if state.valid and not errored.valid:
        return StateIssue(
            f"terraform could not save its state{reason}, {kept}: {state.path} still holds the "
            f"state from before this run (serial {state.serial}), without what this run created",
            (
                free,
                f"`{rerun}` once what this run created is in the state or gone: it is listed as "
                "left over, each with the command that adopts or removes it",
            ),
        )
    return StateIssue(
        f"terraform could not save its state{reason}, {kept}; {state.describe()}",
        (free, *_restore_steps(workdir, state, rerun)),
    )
