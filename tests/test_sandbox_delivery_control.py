"""Changing runs in the sandbox: StopDeployment, StopPipelineExecution, RetryStageExecution,
SUPERSEDED executions, polling triggers, and the switch back to plain moto."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests._aws_shapes import RawResponses
from tests.sandbox_delivery_support import FakeClock, Stack, events_of, payload, run_until
from wizard.core.events.pipeline import FINAL_EXECUTION_STATUSES as FINAL
from wizard.services.sandbox.extensions import delivery


def _status(stack: Stack, execution_id: str) -> str:
    return str(stack.execution(execution_id)["status"])


def _new_execution(stack: Stack, before: set[str]) -> str:
    [new] = [
        e["pipelineExecutionId"]
        for e in stack.executions()
        if e["pipelineExecutionId"] not in before
    ]
    return str(new)


def _push(stack: Stack, files: dict[str, str], message: str) -> str:
    """Push and return the id of the execution the push started."""
    before = {e["pipelineExecutionId"] for e in stack.executions()}
    stack.push(files, message)
    return _new_execution(stack, before)


def _deploying(stack: Stack, clock: FakeClock, execution_id: str) -> str:
    """Run until the execution's deployment has an instance in progress; its id."""

    def started() -> str | None:
        found = stack.deployment_of(execution_id)
        if found and stack.deployment(found)["deploymentOverview"]["InProgress"]:
            return found
        return None

    return str(run_until(clock, started, step=0.5))


def test_stop_deployment_skips_what_has_not_run_and_fails_the_action(
    stack: Stack, sim_clock: FakeClock
) -> None:
    codedeploy = stack.client("codedeploy")
    raw = RawResponses(codedeploy)
    stack.create(instances=3, rollback=False)
    sim_clock.advance(5)
    execution_id = _push(stack, payload(), "deploy, then think better of it")
    deployment_id = _deploying(stack, sim_clock, execution_id)
    answer = codedeploy.stop_deployment(deploymentId=deployment_id)
    raw.check("StopDeployment")
    assert (answer["status"], answer["statusMessage"]) == ("Pending", "Stopping Active deployment")
    info = stack.deployment(deployment_id)
    assert info["status"] == "Stopped"
    assert info["errorInformation"]["code"] == "MANUAL_STOP"
    assert "rollbackInfo" not in info
    assert info["deploymentOverview"]["Skipped"] == 3
    for target in stack.targets(deployment_id).values():
        assert target["status"] == "Skipped"
        assert all(e["status"] in ("Succeeded", "Skipped") for e in target["lifecycleEvents"])
        skipped = [e for e in target["lifecycleEvents"] if e["status"] == "Skipped"]
        assert skipped and all("diagnostics" not in e for e in skipped)
    with pytest.raises(ClientError) as again:
        codedeploy.stop_deployment(deploymentId=deployment_id)
    assert again.value.response["Error"]["Code"] == "DeploymentAlreadyCompletedException"
    done = run_until(
        sim_clock, lambda: _status(stack, execution_id) in FINAL and stack.execution(execution_id)
    )
    assert done["status"] == "Failed"
    deploy = next(a for a in stack.actions(execution_id) if a["actionName"] == "Deploy")
    assert deploy["status"] == "Failed"


def test_stop_deployment_with_rollback_redeploys_the_last_good_revision(
    stack: Stack, sim_clock: FakeClock
) -> None:
    codedeploy = stack.client("codedeploy")
    stack.create(instances=2, rollback=False)
    sim_clock.advance(5)
    good = _push(stack, payload(marker="1"), "good")
    run_until(sim_clock, lambda: _status(stack, good) == "Succeeded")
    good_revision = stack.deployment(str(stack.deployment_of(good)))["revision"]
    second = _push(stack, payload(marker="2"), "second")
    deployment_id = _deploying(stack, sim_clock, second)
    codedeploy.stop_deployment(deploymentId=deployment_id, autoRollbackEnabled=True)
    info = stack.deployment(deployment_id)
    assert info["status"] == "Stopped"
    rollback = stack.deployment(info["rollbackInfo"]["rollbackDeploymentId"])
    assert rollback["creator"] == "codeDeployRollback"
    assert rollback["revision"] == good_revision
    assert rollback["rollbackInfo"]["rollbackTriggeringDeploymentId"] == deployment_id


def test_a_newer_execution_supersedes_one_waiting_for_the_deploy_stage(
    stack: Stack, sim_clock: FakeClock
) -> None:
    codepipeline = stack.client("codepipeline")
    stack.create(instances=1)
    sim_clock.advance(5)
    first = _push(stack, payload(marker="1"), "one")
    _deploying(stack, sim_clock, first)
    second = _push(stack, payload(marker="2"), "two")
    sim_clock.advance(4)  # its Source ran; the Deploy stage is busy with the first
    assert _status(stack, second) == "InProgress"
    deploy_stage = codepipeline.get_pipeline_state(name=stack.pipeline)["stageStates"][1]
    assert deploy_stage["latestExecution"]["pipelineExecutionId"] == first
    assert deploy_stage["inboundExecution"]["pipelineExecutionId"] == second
    third = _push(stack, payload(marker="3"), "three")
    sim_clock.advance(4)
    assert _status(stack, second) == "Superseded"
    summary = next(e for e in stack.executions() if e["pipelineExecutionId"] == second)
    assert summary["executionMode"] == "SUPERSEDED"
    run_until(sim_clock, lambda: _status(stack, third) in FINAL)
    assert _status(stack, first) == "Succeeded"
    assert _status(stack, third) == "Succeeded"
    assert stack.deployment_of(second) is None  # it never reached Deploy
    first_end = stack.deployment(str(stack.deployment_of(first)))["completeTime"]
    assert stack.deployment(str(stack.deployment_of(third)))["createTime"] >= first_end


def test_polling_pipelines_notice_a_push_later(stack: Stack, sim_clock: FakeClock) -> None:
    stack.create(instances=1, poll=True)
    sim_clock.advance(5)
    before = {e["pipelineExecutionId"] for e in stack.executions()}
    commit = stack.push(payload(), "polled")
    assert {e["pipelineExecutionId"] for e in stack.executions()} == before
    sim_clock.advance(15)
    new = [e for e in stack.executions() if e["pipelineExecutionId"] not in before]
    assert [e["trigger"]["triggerType"] for e in new] == ["PollForSourceChanges"]
    assert [r["revisionId"] for r in new[0]["sourceRevisions"]] == [commit]


def test_stop_pipeline_execution_waits_for_the_deploy_action_unless_abandoned(
    stack: Stack, sim_clock: FakeClock
) -> None:
    codepipeline = stack.client("codepipeline")
    raw = RawResponses(codepipeline)
    stack.create(instances=1)
    sim_clock.advance(5)
    first = _push(stack, payload(marker="1"), "one")
    deployment_id = _deploying(stack, sim_clock, first)
    codepipeline.stop_pipeline_execution(
        pipelineName=stack.pipeline, pipelineExecutionId=first, reason="not now"
    )
    raw.check("StopPipelineExecution")
    assert _status(stack, first) == "Stopping"
    with pytest.raises(ClientError) as twice:
        codepipeline.stop_pipeline_execution(pipelineName=stack.pipeline, pipelineExecutionId=first)
    assert twice.value.response["Error"]["Code"] == "DuplicatedStopRequestException"
    run_until(sim_clock, lambda: _status(stack, first) == "Stopped")
    assert stack.deployment(deployment_id)["status"] == "Succeeded"  # it was allowed to finish
    summary = next(e for e in stack.executions() if e["pipelineExecutionId"] == first)
    assert summary["stopTrigger"] == {"reason": "not now"}

    second = _push(stack, payload(marker="2"), "two")
    second_deployment = _deploying(stack, sim_clock, second)
    codepipeline.stop_pipeline_execution(
        pipelineName=stack.pipeline, pipelineExecutionId=second, abandon=True, reason="now"
    )
    assert _status(stack, second) == "Stopped"
    deploy = next(a for a in stack.actions(second) if a["actionName"] == "Deploy")
    assert deploy["status"] == "Abandoned"
    # abandoning the action does not stop CodeDeploy
    assert stack.deployment(second_deployment)["status"] == "InProgress"
    with pytest.raises(ClientError) as done:
        codepipeline.stop_pipeline_execution(
            pipelineName=stack.pipeline, pipelineExecutionId=second
        )
    assert done.value.response["Error"]["Code"] == "PipelineExecutionNotStoppableException"


def test_retry_the_failed_source_once_the_branch_exists(stack: Stack, sim_clock: FakeClock) -> None:
    codepipeline = stack.client("codepipeline")
    raw = RawResponses(codepipeline)
    stack.create(instances=1, poll=True)
    [first] = stack.executions()
    sim_clock.advance(5)
    assert _status(stack, first["pipelineExecutionId"]) == "Failed"
    stack.push(payload(), "now the branch exists")  # polling notices in ~10 s; retry before
    sim_clock.advance(1)
    answer = codepipeline.retry_stage_execution(
        pipelineName=stack.pipeline,
        stageName="Source",
        pipelineExecutionId=first["pipelineExecutionId"],
        retryMode="FAILED_ACTIONS",
    )
    raw.check("RetryStageExecution")
    assert answer["pipelineExecutionId"] == first["pipelineExecutionId"]
    assert _status(stack, first["pipelineExecutionId"]) == "InProgress"
    attempts = [
        a for a in stack.actions(first["pipelineExecutionId"]) if a["actionName"] == "Source"
    ]
    assert [a["status"] for a in attempts] == ["InProgress", "Failed"]  # newest first
    # a newer execution (the poll) now holds the stage: the older one cannot be retried there
    run_until(sim_clock, lambda: _status(stack, first["pipelineExecutionId"]) in FINAL)
    assert _status(stack, first["pipelineExecutionId"]) == "Succeeded"
    with pytest.raises(ClientError) as not_failed:
        codepipeline.retry_stage_execution(
            pipelineName=stack.pipeline,
            stageName="Source",
            pipelineExecutionId=first["pipelineExecutionId"],
            retryMode="FAILED_ACTIONS",
        )
    assert not_failed.value.response["Error"]["Code"] == "StageNotRetryableException"


def test_retrying_an_older_execution_is_refused(stack: Stack, sim_clock: FakeClock) -> None:
    codepipeline = stack.client("codepipeline")
    stack.create(instances=1)
    [first] = stack.executions()
    sim_clock.advance(5)
    _push(stack, payload(), "a newer execution runs Source")
    sim_clock.advance(1)
    with pytest.raises(ClientError) as older:
        codepipeline.retry_stage_execution(
            pipelineName=stack.pipeline,
            stageName="Source",
            pipelineExecutionId=first["pipelineExecutionId"],
            retryMode="FAILED_ACTIONS",
        )
    assert older.value.response["Error"]["Code"] == "NotLatestPipelineExecutionException"


def test_switched_off_the_apis_behave_as_plain_moto(stack: Stack, sim_clock: FakeClock) -> None:
    codepipeline = stack.client("codepipeline")
    stack.create(instances=1)
    delivery.set_enabled(False)
    try:
        started = codepipeline.start_pipeline_execution(name=stack.pipeline)
        execution = codepipeline.get_pipeline_execution(
            pipelineName=stack.pipeline, pipelineExecutionId=started["pipelineExecutionId"]
        )["pipelineExecution"]
        assert execution["status"] == "Succeeded"  # moto's instant success
        with pytest.raises(ClientError) as missing:
            codepipeline.get_pipeline_state(name=stack.pipeline)
        assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    finally:
        delivery.set_enabled(True)
    # switched on again: the simulated executions are still there
    assert any(e["trigger"]["triggerType"] == "CreatePipeline" for e in stack.executions())


def test_lifecycle_events_carry_no_diagnostics_before_they_end(
    stack: Stack, sim_clock: FakeClock
) -> None:
    stack.create(instances=1)
    sim_clock.advance(5)
    execution_id = _push(stack, payload(), "watch it closely")
    deployment_id = _deploying(stack, sim_clock, execution_id)
    seen: set[str] = set()
    for _ in range(60):
        [target] = stack.targets(deployment_id).values()
        for name, event in events_of(target).items():
            seen.add(event["status"])
            if event["status"] == "Pending":
                assert set(event) == {"lifecycleEventName", "status"}, name
            if event["status"] == "InProgress":
                assert "startTime" in event and "endTime" not in event
                assert "diagnostics" not in event
        if target["status"] == "Succeeded":
            break
        sim_clock.advance(0.25)
    assert {"Pending", "InProgress", "Succeeded"} <= seen


def test_a_push_is_noticed_even_when_the_commit_handler_was_replaced(
    stack: Stack, sim_clock: FakeClock
) -> None:
    from wizard.services.sandbox.extensions import codecommit

    stack.create(instances=1)
    sim_clock.advance(5)
    codecommit.install()  # the CodeCommit extension installed again: plain handlers
    try:
        before = {e["pipelineExecutionId"] for e in stack.executions()}
        commit = stack.push(payload(), "noticed at the next call")
        sim_clock.advance(7)
        [new] = [e for e in stack.executions() if e["pipelineExecutionId"] not in before]
        assert new["trigger"]["triggerType"] == "CloudWatchEvent"
        assert new["startTime"].timestamp() == pytest.approx(sim_clock.t)  # when it was noticed
        assert [r["revisionId"] for r in new["sourceRevisions"]] == [commit]
    finally:
        delivery.install()
