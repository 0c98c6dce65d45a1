"""Interrupted, concurrent and broken runs lose nothing (issue 10): each fault found by injecting
it as a user (or CI) would, reproduced with real terraform, the real provider and the sandbox's
real emulator, signals sent to real processes at moments a test waits for (a line of output, a
pause point: tests/faults/sitecustomize.py). Each test shows that nothing was lost, the message,
the exit code, and that the command cdwizard suggests converges.

One sandbox apply serves the whole session (`applied_workspace`); each test works on a copy.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.fault_support import (
    backticked,
    cli,
    copy_applied,
    driven,
    emulator,
    live_tagged_instances,
    of,
    run_suggested,
    saved_leftovers,
    texts,
)
from wizard.services.sandbox import bucket_lifecycle_wanted

pytestmark = [pytest.mark.slow, pytest.mark.terraform, pytest.mark.mirror]

COMMON = ("--answers", "answers.yml", "--out", "ws", "--sandbox")
TWO_INSTANCES = "version: 1\ntargets: {instance_count: 2}\n"


def is_(kind: str, **fields: Any) -> Any:
    return lambda e: e["type"] == kind and all(e.get(k) == v for k, v in fields.items())


def report(events: list[dict[str, Any]]) -> dict[str, Any]:
    return of(events, "terraform.report")[-1]


def step_texts(done: dict[str, Any]) -> list[str]:
    """The report's next steps in words (NDJSON gives each as data with its `text`)."""
    return [step["text"] for step in done["next_steps"]]


def state_resources(workspace: Path) -> int:
    path = workspace / "terraform" / "terraform.tfstate"
    return len(json.loads(path.read_text()).get("resources", [])) if path.exists() else 0


# --- 1. Ctrl-C twice during destroy, the second while the sandbox state is being saved ---------


def test_ctrl_c_twice_during_destroy_loses_nothing_and_destroy_converges(
    tmp_path: Path, applied_workspace: Path, provider_mirror: Path
) -> None:
    ws = copy_applied(applied_workspace, tmp_path)
    with driven(
        ["destroy", *COMMON, "--yes"],
        cwd=tmp_path,
        mirror=provider_mirror,
        pause_dir=tmp_path / "pauses",
        pauses=("save",),
    ) as run:
        # after a first resource is gone (at its start, a delete whose waiter the provider
        # cancels on Ctrl-C may leave nothing destroyed: seen once in CI)
        run.wait_event(is_("terraform.apply_complete", action="delete"))
        run.signal(signal.SIGINT)  # Ctrl-C: terraform stops after the calls in flight
        saving = run.wait_pause("save")
        run.signal(signal.SIGINT)  # the second one, while the emulator's state is being saved
        run.release(saving)
        code = run.finish()
    assert code == 130, run.stderr
    assert "interrupt" in texts(run.events)
    done = report(run.events)
    assert done["interrupted"] and done["completed"]  # some resources were destroyed
    # nothing lost: the saved emulator holds exactly what terraform's state says exists
    assert saved_leftovers(ws) == []
    rerun = next(s for s in step_texts(done) if "cdwizard destroy" in s)
    code, events, err = run_suggested(
        backticked(rerun)[0] + " --yes", cwd=tmp_path, mirror=provider_mirror
    )
    assert code == 0, (err, [e for e in events if e["level"] == "error"])
    assert state_resources(ws) == 0 and saved_leftovers(ws) == []
    assert live_tagged_instances(ws) == []


# --- 5. SIGTERM (CI, `timeout`) is handled like Ctrl-C; SIGHUP while saving waits --------------


def test_sigterm_during_destroy_stops_terraform_gracefully_with_143(
    tmp_path: Path, applied_workspace: Path, provider_mirror: Path
) -> None:
    ws = copy_applied(applied_workspace, tmp_path)
    with driven(
        ["destroy", *COMMON, "--yes"],
        cwd=tmp_path,
        mirror=provider_mirror,
        pause_dir=tmp_path / "pauses",
        pauses=("save",),
    ) as run:
        run.wait_event(is_("terraform.apply_start", action="delete"))
        run.signal(signal.SIGTERM)
        run.wait_event(lambda e: "SIGTERM: terraform is finishing" in e.get("text", ""))
        saving = run.wait_pause("save")
        run.signal(signal.SIGHUP)  # the terminal goes away while the state is saved
        run.release(saving)
        code = run.finish()
    assert code == 143, run.stderr  # the first signal decides
    stderr_lines = [e for e in run.events if e["type"] == "log" and "Gracefully" in e["text"]]
    assert stderr_lines, "terraform was not asked to stop gracefully"
    assert report(run.events)["interrupted"]
    assert saved_leftovers(ws) == []
    code, _events, err = cli("destroy", *COMMON, "--yes", cwd=tmp_path, mirror=provider_mirror)
    assert code == 0, err
    assert state_resources(ws) == 0 and saved_leftovers(ws) == []


def test_sighup_during_plan_exits_129_with_a_message(
    tmp_path: Path, applied_workspace: Path, provider_mirror: Path
) -> None:
    copy_applied(applied_workspace, tmp_path)
    with driven(
        ["plan", *COMMON], cwd=tmp_path, mirror=provider_mirror, pause_dir=tmp_path / "p", pauses=()
    ) as run:
        run.wait_event(is_("terraform.command_started", command="plan"))
        run.signal(signal.SIGHUP)
        code = run.finish()
    assert code == 129, run.stderr
    assert "SIGHUP" in texts(run.events)


# --- 2, 3. concurrent runs on one workspace ----------------------------------------------------


def test_a_second_process_is_refused_while_destroy_runs_and_nothing_is_overwritten(
    tmp_path: Path, applied_workspace: Path, provider_mirror: Path
) -> None:
    ws = copy_applied(applied_workspace, tmp_path)
    with driven(
        ["destroy", *COMMON, "--yes"],
        cwd=tmp_path,
        mirror=provider_mirror,
        pause_dir=tmp_path / "pauses",
        pauses=("save",),
    ) as run:
        held = run.wait_pause("save")  # destroy has planned; it holds the workspace
        for argv in (["plan", *COMMON], ["apply", *COMMON, "--yes"]):
            code, events, _err = cli(*argv, cwd=tmp_path, mirror=provider_mirror)
            assert code == 14, argv
            said = texts(events)
            assert f"in use by cdwizard destroy (pid {run.pid}, since " in said, said
        code, _events, err = cli(
            "render", "--answers", "answers.yml", "--out", "ws", cwd=tmp_path, mirror=None
        )
        assert code == 14 and f"cdwizard destroy (pid {run.pid}" in err, err
        run.release(held)
        assert run.finish() == 0, run.stderr
    assert state_resources(ws) == 0 and saved_leftovers(ws) == []
    # the refused plan, run again now as the message says, sees the destroyed world
    code, events, err = cli("plan", *COMMON, cwd=tmp_path, mirror=provider_mirror)
    assert code == 0, err
    # everything again: the default stack, less the bucket lifecycle the sandbox leaves out
    wanted = 22 if bucket_lifecycle_wanted() else 21
    assert of(events, "terraform.plan_summary")[-1]["add"] == wanted


def test_a_killed_process_leaves_a_lock_the_next_run_takes_over(
    tmp_path: Path, applied_workspace: Path, provider_mirror: Path
) -> None:
    copy_applied(applied_workspace, tmp_path)
    with driven(
        ["plan", *COMMON],
        cwd=tmp_path,
        mirror=provider_mirror,
        pause_dir=tmp_path / "pauses",
        pauses=("save",),
    ) as run:
        run.wait_pause("save")
        killed = run.pid
        run.signal(signal.SIGKILL)
        run.proc.wait()
    code, events, err = cli("plan", *COMMON, cwd=tmp_path, mirror=provider_mirror)
    assert code == 0, err
    assert f"took over the workspace lock of cdwizard plan (pid {killed}" in texts(events)


# --- 4. Ctrl-C while an instance is being created -----------------------------------------------


def test_ctrl_c_while_an_instance_is_created_reports_it_and_adopting_converges(
    tmp_path: Path, applied_workspace: Path, provider_mirror: Path
) -> None:
    ws = copy_applied(applied_workspace, tmp_path, TWO_INSTANCES)
    before = set(live_tagged_instances(ws))
    with driven(
        ["apply", *COMMON, "--yes"],
        cwd=tmp_path,
        mirror=provider_mirror,
        pause_dir=tmp_path / "pauses",
        pauses=("run_instances", "save"),
    ) as run:
        created = run.wait_pause("run_instances")  # in the emulator; terraform awaits the answer
        run.signal(signal.SIGINT)
        run.wait_event(is_("terraform.command_finished", command="apply"), release=False)
        run.release(created)
        saving = run.wait_pause("save")
        run.signal(signal.SIGINT)  # and a second Ctrl-C while the state is saved
        run.release(saving)
        code = run.finish()
    assert code == 130, run.stderr
    done = report(run.events)
    (orphan,) = done["leftovers"]
    assert orphan["id"] not in before and orphan["id"].startswith("i-")
    assert "deployments reach it" in orphan["label"]
    # nothing lost: the emulator kept the instance; terraform's state lacks exactly that one
    assert [item.id for item in saved_leftovers(ws, TWO_INSTANCES)] == [orphan["id"]]

    # destroy would not have said "done" while it exists; adopting it converges
    code, events, err = run_suggested(orphan["adopt"], cwd=tmp_path, mirror=provider_mirror)
    assert code == 0, (err, texts(events))
    code, events, err = cli("apply", *COMMON, "--yes", cwd=tmp_path, mirror=provider_mirror)
    assert code == 0, (err, texts(events))
    assert set(live_tagged_instances(ws)) == before | {orphan["id"]}  # no third instance
    assert saved_leftovers(ws, TWO_INSTANCES) == []
    code, events, _err = cli("plan", *COMMON, cwd=tmp_path, mirror=provider_mirror)
    assert code == 0 and of(events, "terraform.plan_summary")[-1]["add"] == 0


def test_destroy_fails_while_a_leftover_remains_and_removing_it_converges(
    tmp_path: Path, applied_workspace: Path, provider_mirror: Path
) -> None:
    ws = copy_applied(applied_workspace, tmp_path)
    box = emulator(ws)
    try:  # an instance cdwizard made but terraform's state does not know (a lost create answer)
        orphan = box.clients.client("ec2").run_instances(
            ImageId="ami-12c6146b",
            MinCount=1,
            MaxCount=1,
            BlockDeviceMappings=[{"DeviceName": "/dev/sda1", "Ebs": {"VolumeSize": 8}}],
            TagSpecifications=[
                {
                    "ResourceType": "instance",
                    "Tags": [
                        {"Key": "cdwizard:project", "Value": "devops-python-service"},
                        {"Key": "Name", "Value": "devops-python-service"},
                    ],
                }
            ],
        )["Instances"][0]["InstanceId"]
    finally:
        box.stop()  # saved: the orphan is part of the sandbox now
    code, events, err = cli("destroy", *COMMON, "--yes", cwd=tmp_path, mirror=provider_mirror)
    assert code == 7, err
    done = report(events)
    assert not done["ok"] and [item["id"] for item in done["leftovers"]] == [orphan]
    assert state_resources(ws) == 0
    code, events, err = run_suggested(
        done["leftovers"][0]["remove"] + " --yes", cwd=tmp_path, mirror=provider_mirror
    )
    assert code == 0, (err, texts(events))
    assert f"terminated EC2 instance {orphan}" in texts(events)
    code, events, err = cli("destroy", *COMMON, "--yes", cwd=tmp_path, mirror=provider_mirror)
    assert code == 0 and report(events)["leftovers"] == [], err
    assert live_tagged_instances(ws) == []


# --- 9. a damaged terraform state --------------------------------------------------------------


def test_a_truncated_state_names_the_backup_and_restoring_it_converges(
    tmp_path: Path, applied_workspace: Path, provider_mirror: Path
) -> None:
    ws = copy_applied(applied_workspace, tmp_path)
    state = ws / "terraform" / "terraform.tfstate"
    (ws / "terraform" / "terraform.tfstate.backup").write_bytes(state.read_bytes())
    state.write_bytes(state.read_bytes()[:3000])  # cut off, as a full disk or a crash leaves it
    code, events, err = cli("plan", *COMMON, cwd=tmp_path, mirror=provider_mirror)
    assert code == 15, err
    (problem,) = [e for e in events if e["type"] == "notice" and e["level"] == "error"]
    assert f"{Path('ws/terraform/terraform.tfstate')} is not valid JSON" in problem["text"]
    steps = backticked(problem["hint"])
    assert steps[:2] == [
        "mv ws/terraform/terraform.tfstate ws/terraform/terraform.tfstate.damaged",
        "cp ws/terraform/terraform.tfstate.backup ws/terraform/terraform.tfstate",
    ]
    for step in steps:
        code, events, err = run_suggested(step, cwd=tmp_path, mirror=provider_mirror)
        assert code == 0, (step, err)
    assert of(events, "terraform.plan_summary")[-1]["add"] == 0  # the last step was the plan


def test_a_pending_errored_state_is_pushed_before_anything_runs(
    tmp_path: Path, applied_workspace: Path, provider_mirror: Path
) -> None:
    ws = copy_applied(applied_workspace, tmp_path)
    state = ws / "terraform" / "terraform.tfstate"
    (ws / "terraform" / "errored.tfstate").write_bytes(state.read_bytes())
    state.write_bytes(b"")  # terraform could not write it, and wrote errored.tfstate instead
    code, events, err = cli("apply", *COMMON, "--yes", cwd=tmp_path, mirror=provider_mirror)
    assert code == 15, err
    (problem,) = [e for e in events if e["type"] == "notice" and e["level"] == "error"]
    assert "errored.tfstate" in problem["text"] and "create everything" in problem["text"]
    for step in backticked(problem["hint"]):
        code, events, err = run_suggested(step, cwd=tmp_path, mirror=provider_mirror)
        assert code == 0, (step, err)
    assert of(events, "terraform.plan_summary")[-1]["add"] == 0
    assert saved_leftovers(ws) == []


# --- 6. the disk fills up during apply ----------------------------------------------------------


def fill(disk: Path) -> Path:
    """Write zeros until the file system is full (to the last block)."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        for size in (1 << 20, 4096, 1):
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"\0" * size)
    finally:
        os.close(fd)
    return filler


@pytest.fixture
def small_disk(tmp_path: Path) -> Any:
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(disk)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small file system here: {mounted.stderr.decode()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def test_a_full_disk_during_apply_says_where_the_state_went_and_recovery_converges(
    tmp_path: Path, small_disk: Path, applied_workspace: Path, provider_mirror: Path
) -> None:
    ws = copy_applied(applied_workspace, small_disk, TWO_INSTANCES)
    with driven(
        ["apply", *COMMON, "--yes"],
        cwd=small_disk,
        mirror=provider_mirror,
        pause_dir=tmp_path / "pauses",
        pauses=("run_instances",),
    ) as run:
        created = run.wait_pause("run_instances")
        filler = fill(small_disk)
        run.release(created)
        code = run.finish()
    assert code == 6, run.stderr
    said = texts(run.events)
    assert "terraform could not save its state" in said, said
    assert "sandbox: could not save its state: cannot write" in said
    assert "no space left on the device" in said
    done = report(run.events)
    assert not any("terraform keeps what was created" in step for step in step_texts(done))
    assert "free some space" in step_texts(done)[0]

    filler.unlink()  # the user frees space, then does what the report says
    commands = [c for step in step_texts(done) for c in backticked(step) if c.split()[0] != "df"]
    assert commands[-1].startswith("cdwizard apply")
    for command in commands:
        code, events, err = run_suggested(command, cwd=small_disk, mirror=provider_mirror)
        assert code == 0, (command, err, texts(events))
    assert saved_leftovers(ws, TWO_INSTANCES) == []
    assert len(live_tagged_instances(ws)) == 2
    code, events, _err = cli("plan", *COMMON, cwd=small_disk, mirror=provider_mirror)
    assert code == 0 and of(events, "terraform.plan_summary")[-1]["add"] == 0


# --- SIGKILL: nothing can be saved, but the next run says so and converges ------------------------


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found += [int(c) for c in text]
    return found


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (terraform's provider plugins included)."""
    found = []
    for child in children(pid):
        found.append(child)
        with contextlib.suppress(OSError):  # gone meanwhile
            found += descendants(child)
    return found


def _reap_orphans(pids: list[int]) -> None:
    """SIGKILL what a killed run left behind (an orphaned provider plugin would idle for ever)."""
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def test_a_killed_destroy_leaves_an_older_sandbox_that_is_named_and_cleaned_up(
    tmp_path: Path, applied_workspace: Path, provider_mirror: Path
) -> None:
    ws = copy_applied(applied_workspace, tmp_path)
    with driven(
        ["destroy", *COMMON, "--yes"],
        cwd=tmp_path,
        mirror=provider_mirror,
        pause_dir=tmp_path / "p",
        pauses=(),
    ) as run:
        run.wait_event(is_("terraform.apply_complete", action="delete"))
        terraform = children(run.pid)
        below = [pid for t in terraform for pid in descendants(t)]
        run.signal(signal.SIGKILL)  # no handler, no save: the emulator dies with the process
        run.proc.wait()
    for pid in terraform:  # terraform runs on in its own session until it gives up
        proc_dir = Path(f"/proc/{pid}")
        deadline = time.monotonic() + 300
        while (
            proc_dir.exists() and "zombie" not in _state(proc_dir) and time.monotonic() < deadline
        ):
            time.sleep(0.1)
    _reap_orphans(below)
    code, events, err = cli("destroy", *COMMON, "--yes", cwd=tmp_path, mirror=provider_mirror)
    said = texts(events)
    assert "took over the workspace lock of cdwizard destroy" in said
    assert "is older than terraform's state" in said, said
    if code == 7:  # what terraform had destroyed came back with the older emulator state
        left = report(events)["leftovers"]
        problems = [(d["summary_text"], d["detail"]) for d in report(events)["diagnostics"]]
        assert left, (said, problems)
        for item in left:  # as the report says, one by one
            code, events, err = run_suggested(
                item["remove"] + " --yes", cwd=tmp_path, mirror=provider_mirror
            )
            assert code in (0, 7), (err, texts(events))  # 7 while others remain
        code, events, err = cli("destroy", *COMMON, "--yes", cwd=tmp_path, mirror=provider_mirror)
    assert code == 0, (err, texts(events))
    assert state_resources(ws) == 0 and saved_leftovers(ws) == []
    assert live_tagged_instances(ws) == []


def _state(proc_dir: Path) -> str:
    try:
        return (proc_dir / "status").read_text()
    except OSError:
        return "zombie"
