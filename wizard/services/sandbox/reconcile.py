"""Does the saved emulator state still match terraform's state?

Every save of the sandbox state also writes a small stamp next to it
(`.cdwizard/sandbox-state.json`): the hash of the state file it describes, when and by which
process it was written, and the serial and lineage of terraform's state at that moment. terraform
bumps its serial on every state write, so when the sandbox is loaded again:

- terraform's serial is *higher* than the stamp's: terraform changed things after the emulator was
  last saved (a run was killed before it could save): the emulator misses them;
- terraform's state is *missing*, empty or *lower*: terraform lost its state (a full disk), or it
  was replaced by an older copy, while the emulator still holds what was created;
- another *lineage*: the two belong to different runs (one of them was replaced).

Each is reported with what to do, never silently used. A state file without a stamp (written
before stamps existed) or whose hash does not match its stamp is not judged.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from wizard.core.atomic import write_atomic

STAMP_VERSION = 1


@dataclass(frozen=True)
class TerraformStamp:
    """Where terraform's state was: its serial and lineage (None: no readable state)."""

    serial: int | None
    lineage: str | None

    @property
    def known(self) -> bool:
        return self.serial is not None


def terraform_stamp(tfstate: Path | None) -> TerraformStamp:
    """Serial and lineage of a local terraform state file (unknown when missing or unreadable)."""
    if tfstate is None:
        return TerraformStamp(None, None)
    try:
        data = json.loads(Path(tfstate).read_text(encoding="utf-8"))
        return TerraformStamp(int(data["serial"]), str(data["lineage"]))
    except (OSError, ValueError, KeyError, TypeError):
        return TerraformStamp(None, None)


def stamp_path(state_file: Path) -> Path:
    """`.cdwizard/sandbox-state.pkl.gz` -> `.cdwizard/sandbox-state.json`."""
    name = state_file.name.split(".", 1)[0]
    return state_file.with_name(f"{name}.json")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def write_stamp(state_file: Path, tfstate: Path | None) -> None:
    """Record what `state_file` (just written) corresponds to."""
    terraform = terraform_stamp(tfstate)
    body = {
        "version": STAMP_VERSION,
        "state_sha256": file_sha256(state_file),
        "saved_at": time.time(),
        "saved_by": {"pid": os.getpid(), "argv": sys.argv[1:4]},
        "terraform": {"serial": terraform.serial, "lineage": terraform.lineage},
    }
    write_atomic(stamp_path(state_file), json.dumps(body, indent=2) + "\n", mode=0o600)


@dataclass(frozen=True)
class Mismatch:
    """The emulator state and terraform's state disagree: what happened and what to do."""

    kind: Literal["emulator_behind", "terraform_behind", "other_lineage"]
    text: str
    hint: str


def _saved_at(seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(seconds))


def check(
    state_file: Path, tfstate: Path | None, leftovers: str = "cdwizard leftovers"
) -> Mismatch | None:
    """Compare the stamp of `state_file` with terraform's state now (None when they agree or
    cannot be judged). `leftovers` is the exact command to suggest for listing leftovers."""
    try:
        stamp = json.loads(stamp_path(state_file).read_text(encoding="utf-8"))
        if stamp.get("state_sha256") != file_sha256(state_file):
            return None  # the stamp describes another version of the file
        saved = stamp["terraform"]
        saved_serial = saved.get("serial")
        saved_lineage = saved.get("lineage")
        when = _saved_at(float(stamp["saved_at"]))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    now = terraform_stamp(tfstate)
    where = str(tfstate) if tfstate is not None else "terraform's state"
    if saved_serial is None:
        return None  # saved before any terraform state existed: nothing to compare
    if not now.known:
        return Mismatch(
            "terraform_behind",
            f"terraform's state {where} is missing or unreadable, but the sandbox (saved {when}) "
            f"holds what terraform had recorded up to serial {saved_serial}",
            restore_hint(
                Path(tfstate).parent if tfstate is not None else Path("terraform"), leftovers
            ),
        )
    if saved_lineage and now.lineage and saved_lineage != now.lineage:
        return Mismatch(
            "other_lineage",
            f"the sandbox state (saved {when}) belongs to another terraform state than {where} "
            "(their lineages differ: one of them was replaced)",
            f"`{leftovers}` lists what the emulator holds that terraform does not; to "
            "start the sandbox over, delete the workspace's .cdwizard/sandbox-state.* and "
            "terraform/terraform.tfstate*",
        )
    assert now.serial is not None
    if now.serial > int(saved_serial):
        return Mismatch(
            "emulator_behind",
            f"the sandbox state (saved {when}, at terraform serial {saved_serial}) is older than "
            f"terraform's state (serial {now.serial}): the run that changed terraform's state "
            "stopped before it could save the emulator",
            "terraform's plan shows what the emulator is missing (it recreates it); "
            f"`{leftovers}` lists what the emulator holds that terraform does not",
        )
    if now.serial < int(saved_serial):
        return Mismatch(
            "terraform_behind",
            f"terraform's state {where} (serial {now.serial}) is older than the sandbox (saved "
            f"{when}, at serial {saved_serial}): it was restored from an older copy",
            f"`{leftovers}` lists what the emulator holds that terraform's state does not "
            "know, with the command that adopts or removes each",
        )
    return None


def restore_hint(workdir: Path, leftovers: str = "cdwizard leftovers") -> str:
    """How to get terraform's state back after it was lost or damaged."""
    return (
        f"restore terraform's state before anything else: if {workdir}/errored.tfstate is "
        f"there and not empty, `terraform -chdir={workdir} state push errored.tfstate`; "
        f"otherwise `cp {workdir}/terraform.tfstate.backup {workdir}/terraform.tfstate`. Then "
        f"`{leftovers}` lists what exists but is missing from the restored state, with "
        "the command that adopts or removes each"
    )


def forget(state_file: Path) -> None:
    """Remove the stamp (the state file it described is gone)."""
    with contextlib.suppress(FileNotFoundError):
        stamp_path(state_file).unlink()
