"""Failures the monitor translates: ApplicationStop (the previous revision's script ran), a
missing branch, and following the execution of a given commit."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from tests.monitor_scenarios import (
    T0,
    GapStubber,
    action_run,
    collect_events,
    create_deployment,
    create_pipeline,
    moto_backend,
    pipeline_state,
    queue_application_stop_failure,
    start_execution,
)
from wizard.core.events.lifecycle import DeploymentFinished, LifecycleEventChanged
from wizard.core.events.pipeline import (
    FailureExplained,
    PipelineExecutionFinished,
    PipelineExecutionStarted,
)
from wizard.core.output import PlainSink
from wizard.core.timeline import available_actions
from wizard.services.aws.monitor import (
    ExecutionSelector,
    FollowSpec,
    Monitor,
    PollIntervals,
)
from wizard.services.aws.monitor.actions import redeploy_ignoring_stop_failures
from wizard.services.aws.monitor.follow import follow
from wizard.services.aws.session import AwsClients

FAST = PollIntervals(active=1.0, idle=1.0)


@pytest.fixture
def clients(aws_target) -> AwsClients:
    return AwsClients(aws_target, max_attempts=2)


def _s3(key: str) -> dict[str, object]:
    return {
        "revisionType": "S3",
        "s3Location": {"bucket": "demo-artifacts", "key": key, "bundleType": "zip"},
    }


def test_application_stop_failure_explains_the_previous_revision_and_redeploys(clients) -> None:
    """GetDeployment is stubbed here too: moto always answers `errorInformation: {}` and
    `previousRevision: {}` (TODOs in moto 5.2.5), and this failure is about exactly those."""
    create_deployment(clients)  # the application and group, in moto
    deployment = "d-APPSTOP01"
    stub = GapStubber(
        clients.client("codedeploy"),
        {"GetDeployment", "ListDeploymentTargets", "BatchGetDeploymentTargets"},
    )
    stub.add_response(
        "get_deployment",
        {
            "deploymentInfo": {
                "applicationName": "demo",
                "deploymentGroupName": "demo-dg",
                "deploymentConfigName": "CodeDeployDefault.OneAtATime",
                "deploymentId": deployment,
                "status": "Failed",
                "creator": "CodePipeline",
                "errorInformation": {
                    "code": "HEALTH_CONSTRAINTS",
                    "message": "The overall deployment failed because too many individual "
                    "instances failed deployment",
                },
                "revision": _s3("demo/rev2.zip"),
                "previousRevision": _s3("demo/rev1.zip"),
                "createTime": T0,
                "startTime": T0,
                "completeTime": T0 + timedelta(seconds=40),
                "deploymentOverview": {"Failed": 1},
            }
        },
        {"deploymentId": deployment},
    )
    queue_application_stop_failure(
        stub, deployment, "[stdout]stopping demo\n[stderr]systemctl: unit demo.service not found\n"
    )
    out = io.StringIO()
    with stub:
        monitor = Monitor(clients, FollowSpec(deployment_id=deployment), intervals=FAST)
        events = collect_events(monitor)
        plain = PlainSink(out, heartbeat=None)
        result = follow(monitor, plain, timeout=60)
        plain.close()
        stub.assert_no_pending_responses()

        assert result.exit_code == 10
        finished = next(e for e in events.events if isinstance(e, DeploymentFinished))
        assert finished.explanation == "1 of 1 instance failed at ApplicationStop (exit 1)"
        explained = next(e for e in events.events if isinstance(e, FailureExplained))
        assert explained.action == "redeploy_ignore_stop"
        assert "s3://demo-artifacts/demo/rev1.zip (zip)" in (explained.explanation or "")
        assert "fixing the script in this revision cannot help" in (explained.explanation or "")
        assert "ignoreApplicationStopFailures" in (explained.remedy or "")
        stop = next(e for e in events.events if isinstance(e, LifecycleEventChanged))
        assert stop.ran_revision == "s3://demo-artifacts/demo/rev1.zip (zip)"
        text = out.getvalue()
        assert "What to do: redeploy this revision with ignoreApplicationStopFailures" in text

        snap = monitor.latest
        assert snap is not None and snap.deployment is not None
        offers = {o.key: o for o in available_actions(snap)}
        assert offers["redeploy_ignore_stop"].suggested
        assert "fetch_log" in offers and "stop" not in offers

        plan = redeploy_ignoring_stop_failures(clients, snap.deployment)
        assert "s3://demo-artifacts/demo/rev2.zip (zip)" in plan.description
        assert "ignoreApplicationStopFailures=true" in plan.description
        done = plan.execute()  # CreateDeployment is not stubbed: it goes to moto
    created = moto_backend("codedeploy").deployments[done.ids["deploymentId"]]
    assert created.ignore_application_stop_failures is True
    assert created.revision["s3Location"]["key"] == "demo/rev2.zip"


def test_missing_branch_is_explained_in_those_words(clients) -> None:
    create_pipeline(clients)
    execution = start_execution(clients, status="Failed")
    message = (
        "The action failed because no branch named master was found in the selected AWS "
        "CodeCommit repository demo. Make sure you are using the correct branch name, and then "
        "try again. Error: null"
    )
    stub = GapStubber(clients.client("codepipeline"), {"GetPipelineState", "ListActionExecutions"})
    stub.add_response(
        "get_pipeline_state",
        pipeline_state("demo", execution, {"Source": ("Failed", None)}),
        {"name": "demo"},
    )
    stub.add_response(
        "list_action_executions",
        {
            "actionExecutionDetails": [
                action_run(execution, "Source", "Source", "CodeCommit", "Failed", error=message)
            ]
        },
    )
    out = io.StringIO()
    with stub:
        monitor = Monitor(clients, FollowSpec(pipeline="demo"), intervals=FAST)
        events = collect_events(monitor)
        plain = PlainSink(out, heartbeat=None)
        result = follow(monitor, plain, timeout=60)
        plain.close()
        stub.assert_no_pending_responses()

    assert result.exit_code == 10
    end = next(e for e in events.events if isinstance(e, PipelineExecutionFinished))
    assert end.explanation == "branch 'master' does not exist in repository 'demo'"
    why = next(e for e in events.events if isinstance(e, FailureExplained))
    assert why.action == "ship" and "cdwizard ship" in (why.remedy or "")
    assert "branch 'master' does not exist in repository 'demo'" in out.getvalue()
    snap = monitor.latest
    assert snap is not None
    offers = {o.key: o for o in available_actions(snap)}
    assert offers["ship"].suggested and "retry_failed" in offers


def test_follows_the_execution_of_a_given_commit(clients) -> None:
    """ListPipelineExecutions is stubbed: moto 5.2.5 always answers `sourceRevisions: []`."""
    create_pipeline(clients)
    stub = GapStubber(
        clients.client("codepipeline"),
        {"ListPipelineExecutions", "GetPipelineState", "ListActionExecutions"},
    )
    commit = "4f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6"

    def summary(eid: str, rev: str, status: str, minutes: int, text: str) -> dict[str, object]:
        return {
            "pipelineExecutionId": eid,
            "status": status,
            "startTime": T0 + timedelta(minutes=minutes),
            "lastUpdateTime": T0 + timedelta(minutes=minutes, seconds=50),
            "sourceRevisions": [
                {"actionName": "Source", "revisionId": rev, "revisionSummary": text}
            ],
            "trigger": {"triggerType": "CloudWatchEvent", "triggerDetail": "arn:aws:events:rule"},
        }

    newer = summary("e2" * 18, "9" * 40, "InProgress", 5, "someone else's change")
    ours = summary("e1" * 18, commit, "Succeeded", 1, '{"CommitMessage": "cdwizard ship: demo"}')
    stub.add_response(
        "list_pipeline_executions",
        {"pipelineExecutionSummaries": [newer, ours]},
        {"pipelineName": "demo", "maxResults": 10},
    )
    stub.add_response(
        "get_pipeline_state",
        pipeline_state("demo", "e1" * 18, {"Source": ("Succeeded", None)}),
    )
    stub.add_response(
        "list_action_executions",
        {
            "actionExecutionDetails": [
                action_run("e1" * 18, "Source", "Source", "CodeCommit", "Succeeded")
            ]
        },
    )
    with stub:
        spec = FollowSpec(pipeline="demo", execution=ExecutionSelector("commit", commit))
        monitor = Monitor(clients, spec, intervals=FAST)
        events = collect_events(monitor)
        update = monitor.cycle()
        stub.assert_no_pending_responses()

    assert update.snapshot.outcome is not None
    assert update.snapshot.outcome.result == "succeeded"
    assert update.snapshot.pipeline is not None
    assert update.snapshot.pipeline.followed_id == "e1" * 18
    started = [e for e in events.events if isinstance(e, PipelineExecutionStarted)]
    assert [(e.commit_id, e.commit_message, e.trigger_type) for e in started] == [
        (commit, "cdwizard ship: demo", "CloudWatchEvent")
    ]
    assert 'commit 4f1e2d3 "cdwizard ship: demo" (trigger CloudWatchEvent)' in started[0].summary()


def test_a_pipeline_that_does_not_exist_stops_with_an_aws_error(clients) -> None:
    monitor = Monitor(clients, FollowSpec(pipeline="nope"), intervals=FAST)
    update = monitor.cycle()
    outcome = update.snapshot.outcome
    assert outcome is not None and outcome.result == "error"
    assert int(outcome.exit_code) == 13
    assert "GetPipeline: PipelineNotFoundException" in outcome.message
