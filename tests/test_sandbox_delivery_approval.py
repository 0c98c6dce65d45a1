"""Multi-stage pipelines and manual approvals in the sandbox: Source, Deploy-staging,
Approve-production, Deploy-production; each Deploy stage deploys to its own group's tagged
instances; the approval waits (token in GetPipelineState) until PutApprovalResult."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.moto_stack import pipeline_declaration
from tests.sandbox_delivery_support import FakeClock, Stack, payload, run_until
from wizard.core.events.pipeline import FINAL_EXECUTION_STATUSES as FINAL
from wizard.services.sandbox.extensions import delivery
from wizard.services.sandbox.launcher import Sandbox

MESSAGE = "Approve deployment to production?"
LINK = "https://example.com/release-notes"
STAGING = ("demo-staging-dg", ("App", "staging"))
PRODUCTION = ("demo-production-dg", ("App", "production"))


def _approval_action(*, link: str | None = LINK) -> dict[str, Any]:
    configuration = {"CustomData": MESSAGE}
    if link:
        configuration["ExternalEntityLink"] = link
    return {
        "name": "Approve",
        "actionTypeId": {
            "category": "Approval",
            "owner": "AWS",
            "provider": "Manual",
            "version": "1",
        },
        "configuration": configuration,
    }


def _environments(stack: Stack, *, approve_staging: bool = False) -> Stack:
    """Two groups (staging, production) with one instance each, and the pipeline: Source,
    [Approve-staging,] Deploy-staging, Approve-production, Deploy-production."""
    stack.create(instances=0, pipeline=False)
    codedeploy = stack.client("codedeploy")
    role = stack.client("iam").get_role(RoleName=f"{stack.pipeline}-role")["Role"]["Arn"]
    for group, (key, value) in (STAGING, PRODUCTION):
        codedeploy.create_deployment_group(
            applicationName=stack.application,
            deploymentGroupName=group,
            serviceRoleArn=role,
            deploymentConfigName="CodeDeployDefault.OneAtATime",
            ec2TagSet={"ec2TagSetList": [[{"Key": key, "Value": value, "Type": "KEY_AND_VALUE"}]]},
        )
        stack.tag = (key, value)
        stack.launch(1)
    declaration = pipeline_declaration(
        stack.pipeline,
        role,
        bucket=stack.bucket,
        repository=stack.repository,
        branch=stack.branch,
        application=stack.application,
        group=stack.group,
        source_settings={"PollForSourceChanges": "false"},
        artifact="SourceArtifact",
    )
    source, deploy = declaration["stages"]
    stages = [source]
    for env, (group, _) in (("staging", STAGING), ("production", PRODUCTION)):
        if env == "production" or approve_staging:
            stages.append({"name": f"Approve-{env}", "actions": [_approval_action()]})
        action = {**deploy["actions"][0]}
        action["configuration"] = {
            "ApplicationName": stack.application,
            "DeploymentGroupName": group,
        }
        stages.append({"name": f"Deploy-{env}", "actions": [action]})
    declaration["stages"] = stages
    stack.client("codepipeline").create_pipeline(pipeline=declaration)
    return stack


def _push(stack: Stack, marker: str) -> str:
    before = {e["pipelineExecutionId"] for e in stack.executions()}
    stack.push(payload(marker=marker), f"release {marker}")
    [new] = [
        e["pipelineExecutionId"]
        for e in stack.executions()
        if e["pipelineExecutionId"] not in before
    ]
    return str(new)


def _stage(stack: Stack, name: str) -> dict[str, Any]:
    state = stack.client("codepipeline").get_pipeline_state(name=stack.pipeline)
    return next(s for s in state["stageStates"] if s["stageName"] == name)


def _status(stack: Stack, execution_id: str) -> str:
    return str(stack.execution(execution_id)["status"])


def _waiting_token(stack: Stack, stage: str, execution_id: str) -> str | None:
    found = _stage(stack, stage)
    latest = found.get("latestExecution") or {}
    action = found["actionStates"][0].get("latestExecution") or {}
    if latest.get("pipelineExecutionId") == execution_id and action.get("status") == "InProgress":
        return action.get("token")
    return None


def _deployment_in(stack: Stack, execution_id: str, stage: str) -> dict[str, Any] | None:
    for detail in stack.actions(execution_id):
        if detail["stageName"] == stage and detail["actionName"] == "Deploy":
            found = detail.get("output", {}).get("executionResult", {}).get("externalExecutionId")
            return stack.deployment(found) if found else None
    return None


def _approve(stack: Stack, token: str, status: str = "Approved", summary: str = "ok") -> Any:
    return stack.client("codepipeline").put_approval_result(
        pipelineName=stack.pipeline,
        stageName="Approve-production",
        actionName="Approve",
        result={"status": status, "summary": summary},
        token=token,
    )


def test_each_deploy_stage_deploys_to_its_group_and_the_approval_waits_until_approved(
    stack: Stack, sim_clock: FakeClock
) -> None:
    _environments(stack)
    sim_clock.advance(5)
    execution_id = _push(stack, "1")
    token = run_until(sim_clock, lambda: _waiting_token(stack, "Approve-production", execution_id))
    staging = _deployment_in(stack, execution_id, "Deploy-staging")
    assert staging is not None and staging["status"] == "Succeeded"
    assert staging["deploymentGroupName"] == STAGING[0]
    [staging_instance, production_instance] = stack.instance_ids
    assert list(stack.targets(staging["deploymentId"])) == [staging_instance]

    state = _stage(stack, "Approve-production")
    action = state["actionStates"][0]
    assert state["latestExecution"]["status"] == "InProgress"
    assert action["latestExecution"]["summary"] == MESSAGE
    assert action["latestExecution"]["externalExecutionId"] == token
    assert action["entityUrl"] == LINK
    assert "lastUpdatedBy" not in action["latestExecution"]
    assert "latestExecution" not in _stage(stack, "Deploy-production")
    # approvals never time out in the sandbox (AWS fails them after 7 days)
    sim_clock.advance(8 * 86400)
    assert _status(stack, execution_id) == "InProgress"
    assert _waiting_token(stack, "Approve-production", execution_id) == token

    answer = _approve(stack, str(token), summary="looks good")
    assert answer["approvedAt"].timestamp() == pytest.approx(sim_clock.t, abs=1)
    decided = _stage(stack, "Approve-production")["actionStates"][0]["latestExecution"]
    assert decided["status"] == "Succeeded"
    assert decided["summary"] == "looks good"
    assert decided["lastUpdatedBy"].startswith("arn:aws:iam::")
    assert "token" not in decided
    run_until(sim_clock, lambda: _status(stack, execution_id) in FINAL)
    assert _status(stack, execution_id) == "Succeeded"
    production = _deployment_in(stack, execution_id, "Deploy-production")
    assert production is not None and production["deploymentGroupName"] == PRODUCTION[0]
    assert list(stack.targets(production["deploymentId"])) == [production_instance]

    with pytest.raises(ClientError) as again:
        _approve(stack, str(token))
    assert again.value.response["Error"]["Code"] == "ApprovalAlreadyCompletedException"


def test_a_rejected_approval_fails_the_stage_and_the_execution(
    stack: Stack, sim_clock: FakeClock
) -> None:
    _environments(stack)
    sim_clock.advance(5)
    execution_id = _push(stack, "1")
    token = run_until(sim_clock, lambda: _waiting_token(stack, "Approve-production", execution_id))
    _approve(stack, str(token), status="Rejected", summary="not on a Friday")
    sim_clock.advance(1)
    assert _status(stack, execution_id) == "Failed"
    state = _stage(stack, "Approve-production")
    assert state["latestExecution"]["status"] == "Failed"
    latest = state["actionStates"][0]["latestExecution"]
    assert latest["status"] == "Failed"
    assert latest["summary"] == "not on a Friday"
    assert latest["errorDetails"]["code"] == "JobFailed"
    assert latest["errorDetails"]["message"].startswith("Rejected by arn:aws:iam::")
    [detail] = [a for a in stack.actions(execution_id) if a["stageName"] == "Approve-production"]
    assert detail["status"] == "Failed"
    assert detail["output"]["executionResult"]["externalExecutionSummary"] == "not on a Friday"
    assert detail["updatedBy"] == latest["lastUpdatedBy"]
    assert _deployment_in(stack, execution_id, "Deploy-production") is None
    assert "latestExecution" not in _stage(stack, "Deploy-production")


def test_put_approval_result_errors_as_aws(stack: Stack, sim_clock: FakeClock) -> None:
    codepipeline = stack.client("codepipeline")
    _environments(stack)
    sim_clock.advance(5)
    execution_id = _push(stack, "1")
    token = run_until(sim_clock, lambda: _waiting_token(stack, "Approve-production", execution_id))
    cases = {
        "InvalidApprovalTokenException": {"token": "0f0f0f0f-0000-4000-8000-000000000000"},
        "StageNotFoundException": {"stageName": "Approve-nowhere"},
        "ActionNotFoundException": {"actionName": "Nobody"},
        "PipelineNotFoundException": {"pipelineName": "no-such-pipeline"},
    }
    for code, change in cases.items():
        kwargs: dict[str, Any] = {
            "pipelineName": stack.pipeline,
            "stageName": "Approve-production",
            "actionName": "Approve",
            "result": {"status": "Approved", "summary": ""},
            "token": str(token),
            **change,
        }
        with pytest.raises(ClientError) as failed:
            codepipeline.put_approval_result(**kwargs)
        assert failed.value.response["Error"]["Code"] == code, change
    assert _waiting_token(stack, "Approve-production", execution_id) == token
    _approve(stack, str(token), summary="")
    latest = _stage(stack, "Approve-production")["actionStates"][0]["latestExecution"]
    assert latest["summary"] == f"Approved by {latest['lastUpdatedBy']}"


def test_newer_executions_wait_behind_the_approval_and_supersede_each_other(
    stack: Stack, sim_clock: FakeClock
) -> None:
    _environments(stack)
    sim_clock.advance(5)
    first = _push(stack, "1")
    first_token = run_until(sim_clock, lambda: _waiting_token(stack, "Approve-production", first))
    second = _push(stack, "2")
    run_until(sim_clock, lambda: "inboundExecution" in _stage(stack, "Approve-production"))
    inbound = _stage(stack, "Approve-production")["inboundExecution"]
    assert inbound["pipelineExecutionId"] == second
    third = _push(stack, "3")
    run_until(sim_clock, lambda: _status(stack, second) == "Superseded")
    assert _status(stack, first) == "InProgress"  # the one at the approval is not superseded
    _approve(stack, str(first_token))
    third_token = run_until(sim_clock, lambda: _waiting_token(stack, "Approve-production", third))
    assert third_token != first_token
    run_until(sim_clock, lambda: _status(stack, first) in FINAL)
    assert _status(stack, first) == "Succeeded"
    _approve(stack, str(third_token))
    run_until(sim_clock, lambda: _status(stack, third) in FINAL)
    assert _status(stack, third) == "Succeeded"


def test_abandoning_an_execution_abandons_its_waiting_approval_and_a_retry_asks_again(
    stack: Stack, sim_clock: FakeClock
) -> None:
    codepipeline = stack.client("codepipeline")
    _environments(stack, approve_staging=True)
    sim_clock.advance(5)
    execution_id = _push(stack, "1")
    token = run_until(sim_clock, lambda: _waiting_token(stack, "Approve-staging", execution_id))
    assert "latestExecution" not in _stage(stack, "Deploy-staging")
    codepipeline.stop_pipeline_execution(
        pipelineName=stack.pipeline, pipelineExecutionId=execution_id, abandon=True
    )
    assert _status(stack, execution_id) == "Stopped"
    assert _stage(stack, "Approve-staging")["actionStates"][0]["latestExecution"]["status"] == (
        "Abandoned"
    )
    with pytest.raises(ClientError) as late:
        codepipeline.put_approval_result(
            pipelineName=stack.pipeline,
            stageName="Approve-staging",
            actionName="Approve",
            result={"status": "Approved", "summary": ""},
            token=str(token),
        )
    assert late.value.response["Error"]["Code"] == "ApprovalAlreadyCompletedException"

    second = _push(stack, "2")
    token = run_until(sim_clock, lambda: _waiting_token(stack, "Approve-staging", second))
    codepipeline.put_approval_result(
        pipelineName=stack.pipeline,
        stageName="Approve-staging",
        actionName="Approve",
        result={"status": "Rejected", "summary": "wrong build"},
        token=str(token),
    )
    sim_clock.advance(1)
    assert _status(stack, second) == "Failed"
    codepipeline.retry_stage_execution(
        pipelineName=stack.pipeline,
        pipelineExecutionId=second,
        stageName="Approve-staging",
        retryMode="FAILED_ACTIONS",
    )
    retried = run_until(sim_clock, lambda: _waiting_token(stack, "Approve-staging", second))
    assert retried != token


def test_a_waiting_approval_survives_the_sandboxs_save_and_restore(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(delivery.PACE_ENV, "0")  # runs finish as they start: no waiting
    ws = tmp_path / "ws"
    box = Sandbox.for_workspace(ws)
    box.start()
    try:
        stack = Stack(box.clients, pipeline="saved-pipeline")
        stack.create(instances=0, pipeline=False)
        role = stack.client("iam").get_role(RoleName=f"{stack.pipeline}-role")["Role"]["Arn"]
        declaration = pipeline_declaration(
            stack.pipeline,
            role,
            bucket=stack.bucket,
            repository=stack.repository,
            branch=stack.branch,
            application=stack.application,
            group=stack.group,
            source_settings={"PollForSourceChanges": "false"},
        )
        source, _ = declaration["stages"]
        declaration["stages"] = [
            source,
            {"name": "Approve-production", "actions": [_approval_action()]},
        ]
        stack.client("codepipeline").create_pipeline(pipeline=declaration)
        execution_id = _push(stack, "1")
        token = _waiting_token(stack, "Approve-production", execution_id)
        assert token
    finally:
        box.stop()

    again = Sandbox.for_workspace(ws)
    again.start()
    try:
        stack = Stack(again.clients, pipeline="saved-pipeline")
        assert _waiting_token(stack, "Approve-production", execution_id) == token
        _approve(stack, str(token))
        assert _status(stack, execution_id) == "Succeeded"
    finally:
        again.stop(save=False)
