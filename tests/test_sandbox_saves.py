"""When and how safely the sandbox state is saved (issue 10): never by a process that changed
nothing, never over a file another process wrote meanwhile, never half-way through a request,
and with a stamp that tells a state older or newer than terraform's."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from wizard.services.sandbox import STATE_FILE
from wizard.services.sandbox.launcher import Sandbox, StateReplaced
from wizard.services.sandbox.reconcile import check, stamp_path


def tfstate(workspace: Path, serial: int, lineage: str = "L1") -> None:
    path = workspace / "terraform" / "terraform.tfstate"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": 4, "serial": serial, "lineage": lineage}))


def identity(path: Path) -> tuple[int, int]:
    info = path.stat()
    return info.st_ino, info.st_mtime_ns


def test_only_a_process_that_changed_something_writes_and_never_over_another(
    tmp_path: Path,
) -> None:
    ws = tmp_path / "ws"
    state = ws / STATE_FILE
    box = Sandbox.for_workspace(ws)
    box.start()
    box.stop()
    assert not state.exists()  # served nothing: no file at all

    tfstate(ws, 3)
    box = Sandbox.for_workspace(ws)
    box.start()
    box.clients.client("s3").create_bucket(
        Bucket="kept", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    box.stop()
    assert state.is_file() and stamp_path(state).is_file()
    stamped = json.loads(stamp_path(state).read_text())
    assert stamped["terraform"] == {"serial": 3, "lineage": "L1"}

    before = identity(state)
    box = Sandbox.for_workspace(ws)
    box.start()
    box.stop()  # loaded, served nothing
    assert identity(state) == before

    # loaded, then another process wrote the file: ours must not replace theirs
    box = Sandbox.for_workspace(ws)
    box.start()
    box.clients.client("s3").create_bucket(
        Bucket="mine", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    theirs = state.read_bytes()[::-1]
    state.write_bytes(theirs)
    with pytest.raises(StateReplaced) as refused:
        box.save()
    box.reset()
    box.stop(save=False)
    assert state.read_bytes() == theirs
    side = Path(str(refused.value).rsplit(" went to ", 1)[1])
    assert side.is_file() and side.name.endswith(".conflict")


def test_saving_while_requests_run_never_catches_one_half_way(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    box = Sandbox.for_workspace(ws)
    box.start()
    iam = box.clients.client("iam")
    errors: list[BaseException] = []
    created: list[str] = []
    stop = threading.Event()

    def busy() -> None:  # as terraform does while a periodic save happens
        try:
            while not stop.is_set():
                name = f"r{len(created)}"
                iam.create_role(RoleName=name, AssumeRolePolicyDocument="{}")
                created.append(name)
        except BaseException as exc:
            errors.append(exc)

    worker = threading.Thread(target=busy)
    worker.start()
    try:
        for _ in range(5):
            assert box.save(force=True) > 0
    finally:
        stop.set()
        worker.join()
    box.stop()
    assert errors == [] and created
    box = Sandbox.for_workspace(ws)
    box.start()
    pages = box.clients.client("iam").get_paginator("list_roles").paginate()
    names = {r["RoleName"] for page in pages for r in page["Roles"]}
    box.reset()
    box.stop(save=False)
    assert set(created) <= names


def test_a_state_older_or_newer_than_terraforms_is_named(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    tfstate(ws, 10)
    box = Sandbox.for_workspace(ws)
    box.start()
    box.clients.client("sqs").create_queue(QueueName="q")
    box.stop()
    state, tf = ws / STATE_FILE, ws / "terraform" / "terraform.tfstate"
    assert check(state, tf) is None

    tfstate(ws, 12)  # terraform moved on; the run was killed before it saved the emulator
    found = check(state, tf, "cdwizard leftovers --sandbox")
    assert found is not None and found.kind == "emulator_behind"
    assert "serial 10" in found.text and "serial 12" in found.text
    assert "`cdwizard leftovers --sandbox`" in found.hint

    tfstate(ws, 4)  # an older copy of terraform's state was put back
    found = check(state, tf)
    assert found is not None and found.kind == "terraform_behind"

    tf.unlink()  # lost
    found = check(state, tf)
    assert found is not None and found.kind == "terraform_behind"
    assert "terraform.tfstate.backup" in found.hint and "errored.tfstate" in found.hint

    tfstate(ws, 10, lineage="L2")
    found = check(state, tf)
    assert found is not None and found.kind == "other_lineage"

    state.write_bytes(state.read_bytes() + b"x")  # not the file the stamp describes
    assert check(state, tf) is None
