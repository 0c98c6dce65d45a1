"""Frozen snapshots for the monitor screen tests (memray style: inject what the poller would post).

Everything is built from the real timeline types; times are fixed (T0 + seconds) and the screen
gets a frozen clock, so what it shows never depends on when the test runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from wizard.app.monitor_feed import Emit, FeedUpdate
from wizard.core.events.lifecycle import (
    IN_PLACE_EVENTS,
    DeploymentStatus,
    Diagnostics,
    LifecycleStatus,
)
from wizard.core.timeline import (
    ActionView,
    ConnectionState,
    DeploymentSummary,
    DeploymentView,
    ExecutionView,
    InstanceView,
    LifecycleCell,
    Overview,
    PipelineView,
    RevisionRef,
    Snapshot,
    StageView,
)
from wizard.services.aws.monitor.actions import ActionResult, ActionUnavailable, PlannedAction

T0 = datetime(2026, 3, 4, 10, 0, 0, tzinfo=UTC)
NOW = T0 + timedelta(seconds=95)
DEPLOYMENT = "d-7Q2H5K9XA"
EXECUTION = "3f2a1c4d-9b8e-4f00-8a61-2d5c7e9f0a11"
COMMIT = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"
REVISION = RevisionRef("S3", bucket="shop-artifacts", key="shop/Source/x1Yz.zip", bundle_type="zip")
PREVIOUS = RevisionRef("S3", bucket="shop-artifacts", key="shop/Source/w0Xy.zip", bundle_type="zip")

AFTER_INSTALL_TAIL = (
    "LifecycleEvent - AfterInstall\n"
    "Script - scripts/after_install.sh\n"
    "[stdout]Collecting fastapi==99\n"
    "[stderr]ERROR: Could not find a version that satisfies the requirement fastapi==99\n"
    "[stderr]ERROR: No matching distribution found for fastapi==99\n"
)


def frozen_clock() -> datetime:
    return NOW


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def script_failed(script: str, code: int, tail: str) -> Diagnostics:
    return Diagnostics(
        error_code="ScriptFailed",
        script_name=script,
        message=f"Script at specified location: {script} failed with exit code {code}",
        log_tail=tail,
    )


def cells(
    statuses: Mapping[str, str], *, start: float = 0.0, diagnostics: Diagnostics | None = None
) -> tuple[LifecycleCell, ...]:
    """Cells in the in-place order; each event that ran took 3 s, one after the other."""
    out = []
    t = start
    for name in IN_PLACE_EVENTS:
        status = LifecycleStatus(statuses.get(name, "Pending"))
        began = ended = None
        if status in (LifecycleStatus.SUCCEEDED, LifecycleStatus.FAILED):
            began, ended = at(t), at(t + 3)
            t += 3
        elif status is LifecycleStatus.IN_PROGRESS:
            began = at(t)
        out.append(
            LifecycleCell(
                name=name,
                status=status,
                started_at=began,
                ended_at=ended,
                diagnostics=diagnostics if status is LifecycleStatus.FAILED else None,
            )
        )
    return tuple(out)


def upto(event: str, last: str = "InProgress") -> dict[str, str]:
    """Every event before `event` succeeded, `event` in state `last`, the rest pending."""
    index = IN_PLACE_EVENTS.index(event)
    statuses = dict.fromkeys(IN_PLACE_EVENTS[:index], "Succeeded")
    statuses[event] = last
    if last == "Failed":
        statuses |= dict.fromkeys(IN_PLACE_EVENTS[index + 1 :], "Skipped")
    return statuses


ALL_DONE = dict.fromkeys(IN_PLACE_EVENTS, "Succeeded")


def instance(target: str, statuses: Mapping[str, str], **kw: Any) -> InstanceView:
    row = cells(statuses, **kw)
    got = {c.status for c in row}
    if LifecycleStatus.FAILED in got:
        status = "Failed"
    elif got <= {LifecycleStatus.SUCCEEDED, LifecycleStatus.SKIPPED}:
        status = "Succeeded"
    elif got == {LifecycleStatus.PENDING}:
        status = "Pending"
    else:
        status = "InProgress"
    return InstanceView(target_id=target, status=status, updated_at=at(30), events=row)


def overview_of(instances: Iterable[InstanceView]) -> Overview:
    counts: dict[str, int] = {}
    for i in instances:
        counts[i.status] = counts.get(i.status, 0) + 1
    return Overview(
        pending=counts.get("Pending", 0),
        in_progress=counts.get("InProgress", 0),
        succeeded=counts.get("Succeeded", 0),
        failed=counts.get("Failed", 0),
        skipped=counts.get("Skipped", 0),
    )


def deployment(*instances: InstanceView, status: str = "InProgress", **kw: Any) -> DeploymentView:
    values: dict[str, Any] = {
        "deployment_id": DEPLOYMENT,
        "application": "shop",
        "group": "shop-dg",
        "status": DeploymentStatus(status),
        "overview": overview_of(instances),
        "creator": "CodePipeline",
        "config_name": "CodeDeployDefault.OneAtATime",
        "created_at": at(0),
        "started_at": at(0),
        "completed_at": at(60) if status in ("Succeeded", "Failed", "Stopped") else None,
        "revision": REVISION,
        "previous_revision": PREVIOUS,
        "instances": tuple(sorted(instances, key=lambda i: i.target_id)),
    }
    values.update(kw)
    return DeploymentView(**values)


HISTORY = tuple(
    DeploymentSummary(
        deployment_id=f"d-OLD{n:05d}",
        status=DeploymentStatus.FAILED if n == 3 else DeploymentStatus.SUCCEEDED,
        created_at=T0 - timedelta(hours=n + 1),
        completed_at=T0 - timedelta(hours=n + 1) + timedelta(seconds=60 + 17 * ((n * 7) % 5)),
    )
    for n in range(8)
)


def pipeline(
    source: str = "Succeeded",
    deploy: str | None = "InProgress",
    *,
    status: str | None = None,
    deployment_id: str | None = DEPLOYMENT,
    source_error: str | None = None,
    executions: int = 4,
) -> PipelineView:
    status = status or ("Failed" if "Failed" in (source, deploy) else deploy or source)
    followed = ExecutionView(
        execution_id=EXECUTION,
        status=status,
        started_at=at(-10),
        updated_at=at(80) if status in ("Succeeded", "Failed") else at(30),
        commit_id=COMMIT,
        commit_message="Health check waits for the port",
        trigger_type="CloudWatchEvent",
    )
    older = tuple(
        ExecutionView(
            execution_id=f"{n:08x}-0000-4000-8000-000000000000",
            status="Succeeded" if n != 2 else "Failed",
            started_at=T0 - timedelta(hours=n),
            updated_at=T0 - timedelta(hours=n) + timedelta(seconds=70 + n),
            commit_id=f"{n:07x}" + "f" * 33,
            commit_message=f"Change number {n}",
            trigger_type="StartPipelineExecution" if n % 2 else "CloudWatchEvent",
        )
        for n in range(1, executions)
    )
    source_action = ActionView(
        stage="Source",
        name="Source",
        provider="CodeCommit",
        status=source,
        error_code="JobFailed" if source_error else None,
        error_message=source_error,
        started_at=at(-10),
        updated_at=at(-6),
        configuration=(("BranchName", "main"), ("RepositoryName", "shop")),
    )
    deploy_action = ActionView(
        stage="Deploy",
        name="Deploy",
        provider="CodeDeploy",
        status=deploy,
        external_execution_id=deployment_id if deploy else None,
        started_at=at(-5) if deploy else None,
        updated_at=at(60) if deploy in ("Succeeded", "Failed") else (at(-5) if deploy else None),
    )
    return PipelineView(
        name="shop",
        stages=(
            StageView("Source", source, (source_action,)),
            StageView("Deploy", deploy, (deploy_action,)),
        ),
        executions=(followed, *older),
        followed_id=EXECUTION,
        deployment_id=deployment_id if deploy else None,
    )


def snap(seq: int = 1, **kw: Any) -> Snapshot:
    values: dict[str, Any] = {"sequence": seq, "taken_at": at(90), "next_poll_seconds": 3.0}
    values.update(kw)
    return Snapshot(**values)


# --- scenarios ----------------------------------------------------------------------------------

FLEET = ("i-0a1b2c3d4e5f60001", "i-0a1b2c3d4e5f60002", "i-0a1b2c3d4e5f60003")


def running_snapshot(seq: int = 1) -> Snapshot:
    a, b, c = FLEET
    dep = deployment(
        instance(a, ALL_DONE),
        instance(b, upto("AfterInstall")),
        instance(c, {}),
    )
    return snap(seq, pipeline=pipeline(), deployment=dep, history=HISTORY)


def failed_snapshot(seq: int = 2) -> Snapshot:
    """2 of 3 instances failed at AfterInstall (exit 2), CodeDeploy gave up (HEALTH_CONSTRAINTS)."""
    a, b, c = FLEET
    diag = script_failed("scripts/after_install.sh", 2, AFTER_INSTALL_TAIL)
    dep = deployment(
        instance(a, upto("AfterInstall", "Failed"), diagnostics=diag),
        instance(b, upto("AfterInstall", "Failed"), diagnostics=diag),
        instance(c, ALL_DONE),
        status="Failed",
        error_code="HEALTH_CONSTRAINTS",
        error_message="The overall deployment failed because too many individual instances "
        "failed deployment",
    )
    return snap(
        seq,
        pipeline=pipeline("Succeeded", "Failed"),
        deployment=dep,
        history=HISTORY,
        next_poll_seconds=20.0,
    )


def application_stop_snapshot(seq: int = 2) -> Snapshot:
    a = FLEET[0]
    diag = script_failed(
        "scripts/stop_server.sh", 1, "LifecycleEvent - ApplicationStop\n[stderr]kill: no such pid\n"
    )
    dep = deployment(
        instance(a, upto("ApplicationStop", "Failed"), diagnostics=diag),
        status="Failed",
        error_code="HEALTH_CONSTRAINTS",
    )
    return snap(seq, pipeline=pipeline("Succeeded", "Failed"), deployment=dep, history=HISTORY)


BRANCH_MISSING = (
    "The action failed because no branch named main was found in the selected AWS CodeCommit "
    "repository shop. Make sure you are using the correct branch name, and then try again."
)


def branch_missing_snapshot(seq: int = 1) -> Snapshot:
    return snap(
        seq,
        pipeline=pipeline("Failed", None, source_error=BRANCH_MISSING, executions=1),
        next_poll_seconds=20.0,
    )


def offline(snapshot: Snapshot, seq: int) -> Snapshot:
    return replace(
        snapshot,
        sequence=seq,
        connection=ConnectionState(
            ok=False,
            problem='Could not connect to the endpoint URL: "https://codedeploy.eu-west-1.'
            'amazonaws.com/"',
            since=at(80),
            service="codedeploy",
            operation="GetDeployment",
        ),
        next_poll_seconds=4.0,
    )


def fleet(n: int, *, changed: int = 0, base: DeploymentView | None = None) -> DeploymentView:
    """A deployment of `n` instances; with `base`, the first `changed` rows move on one event and
    every other row is the very same object (as the poller hands them over)."""
    if base is None:
        return deployment(*(instance(f"i-{k:017x}", upto("BeforeInstall")) for k in range(n)))
    rows = list(base.instances)
    for k in range(changed):
        rows[k] = instance(rows[k].target_id, upto("Install"))
    return replace(base, instances=tuple(rows))


# --- a feed that only holds still ---------------------------------------------------------------


class QuietFeed:
    """A feed whose updates the test injects (`screen.post_message(SnapshotArrived(...))`); its
    actions are the real planned actions a test hands it (`planned[key]`), or unavailable."""

    label = "pipeline shop · frozen snapshots"
    polls = True
    following_newest = False

    def __init__(self, planned: Mapping[str, Callable[[], PlannedAction]] | None = None) -> None:
        self.planned = dict(planned or {})
        self.closed = False
        self.woken = 0
        self.after_calls: list[tuple[str, ActionResult]] = []
        self.followed: list[str] = []

    def run(self, emit: Emit, cancelled: Callable[[], bool]) -> None:
        return None

    def wake(self) -> None:
        self.woken += 1

    def close(self) -> None:
        self.closed = True

    def supports(self, key: str) -> bool:
        return True

    def plan(self, key: str, snapshot: Snapshot, instance_id: str | None = None) -> PlannedAction:
        if key not in self.planned:
            raise ActionUnavailable(f"nothing planned for {key} in this test")
        return self.planned[key]()

    def after(self, action: PlannedAction, result: ActionResult) -> str | None:
        self.after_calls.append((action.key, result))
        return None

    def follow_execution(self, execution_id: str) -> None:
        self.followed.append(execution_id)


def update(snapshot: Snapshot | None, *events: Any) -> FeedUpdate:
    return FeedUpdate(snapshot, tuple(events))


def approval_snapshot(seq: int = 1) -> Snapshot:
    """Environments: staging deployed, production's approval waits (message and link); the
    history says how far earlier runs got."""
    base = pipeline("Succeeded", "Succeeded", status="InProgress")
    source, deploy = base.stages
    staging_action = replace(deploy.actions[0], stage="Deploy-staging")
    approval = ActionView(
        stage="Approve-production",
        name="Approve",
        provider="Manual",
        status="InProgress",
        started_at=at(62),
        updated_at=at(62),
        configuration=(
            ("CustomData", "Approve deployment to production?"),
            ("ExternalEntityLink", "https://example.com/release-notes"),
        ),
        token="0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b",
    )
    production = ActionView(stage="Deploy-production", name="Deploy", provider="CodeDeploy")
    got_to = ("staging ✓ · approval ▶ waiting", "staging ✓ · approval ✓ · production ✓")
    executions = tuple(
        replace(
            e,
            progress=got_to[0]
            if k == 0
            else got_to[1]
            if e.status != "Failed"
            else "staging ✓ · approval ✗ rejected",
        )
        for k, e in enumerate(base.executions)
    )
    view = replace(
        base,
        stages=(
            source,
            StageView("Deploy-staging", "Succeeded", (staging_action,)),
            StageView("Approve-production", "InProgress", (approval,)),
            StageView("Deploy-production", None, (production,)),
        ),
        executions=executions,
    )
    a, b, c = FLEET
    dep = deployment(
        instance(a, ALL_DONE), instance(b, ALL_DONE), instance(c, ALL_DONE), status="Succeeded"
    )
    return snap(seq, pipeline=view, deployment=dep, history=HISTORY, next_poll_seconds=20.0)
