"""terraform's local state files, judged before a run and after a failed write (issue 10,
faults 6 and 9; the runs with real terraform are in tests/test_faults.py)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from wizard.services.terraform.statefile import after_failed_write, check_before_run

RERUN = "cdwizard plan --answers a.yml"


def write(path: Path, serial: int | None = None, raw: bytes | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if raw is None:
        raw = json.dumps({"version": 4, "serial": serial, "lineage": "L", "resources": []}).encode()
    path.write_bytes(raw)


def test_nothing_to_say_about_a_fresh_or_a_healthy_workspace(tmp_path: Path) -> None:
    assert check_before_run(tmp_path, RERUN) is None
    write(tmp_path / "terraform.tfstate", 3)
    assert check_before_run(tmp_path, RERUN) is None


def test_a_damaged_state_points_at_the_backup(tmp_path: Path) -> None:
    write(tmp_path / "terraform.tfstate", raw=b'{"version": 4, "ser')
    write(tmp_path / "terraform.tfstate.backup", 7)
    issue = check_before_run(tmp_path, RERUN)
    assert issue is not None and issue.blocking
    assert "is not valid JSON (cut off at 19 bytes?)" in issue.message
    assert issue.steps[0].endswith(
        f"`mv {tmp_path}/terraform.tfstate {tmp_path}/terraform.tfstate.damaged`"
    )
    assert (
        "serial 7" in issue.steps[1]
        and f"`cp {tmp_path}/terraform.tfstate.backup" in issue.steps[1]
    )
    assert issue.steps[-1].startswith(f"`{RERUN}`")


def test_a_newer_errored_state_is_pushed_and_an_old_one_is_only_a_note(tmp_path: Path) -> None:
    write(tmp_path / "terraform.tfstate", 5)
    write(tmp_path / "errored.tfstate", 9)
    issue = check_before_run(tmp_path, RERUN)
    assert issue is not None and issue.blocking and "create everything" in issue.message
    assert f"`terraform -chdir={tmp_path} state push errored.tfstate`" in issue.steps[0]
    write(tmp_path / "errored.tfstate", 4)
    issue = check_before_run(tmp_path, RERUN)
    assert issue is not None and not issue.blocking
    assert issue.steps == (
        f"delete it once you no longer need it: `rm {tmp_path}/errored.tfstate`",
    )


def test_an_empty_state_with_an_errored_one_next_to_it(tmp_path: Path) -> None:
    write(tmp_path / "terraform.tfstate", raw=b"")
    write(tmp_path / "errored.tfstate", 12)
    issue = check_before_run(tmp_path, RERUN)
    assert issue is not None and "serial 12" in issue.message and "is empty" in issue.message
    assert "mv " in issue.steps[0] and "state push errored.tfstate" in issue.steps[1]


def test_a_failed_write_gives_recovery_steps_not_terraform_keeps_what_was_created(
    tmp_path: Path,
) -> None:
    started = time.time()
    write(tmp_path / "terraform.tfstate", 26)
    assert after_failed_write(tmp_path, started, ["Error: creating role: denied"], RERUN) is None

    write(tmp_path / "errored.tfstate", raw=b"")  # terraform could not even write this one
    issue = after_failed_write(
        tmp_path, started, ["Failed to save state: write terraform.tfstate: no space left"], RERUN
    )
    assert issue is not None
    assert "still holds the state from before this run (serial 26)" in issue.message
    assert issue.steps[0].startswith("free some space")

    write(tmp_path / "terraform.tfstate", raw=b"")  # truncated by the failed write
    write(tmp_path / "errored.tfstate", 30)
    issue = after_failed_write(tmp_path, started, [], RERUN)
    assert issue is not None and "it wrote what it knows to" in issue.message
    assert "state push errored.tfstate" in issue.steps[2]

    stale = time.time() - 3600  # an errored.tfstate from long ago says nothing about this run
    os.utime(tmp_path / "errored.tfstate", (stale, stale))
    assert after_failed_write(tmp_path, started, [], RERUN) is None


def test_a_state_lock_held_by_another_terraform_names_it_and_the_way_out(tmp_path: Path) -> None:
    from wizard.core.events.terraform import TfDiagnostic
    from wizard.core.next_steps import step_text
    from wizard.services.terraform.diagnose import Situation, diagnose

    detail = (  # terraform 1.11's detail of "Error acquiring the state lock"
        "Error message: resource temporarily unavailable\n"
        "Lock Info:\n"
        "  ID:        4f3c1b2a-9d8e-7f6a-5b4c-3d2e1f0a9b8c\n"
        "  Path:      terraform.tfstate\n"
        "  Operation: OperationTypeApply\n"
        "  Who:       ci@runner-7\n"
        "  Version:   1.11.4\n"
        "  Created:   2026-12-06 10:02:11.123 +0000 UTC\n"
    )
    error = TfDiagnostic(summary_text="Error acquiring the state lock", detail=detail)
    found = diagnose([error], Situation(workdir=str(tmp_path), rerun=RERUN))
    assert found.cause == "state_locked"
    wait, unlock = found.steps
    said = step_text(wait)
    assert "(by ci@runner-7, since 2026-12-06 10:02:11.123 +0000 UTC)" in said
    assert "`pgrep -af terraform`" in said
    assert unlock.command == (
        f"terraform -chdir={tmp_path} force-unlock 4f3c1b2a-9d8e-7f6a-5b4c-3d2e1f0a9b8c"
    )
    assert "no other run is active" in step_text(unlock)
