"""The sandbox's saved state: our pickle of moto's backends vs moto's own request recorder.

    CDWIZARD_PROVIDER_MIRROR=/path/to/mirror python -m bench sandbox_state

One realistic session is recorded both ways at once: the default answers applied with terraform
(the bucket lifecycle configuration skipped, as the sandbox does), the payload shipped, and its
pipeline run followed to the end. Then the emulator is reopened from each: the pickle by loading
it (what `--sandbox` does at start), the recording by replaying every request into a fresh
emulator (moto's `/moto-api/recorder/replay-recording`). Printed: file size; reopen time, with
starting an empty emulator as the baseline and the ratio against the pickle; and whether the
reopened emulator holds the same thing -- the instance and deployment ids terraform's state and
the monitor refer to, and the pipeline runs' outcomes.
"""

from __future__ import annotations

import asyncio
import gzip
import io
import os
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench import terraform_mirror
from wizard.core.answers import default_answers
from wizard.core.output import JsonSink


def _post(endpoint: str, path: str, data: bytes | None = None) -> bytes:
    request = urllib.request.Request(
        f"{endpoint}{path}",
        data=data or b"",
        method="POST",
        headers={"Content-Type": "application/octet-stream"},  # not a form: moto reads the body
    )
    with urllib.request.urlopen(request, timeout=600) as answer:
        return bytes(answer.read())


def _inventory(clients: Any, pipeline: str) -> dict[str, Any]:
    """What terraform's state and the monitor refer to: ids and outcomes."""
    from botocore.exceptions import ClientError

    ec2 = clients.client("ec2")
    instances = sorted(
        i["InstanceId"]
        for r in ec2.describe_instances()["Reservations"]
        for i in r["Instances"]
        if i["State"]["Name"] != "terminated"
    )
    try:
        runs = clients.client("codepipeline").list_pipeline_executions(pipelineName=pipeline)[
            "pipelineExecutionSummaries"
        ]
    except ClientError as exc:  # no such pipeline
        runs = [{"pipelineExecutionId": exc.response["Error"]["Code"], "status": "-"}]
    deployments = clients.client("codedeploy").list_deployments()["deployments"]
    return {
        "instances": instances,
        "runs": sorted((r["pipelineExecutionId"], r["status"]) for r in runs),
        "deployments": sorted(deployments),
    }


def _session(out: Path, mirror: Path, recording: Path) -> tuple[dict[str, Any], float, int]:
    """Apply, ship, follow; returns the inventory, the pickle's save time and size."""
    from bench.bench_first_green import wait_green
    from wizard.core.render import render
    from wizard.services.aws.ship import execute_ship, files_from_tree, plan_ship
    from wizard.services.sandbox import STATE_FILE, sandbox_render_context
    from wizard.services.terraform.workflow import Options, Workflow

    answers = default_answers()
    os.environ["MOTO_RECORDER_FILEPATH"] = str(recording)
    flow = Workflow(
        Options(answers=answers, out=out, sandbox=True, mirror=mirror),
        emit=JsonSink(io.StringIO(), heartbeat=None).emit,
    )
    flow.start()
    try:
        box = flow.sandbox
        assert box is not None
        _post(box.endpoint, "/moto-api/recorder/reset-recording")
        _post(box.endpoint, "/moto-api/recorder/start-recording")
        asyncio.run(flow.prepare())
        assert asyncio.run(flow.apply()) == 0, f"apply failed: {flow.report}"
        files = files_from_tree(render(answers, sandbox=sandbox_render_context()))
        plan = plan_ship(box.clients, answers.source.repository, answers.source.branch, files)
        shipped = execute_ship(box.clients, plan, message="bench: state")
        assert wait_green(box.clients, answers.pipeline.name, shipped.commit_id) == "Succeeded"
        _post(box.endpoint, "/moto-api/recorder/stop-recording")
        inventory = _inventory(box.clients, answers.pipeline.name)
        started = time.perf_counter()
        box.save()
        save_time = time.perf_counter() - started
        size = (out / STATE_FILE).stat().st_size
    finally:
        flow.close()
    return inventory, save_time, size


def main() -> None:
    mirror = terraform_mirror()
    if mirror is None:
        return
    from wizard.services.sandbox import STATE_FILE
    from wizard.services.sandbox.launcher import Sandbox

    answers = default_answers()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "ws"
        recording = Path(tmp) / "moto_recording"
        before, save_time, pickle_size = _session(out, Path(mirror), recording)
        lines = recording.read_text().count("\n")
        recorded = recording.stat().st_size
        recorded_gz = len(gzip.compress(recording.read_bytes(), compresslevel=1))

        started = time.perf_counter()
        with Sandbox() as box:  # the baseline: starting an empty emulator
            empty_start = time.perf_counter() - started
            box.stop(save=False)

        started = time.perf_counter()
        with Sandbox(state_file=out / STATE_FILE) as box:
            pickle_open = time.perf_counter() - started
            from_pickle = _inventory(box.clients, answers.pipeline.name)
            box.reset()
            box.stop(save=False)

        started = time.perf_counter()
        with Sandbox() as box:
            _post(box.endpoint, "/moto-api/recorder/upload-recording", recording.read_bytes())
            _post(box.endpoint, "/moto-api/recorder/replay-recording")
            replay_open = time.perf_counter() - started
            failed = box.faults()
            from_replay = _inventory(box.clients, answers.pipeline.name)
            box.reset()
            box.stop(save=False)

    def same(found: dict[str, Any]) -> str:
        wrong = [key for key in before if found[key] != before[key]]
        return "everything" if not wrong else "differs in " + ", ".join(wrong)

    print(f"   pickle (ours): {pickle_size / 1024:,.0f} KiB gzip, saved in {save_time:.2f}s")
    print(
        f"   moto recorder: {recorded / 1024:,.0f} KiB ({recorded_gz / 1024:,.0f} KiB gzip), "
        f"{lines} requests"
    )
    print(f"   start an empty emulator (baseline): {empty_start:.2f}s")
    print(
        f"   start from the pickle: {pickle_open:.2f}s (+{pickle_open - empty_start:.2f}s); "
        f"holds the same: {same(from_pickle)}"
    )
    print(
        f"   start + replay: {replay_open:.2f}s (+{replay_open - empty_start:.2f}s, "
        f"{replay_open / pickle_open:.2f}x the pickle); holds the same: {same(from_replay)}; "
        f"{len(failed)} replayed calls failed"
    )
    for fault in failed[:3]:
        print(f"     e.g. {fault.describe()}")
    for key in before:
        print(f"   {key}: recorded {before[key]}\n   {' ' * len(key)}  replayed {from_replay[key]}")
