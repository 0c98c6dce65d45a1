"""The sandbox delivery engine over HTTP: pipelines and deployments that run on a fake clock.

Every call goes through boto3 to the moto server with the sandbox extensions; raw response
bodies are checked against botocore's service models (`tests._aws_shapes`). Time is simulated
(`sim_clock`): no test waits.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests._aws_shapes import RawResponses
from tests.sandbox_delivery_support import (
    BROKEN_SCRIPT,
    FakeClock,
    Stack,
    events_of,
    payload,
    run_until,
)
from wizard.core.agent_log import DEPLOYMENT_ROOT as AGENT_ROOT
from wizard.core.events.lifecycle import IN_PLACE_EVENTS
from wizard.core.events.pipeline import FINAL_EXECUTION_STATUSES as FINAL


def _finished(stack: Stack, execution_id: str) -> dict[str, Any] | None:
    found = stack.execution(execution_id)
    return found if found["status"] in FINAL else None


def _deployment_done(stack: Stack, deployment_id: str) -> dict[str, Any] | None:
    info = stack.deployment(deployment_id)
    return info if info["status"] in ("Succeeded", "Failed", "Stopped") else None


def _ship(stack: Stack, clock: FakeClock, files: dict[str, str], message: str) -> dict[str, Any]:
    """Push, then run the execution it triggers to its end; the final execution summary."""
    before = {e["pipelineExecutionId"] for e in stack.executions()}
    stack.push(files, message)
    [new] = [e for e in stack.executions() if e["pipelineExecutionId"] not in before]
    run_until(clock, lambda: _finished(stack, new["pipelineExecutionId"]))
    return next(
        e for e in stack.executions() if e["pipelineExecutionId"] == new["pipelineExecutionId"]
    )


# --- the seed's story ---------------------------------------------------------------------------


def test_first_run_fails_because_the_branch_does_not_exist(
    stack: Stack, sim_clock: FakeClock
) -> None:
    from wizard.core.timeline.failures import explain_pipeline
    from wizard.services.aws.monitor.pipeline_poller import ExecutionSelector, PipelinePoller

    codepipeline = stack.client("codepipeline")
    raw = RawResponses(codepipeline)
    stack.create()
    [first] = stack.executions()
    assert first["trigger"]["triggerType"] == "CreatePipeline"
    assert first["status"] == "InProgress"
    raw.check("ListPipelineExecutions")
    sim_clock.advance(5)
    assert stack.execution(first["pipelineExecutionId"])["status"] == "Failed"
    raw.check("GetPipelineExecution")
    state = codepipeline.get_pipeline_state(name=stack.pipeline)
    raw.check("GetPipelineState")
    source, deploy = state["stageStates"]
    assert source["latestExecution"]["status"] == "Failed"
    assert "latestExecution" not in deploy
    error = source["actionStates"][0]["latestExecution"]["errorDetails"]
    assert error == {
        "code": "ConfigurationError",
        "message": "The action failed because no branch named main was found in the selected "
        "AWS CodeCommit repository demo-repo. Make sure you are using the correct branch name, "
        "and then try again. Error: null",
    }
    [action] = stack.actions(first["pipelineExecutionId"])
    raw.check("ListActionExecutions")
    assert action["status"] == "Failed"
    assert action["output"]["executionResult"]["errorDetails"] == error
    # the monitor's timeline recognises it and names the remedy
    view = PipelinePoller(codepipeline, stack.pipeline).poll(ExecutionSelector())
    report = explain_pipeline(view)
    assert report is not None
    assert report.headline == "branch 'main' does not exist in repository 'demo-repo'"
    assert report.action == "ship"


def test_a_push_deploys_to_three_instances_one_at_a_time(
    stack: Stack, sim_clock: FakeClock
) -> None:
    codepipeline, codedeploy = stack.client("codepipeline"), stack.client("codedeploy")
    pipeline_raw, deploy_raw = RawResponses(codepipeline), RawResponses(codedeploy)
    stack.create(instances=3)
    sim_clock.advance(5)
    commit = stack.push(payload(marker="1"), "first payload")
    [pushed, first] = stack.executions()
    assert pushed["trigger"]["triggerType"] == "CloudWatchEvent"
    assert pushed["trigger"]["triggerDetail"].startswith("arn:aws:events:eu-west-1:")
    assert first["trigger"]["triggerType"] == "CreatePipeline"
    [revision] = pushed["sourceRevisions"]  # known from the start of the source action
    assert revision == {
        "actionName": "Source",
        "revisionId": commit,
        "revisionSummary": "first payload",
    }
    execution_id = pushed["pipelineExecutionId"]
    deployment_id = run_until(sim_clock, lambda: stack.deployment_of(execution_id), step=0.5)
    created = stack.deployment(deployment_id)
    deploy_raw.check("GetDeployment")
    assert created["status"] == "Created"
    assert created["creator"] == "user"
    assert created["revision"]["revisionType"] == "S3"
    assert created["revision"]["s3Location"]["bucket"] == stack.bucket
    assert created["revision"]["s3Location"]["bundleType"] == "zip"
    assert "previousRevision" not in created
    with pytest.raises(ClientError) as not_started:
        codedeploy.list_deployment_targets(deploymentId=deployment_id)
    assert not_started.value.response["Error"]["Code"] == "DeploymentNotStartedException"

    sim_clock.advance(3)
    running = stack.deployment(deployment_id)
    assert running["status"] == "InProgress"
    assert running["deploymentOverview"]["InProgress"] == 1
    assert running["deploymentOverview"]["Pending"] == 2
    targets = stack.targets(deployment_id)
    deploy_raw.check("ListDeploymentTargets")
    deploy_raw.check("BatchGetDeploymentTargets")
    assert sorted(targets) == sorted(stack.instance_ids)
    state = codepipeline.get_pipeline_state(name=stack.pipeline)
    pipeline_raw.check("GetPipelineState")
    deploy_state = state["stageStates"][1]["actionStates"][0]["latestExecution"]
    assert deploy_state["status"] == "InProgress"
    assert deploy_state["externalExecutionId"] == deployment_id

    done = run_until(sim_clock, lambda: _finished(stack, execution_id))
    assert done["status"] == "Succeeded"
    final = stack.deployment(deployment_id)
    assert final["status"] == "Succeeded"
    assert final["deploymentOverview"]["Succeeded"] == 3
    assert final["completeTime"] >= final["startTime"] >= final["createTime"]
    targets = stack.targets(deployment_id)
    windows = []
    for instance_id in sorted(
        targets, key=lambda i: events_of(targets[i])["ApplicationStop"]["startTime"]
    ):
        target = targets[instance_id]
        assert target["status"] == "Succeeded"
        events = target["lifecycleEvents"]
        assert [e["lifecycleEventName"] for e in events] == list(IN_PLACE_EVENTS)
        assert all(e["status"] == "Succeeded" for e in events)
        assert all(e["diagnostics"]["errorCode"] == "Success" for e in events)
        assert all(e["startTime"] <= e["endTime"] for e in events)
        windows.append((events[0]["startTime"], events[-1]["endTime"]))
    # OneAtATime: each instance starts after the previous one finished
    for (_, end), (start, _) in itertools.pairwise(windows):
        assert start >= end
    # the pipeline's Deploy action links to the deployment and finished after it
    deploy_action = next(a for a in stack.actions(execution_id) if a["actionName"] == "Deploy")
    pipeline_raw.check("ListActionExecutions")
    assert deploy_action["status"] == "Succeeded"
    assert deploy_action["output"]["executionResult"]["externalExecutionId"] == deployment_id
    assert deploy_action["input"]["inputArtifacts"][0]["s3location"] == {
        "bucket": stack.bucket,
        "key": final["revision"]["s3Location"]["key"],
    }
    source_action = next(a for a in stack.actions(execution_id) if a["actionName"] == "Source")
    assert source_action["output"]["outputVariables"]["CommitId"] == commit
    assert source_action["output"]["outputVariables"]["BranchName"] == "main"
    listed = codedeploy.list_deployments(
        applicationName=stack.application, deploymentGroupName=stack.group
    )
    deploy_raw.check("ListDeployments")
    assert listed["deployments"] == [deployment_id]


def test_a_syntax_error_fails_the_hook_with_exit_2_and_rolls_back(
    stack: Stack, sim_clock: FakeClock
) -> None:
    codedeploy = stack.client("codedeploy")
    raw = RawResponses(codedeploy)
    stack.create(instances=3, rollback=True)
    good = _ship(stack, sim_clock, payload(marker="good"), "good")
    assert good["status"] == "Succeeded"
    good_deployment = stack.deployment_of(good["pipelineExecutionId"])
    assert good_deployment is not None
    good_revision = stack.deployment(good_deployment)["revision"]

    broken = _ship(
        stack, sim_clock, payload(scripts={"AfterInstall": BROKEN_SCRIPT}, marker="bad"), "bad"
    )
    assert broken["status"] == "Failed"
    deployment_id = stack.deployment_of(broken["pipelineExecutionId"])
    assert deployment_id is not None
    failed = run_until(sim_clock, lambda: _deployment_done(stack, deployment_id))
    raw.check("GetDeployment")
    assert failed["status"] == "Failed"
    assert failed["errorInformation"] == {
        "code": "HEALTH_CONSTRAINTS",
        "message": "The overall deployment failed because too many individual instances failed "
        "deployment, too few healthy instances are available for deployment, or some instances "
        "in your deployment group are experiencing problems.",
    }
    assert failed["previousRevision"] == good_revision
    assert failed["deploymentOverview"] == {
        "Pending": 0,
        "InProgress": 0,
        "Succeeded": 0,
        "Failed": 1,
        "Skipped": 2,
        "Ready": 0,
    }
    targets = stack.targets(deployment_id)
    raw.check("BatchGetDeploymentTargets")
    [failed_target] = [t for t in targets.values() if t["status"] == "Failed"]
    events = events_of(failed_target)
    after = events["AfterInstall"]
    assert after["status"] == "Failed"
    group_id = codedeploy.get_deployment_group(
        applicationName=stack.application, deploymentGroupName=stack.group
    )["deploymentGroupInfo"]["deploymentGroupId"]
    path = f"{AGENT_ROOT}/{group_id}/{deployment_id}/deployment-archive/scripts/after_install.sh"
    assert after["diagnostics"] == {
        "errorCode": "ScriptFailed",
        "scriptName": "scripts/after_install.sh",
        "message": "Script at specified location: scripts/after_install.sh run as user root "
        "failed with exit code 2",
        "logTail": "LifecycleEvent - AfterInstall\n"
        "Script - scripts/after_install.sh\n"
        f"[stderr]{path}: line 4: syntax error: unexpected end of file\n",
    }
    assert events["ApplicationStart"]["status"] == "Skipped"
    assert "startTime" not in events["ApplicationStart"]
    assert [events[e]["status"] for e in IN_PLACE_EVENTS[:4]] == ["Succeeded"] * 4
    for other in (t for t in targets.values() if t["status"] == "Skipped"):
        assert {e["status"] for e in other["lifecycleEvents"]} == {"Skipped"}
    # the pipeline says why, in CodeDeploy's words
    deploy_action = next(
        a for a in stack.actions(broken["pipelineExecutionId"]) if a["actionName"] == "Deploy"
    )
    assert deploy_action["output"]["executionResult"]["errorDetails"]["code"] == "JobFailed"
    # automatic rollback: a new deployment of the last good revision
    rollback_id = failed["rollbackInfo"]["rollbackDeploymentId"]
    rollback = stack.deployment(rollback_id)
    assert rollback["creator"] == "codeDeployRollback"
    assert rollback["revision"] == good_revision
    assert rollback["rollbackInfo"]["rollbackTriggeringDeploymentId"] == deployment_id
    assert rollback["createTime"] == failed["completeTime"]
    rolled = run_until(sim_clock, lambda: _deployment_done(stack, rollback_id))
    assert rolled["status"] == "Succeeded"
    listed = codedeploy.list_deployments(
        applicationName=stack.application, deploymentGroupName=stack.group
    )["deployments"]
    assert listed == [rollback_id, deployment_id, good_deployment]  # newest first


def test_application_stop_runs_the_previous_revision_until_ignored(
    stack: Stack, sim_clock: FakeClock
) -> None:
    from wizard.core.timeline.failures import explain_deployment, ignored_failures_note
    from wizard.services.aws.monitor.actions import redeploy_ignoring_stop_failures
    from wizard.services.aws.monitor.deployment_poller import DeploymentPoller

    codedeploy = stack.client("codedeploy")
    stack.create(instances=1, rollback=False)
    # revision A: a broken stop script, harmless on a first deployment (ApplicationStop is skipped)
    first = _ship(stack, sim_clock, payload(scripts={"ApplicationStop": BROKEN_SCRIPT}), "A")
    assert first["status"] == "Succeeded"
    first_deployment = stack.deployment_of(first["pipelineExecutionId"])
    assert first_deployment is not None
    # revision B fixes the stop script, but ApplicationStop runs A's
    second = _ship(stack, sim_clock, payload(marker="B"), "B fixes the stop script")
    assert second["status"] == "Failed"
    deployment_id = stack.deployment_of(second["pipelineExecutionId"])
    assert deployment_id is not None
    info = stack.deployment(deployment_id)
    assert info["errorInformation"]["code"] == "HEALTH_CONSTRAINTS"
    assert "rollbackInfo" not in info  # rollback is off for this group
    [target] = stack.targets(deployment_id).values()
    stop = events_of(target)["ApplicationStop"]
    group_id = codedeploy.get_deployment_group(
        applicationName=stack.application, deploymentGroupName=stack.group
    )["deploymentGroupInfo"]["deploymentGroupId"]
    old_script = (
        f"{AGENT_ROOT}/{group_id}/{first_deployment}/deployment-archive/scripts/stop_server.sh"
    )
    assert stop["status"] == "Failed"
    assert stop["diagnostics"]["errorCode"] == "ScriptFailed"
    assert stop["diagnostics"]["scriptName"] == "scripts/stop_server.sh"
    assert f"[stderr]{old_script}: line 4: syntax error" in stop["diagnostics"]["logTail"]
    assert events_of(target)["DownloadBundle"]["status"] == "Skipped"

    # the monitor explains it and offers the remedy: redeploy ignoring ApplicationStop failures
    view = DeploymentPoller(codedeploy, deployment_id).poll()
    report = explain_deployment(view)
    assert report is not None and report.action == "redeploy_ignore_stop"
    plan = redeploy_ignoring_stop_failures(stack.clients, view)
    redeploy = plan.execute().ids["deploymentId"]
    done = run_until(sim_clock, lambda: _deployment_done(stack, redeploy))
    assert done["status"] == "Succeeded"
    assert done["ignoreApplicationStopFailures"] is True
    [target] = stack.targets(redeploy).values()
    events = events_of(target)
    assert target["status"] == "Succeeded"
    assert events["ApplicationStop"]["status"] == "Failed"  # it failed, and was ignored
    assert all(events[e]["status"] == "Succeeded" for e in IN_PLACE_EVENTS[1:])
    # the monitor reports no failure for it, only what happened
    view = DeploymentPoller(codedeploy, redeploy).poll()
    assert view.status.value == "Succeeded" and view.ignore_application_stop_failures
    assert explain_deployment(view) is None and view.failed_instances == ()
    note = ignored_failures_note(view)
    assert note is not None and note.startswith("The stop script of the previous revision (")
    assert "failed on 1 of 1 instance at ApplicationStop (exit 2) and was ignored" in note
    # from now on ApplicationStop runs B's (fixed) script
    third = _ship(stack, sim_clock, payload(marker="C"), "C")
    assert third["status"] == "Succeeded"
    later = stack.deployment_of(third["pipelineExecutionId"])
    assert later is not None
    [target] = stack.targets(later).values()
    assert events_of(target)["ApplicationStop"]["diagnostics"]["errorCode"] == "Success"


def test_no_instance_matches_the_group(stack: Stack, sim_clock: FakeClock) -> None:
    codedeploy = stack.client("codedeploy")
    stack.create(instances=0)
    stack.launch(2, tag=False)  # running, but without the group's tag
    done = _ship(stack, sim_clock, payload(), "nowhere to go")
    assert done["status"] == "Failed"
    deployment_id = stack.deployment_of(done["pipelineExecutionId"])
    assert deployment_id is not None
    info = stack.deployment(deployment_id)
    assert info["status"] == "Failed"
    assert info["errorInformation"] == {
        "code": "NO_INSTANCES",
        "message": "The deployment failed because no instances were found for your deployment "
        "group. Check your deployment group settings to make sure the tags for your Amazon EC2 "
        "instances or Auto Scaling groups correctly identify the instances you want to deploy "
        "to, and then try again.",
    }
    assert sum(info["deploymentOverview"].values()) == 0
    assert codedeploy.list_deployment_targets(deploymentId=deployment_id)["targetIds"] == []


def test_an_invalid_appspec_fails_where_the_agent_parses_it(
    stack: Stack, sim_clock: FakeClock
) -> None:
    stack.create(instances=1, rollback=False)
    files = payload()
    files["appspec.yml"] = files["appspec.yml"].replace("version: 0.0", 'version: "0.0"')
    done = _ship(stack, sim_clock, files, "quoted version")
    deployment_id = stack.deployment_of(done["pipelineExecutionId"])
    assert deployment_id is not None
    [target] = stack.targets(deployment_id).values()
    events = events_of(target)
    assert events["DownloadBundle"]["status"] == "Succeeded"
    assert events["BeforeInstall"]["status"] == "Failed"
    assert events["BeforeInstall"]["diagnostics"] == {
        "errorCode": "UnknownError",
        "scriptName": "",
        "message": "The deployment failed because an invalid version value (0.0) was entered in "
        'the application specification file. Make sure your AppSpec file specifies "0.0" as '
        "the version, and then try again.",
        "logTail": "",
    }


def test_a_missing_hook_script_fails_script_missing_with_the_agent_path(
    stack: Stack, sim_clock: FakeClock
) -> None:
    stack.create(instances=1, rollback=False)
    done = _ship(stack, sim_clock, payload(omit=("ApplicationStart",)), "forgot a script")
    deployment_id = stack.deployment_of(done["pipelineExecutionId"])
    assert deployment_id is not None
    group_id = stack.client("codedeploy").get_deployment_group(
        applicationName=stack.application, deploymentGroupName=stack.group
    )["deploymentGroupInfo"]["deploymentGroupId"]
    [target] = stack.targets(deployment_id).values()
    start = events_of(target)["ApplicationStart"]
    archive = f"{AGENT_ROOT}/{group_id}/{deployment_id}/deployment-archive"
    assert start["diagnostics"] == {
        "errorCode": "ScriptMissing",
        "scriptName": "scripts/start_server.sh",
        "message": "Script does not exist at specified location: "
        f"{archive}/scripts/start_server.sh",
        "logTail": "LifecycleEvent - ApplicationStart\n",
    }
    assert events_of(target)["ValidateService"]["status"] == "Skipped"


def test_pace_zero_finishes_a_run_as_it_starts(
    stack: Stack, sim_clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wizard.services.sandbox.extensions import delivery

    monkeypatch.setenv(delivery.PACE_ENV, "0")
    stack.create(instances=2)
    commit = stack.push(payload(), "instant")
    execution = stack.execution_of(commit)
    assert execution["status"] == "Succeeded"
    deployment_id = stack.deployment_of(execution["pipelineExecutionId"])
    assert deployment_id is not None
    assert stack.deployment(deployment_id)["deploymentOverview"]["Succeeded"] == 2
