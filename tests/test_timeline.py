"""The pure timeline: snapshot diffs, explanations, offers, event wire format."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta

import pytest

from wizard.core.agent_log import parse_scripts_log
from wizard.core.events import event_types
from wizard.core.events.base import Notice
from wizard.core.events.lifecycle import (
    DeploymentFinished,
    DeploymentStarted,
    DeploymentStatus,
    DeploymentStatusChanged,
    Diagnostics,
    HookOutput,
    LifecycleEventChanged,
    LifecycleStatus,
)
from wizard.core.events.pipeline import (
    ActionChanged,
    ConnectionProblem,
    ConnectionRestored,
    DeploymentLinked,
    FailureExplained,
    PipelineExecutionChanged,
    PipelineExecutionStarted,
    PollingThrottled,
    StageChanged,
)
from wizard.core.timeline import (
    ActionView,
    ConnectionState,
    DeploymentView,
    ExecutionView,
    InstanceView,
    LifecycleCell,
    Overview,
    PipelineView,
    RevisionRef,
    Snapshot,
    StageView,
    available_actions,
    branch_missing,
    diff,
    exit_detail,
    explain,
    explain_deployment,
    ignored_failures_note,
    instances_headline,
)

T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
EVENTS = ("ApplicationStop", "DownloadBundle", "AfterInstall", "ValidateService")


def failed(code: int, script: str = "scripts/after_install.sh") -> Diagnostics:
    return Diagnostics(
        error_code="ScriptFailed",
        script_name=script,
        message=f"Script at specified location: {script} failed with exit code {code}",
        log_tail="[stderr]boom\n",
    )


def instance(
    target: str, statuses: dict[str, str], diag: Diagnostics | None = None
) -> InstanceView:
    cells = tuple(
        LifecycleCell(
            name=e,
            status=LifecycleStatus(statuses.get(e, "Pending")),
            started_at=T0 if statuses.get(e, "Pending") != "Pending" else None,
            ended_at=T0 + timedelta(seconds=4)
            if statuses.get(e) in ("Succeeded", "Failed")
            else None,
            diagnostics=diag if statuses.get(e) == "Failed" else None,
        )
        for e in EVENTS
    )
    final = [s for s in statuses.values() if s in ("Failed",)]
    status = "Failed" if final else ("Succeeded" if len(statuses) == len(EVENTS) else "InProgress")
    return InstanceView(target_id=target, status=status, events=cells)


def deployment(*instances: InstanceView, status: str = "InProgress", **kw) -> DeploymentView:
    return DeploymentView(
        deployment_id="d-TEST00001",
        application="demo",
        group="demo-dg",
        status=DeploymentStatus(status),
        instances=tuple(instances),
        **kw,
    )


def snap(seq: int = 1, **kw) -> Snapshot:
    return Snapshot(sequence=seq, taken_at=T0 + timedelta(seconds=seq), **kw)


# --- explanations -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("diag", "words"),
    [
        (failed(2), "exit 2"),
        (
            Diagnostics(error_code="ScriptTimedOut", message="failed to complete in 300 seconds"),
            "timed out",
        ),
        (Diagnostics(error_code="ScriptMissing"), "script missing"),
        (Diagnostics(error_code="ScriptNotExecutable"), "script not executable"),
        (Diagnostics(error_code="UnknownError", message="disk full"), "agent error"),
        (None, "failed"),
    ],
)
def test_exit_detail(diag: Diagnostics | None, words: str) -> None:
    assert exit_detail(diag) == words


def test_health_constraints_become_instance_counts() -> None:
    dep = deployment(
        instance(
            "i-1",
            {
                "ApplicationStop": "Succeeded",
                "DownloadBundle": "Succeeded",
                "AfterInstall": "Failed",
            },
            failed(2),
        ),
        instance(
            "i-2",
            {
                "ApplicationStop": "Succeeded",
                "DownloadBundle": "Succeeded",
                "AfterInstall": "Failed",
            },
            failed(2),
        ),
        instance("i-3", dict.fromkeys(EVENTS, "Succeeded")),
        status="Failed",
        error_code="HEALTH_CONSTRAINTS",
        config_name="CodeDeployDefault.HalfAtATime",
    )
    report = explain_deployment(dep)
    assert report is not None
    assert report.headline == "2 of 3 instances failed at AfterInstall (exit 2)"
    assert report.explanation is not None and "CodeDeployDefault.HalfAtATime" in report.explanation
    assert report.action == "fetch_log" and report.instance_id == "i-1"
    assert report.diagnostics is not None and report.diagnostics.log_tail == "[stderr]boom\n"


def test_mixed_failures_are_grouped() -> None:
    timed_out = Diagnostics(error_code="ScriptTimedOut", script_name="scripts/validate.sh")
    dep = deployment(
        instance("i-1", {"AfterInstall": "Failed"}, failed(2)),
        instance("i-2", {"ValidateService": "Failed"}, timed_out),
        instance("i-3", {"ValidateService": "Failed"}, timed_out),
        instance("i-4", dict.fromkeys(EVENTS, "Succeeded")),
    )
    assert instances_headline(dep) == (
        "3 of 4 instances failed: 2 at ValidateService (timed out), 1 at AfterInstall (exit 2)"
    )


def test_counts_without_per_instance_detail() -> None:
    dep = deployment(
        status="Failed", overview=Overview(failed=1, succeeded=2), targets_available=False
    )
    assert instances_headline(dep) == "1 of 3 instances failed"


def test_application_stop_explains_the_previous_revision() -> None:
    previous = RevisionRef("S3", bucket="b", key="rev1.zip", bundle_type="zip")
    dep = deployment(
        instance("i-1", {"ApplicationStop": "Failed"}, failed(1, "scripts/stop.sh")),
        status="Failed",
        previous_revision=previous,
        revision=RevisionRef("S3", bucket="b", key="rev2.zip", bundle_type="zip"),
    )
    report = explain_deployment(dep)
    assert report is not None and report.action == "redeploy_ignore_stop"
    assert report.headline == "1 of 1 instance failed at ApplicationStop (exit 1)"
    assert "s3://b/rev1.zip (zip)" in (report.explanation or "")
    # once ignored, ApplicationStop failures are not blamed again
    ignored = dataclasses.replace(dep, ignore_application_stop_failures=True)
    report = explain_deployment(ignored)
    assert report is not None and report.action is None and report.event is None


def test_a_rehearsal_gets_local_remedies() -> None:
    script = deployment(
        instance("i-1", {"ApplicationStop": "Succeeded", "AfterInstall": "Failed"}, failed(2)),
        status="Failed",
    )
    assert (explain_deployment(script).remedy or "").endswith(
        "fix scripts/after_install.sh and push the fix"
    )
    local = dataclasses.replace(script, creator="rehearsal")
    report = explain_deployment(local)
    assert report is not None and report.action == "fetch_log"
    assert (report.remedy or "").endswith("fix scripts/after_install.sh and rehearse again")
    stop = deployment(
        instance("i-1", {"ApplicationStop": "Failed"}, failed(1, "scripts/stop.sh")),
        status="Failed",
        creator="rehearsal",
    )
    report = explain_deployment(stop)
    assert report is not None and report.action is None  # no redeploy key for a rehearsal
    assert "rehearse with another --group-id" in (report.remedy or "")
    assert "ignoreApplicationStopFailures" not in (report.remedy or "")


def test_an_ignored_application_stop_failure_is_not_a_failure() -> None:
    previous = RevisionRef("S3", bucket="b", key="rev1.zip", bundle_type="zip")
    cells = {e: "Succeeded" for e in EVENTS} | {"ApplicationStop": "Failed"}
    target = instance("i-1", cells, failed(2, "scripts/stop_server.sh"))
    dep = deployment(
        dataclasses.replace(target, status="Succeeded"),
        status="Succeeded",
        previous_revision=previous,
        ignore_application_stop_failures=True,
    )
    assert explain_deployment(dep) is None and dep.failed_instances == ()
    note = (
        "The stop script of the previous revision (s3://b/rev1.zip (zip)) failed on 1 of 1 "
        "instance at ApplicationStop (exit 2) and was ignored (ignoreApplicationStopFailures); "
        "later deployments run this revision's script"
    )
    assert ignored_failures_note(dep) == note
    events = diff(None, snap(deployment=dep))
    assert not any(isinstance(e, FailureExplained) or e.level == "error" for e in events)
    assert [e.summary() for e in events if isinstance(e, Notice)] == [note]
    finished = next(e for e in events if isinstance(e, DeploymentFinished))
    assert finished.summary() == "deployment d-TEST00001 Succeeded"
    stop = next(
        e for e in events if isinstance(e, LifecycleEventChanged) and e.event == "ApplicationStop"
    )
    assert stop.level == "warn"
    assert explain(snap(deployment=dep)) is None  # no failure panel on the monitor screen
    # without the flag the same cells are a failure; with it, a later failure is the one blamed
    assert (
        ignored_failures_note(dataclasses.replace(dep, ignore_application_stop_failures=False))
        is None
    )
    later = deployment(
        instance("i-1", {"ApplicationStop": "Failed", "AfterInstall": "Failed"}, failed(2)),
        status="Failed",
        ignore_application_stop_failures=True,
    )
    report = explain_deployment(later)
    assert report is not None and report.event == "AfterInstall"
    assert report.headline == "1 of 1 instance failed at AfterInstall (exit 2)"
    assert "later deployments" not in (ignored_failures_note(later) or "")


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("NO_INSTANCES", "no instance matched the deployment group"),
        ("AGENT_ISSUE", "the CodeDeploy agent did not answer"),
        ("IAM_ROLE_PERMISSIONS", "lacks permissions"),
    ],
)
def test_deployment_error_codes_without_instances(code: str, words: str) -> None:
    report = explain_deployment(deployment(status="Failed", error_code=code, error_message="x"))
    assert report is not None and words in report.headline


def test_running_deployment_without_failures_needs_no_explanation() -> None:
    assert explain_deployment(deployment(instance("i-1", {"ApplicationStop": "Succeeded"}))) is None


@pytest.mark.parametrize(
    ("message", "branch"),
    [
        (
            "The action failed because no branch named main was found in the selected AWS "
            "CodeCommit repository demo. Make sure you are using the correct branch name.",
            "main",
        ),
        ("[GitHub] No Branch [feature/x] found for FullRepositoryName [o/r]", "feature/x"),
        ("Branch release does not exist", "release"),
        ("Insufficient permissions", None),
    ],
)
def test_branch_missing(message: str, branch: str | None) -> None:
    assert branch_missing(message) == branch


def test_branch_missing_repository_comes_from_the_action_configuration() -> None:
    source = ActionView(
        stage="Source",
        name="Source",
        provider="CodeCommit",
        status="Failed",
        error_message="The action failed because no branch named master was found in the "
        "selected AWS CodeCommit repository. Make sure ...",
        configuration=(("BranchName", "master"), ("RepositoryName", "shop")),
    )
    pipeline = PipelineView(
        name="p",
        stages=(StageView("Source", "Failed", (source,)),),
        executions=(ExecutionView("e1", "Failed"),),
        followed_id="e1",
    )
    report = explain(snap(pipeline=pipeline))
    assert (
        report is not None
        and report.headline == "branch 'master' does not exist in repository 'shop'"
    )
    assert report.action == "ship"


def test_log_tail_parsing() -> None:
    text = (
        "2026-11-26 06:56:20 LifecycleEvent - BeforeInstall\n"
        "2026-11-26 06:56:20 Script - scripts/hook.sh\n"
        "2026-11-26 06:56:20 [stderr]stderr line\n"
        "[stdout]a tail that starts without a timestamp\n"
    )
    assert [(x.event, x.stream, x.text) for x in parse_scripts_log(text, "Install")] == [
        ("BeforeInstall", "stderr", "stderr line"),
        ("BeforeInstall", "stdout", "a tail that starts without a timestamp"),
    ]
    assert parse_scripts_log("[stdout]x\n", "AfterInstall")[0].event == "AfterInstall"


# --- diff ---------------------------------------------------------------------------------------


def test_identical_snapshots_produce_no_events() -> None:
    dep = deployment(instance("i-1", {"ApplicationStop": "InProgress"}))
    first = snap(1, deployment=dep)
    assert diff(first, dataclasses.replace(first, sequence=2)) == []


def test_only_changed_rows_of_a_large_fleet_produce_events() -> None:
    rows = [instance(f"i-{n:04d}", {"ApplicationStop": "InProgress"}) for n in range(1000)]
    before = deployment(*rows)
    changed = list(rows)
    for n in range(0, 1000, 100):  # 10 instances finish ApplicationStop
        changed[n] = instance(
            f"i-{n:04d}", {"ApplicationStop": "Succeeded", "DownloadBundle": "InProgress"}
        )
    after = dataclasses.replace(before, instances=tuple(changed))
    events = diff(snap(1, deployment=before), snap(2, deployment=after))
    assert all(isinstance(e, LifecycleEventChanged) for e in events)
    assert len(events) == 20
    assert {e.target_id for e in events} == {f"i-{n:04d}" for n in range(0, 1000, 100)}


def test_attaching_to_a_finished_deployment_tells_the_whole_story() -> None:
    dep = deployment(
        instance(
            "i-1",
            {
                "ApplicationStop": "Succeeded",
                "DownloadBundle": "Succeeded",
                "AfterInstall": "Failed",
            },
            failed(3),
        ),
        status="Failed",
        error_code="HEALTH_CONSTRAINTS",
    )
    kinds = [type(e).__name__ for e in diff(None, snap(deployment=dep))]
    assert kinds == [
        "DeploymentStarted",
        "LifecycleEventChanged",
        "LifecycleEventChanged",
        "LifecycleEventChanged",
        "HookOutput",
        "DeploymentFinished",
        "FailureExplained",
    ]


def test_deployment_progress_and_finish_events() -> None:
    one = deployment(instance("i-1", {}), status="Created")
    two = dataclasses.replace(
        one, status=DeploymentStatus.IN_PROGRESS, overview=Overview(in_progress=1)
    )
    three = dataclasses.replace(
        two,
        status=DeploymentStatus.SUCCEEDED,
        overview=Overview(succeeded=1),
        instances=(instance("i-1", dict.fromkeys(EVENTS, "Succeeded")),),
        created_at=T0,
        completed_at=T0 + timedelta(minutes=2, seconds=5),
    )
    first = diff(None, snap(1, deployment=one))
    assert [type(e) for e in first] == [DeploymentStarted]
    progress = diff(snap(1, deployment=one), snap(2, deployment=two))
    assert [type(e) for e in progress] == [DeploymentStatusChanged]
    assert progress[0].summary() == "deployment d-TEST00001 InProgress: 1 in progress"
    end = diff(snap(2, deployment=two), snap(3, deployment=three))
    assert [type(e) for e in end][-1] is DeploymentFinished
    assert end[-1].summary() == "deployment d-TEST00001 Succeeded after 2m05s"
    assert end[-1].level == "info"


def _pipeline(status: str, deploy: str | None, *, deployment_id: str | None = None) -> PipelineView:
    source = ActionView(stage="Source", name="Source", provider="CodeCommit", status="Succeeded")
    deploy_action = ActionView(
        stage="Deploy",
        name="Deploy",
        provider="CodeDeploy",
        status=deploy,
        external_execution_id=deployment_id,
    )
    return PipelineView(
        name="demo",
        stages=(
            StageView("Source", "Succeeded", (source,)),
            StageView("Deploy", deploy, (deploy_action,)),
        ),
        executions=(
            ExecutionView(
                "exec-0001",
                status,
                commit_id="a" * 40,
                commit_message="fix",
                trigger_type="Webhook",
            ),
        ),
        followed_id="exec-0001",
        deployment_id=deployment_id,
    )


def test_rollback_and_empty_pipeline_are_announced() -> None:
    dep = deployment(
        status="Failed", error_code="HEALTH_CONSTRAINTS", rollback_deployment_id="d-ROLLBACK1"
    )
    notes = [e for e in diff(None, snap(deployment=dep)) if type(e).__name__ == "Notice"]
    assert [n.summary() for n in notes] == [
        "CodeDeploy is rolling back with deployment d-ROLLBACK1 "
        "(cdwizard monitor --deployment d-ROLLBACK1)"
    ]
    empty = diff(None, snap(pipeline=PipelineView(name="p")))
    assert [e.summary() for e in empty] == ["pipeline p has no executions yet; waiting for one"]


def test_pipeline_events_in_reading_order() -> None:
    start = snap(1, pipeline=_pipeline("InProgress", None))
    first = diff(None, start)
    assert [type(e) for e in first] == [PipelineExecutionStarted, StageChanged, ActionChanged]
    assert first[1].level == "debug"  # a one-action stage: its action's line says it all
    linked = snap(2, pipeline=_pipeline("InProgress", "InProgress", deployment_id="d-1"))
    second = diff(start, linked)
    assert [type(e) for e in second] == [StageChanged, ActionChanged, DeploymentLinked]
    stopping = snap(3, pipeline=_pipeline("Stopping", "InProgress", deployment_id="d-1"))
    assert [type(e) for e in diff(linked, stopping)] == [PipelineExecutionChanged]


def test_a_new_execution_while_following_another_is_announced() -> None:
    before = _pipeline("InProgress", None)
    other = ExecutionView("exec-0002", "InProgress", commit_id="b" * 40)
    after = dataclasses.replace(before, executions=(other, *before.executions))
    events = diff(snap(1, pipeline=before), snap(2, pipeline=after))
    assert [(type(e), e.execution_id) for e in events] == [(PipelineExecutionStarted, "exec-0002")]


def test_connection_banner_and_throttling_are_announced_once() -> None:
    ok = snap(1)
    down = snap(
        2, connection=ConnectionState(ok=False, problem="refused", since=T0), next_poll_seconds=4
    )
    still = dataclasses.replace(down, sequence=3)
    back = snap(9)
    assert [type(e) for e in diff(ok, down)] == [ConnectionProblem]
    assert diff(down, still) == []
    restored = diff(still, back)
    assert [type(e) for e in restored] == [ConnectionRestored]
    assert restored[0].summary() == "connection to AWS restored after 9s"
    throttled = snap(4, throttled_operation="GetDeployment", next_poll_seconds=12)
    assert [type(e) for e in diff(ok, throttled)] == [PollingThrottled]
    assert diff(throttled, dataclasses.replace(throttled, sequence=5)) == []


# --- offers and wire format ---------------------------------------------------------------------


def test_offers_follow_the_state() -> None:
    running = snap(deployment=deployment(instance("i-1", {"ApplicationStop": "InProgress"})))
    assert {o.key for o in available_actions(running)} == {"stop", "stop_rollback"}
    done = snap(
        deployment=deployment(
            instance("i-1", dict.fromkeys(EVENTS, "Succeeded")), status="Succeeded"
        )
    )
    assert {o.key for o in available_actions(done)} == {"redeploy_last_success"}


def test_every_new_event_serialises_to_json() -> None:
    kinds = set(event_types())
    for kind in (
        "pipeline.execution_started",
        "pipeline.execution_changed",
        "pipeline.execution_finished",
        "pipeline.stage",
        "pipeline.action",
        "pipeline.deployment_linked",
        "connection.problem",
        "connection.restored",
        "polling.throttled",
        "failure.explained",
        "source.pushed",
        "deployment.status",
    ):
        assert kind in kinds
    dep = deployment(
        instance("i-1", {"AfterInstall": "Failed"}, failed(2)),
        status="Failed",
        error_code="HEALTH_CONSTRAINTS",
    )
    for event in diff(
        None,
        snap(deployment=dep, pipeline=_pipeline("Failed", "Failed", deployment_id="d-TEST00001")),
    ):
        data = json.loads(json.dumps(event.to_dict()))
        assert data["type"] == event.kind
    tail = HookOutput(
        deployment_id="d", target_id="i", event="AfterInstall", stream="stderr", text="x"
    )
    assert tail.to_dict()["stream"] == "stderr"


# --- the first run and the agent -----------------------------------------------------------------

AGENT_SILENT = Diagnostics(
    error_code="UnknownError",
    message="CodeDeploy agent was not able to receive the lifecycle event. Check the CodeDeploy "
    "agent logs on your host and make sure the agent is running and can connect to the "
    "CodeDeploy server.",
)


def test_a_first_run_that_raced_the_agent_is_explained_with_release_change() -> None:
    failed_agent = instance("i-0agent", {"ApplicationStop": "Failed"}, AGENT_SILENT)
    dep = deployment(
        failed_agent,
        status="Failed",
        error_code="HEALTH_CONSTRAINTS",
        error_message="The overall deployment failed because too many individual instances "
        "failed deployment",
    )
    report = explain_deployment(dep)
    assert report is not None
    assert report.headline == "the CodeDeploy agent did not answer on 1 instance"
    assert "the run started before the agent was running there" in (report.explanation or "")
    assert "i-0agent" in (report.explanation or "")
    assert "release change" in (report.remedy or "") and report.action == "release"
    offers = available_actions(snap(pipeline=PipelineView(name="p"), deployment=dep))
    assert next(o for o in offers if o.key == "release").suggested


def test_an_agent_still_installing_is_one_event_per_change() -> None:
    from wizard.core.agent_health import AgentView
    from wizard.core.events.lifecycle import AgentStatusChanged

    waiting = deployment(instance("i-1", {}))
    installing = AgentView("i-1", "installing", T0, source="console")
    first = snap(1, deployment=waiting, agents=(installing,))
    later = snap(300, deployment=waiting, agents=(installing,))
    running = snap(301, deployment=waiting, agents=(AgentView("i-1", "running", T0),))
    said = [e for e in diff(None, first) if isinstance(e, AgentStatusChanged)]
    assert [e.summary() for e in said] == [
        "agent not yet running on i-1 (installing since 1 s); CodeDeploy holds the deployment "
        "for it (up to an hour)"
    ]
    assert not [e for e in diff(first, later) if isinstance(e, AgentStatusChanged)]
    assert [e.state for e in diff(later, running) if isinstance(e, AgentStatusChanged)] == [
        "running"
    ]
    assert installing.describe(T0 + timedelta(minutes=2, seconds=5)) == (
        "agent not yet running on i-1 (installing since 2 min)"
    )


def _connection_failure(status: str | None, *, emulator: bool = False) -> Snapshot:
    arn = "arn:aws:codeconnections:eu-west-1:123456789012:connection/abc-123"
    source = ActionView(
        stage="Source",
        name="Source",
        provider="CodeStarSourceConnection",
        status="Failed",
        error_message=f"[GitHub] Unable to use Connection: {arn}. The provided role does not "
        "have sufficient permissions.",
        configuration=(
            ("BranchName", "main"),
            ("ConnectionArn", arn),
            ("FullRepositoryId", "my-org/shop"),
        ),
        connection_status=status,
        connection_name="shop" if status else None,
    )
    pipeline = PipelineView(
        name="p",
        stages=(StageView("Source", "Failed", (source,)),),
        executions=(ExecutionView("e1", "Failed"),),
        followed_id="e1",
        emulator=emulator,
    )
    return snap(pipeline=pipeline)


@pytest.mark.parametrize(
    ("status", "emulator", "headline", "remedy"),
    [
        (
            "PENDING",
            False,
            "connection shop is PENDING: nobody has authorised it yet",
            "connections/abc-123?region=eu-west-1",
        ),
        (
            "PENDING",
            True,
            "connection shop is PENDING: nobody has authorised it yet",
            "cdwizard connection authorize --sandbox",
        ),
        (
            "ERROR",
            False,
            "connection shop is in ERROR: its authorisation was revoked",
            "reinstall or re-authorise the provider's app",
        ),
        (
            "AVAILABLE",
            False,
            "the pipeline role may not use connection shop",
            "codeconnections:UseConnection",
        ),
        (None, False, "the source cannot use connection", "`cdwizard connection` says which"),
    ],
)
def test_a_connection_source_failure_is_explained_from_the_connection_status(
    status: str | None, emulator: bool, headline: str, remedy: str
) -> None:
    report = explain(_connection_failure(status, emulator=emulator))
    assert report is not None
    assert report.headline.startswith(headline)
    assert remedy in (report.remedy or "")
    assert 'CodePipeline says "[GitHub] Unable to use Connection' in (report.explanation or "")
    assert report.action == "retry_failed"
