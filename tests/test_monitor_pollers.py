"""The monitor end to end against a moto server, with botocore's Stubber only for the APIs moto
lacks (GetPipelineState, ListActionExecutions, ListDeploymentTargets, BatchGetDeploymentTargets).

Each test runs the real background thread. Its injected `sleeper` (called between polls) moves
the scenario one step: it changes moto's state and queues the next stubbed responses. Tests wait
on the monitor's outcome (a condition), never on time.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable

import pytest

from tests.monitor_scenarios import (
    DeploymentScript,
    Fleet,
    GapStubber,
    collect_events,
    create_deployment,
    create_pipeline,
    queue_cycle,
    script_failed,
    set_deployment,
    start_execution,
)
from wizard.core.events.lifecycle import (
    IN_PLACE_EVENTS,
    DeploymentFinished,
    DeploymentStarted,
    HookOutput,
    LifecycleEventChanged,
)
from wizard.core.events.pipeline import (
    DeploymentLinked,
    FailureExplained,
    PipelineExecutionFinished,
    PollingThrottled,
)
from wizard.core.output import PlainSink
from wizard.services.aws.monitor import (
    ExecutionSelector,
    FollowSpec,
    Monitor,
    PollIntervals,
)
from wizard.services.aws.monitor.follow import follow
from wizard.services.aws.session import AwsClients

INSTANCES = ["i-0a", "i-0b", "i-0c"]
TARGET_APIS = {"ListDeploymentTargets", "BatchGetDeploymentTargets"}
PIPELINE_APIS = {"GetPipelineState", "ListActionExecutions"}
INTERVALS = PollIntervals(active=2.0, idle=10.0, max_throttled=30.0, max_offline=8.0)


@pytest.fixture
def clients(aws_target) -> AwsClients:
    return AwsClients(aws_target, max_attempts=2)


class Scenario:
    """Frames applied between polls: frame k is in place before poll k."""

    def __init__(self, frames: list[Callable[[], None]]) -> None:
        self.frames = frames
        self.applied = 0
        self.delays: list[float] = []

    def begin(self) -> None:
        self.frames[0]()
        self.applied = 1

    def sleeper(self, delay: float) -> None:
        self.delays.append(delay)
        if self.applied < len(self.frames):
            self.frames[self.applied]()
            self.applied += 1


def test_deployment_progresses_through_every_event_on_three_instances(clients) -> None:
    create_pipeline(clients)
    execution = start_execution(clients)
    deployment = create_deployment(clients)
    fleet = Fleet(deployment, INSTANCES)
    pipeline_stub = GapStubber(clients.client("codepipeline"), PIPELINE_APIS)
    target_stub = GapStubber(clients.client("codedeploy"), TARGET_APIS)
    script = DeploymentScript(target_stub, fleet)

    steps: list[Callable[[], None]] = []
    for inst in INSTANCES:  # OneAtATime: each instance runs every event in order
        for ev in IN_PLACE_EVENTS:
            steps.append(lambda i=inst, e=ev: fleet.start(i, e))
            steps.append(lambda i=inst, e=ev: fleet.finish(i, e))

    def frame(k: int) -> Callable[[], None]:
        def apply() -> None:
            if k > 0:
                steps[k - 1]()
            last = k == len(steps)
            queue_cycle(pipeline_stub, script, execution, "Succeeded" if last else "InProgress")

        return apply

    scenario = Scenario([frame(k) for k in range(len(steps) + 1)])
    with pipeline_stub, target_stub:
        scenario.begin()
        monitor = Monitor(
            clients, FollowSpec(pipeline="demo"), intervals=INTERVALS, sleeper=scenario.sleeper
        )
        sink = collect_events(monitor)
        monitor.start()
        outcome = monitor.wait(timeout=120)
        monitor.join(timeout=10)
        pipeline_stub.assert_no_pending_responses()
        target_stub.assert_no_pending_responses()

    assert outcome is not None and outcome.result == "succeeded", outcome
    assert monitor.crash is None
    events = sink.events
    started = [e for e in events if isinstance(e, DeploymentStarted)]
    assert [e.targets for e in started] == [tuple(INSTANCES)]
    linked = [e for e in events if isinstance(e, DeploymentLinked)]
    assert [(e.stage, e.action, e.deployment_id) for e in linked] == [
        ("Deploy", "Deploy", deployment)
    ]
    cells = [
        (e.target_id, e.event, e.status.value)
        for e in events
        if isinstance(e, LifecycleEventChanged)
    ]
    expected = [
        (i, ev, status)
        for i in INSTANCES
        for ev in IN_PLACE_EVENTS
        for status in ("InProgress", "Succeeded")
    ]
    assert cells == expected
    finished = [e for e in events if isinstance(e, DeploymentFinished)]
    assert [(e.status.value, e.overview["Succeeded"]) for e in finished] == [("Succeeded", 3)]
    ends = [e for e in events if isinstance(e, PipelineExecutionFinished)]
    assert [e.status for e in ends] == ["Succeeded"]
    # finished after the deployment, so plain output reads in order
    assert events.index(ends[0]) > events.index(finished[0])
    # fast polling the whole time something ran
    assert set(scenario.delays) == {INTERVALS.active}
    # the durations come from the lifecycle timestamps (3 s per tick)
    done = [e for e in events if isinstance(e, LifecycleEventChanged) and e.duration is not None]
    assert done and all(e.duration == 3.0 for e in done)
    snap = monitor.latest
    assert snap is not None and snap.deployment is not None
    assert [i.target_id for i in snap.deployment.instances] == INSTANCES
    assert all(c.status.value == "Succeeded" for i in snap.deployment.instances for c in i.events)


def _failing_frames(
    fleet: Fleet, execution: str, pipeline_stub, script
) -> list[Callable[[], None]]:
    tail = (
        "LifecycleEvent - AfterInstall\n"
        "Script - scripts/after_install.sh\n"
        "[stdout]installing requirements\n"
        "[stderr]ERROR: No matching distribution found for fastapi==99\n"
    )

    def upto(event: str) -> None:
        for inst in INSTANCES:
            for ev in IN_PLACE_EVENTS[: IN_PLACE_EVENTS.index(event)]:
                fleet.start(inst, ev)
                fleet.finish(inst, ev)
            fleet.start(inst, event)

    def frame0() -> None:
        queue_cycle(pipeline_stub, script, execution, "InProgress")

    def frame1() -> None:
        upto("AfterInstall")
        queue_cycle(pipeline_stub, script, execution, "InProgress")

    def frame2() -> None:
        for inst in INSTANCES[:2]:
            fleet.finish(
                inst, "AfterInstall", "Failed", script_failed("scripts/after_install.sh", 2, tail)
            )
            fleet.skip_rest(inst)
        fleet.finish(INSTANCES[2], "AfterInstall")
        for ev in ("ApplicationStart", "ValidateService"):
            fleet.start(INSTANCES[2], ev)
            fleet.finish(INSTANCES[2], ev)
        queue_cycle(pipeline_stub, script, execution, "Failed")

    return [frame0, frame1, frame2]


def test_script_failure_is_explained_with_its_log_tail_in_plain_output(clients) -> None:
    create_pipeline(clients)
    execution = start_execution(clients)
    deployment = create_deployment(clients)
    fleet = Fleet(deployment, INSTANCES)
    pipeline_stub = GapStubber(clients.client("codepipeline"), PIPELINE_APIS)
    target_stub = GapStubber(clients.client("codedeploy"), TARGET_APIS)
    script = DeploymentScript(target_stub, fleet)
    scenario = Scenario(_failing_frames(fleet, execution, pipeline_stub, script))
    out = io.StringIO()
    with pipeline_stub, target_stub:
        scenario.begin()
        monitor = Monitor(
            clients, FollowSpec(pipeline="demo"), intervals=INTERVALS, sleeper=scenario.sleeper
        )
        events = collect_events(monitor)
        plain = PlainSink(out, heartbeat=None)
        result = follow(monitor, plain, timeout=120)
        plain.close()
        target_stub.assert_no_pending_responses()

    assert result.exit_code == 10  # ExitCode.DEPLOY_FAILED
    text = out.getvalue()
    assert "2 of 3 instances failed at AfterInstall (exit 2)" in text
    assert re.search(
        r"i-0a AfterInstall: Failed in \d+s — ScriptFailed \[scripts/after_install.sh\]", text
    )
    assert (
        "i-0a AfterInstall [stderr] ERROR: No matching distribution found for fastapi==99" in text
    )
    assert "fix scripts/after_install.sh and push the fix" in text
    failed = [
        e
        for e in events.events
        if isinstance(e, LifecycleEventChanged) and e.status.value == "Failed"
    ]
    assert [(e.target_id, e.diagnostics.error_code) for e in failed] == [
        ("i-0a", "ScriptFailed"),
        ("i-0b", "ScriptFailed"),
    ]
    assert "fastapi==99" in failed[0].diagnostics.log_tail
    tails = [e for e in events.events if isinstance(e, HookOutput)]
    assert {e.target_id for e in tails} == {"i-0a", "i-0b"}
    assert [e.stream for e in tails if e.target_id == "i-0a"] == ["stdout", "stderr"]
    explained = [e for e in events.events if isinstance(e, FailureExplained)]
    assert [e.action for e in explained] == ["fetch_log"]
    # the pipeline's end does not repeat the deployment's explanation
    end = next(e for e in events.events if isinstance(e, PipelineExecutionFinished))
    assert end.status == "Failed" and end.explanation is None
    # skipped events of the failed instances are shown too
    skipped = {
        (e.target_id, e.event)
        for e in events.events
        if isinstance(e, LifecycleEventChanged) and e.status.value == "Skipped"
    }
    assert ("i-0a", "ValidateService") in skipped


def test_throttling_widens_the_interval_then_recovers(clients) -> None:
    deployment = create_deployment(clients)
    fleet = Fleet(deployment, INSTANCES)
    target_stub = GapStubber(clients.client("codedeploy"), TARGET_APIS)
    script = DeploymentScript(target_stub, fleet)

    def running(throttle: bool = False, step: Callable[[], None] | None = None):
        def apply() -> None:
            if step:
                step()
            set_deployment(deployment, "InProgress", fleet.overview())
            script.queue(deployment_status="InProgress", throttle=throttle)

        return apply

    def final() -> None:
        for inst in INSTANCES:
            for ev in IN_PLACE_EVENTS:
                if fleet.cells[inst][ev].status != "Succeeded":
                    fleet.start(inst, ev)
                    fleet.finish(inst, ev)
        set_deployment(deployment, "Succeeded", fleet.overview())
        script.queue(deployment_status="Succeeded")

    frames = [
        running(),
        running(step=lambda: fleet.start("i-0a", "ApplicationStop")),
        running(throttle=True, step=lambda: fleet.finish("i-0a", "ApplicationStop")),
        running(throttle=True),
        running(),
        running(),
        running(),
        running(),
        final,
    ]
    scenario = Scenario(frames)
    with target_stub:
        scenario.begin()
        monitor = Monitor(
            clients,
            FollowSpec(deployment_id=deployment),
            intervals=INTERVALS,
            sleeper=scenario.sleeper,
        )
        sink = collect_events(monitor)
        monitor.start()
        outcome = monitor.wait(timeout=120)
        monitor.join(timeout=10)
        target_stub.assert_no_pending_responses()

    assert outcome is not None and outcome.result == "succeeded"
    throttled = [e for e in sink.events if isinstance(e, PollingThrottled)]
    assert [e.operation for e in throttled] == ["BatchGetDeploymentTargets"]
    # 2 s while running; doubled, doubled again while throttled; eases after 3 clean polls
    assert scenario.delays == [2.0, 2.0, 4.0, 8.0, 8.0, 8.0, 4.0, 4.0]
    # the change seen through the throttling is not lost
    stop = [
        (e.target_id, e.event, e.status.value)
        for e in sink.events
        if isinstance(e, LifecycleEventChanged)
    ]
    assert stop[:2] == [
        ("i-0a", "ApplicationStop", "InProgress"),
        ("i-0a", "ApplicationStop", "Succeeded"),
    ]


def test_waiting_for_the_pushed_commit_polls_at_the_active_interval(clients) -> None:
    """After `ship` pushed, the commit's execution does not exist yet: its start must be noticed
    at the active pace, not the idle one (on real AWS too)."""
    create_pipeline(clients)
    commit = "4f1e2d3c" * 5
    waiting = Monitor(
        clients,
        FollowSpec(pipeline="demo", execution=ExecutionSelector("commit", commit)),
        intervals=INTERVALS,
    )
    first = waiting.cycle().snapshot
    assert first.pipeline is not None and first.pipeline.followed is None
    assert first.outcome is None
    assert first.next_poll_seconds == INTERVALS.active
    # with nothing named and nothing running, the monitor idles
    idle = Monitor(clients, FollowSpec(pipeline="demo"), intervals=INTERVALS).cycle().snapshot
    assert idle.pipeline is not None and idle.pipeline.followed is None
    assert idle.next_poll_seconds == INTERVALS.idle
