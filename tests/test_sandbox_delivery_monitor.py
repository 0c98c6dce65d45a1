"""The monitor watching what the sandbox simulates: the in-process `Monitor`, the full-log fetch
over SSM, a saved-and-restored simulation, and `cdwizard ship` / `cdwizard monitor` as a user
runs them (subprocesses against the moto server, the server's clock stepping on every call)."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from tests.sandbox_delivery_support import (
    BROKEN_SCRIPT,
    FakeClock,
    Stack,
    payload,
    run_until,
)
from wizard.core.events.base import Event
from wizard.core.exitcodes import ExitCode
from wizard.core.timeline import Snapshot
from wizard.services.aws.monitor import ExecutionSelector, FollowSpec, Monitor, monitor_clients
from wizard.services.aws.session import AwsClients

ACCOUNT, REGION = "123456789012", "eu-west-1"


@pytest.fixture
def clients(sandbox_endpoint: str, aws_target: Any) -> AwsClients:
    return monitor_clients(aws_target, max_attempts=2)


@pytest.fixture
def stack(clients: AwsClients) -> Stack:
    return Stack(clients)


def _follow(
    clients: AwsClients, clock: FakeClock, spec: FollowSpec, *, limit: int = 400
) -> tuple[Snapshot, list[Event]]:
    """Run the monitor's poll cycles on the fake clock until it has an outcome."""
    monitor = Monitor(clients, spec, sleeper=lambda _: None)
    events: list[Event] = []
    for _ in range(limit):
        update = monitor.cycle()
        events += update.events
        if update.snapshot.outcome is not None:
            return update.snapshot, events
        clock.advance(max(update.snapshot.next_poll_seconds, 1.0))
    raise AssertionError("the monitor never saw an outcome")


def test_the_monitor_follows_a_pushed_commit_to_success(
    clients: AwsClients, stack: Stack, sim_clock: FakeClock
) -> None:
    stack.create(instances=3)
    sim_clock.advance(5)
    commit = stack.push(payload(), "ship it")
    spec = FollowSpec(pipeline=stack.pipeline, execution=ExecutionSelector("commit", commit))
    snapshot, events = _follow(clients, sim_clock, spec)
    assert snapshot.outcome is not None and snapshot.outcome.result == "succeeded"
    assert snapshot.notes == ()  # every API the monitor needs answered
    deployment = snapshot.deployment
    assert deployment is not None and deployment.status.value == "Succeeded"
    assert len(deployment.instances) == 3
    assert all(i.status == "Succeeded" for i in deployment.instances)
    kinds = [e.kind for e in events]
    assert kinds.count("lifecycle.event") >= 3 * 7  # every event of every instance, at least once
    assert "deployment.started" in kinds and "deployment.finished" in kinds
    followed = snapshot.pipeline.followed if snapshot.pipeline else None
    assert followed is not None
    assert (followed.commit_id, followed.commit_message) == (commit, "ship it")
    assert followed.trigger_type == "CloudWatchEvent"


def test_the_monitor_explains_a_failed_hook(
    clients: AwsClients, stack: Stack, sim_clock: FakeClock
) -> None:
    from wizard.core.timeline.failures import explain

    stack.create(instances=3, rollback=False)
    sim_clock.advance(5)
    commit = stack.push(payload(scripts={"AfterInstall": BROKEN_SCRIPT}), "broken")
    spec = FollowSpec(pipeline=stack.pipeline, execution=ExecutionSelector("commit", commit))
    snapshot, _ = _follow(clients, sim_clock, spec)
    assert snapshot.outcome is not None and snapshot.outcome.result == "failed"
    report = explain(snapshot)
    assert report is not None
    assert report.headline == "1 of 3 instances failed at AfterInstall (exit 2)"
    assert report.diagnostics is not None
    assert "syntax error: unexpected end of file" in report.diagnostics.log_tail
    assert report.action == "fetch_log"


def test_the_full_scripts_log_comes_over_ssm(
    clients: AwsClients, stack: Stack, sim_clock: FakeClock
) -> None:
    from wizard.core.agent_log import scripts_log_path
    from wizard.services.aws.monitor.full_log import LogFetchError, fetch_scripts_log

    stack.create(instances=1, rollback=False)
    sim_clock.advance(5)
    before = {e["pipelineExecutionId"] for e in stack.executions()}
    stack.push(payload(scripts={"ValidateService": BROKEN_SCRIPT}), "fails at the end")
    [execution] = [e for e in stack.executions() if e["pipelineExecutionId"] not in before]
    deployment_id = run_until(
        sim_clock, lambda: stack.deployment_of(execution["pipelineExecutionId"])
    )
    run_until(sim_clock, lambda: stack.deployment(deployment_id)["status"] == "Failed")
    group_id = stack.client("codedeploy").get_deployment_group(
        applicationName=stack.application, deploymentGroupName=stack.group
    )["deploymentGroupInfo"]["deploymentGroupId"]
    [instance] = stack.instance_ids
    path = scripts_log_path(group_id, deployment_id)
    log = fetch_scripts_log(clients, instance, path, chunk=200, delay=1, attempts=2)
    assert log.size == len(log.text.encode()) and not log.truncated
    lines = log.text.splitlines()
    assert lines[0].endswith(" LifecycleEvent - BeforeInstall")
    assert any(
        line.endswith(
            "[stdout][sandbox] scripts/after_install.sh was simulated, not run "
            "(`cdwizard rehearse` runs hooks for real)"
        )
        for line in lines
    )
    assert lines[-1].endswith(": line 4: syntax error: unexpected end of file")
    by_event = {(e.event, e.stream) for e in log.to_events(deployment_id)}
    assert ("ValidateService", "stderr") in by_event and ("AfterInstall", "stdout") in by_event
    # not yet written for a deployment that never ran a hook there; unmanaged instances refuse
    with pytest.raises(LogFetchError, match="does not exist"):
        fetch_scripts_log(clients, instance, scripts_log_path(group_id, "d-NOTTHERE1"), delay=1)
    [unmanaged] = stack.launch(1, ssm_managed=False, tag=False)
    with pytest.raises(LogFetchError, match="not managed by SSM"):
        fetch_scripts_log(clients, unmanaged, path, delay=1)
    # anything but a log read is not run on a simulated instance
    ssm = stack.client("ssm")
    sent = ssm.send_command(
        InstanceIds=[instance],
        DocumentName="AWS-RunShellScript",
        Parameters={"commands": ["rm -rf /"]},
    )["Command"]["CommandId"]
    invocation = ssm.get_command_invocation(CommandId=sent, InstanceId=instance)
    assert invocation["Status"] == "Failed" and invocation["ResponseCode"] == 127
    assert "this command was not run" in invocation["StandardErrorContent"]


def test_a_saved_simulation_finishes_in_a_later_process(
    sandbox_endpoint: str, stack: Stack, sim_clock: FakeClock
) -> None:
    """What the launcher does between runs: pickle moto's backends, start afresh, restore."""
    from moto.backends import get_backend

    stack.create(instances=2)
    sim_clock.advance(5)
    before = {e["pipelineExecutionId"] for e in stack.executions()}
    stack.push(payload(), "saved mid-way")
    [execution] = [e for e in stack.executions() if e["pipelineExecutionId"] not in before]
    execution_id = execution["pipelineExecutionId"]
    deployment_id = run_until(sim_clock, lambda: stack.deployment_of(execution_id))
    sim_clock.advance(3)
    assert stack.deployment(deployment_id)["status"] == "InProgress"
    saved = {
        service: pickle.dumps(get_backend(service)[ACCOUNT][REGION])
        for service in ("codepipeline", "codedeploy")
    }
    reset = urllib.request.Request(f"{sandbox_endpoint}/moto-api/reset", method="POST")
    urllib.request.urlopen(reset, timeout=10).close()
    for service, data in saved.items():
        dict.__setitem__(get_backend(service)[ACCOUNT], REGION, pickle.loads(data))
    sim_clock.advance(600)  # the next `cdwizard monitor --sandbox`, ten minutes later
    assert stack.execution(execution_id)["status"] == "Succeeded"
    assert stack.deployment(deployment_id)["status"] == "Succeeded"
    assert {t["status"] for t in stack.targets(deployment_id).values()} == {"Succeeded"}


# --- the CLI, as a user runs it -------------------------------------------------------------


def _answers(tmp_path: Path) -> Path:
    path = tmp_path / "answers.yml"
    path.write_text(
        "version: 1\nproject: demo\naws:\n  region: eu-west-1\n"
        "source:\n  repository: demo\n  branch: master\n",
        encoding="utf-8",
    )
    return path


def _cli_stack(clients: AwsClients) -> Stack:
    """The names `cdwizard` derives from project `demo` (pipeline, group, tag Name=demo)."""
    return Stack(
        clients,
        pipeline="demo",
        repository="demo",
        branch="master",
        application="demo",
        group="demo-dg",
        bucket="demo-artifacts-sandbox",
        tag=("Name", "demo"),
    )


def _workspace(tmp_path: Path, answers: Path, *, break_hook: str | None = None) -> Path:
    """The rendered payload in `<out>/payload`, optionally with one hook broken."""
    from wizard.core.answers import load_answers
    from wizard.core.render import render
    from wizard.services.aws.ship import files_from_tree

    out = tmp_path / "ws"
    for item in files_from_tree(render(load_answers(answers))):
        target = out / "payload" / item.path
        target.parent.mkdir(parents=True, exist_ok=True)
        content = BROKEN_SCRIPT.encode() if item.path == break_hook else item.content
        target.write_bytes(content)
        if item.executable:
            os.chmod(target, 0o755)
    return out


def _cdwizard(endpoint: str, *argv: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.update(
        CDWIZARD_AWS_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_REGION=REGION,
        AWS_MAX_ATTEMPTS="2",
    )
    env.pop("CI", None)
    return subprocess.run(
        [sys.executable, "-m", "wizard", *argv],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.mark.slow
def test_cdwizard_ship_follows_the_pushed_payload_to_success(
    sandbox_endpoint: str, clients: AwsClients, sim_clock: FakeClock, tmp_path: Path
) -> None:
    stack = _cli_stack(clients).create(instances=3)
    sim_clock.advance(5)  # the first run (CreatePipeline) has failed: no branch yet
    sim_clock.step = 0.5  # every API call moves the simulation half a second
    answers = _answers(tmp_path)
    proc = _cdwizard(
        sandbox_endpoint,
        "ship",
        "--answers",
        str(answers),
        "--out",
        str(_workspace(tmp_path, answers)),
        "--plain",
        "--poll-interval",
        "0.2",
    )
    assert proc.returncode == ExitCode.OK, proc.stdout + proc.stderr
    out = proc.stdout
    assert "pipeline demo: execution" in out and "Succeeded" in out
    assert out.count("ValidateService: Succeeded") == 3
    assert "no execution of the pushed commit started" not in out  # the push started it
    [execution] = [
        e for e in stack.executions() if e["trigger"]["triggerType"] == "CloudWatchEvent"
    ]
    assert execution["status"] == "Succeeded"
    # and `cdwizard monitor` on the finished run agrees
    again = _cdwizard(sandbox_endpoint, "monitor", "--pipeline", "demo", "--plain")
    assert again.returncode == ExitCode.OK, again.stdout + again.stderr


@pytest.mark.slow
def test_cdwizard_ship_of_a_broken_hook_exits_10_with_the_explanation(
    sandbox_endpoint: str, clients: AwsClients, sim_clock: FakeClock, tmp_path: Path
) -> None:
    _cli_stack(clients).create(instances=3, rollback=False)
    sim_clock.advance(5)
    sim_clock.step = 0.5
    answers = _answers(tmp_path)
    workspace = _workspace(tmp_path, answers, break_hook="scripts/after_install.sh")
    proc = _cdwizard(
        sandbox_endpoint,
        "ship",
        "--answers",
        str(answers),
        "--out",
        str(workspace),
        "--plain",
        "--poll-interval",
        "0.2",
    )
    assert proc.returncode == ExitCode.DEPLOY_FAILED, proc.stdout + proc.stderr
    out = proc.stdout
    assert "1 of 3 instances failed at AfterInstall (exit 2)" in out
    assert "ScriptFailed" in out and "syntax error: unexpected end of file" in out
