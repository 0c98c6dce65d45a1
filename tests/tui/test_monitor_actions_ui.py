"""Each monitor action by keys: the dialog says what will happen (the planned description and the
exact API call), Cancel changes nothing, Run does it — against moto where moto has the API,
botocore's Stubber (shapes checked against the service model) where it does not — and the screen
then follows what the action created.

The real `AwsFeed` polls once (a `Gate` holds it after that), so the screen shows a real
snapshot of the moto state when the key is pressed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import RichLog, Static

from tests.monitor_scenarios import (
    GapStubber,
    create_deployment,
    create_pipeline,
    fake_instance_agent,
    moto_backend,
    queue_application_stop_failure,
    queue_pipeline_detail,
    set_deployment,
    start_execution,
)
from tests.tui.monitor_gate import Gate
from tests.tui.waiting import wait_for
from wizard.app.monitor_feed import AwsFeed, ShipSource
from wizard.core.agent_log import scripts_log_path
from wizard.services.aws.monitor import ExecutionSelector, FollowSpec, PollIntervals
from wizard.services.aws.session import AwsClients
from wizard.services.aws.ship import files_from_dir
from wizard.tui.monitor_app import MonitorApp
from wizard.tui.screens.monitor import MonitorScreen
from wizard.tui.screens.monitor_modals import ActionDialog, LogViewer

SIZE = (120, 40)
INTERVALS = PollIntervals(active=2.0, idle=10.0)
STOP_TAIL = "[stderr]systemctl: unit demo.service not found\n"


@pytest.fixture
def clients(aws_target) -> AwsClients:
    return AwsClients(aws_target, max_attempts=2)


def watching(clients: AwsClients, spec: FollowSpec, **kw: Any) -> tuple[MonitorApp, AwsFeed]:
    gate = Gate()
    feed = AwsFeed(clients, spec, intervals=INTERVALS, pause=gate.pause, **kw)
    gate.feed = feed
    return MonitorApp(feed), feed


async def first_poll(app: MonitorApp, pilot) -> MonitorScreen:
    await wait_for(pilot, lambda: isinstance(app.screen, MonitorScreen), what="the monitor")
    screen = app.screen
    assert isinstance(screen, MonitorScreen)
    await wait_for(pilot, lambda: screen.updates >= 1, what="the first poll", timeout=30)
    return screen


async def dialog_for(app: MonitorApp, pilot, key: str) -> str:
    """Press `key`; the confirmation's text once it is up."""
    await pilot.press(key)
    await wait_for(pilot, lambda: isinstance(app.screen, ActionDialog), what=f"the {key} dialog")
    dialog = app.screen
    title = str(dialog.query_one(".dialog-title", Static).content)
    return title + "\n" + str(dialog.query_one(".dialog-body", Static).content)


async def run_confirmed(app: MonitorApp, pilot, screen: MonitorScreen) -> None:
    done = len(screen.activity)
    await pilot.press("y")
    await wait_for(
        pilot,
        lambda: screen.busy is None and len(screen.activity) > done and app.screen is screen,
        what="the action to finish",
        timeout=60,
    )


async def test_release_change_asks_then_starts_and_follows_an_execution(clients) -> None:
    create_pipeline(clients)
    app, feed = watching(clients, FollowSpec(pipeline="demo"))
    executions = moto_backend("codepipeline").pipelines["demo"].executions
    async with app.run_test(size=SIZE) as pilot:
        screen = await first_poll(app, pilot)
        text = await dialog_for(app, pilot, "r")
        assert text.startswith("Release change?")
        assert "Start a new execution of pipeline demo on the latest commit" in text
        assert "codepipeline:StartPipelineExecution name=demo" in text
        await pilot.press("n")
        await wait_for(pilot, lambda: app.screen is screen, what="back on the monitor")
        assert executions == {}, "cancel changed nothing"
        assert "cancelled, nothing was changed" in screen.activity[-1]

        await dialog_for(app, pilot, "r")
        await run_confirmed(app, pilot, screen)
        (started,) = executions
        assert feed.monitor.spec.execution == ExecutionSelector("id", started)
        assert any(f"started execution {started}" in line for line in screen.activity)
        # pinned to that execution now; n goes back to following whatever is newest
        assert screen.check_action("follow_newest", ())
        await pilot.press("n")
        assert feed.monitor.spec.keep_following
        assert feed.monitor.spec.execution == ExecutionSelector("newest")
        assert not screen.check_action("follow_newest", ())


async def test_retry_failed_actions_retries_only_the_failed_ones(clients) -> None:
    create_pipeline(clients)
    execution = start_execution(clients, status="Failed")
    stub = GapStubber(
        clients.client("codepipeline"),
        {"GetPipelineState", "ListActionExecutions", "RetryStageExecution"},
    )
    queue_pipeline_detail(stub, "demo", execution, source="Succeeded", deploy="Failed")
    stub.add_response(
        "retry_stage_execution",
        {"pipelineExecutionId": execution},
        {
            "pipelineName": "demo",
            "stageName": "Deploy",
            "pipelineExecutionId": execution,
            "retryMode": "FAILED_ACTIONS",
        },
    )
    app, feed = watching(clients, FollowSpec(pipeline="demo"))
    with stub:
        async with app.run_test(size=SIZE) as pilot:
            screen = await first_poll(app, pilot)
            assert "retry_failed" in screen.offered
            text = await dialog_for(app, pilot, "t")
            assert f"Retry the failed actions of stage Deploy in execution {execution[:8]}" in text
            assert "retryMode=FAILED_ACTIONS" in text
            await run_confirmed(app, pilot, screen)
            stub.assert_no_pending_responses()
    assert feed.monitor.spec.execution == ExecutionSelector("id", execution)


@pytest.mark.parametrize(("key", "rollback"), [("s", False), ("b", True)])
async def test_stop_deployment_with_and_without_rollback(clients, key: str, rollback: bool) -> None:
    deployment = create_deployment(clients)
    set_deployment(deployment, "InProgress", {"InProgress": 1, "Pending": 2})
    stub = GapStubber(clients.client("codedeploy"), {"StopDeployment"})
    stub.add_response(
        "stop_deployment",
        {"status": "Pending", "statusMessage": "Stopping"},
        {"deploymentId": deployment, "autoRollbackEnabled": rollback},
    )
    app, _ = watching(clients, FollowSpec(deployment_id=deployment))
    with stub:
        async with app.run_test(size=SIZE) as pilot:
            screen = await first_poll(app, pilot)
            assert {"stop", "stop_rollback"} <= screen.offered
            text = await dialog_for(app, pilot, key)
            assert f"Stop deployment {deployment}" in text
            assert f"autoRollbackEnabled={str(rollback).lower()}" in text
            assert ("redeploys the last successful revision" in text) is rollback
            assert app.screen.danger, "stopping is shown as dangerous"
            await run_confirmed(app, pilot, screen)
            stub.assert_no_pending_responses()
            assert "stop requested: Pending Stopping" in screen.activity[-1]


def _revision(key: str) -> dict[str, Any]:
    return {
        "revisionType": "S3",
        "s3Location": {"bucket": "demo-artifacts", "key": key, "bundleType": "zip"},
    }


async def test_redeploy_the_last_successful_revision(clients) -> None:
    good = create_deployment(clients)
    set_deployment(good, "Succeeded")
    bad = clients.client("codedeploy").create_deployment(
        applicationName="demo", deploymentGroupName="demo-dg", revision=_revision("demo/rev2.zip")
    )["deploymentId"]
    set_deployment(bad, "Failed")
    app, feed = watching(clients, FollowSpec(deployment_id=bad))
    async with app.run_test(size=SIZE) as pilot:
        screen = await first_poll(app, pilot)
        text = await dialog_for(app, pilot, "d")
        assert "Deploy s3://demo-artifacts/demo/rev1.zip (zip) to demo/demo-dg" in text
        assert f"the revision of the last successful deployment {good}" in text
        assert "codedeploy:CreateDeployment applicationName=demo" in text
        await run_confirmed(app, pilot, screen)
    created = feed.monitor.spec.deployment_id
    assert created not in (None, good, bad)
    new = moto_backend("codedeploy").deployments[created]
    assert new.revision["s3Location"]["key"] == "demo/rev1.zip"
    assert not new.ignore_application_stop_failures


async def test_a_failed_plan_is_said_and_nothing_runs(clients) -> None:
    only = create_deployment(clients)
    set_deployment(only, "Failed")
    app, _ = watching(clients, FollowSpec(deployment_id=only))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await first_poll(app, pilot)
        await pilot.press("d")
        await wait_for(pilot, lambda: screen.busy is None and screen.last_note, what="the refusal")
        assert isinstance(app.screen, MonitorScreen), "no dialog for an impossible action"
        assert "demo/demo-dg has no successful deployment to go back to" in screen.last_note
    assert len(moto_backend("codedeploy").deployments) == 1


async def test_application_stop_failure_redeploys_past_the_old_stop_script(clients) -> None:
    good = create_deployment(clients)
    set_deployment(good, "Succeeded")
    bad = clients.client("codedeploy").create_deployment(
        applicationName="demo", deploymentGroupName="demo-dg", revision=_revision("demo/rev2.zip")
    )["deploymentId"]
    set_deployment(bad, "Failed", {"Failed": 1})
    stub = GapStubber(
        clients.client("codedeploy"), {"ListDeploymentTargets", "BatchGetDeploymentTargets"}
    )
    queue_application_stop_failure(stub, bad, STOP_TAIL)
    app, feed = watching(clients, FollowSpec(deployment_id=bad))
    with stub:
        async with app.run_test(size=SIZE) as pilot:
            screen = await first_poll(app, pilot)
            assert "press i to redeploy ignoring ApplicationStop failures" in str(
                screen.query_one("#failure-text", Static).content
            )
            # the last good revision would run the same broken stop script: it skips it too
            text = await dialog_for(app, pilot, "d")
            assert "Deploy s3://demo-artifacts/demo/rev1.zip (zip)" in text
            assert "ApplicationStop failures are ignored" in text
            await pilot.press("n")
            await wait_for(pilot, lambda: app.screen is screen, what="back")
            text = await dialog_for(app, pilot, "i")
            assert text.startswith("Redeploy ignoring ApplicationStop failures?")
            assert "Deploy s3://demo-artifacts/demo/rev2.zip (zip) to demo/demo-dg" in text
            assert "ignoreApplicationStopFailures=true" in text
            await run_confirmed(app, pilot, screen)
            stub.assert_no_pending_responses()
    created = moto_backend("codedeploy").deployments[feed.monitor.spec.deployment_id]
    assert created.ignore_application_stop_failures is True
    assert created.revision["s3Location"]["key"] == "demo/rev2.zip"


async def test_full_log_is_read_over_ssm_and_shown(clients, tmp_path: Path) -> None:
    deployment = create_deployment(clients)
    set_deployment(deployment, "Failed", {"Failed": 1})
    group_id = clients.client("codedeploy").get_deployment_group(
        applicationName="demo", deploymentGroupName="demo-dg"
    )["deploymentGroupInfo"]["deploymentGroupId"]
    log = Path(scripts_log_path(group_id, deployment, str(tmp_path)))
    log.parent.mkdir(parents=True)
    log.write_text(
        "2026-01-02 03:04:05 LifecycleEvent - ApplicationStop\n"
        "2026-01-02 03:04:05 Script - scripts/stop.sh\n"
        "2026-01-02 03:04:05 [stdout]stopping demo\n"
        "2026-01-02 03:04:06 [stderr]systemctl: unit demo.service not found\n",
        encoding="utf-8",
    )
    fake_instance_agent(clients.client("ssm"), tmp_path)
    stub = GapStubber(
        clients.client("codedeploy"), {"ListDeploymentTargets", "BatchGetDeploymentTargets"}
    )
    queue_application_stop_failure(stub, deployment, STOP_TAIL)
    app, _ = watching(clients, FollowSpec(deployment_id=deployment))
    with stub:
        async with app.run_test(size=SIZE) as pilot:
            screen = await first_poll(app, pilot)
            text = await dialog_for(app, pilot, "l")
            assert "Run a read-only shell command on i-0a through SSM" in text
            assert str(scripts_log_path(group_id, deployment)) in text
            assert "nothing is changed on it" in text
            await pilot.press("y")
            await wait_for(pilot, lambda: isinstance(app.screen, LogViewer), what="the log")
            viewer = app.screen
            assert isinstance(viewer, LogViewer)
            lines = [line.plain for line in viewer.lines]
            assert lines == [
                "── ApplicationStop ──",
                "stopping demo",
                "systemctl: unit demo.service not found",
            ]
            assert viewer.query_one("#full-log", RichLog)
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is screen, what="back on the monitor")
            assert re.search(r"read \d+ characters of .*scripts\.log from i-0a", screen.last_note)


async def test_ship_pushes_the_payload_and_follows_the_commit(clients, tmp_path: Path) -> None:
    create_pipeline(clients, repository="shop")
    clients.client("codecommit").create_repository(repositoryName="shop")
    payload = tmp_path / "payload"
    (payload / "scripts").mkdir(parents=True)
    (payload / "appspec.yml").write_text("version: 0.0\nos: linux\n", encoding="utf-8")
    (payload / "scripts" / "start.sh").write_text("#!/bin/sh\necho up\n", encoding="utf-8")
    (payload / "scripts" / "start.sh").chmod(0o755)
    source = ShipSource(
        repository="shop",
        branch="main",
        files=lambda: files_from_dir(payload),
        origin=f"the workspace's {payload}",
        message="cdwizard ship: test payload",
    )
    app, feed = watching(clients, FollowSpec(pipeline="demo"), ship=source)
    async with app.run_test(size=SIZE) as pilot:
        screen = await first_poll(app, pilot)
        assert "ship" in screen.offered
        text = await dialog_for(app, pilot, "p")
        assert text.startswith("Ship the payload?")
        assert "Push 2 files to shop:main (a new branch: the repository's first commit) " in text
        assert f"The files come from the workspace's {payload}" in text
        assert "codecommit:CreateCommit repositoryName=shop branchName=main files=2" in text
        await run_confirmed(app, pilot, screen)
    head = clients.client("codecommit").get_branch(repositoryName="shop", branchName="main")
    commit = head["branch"]["commitId"]
    assert feed.monitor.spec.execution == ExecutionSelector("commit", commit)
    files = clients.client("codecommit").get_folder(
        repositoryName="shop", folderPath="/", commitSpecifier=commit
    )
    assert {f["relativePath"] for f in files["files"]} == {"appspec.yml"}
    assert any(f"shop/main: pushed {commit[:8]}" in line for line in screen.activity)


async def test_after_ship_the_pipeline_is_started_when_the_push_did_not_trigger_it(clients) -> None:
    create_pipeline(clients)
    execution_of_other_commit = start_execution(clients, status="Succeeded")
    gate = Gate()
    feed = AwsFeed(
        clients, FollowSpec(pipeline="demo"), intervals=INTERVALS, pause=gate.pause, trigger_wait=0
    )
    gate.feed = feed
    feed.expect_commit("c0ffee" * 6 + "ab")
    app = MonitorApp(feed)
    async with app.run_test(size=SIZE) as pilot:
        screen = await first_poll(app, pilot)
        executions = moto_backend("codepipeline").pipelines["demo"].executions
        await wait_for(pilot, lambda: len(executions) == 2, what="the release")
        (released,) = set(executions) - {execution_of_other_commit}
        assert feed.monitor.spec.execution == ExecutionSelector("id", released)
        await wait_for(
            pilot,
            lambda: any("no execution of commit c0ffeec0 started" in a for a in screen.activity),
            what="the explanation",
        )
