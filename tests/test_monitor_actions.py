"""Monitor actions: each is described before it runs, then does exactly that.

moto runs release change, redeploy and the SSM log fetch for real; RetryStageExecution and
StopDeployment are not in moto, so the Stubber checks those requests against the service model.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from botocore.stub import Stubber

from tests.monitor_scenarios import (
    create_deployment,
    create_pipeline,
    fake_instance_agent,
    moto_backend,
    set_deployment,
)
from wizard.core.agent_log import scripts_log_path
from wizard.core.events.lifecycle import DeploymentStatus
from wizard.core.timeline import DeploymentView, Overview
from wizard.services.aws.monitor import actions
from wizard.services.aws.monitor.full_log import LogFetchError
from wizard.services.aws.session import AwsClients


@pytest.fixture
def clients(aws_target) -> AwsClients:
    return AwsClients(aws_target, max_attempts=2)


def test_release_change_starts_an_execution(clients) -> None:
    create_pipeline(clients)
    plan = actions.release_change(clients, "demo")
    assert plan.api == "codepipeline:StartPipelineExecution"
    assert "Start a new execution of pipeline demo" in plan.description
    assert moto_backend("codepipeline").pipelines["demo"].executions == {}  # planning wrote nothing
    result = plan.execute()
    assert list(moto_backend("codepipeline").pipelines["demo"].executions) == [
        result.ids["pipelineExecutionId"]
    ]


def test_retry_failed_actions_asks_for_failed_actions_only(clients) -> None:
    plan = actions.retry_failed_actions(clients, "demo", "Deploy", "exec-1234567890")
    assert "Retry the failed actions of stage Deploy in execution exec-123" in plan.description
    assert "retryMode=FAILED_ACTIONS" in plan.description
    with Stubber(clients.client("codepipeline")) as stub:
        stub.add_response(
            "retry_stage_execution",
            {"pipelineExecutionId": "exec-1234567890"},
            {
                "pipelineName": "demo",
                "stageName": "Deploy",
                "pipelineExecutionId": "exec-1234567890",
                "retryMode": "FAILED_ACTIONS",
            },
        )
        result = plan.execute()
        stub.assert_no_pending_responses()
    assert result.ids == {"pipelineExecutionId": "exec-1234567890"}


@pytest.mark.parametrize("rollback", [True, False])
def test_stop_deployment_with_and_without_rollback(clients, rollback: bool) -> None:
    view = DeploymentView(
        deployment_id="d-STOP00001",
        application="demo",
        group="demo-dg",
        status=DeploymentStatus.IN_PROGRESS,
        overview=Overview(pending=1, in_progress=1, succeeded=1),
    )
    plan = actions.stop_deployment(clients, view, rollback=rollback)
    assert plan.key == ("stop_rollback" if rollback else "stop")
    assert "(1 of 3 instances done, 1 in progress)" in plan.description
    assert f"autoRollbackEnabled={str(rollback).lower()}" in plan.description
    assert ("redeploys the last successful revision" in plan.description) is rollback
    with Stubber(clients.client("codedeploy")) as stub:
        stub.add_response(
            "stop_deployment",
            {"status": "Pending", "statusMessage": "Stopping"},
            {"deploymentId": "d-STOP00001", "autoRollbackEnabled": rollback},
        )
        result = plan.execute()
        stub.assert_no_pending_responses()
    assert result.message == "stop requested: Pending Stopping"


def test_redeploy_last_successful_revision(clients) -> None:
    first = create_deployment(clients)
    codedeploy = clients.client("codedeploy")
    with pytest.raises(actions.ActionUnavailable, match="no successful deployment"):
        actions.redeploy_last_successful(clients, "demo", "demo-dg")
    set_deployment(first, "Succeeded")
    second = codedeploy.create_deployment(
        applicationName="demo",
        deploymentGroupName="demo-dg",
        revision={
            "revisionType": "S3",
            "s3Location": {"bucket": "demo-artifacts", "key": "demo/rev2.zip", "bundleType": "zip"},
        },
    )["deploymentId"]
    set_deployment(second, "Failed")
    plan = actions.redeploy_last_successful(clients, "demo", "demo-dg")
    assert plan.api == "codedeploy:CreateDeployment"
    assert "Deploy s3://demo-artifacts/demo/rev1.zip (zip) to demo/demo-dg" in plan.description
    assert f"the revision of the last successful deployment {first}" in plan.description
    created = plan.execute().ids["deploymentId"]
    new = moto_backend("codedeploy").deployments[created]
    assert new.revision["s3Location"]["key"] == "demo/rev1.zip"
    assert not new.ignore_application_stop_failures


def test_fetch_full_log_reads_the_whole_scripts_log_over_ssm(clients, tmp_path: Path) -> None:
    deployment_id = create_deployment(clients)
    group_id = clients.client("codedeploy").get_deployment_group(
        applicationName="demo", deploymentGroupName="demo-dg"
    )["deploymentGroupInfo"]["deploymentGroupId"]
    root = tmp_path / "deployment-root"
    log = Path(scripts_log_path(group_id, deployment_id, str(root)))
    log.parent.mkdir(parents=True)
    stamp = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    lines = []
    for event in ("BeforeInstall", "AfterInstall"):
        lines.append(f"{stamp:%Y-%m-%d %H:%M:%S} LifecycleEvent - {event}")
        lines.append(f"{stamp:%Y-%m-%d %H:%M:%S} Script - scripts/{event.lower()}.sh")
        for n in range(400):
            stamp += timedelta(seconds=1)
            lines.append(f"{stamp:%Y-%m-%d %H:%M:%S} [stdout]{event} line {n:03d} " + "é" * 40)
    lines.append(f"{stamp:%Y-%m-%d %H:%M:%S} [stderr]pip: error: exit 2")
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert log.stat().st_size > 3 * 16_000  # needs several SSM round trips

    ssm = clients.client("ssm")
    fake_instance_agent(ssm, tmp_path)
    view = DeploymentView(
        deployment_id=deployment_id,
        application="demo",
        group="demo-dg",
        status=DeploymentStatus.FAILED,
    )
    plan = actions.fetch_full_log(clients, view, "i-0a", root=str(root))
    assert str(log) in plan.description and "nothing is changed" in plan.description
    result = plan.execute()
    full = result.detail
    assert full.text == log.read_text(encoding="utf-8")
    assert full.size == log.stat().st_size and not full.truncated
    commands = moto_backend("ssm")._commands
    assert len(commands) >= 4  # chunked: SSM returns at most 24,000 characters
    assert {c.document_name for c in commands} == {"AWS-RunShellScript"}
    events = full.to_events(deployment_id)
    assert len(events) == 801
    assert (events[0].event, events[0].text[:22]) == ("BeforeInstall", "BeforeInstall line 000")
    assert (events[-1].event, events[-1].stream, events[-1].text) == (
        "AfterInstall",
        "stderr",
        "pip: error: exit 2",
    )


def test_fetch_full_log_says_when_the_log_is_not_there(clients, tmp_path: Path) -> None:
    deployment_id = create_deployment(clients)
    fake_instance_agent(clients.client("ssm"), tmp_path)
    view = DeploymentView(
        deployment_id=deployment_id,
        application="demo",
        group="demo-dg",
        status=DeploymentStatus.FAILED,
    )
    plan = actions.fetch_full_log(clients, view, "i-0a", root=str(tmp_path / "nothing"))
    with pytest.raises(LogFetchError, match="does not exist on i-0a"):
        plan.execute()
