"""Frozen views of what the monitor knows: pipeline, deployment, per-instance lifecycle grid.

A `Snapshot` is immutable and self-contained, so a background poller can hand it to any thread
(the TUI, a plain/JSON printer) without locks. Pollers reuse unchanged sub-views between snapshots
(same object), which keeps diffing 1,000 instances cheap: unchanged rows are skipped by identity.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any, Literal

from wizard.core.agent_health import AgentView
from wizard.core.events.approval import APPROVAL_PROVIDER
from wizard.core.events.base import seconds_between
from wizard.core.events.lifecycle import (
    PREVIOUS_REVISION_EVENTS,
    DeploymentStatus,
    Diagnostics,
    LifecycleStatus,
)
from wizard.core.events.pipeline import FINAL_EXECUTION_STATUSES
from wizard.core.exitcodes import ExitCode

#: `TargetStatus` values after which an instance never changes again in that deployment.
FINAL_TARGET_STATUSES: frozenset[str] = frozenset({"Succeeded", "Failed", "Skipped"})

_EXIT_CODE = re.compile(r"exit code (\d+)")


# --- pipeline ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExecutionView:
    """One pipeline execution (a row of the history)."""

    execution_id: str
    status: str
    status_summary: str | None = None
    started_at: datetime | None = None
    updated_at: datetime | None = None
    commit_id: str | None = None
    commit_message: str | None = None
    trigger_type: str | None = None
    trigger_detail: str | None = None
    #: How far the run got through the stages after its source ("staging ✓ · approval ✗
    #: rejected"); None when unknown or when the pipeline has only its one deploy stage.
    progress: str | None = None

    @property
    def final(self) -> bool:
        return self.status in FINAL_EXECUTION_STATUSES

    @property
    def duration(self) -> float | None:
        return seconds_between(self.started_at, self.updated_at) if self.final else None


@dataclass(frozen=True)
class ActionView:
    """One action of a stage, with its run in the followed execution (status None: not run)."""

    stage: str
    name: str
    provider: str | None = None
    status: str | None = None
    summary: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    external_execution_id: str | None = None
    external_url: str | None = None
    started_at: datetime | None = None
    updated_at: datetime | None = None
    #: The action's configuration from the pipeline definition (RepositoryName, BranchName, ...).
    configuration: tuple[tuple[str, str], ...] = ()
    #: What a succeeded action output (a source's CommitId, AuthorDate, VersionId, ...).
    output_variables: tuple[tuple[str, str], ...] = ()
    #: For a failed connection source: the connection's status looked up then (PENDING, ERROR,
    #: AVAILABLE), and its name; None when not looked up.
    connection_status: str | None = None
    connection_name: str | None = None
    #: A waiting manual approval's token (`get_pipeline_state`), needed to answer it.
    token: str | None = None
    #: Who last changed the action (the approver of a manual approval).
    updated_by: str | None = None

    def config(self, key: str) -> str | None:
        return dict(self.configuration).get(key)

    @property
    def is_approval(self) -> bool:
        return self.provider == APPROVAL_PROVIDER

    @property
    def approval_message(self) -> str | None:
        """The approval's custom message (`CustomData`)."""
        return self.config("CustomData") or None

    @property
    def approval_url(self) -> str | None:
        """The approval's link for reviewers (`ExternalEntityLink`)."""
        return self.config("ExternalEntityLink") or None

    def variable(self, key: str) -> str | None:
        return dict(self.output_variables).get(key)

    @property
    def duration(self) -> float | None:
        if self.status == "InProgress":
            return None
        return seconds_between(self.started_at, self.updated_at)


@dataclass(frozen=True)
class SourceRevision:
    """The followed execution's source revision, from its source action's output variables:
    a commit (CodeCommit, or GitHub/GitLab/Bitbucket through a connection) or an S3 object
    version."""

    provider: str
    revision_id: str | None = None
    message: str | None = None
    author_date: str | None = None
    branch: str | None = None
    repository: str | None = None
    etag: str | None = None
    location: str | None = None

    @classmethod
    def of(cls, action: ActionView) -> SourceRevision | None:
        if not action.output_variables:
            return None
        v = action.variable
        if action.provider == "S3":
            bucket, key = action.config("S3Bucket"), action.config("S3ObjectKey")
            where = f"s3://{bucket}/{key}" if bucket and key else None
            return cls("S3", v("VersionId"), etag=v("ETag"), location=where)
        return cls(
            action.provider or "",
            v("CommitId"),
            message=v("CommitMessage"),
            author_date=v("AuthorDate"),
            branch=v("BranchName"),
            repository=v("FullRepositoryName") or v("RepositoryName"),
        )

    def describe(self) -> str:
        """`commit 3f2a9c1 "Fix the port" · my-org/shop@main · authored 2026-05-01T10:00:00Z` or
        `version 3HL4kqtJ… of s3://bucket/key · ETag 9b2cf5…`"""
        if self.provider == "S3":
            parts = [f"version {self.revision_id or '?'}"]
            if self.location:
                parts[0] += f" of {self.location}"
            if self.etag:
                parts.append(f"ETag {self.etag}")
            return " · ".join(parts)
        head = f"commit {(self.revision_id or '?')[:7]}"
        if self.message:
            line = self.message.strip().splitlines()[0] if self.message.strip() else ""
            head += f' "{line[:70]}"' if line else ""
        parts = [head]
        if self.repository:
            parts.append(self.repository + (f"@{self.branch}" if self.branch else ""))
        if self.author_date:
            parts.append(f"authored {self.author_date}")
        return " · ".join(parts)


@dataclass(frozen=True)
class StageView:
    """A stage as a step of the flow; `status` is for the followed execution (None: not reached)."""

    name: str
    status: str | None = None
    actions: tuple[ActionView, ...] = ()


@dataclass(frozen=True)
class EnvironmentStages:
    """One environment of the terraform output `environments`: its deployment group and the
    stages that deploy to it (and approve it first, when it asks for an approval)."""

    name: str
    deployment_group: str
    deploy_stage: str
    approval_stage: str | None = None


@dataclass(frozen=True)
class PipelineView:
    """The pipeline: its stages for the followed execution, and the recent executions."""

    name: str
    stages: tuple[StageView, ...] = ()
    #: Newest first.
    executions: tuple[ExecutionView, ...] = ()
    followed_id: str | None = None
    #: The CodeDeploy deployment the followed execution's deploy action started.
    deployment_id: str | None = None
    #: Watched through the sandbox emulator (remedies name its commands, not the console).
    emulator: bool = False
    #: The environments terraform output (empty: the single Deploy stage of today's pipelines).
    environments: tuple[EnvironmentStages, ...] = ()

    @property
    def followed(self) -> ExecutionView | None:
        return next((e for e in self.executions if e.execution_id == self.followed_id), None)

    @property
    def actions(self) -> tuple[ActionView, ...]:
        return tuple(a for s in self.stages for a in s.actions)

    def action_by_provider(self, provider: str) -> ActionView | None:
        return next((a for a in self.actions if a.provider == provider), None)

    @property
    def failed_action(self) -> ActionView | None:
        return next((a for a in self.actions if a.status == "Failed"), None)

    @property
    def source_revision(self) -> SourceRevision | None:
        """The followed execution's source revision, once its source action output it."""
        for action in self.stages[0].actions if self.stages else ():
            found = SourceRevision.of(action)
            if found is not None:
                return found
        return None

    @property
    def failed_stage(self) -> StageView | None:
        return next((s for s in self.stages if s.status == "Failed"), None)

    @property
    def waiting_approval(self) -> ActionView | None:
        """The followed execution's manual approval that waits for an answer, if any."""
        followed = self.followed
        if followed is None or followed.final:
            return None
        return next((a for a in self.actions if a.is_approval and a.status == "InProgress"), None)


#: stage status -> its mark in an execution's progress line
_PROGRESS_MARKS: dict[str, str] = {
    "Succeeded": "✓",
    "Failed": "✗",
    "InProgress": "▶",
    "Stopped": "■",
    "Stopping": "■",
    "Cancelled": "⊘",
    "Abandoned": "⊘",
}


def stage_label(stage: StageView, environments: tuple[EnvironmentStages, ...] = ()) -> str:
    """`approval` for an approval stage; the environment's name for its deploy stage (from the
    `environments` output, else `Deploy-<env>`); else the stage name."""
    if any(a.is_approval for a in stage.actions):
        return "approval"
    for env in environments:
        if stage.name == env.deploy_stage:
            return env.name
    for prefix in ("Deploy-", "Approve-"):
        if stage.name.startswith(prefix) and len(stage.name) > len(prefix):
            return stage.name[len(prefix) :]
    return stage.name


def progress_line(
    stages: tuple[StageView, ...], environments: tuple[EnvironmentStages, ...] = ()
) -> str | None:
    """How far a run got past its source: `staging ✓ · approval ✗ rejected` (None: nowhere yet)."""
    parts = []
    for stage in stages[1:]:
        if stage.status is None:
            continue
        part = (
            f"{stage_label(stage, environments)} {_PROGRESS_MARKS.get(stage.status, stage.status)}"
        )
        approval = next((a for a in stage.actions if a.is_approval), None)
        if approval is not None and stage.status == "Failed":
            part += " rejected"
        elif approval is not None and stage.status == "InProgress":
            part += " waiting"
        parts.append(part)
    return " · ".join(parts) or None


# --- deployment -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Overview:
    """`deploymentOverview`: instance counts by status."""

    pending: int = 0
    in_progress: int = 0
    succeeded: int = 0
    failed: int = 0
    skipped: int = 0
    ready: int = 0

    @property
    def total(self) -> int:
        done = self.succeeded + self.failed + self.skipped + self.ready
        return self.pending + self.in_progress + done

    @classmethod
    def from_dict(cls, counts: Mapping[str, int] | None) -> Overview:
        """From the API's (or `as_dict`'s) `{"Pending": 1, "InProgress": 2, …}`."""
        d = counts or {}
        return cls(
            pending=d.get("Pending", 0),
            in_progress=d.get("InProgress", 0),
            succeeded=d.get("Succeeded", 0),
            failed=d.get("Failed", 0),
            skipped=d.get("Skipped", 0),
            ready=d.get("Ready", 0),
        )

    def as_dict(self) -> dict[str, int]:
        return {
            "Pending": self.pending,
            "InProgress": self.in_progress,
            "Succeeded": self.succeeded,
            "Failed": self.failed,
            "Skipped": self.skipped,
            "Ready": self.ready,
        }


@dataclass(frozen=True)
class RevisionRef:
    """A deployable revision (`RevisionLocation`), enough to deploy it again."""

    revision_type: str
    bucket: str | None = None
    key: str | None = None
    bundle_type: str | None = None
    version: str | None = None
    etag: str | None = None
    repository: str | None = None
    commit_id: str | None = None
    content: str | None = None

    def describe(self) -> str:
        if self.revision_type == "S3" and self.bucket:
            kind = f" ({self.bundle_type})" if self.bundle_type else ""
            return f"s3://{self.bucket}/{self.key}{kind}"
        if self.revision_type == "GitHub" and self.commit_id:
            return f"{self.repository}@{self.commit_id[:7]}"
        return self.revision_type

    def to_api(self) -> dict[str, Any]:
        """The `RevisionLocation` request structure for `create_deployment`."""
        out: dict[str, Any] = {"revisionType": self.revision_type}
        if self.revision_type == "S3":
            s3 = {"bucket": self.bucket, "key": self.key, "bundleType": self.bundle_type}
            s3 |= {"version": self.version, "eTag": self.etag}
            out["s3Location"] = {k: v for k, v in s3.items() if v}
        elif self.revision_type == "GitHub":
            out["gitHubLocation"] = {"repository": self.repository, "commitId": self.commit_id}
        elif self.revision_type == "String":
            out["string"] = {"content": self.content}
        elif self.revision_type == "AppSpecContent":
            out["appSpecContent"] = {"content": self.content}
        return out


def exit_detail(diagnostics: Diagnostics | None) -> str:
    """`exit 2`, `timed out`, `script missing`, ... — how a hook failed, in two words."""
    if diagnostics is None:
        return "failed"
    code = diagnostics.error_code
    if code == "ScriptFailed":
        found = _EXIT_CODE.search(diagnostics.message or "")
        return f"exit {found.group(1)}" if found else "script failed"
    return {
        "ScriptTimedOut": "timed out",
        "ScriptMissing": "script missing",
        "ScriptNotExecutable": "script not executable",
        "UnknownError": "agent error",
        "Success": "succeeded",
    }.get(code, code or "failed")


@dataclass(frozen=True)
class LifecycleCell:
    """One instance × lifecycle event cell of the grid."""

    name: str
    status: LifecycleStatus
    started_at: datetime | None = None
    ended_at: datetime | None = None
    diagnostics: Diagnostics | None = None

    @property
    def duration(self) -> float | None:
        return seconds_between(self.started_at, self.ended_at)

    @property
    def runs_previous_revision(self) -> bool:
        return self.name in PREVIOUS_REVISION_EVENTS


@dataclass(frozen=True)
class InstanceView:
    """One deployment target (an EC2 instance) and its lifecycle events in order."""

    target_id: str
    status: str
    updated_at: datetime | None = None
    events: tuple[LifecycleCell, ...] = ()

    @property
    def final(self) -> bool:
        return self.status in FINAL_TARGET_STATUSES

    def cell(self, name: str) -> LifecycleCell | None:
        return next((c for c in self.events if c.name == name), None)

    @property
    def failed_cell(self) -> LifecycleCell | None:
        return next((c for c in self.events if c.status is LifecycleStatus.FAILED), None)

    @property
    def running_cell(self) -> LifecycleCell | None:
        return next((c for c in self.events if c.status is LifecycleStatus.IN_PROGRESS), None)


#: `TargetHealth.State` values, and what each means for traffic in plain words.
TARGET_STATES: dict[str, str] = {
    "healthy": "in service",
    "initial": "registering (health checks running)",
    "draining": "leaving (in-flight requests finishing)",
    "unhealthy": "failing health checks",
    "unused": "not serving",
    "unavailable": "health checks off",
}


@dataclass(frozen=True)
class TargetHealthView:
    """One target of a target group as `DescribeTargetHealth` reports it."""

    target_id: str
    state: str
    reason: str | None = None
    description: str | None = None

    @property
    def problem(self) -> str | None:
        """`Target.Timeout: Request timed out` (None when AWS gives no reason)."""
        if not self.reason:
            return None
        return f"{self.reason}: {self.description}" if self.description else self.reason


@dataclass(frozen=True)
class TrafficView:
    """The target group a deployment steers traffic through: the load balancer's URL, the health
    check, and each registered (or draining) target's health at the last poll."""

    target_group: str
    target_group_arn: str | None = None
    load_balancer_url: str | None = None
    health_check_path: str | None = None
    health_check_port: str | None = None
    #: the targets `DescribeTargetHealth` lists (deregistered ones drop out), by target id
    targets: tuple[TargetHealthView, ...] = ()
    #: the last reason each target was not healthy during this deployment (kept after it left)
    last_problems: tuple[TargetHealthView, ...] = ()
    #: False when the target group cannot be read (permissions); `note` says why
    available: bool = True
    note: str | None = None

    def target(self, target_id: str) -> TargetHealthView | None:
        return next((t for t in self.targets if t.target_id == target_id), None)

    def state_of(self, target_id: str) -> str:
        """The target's state, `out` when the target group no longer lists it."""
        found = self.target(target_id)
        return found.state if found else "out"

    def last_problem(self, target_id: str) -> TargetHealthView | None:
        return next((t for t in self.last_problems if t.target_id == target_id), None)

    def count(self, state: str) -> int:
        return sum(1 for t in self.targets if t.state == state)

    @property
    def healthy(self) -> int:
        return self.count("healthy")

    def counts(self) -> str:
        """`2 healthy, 1 draining` (states in TARGET_STATES order; `none registered`)."""
        parts = [f"{self.count(s)} {s}" for s in TARGET_STATES if self.count(s)]
        return ", ".join(parts) or "none registered"

    @property
    def health_check(self) -> str:
        """`GET /health on the traffic port`, as the target group probes."""
        port = self.health_check_port
        where = "the traffic port" if port in (None, "traffic-port") else f"port {port}"
        return f"GET {self.health_check_path or '/'} on {where}"


@dataclass(frozen=True)
class DeploymentView:
    """A CodeDeploy deployment with its per-instance grid (empty until targets are known)."""

    deployment_id: str
    application: str
    group: str
    status: DeploymentStatus
    overview: Overview = field(default_factory=Overview)
    error_code: str | None = None
    error_message: str | None = None
    creator: str | None = None
    config_name: str | None = None
    created_at: datetime | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    revision: RevisionRef | None = None
    previous_revision: RevisionRef | None = None
    ignore_application_stop_failures: bool = False
    rollback_deployment_id: str | None = None
    rollback_message: str | None = None
    #: Sorted by target id.
    instances: tuple[InstanceView, ...] = ()
    #: False when the endpoint cannot list targets (e.g. an emulator without that API).
    targets_available: bool = True
    #: target groups CodeDeploy takes each instance out of (`loadBalancerInfo`), when the group
    #: deploys WITH_TRAFFIC_CONTROL; empty without a load balancer
    target_groups: tuple[str, ...] = ()
    #: the first target group's health, polled alongside (None until read, or without one)
    traffic: TrafficView | None = None

    @property
    def with_traffic(self) -> bool:
        """Deployed through a load balancer: the lifecycle has BlockTraffic and AllowTraffic."""
        return bool(self.target_groups)

    @property
    def final(self) -> bool:
        return self.status.final

    @property
    def is_rehearsal(self) -> bool:
        """A local rehearsal (folded from its events), not a CodeDeploy deployment."""
        return self.creator == "rehearsal"

    @property
    def duration(self) -> float | None:
        return seconds_between(self.started_at or self.created_at, self.completed_at)

    @cached_property
    def _index(self) -> dict[str, InstanceView]:
        return {i.target_id: i for i in self.instances}

    def instance(self, target_id: str) -> InstanceView | None:
        return self._index.get(target_id)

    def ignores(self, cell: LifecycleCell) -> bool:
        """Whether CodeDeploy went past this cell's failure: ApplicationStop (or a block-traffic
        hook) failed in a deployment with ignoreApplicationStopFailures."""
        return (
            self.ignore_application_stop_failures
            and cell.runs_previous_revision
            and cell.status is LifecycleStatus.FAILED
        )

    def failing_cell(self, instance: InstanceView) -> LifecycleCell | None:
        """The instance's first failed event that counts (ignored failures do not)."""
        return next(
            (
                c
                for c in instance.events
                if c.status is LifecycleStatus.FAILED and not self.ignores(c)
            ),
            None,
        )

    @property
    def failed_instances(self) -> tuple[InstanceView, ...]:
        """Instances with a failure that counts (see `failing_cell`)."""
        return tuple(i for i in self.instances if self.failing_cell(i) is not None)

    @property
    def ignored_failures(self) -> tuple[tuple[InstanceView, LifecycleCell], ...]:
        """(instance, cell) for every failure the deployment ignored."""
        return tuple((i, c) for i in self.instances for c in i.events if self.ignores(c))

    @property
    def total_instances(self) -> int:
        return len(self.instances) or self.overview.total


@dataclass(frozen=True)
class DeploymentSummary:
    """A past deployment of the group (history, duration sparkline)."""

    deployment_id: str
    status: DeploymentStatus
    created_at: datetime | None = None
    completed_at: datetime | None = None
    creator: str | None = None

    @property
    def duration(self) -> float | None:
        return seconds_between(self.created_at, self.completed_at)


# --- the whole picture ------------------------------------------------------------------------


@dataclass(frozen=True)
class ConnectionState:
    """Whether the last poll reached AWS; the banner the screen shows while it does not."""

    ok: bool = True
    problem: str | None = None
    since: datetime | None = None
    service: str | None = None
    operation: str | None = None


OutcomeResult = Literal["succeeded", "failed", "stopped", "error"]


@dataclass(frozen=True)
class Outcome:
    """How the followed execution/deployment ended (or why watching it had to stop)."""

    result: OutcomeResult
    subject: Literal["pipeline", "deployment"]
    subject_id: str
    message: str

    @property
    def exit_code(self) -> ExitCode:
        return {
            "succeeded": ExitCode.OK,
            "failed": ExitCode.DEPLOY_FAILED,
            "stopped": ExitCode.DEPLOY_STOPPED,
            "error": ExitCode.AWS_ERROR,
        }[self.result]


@dataclass(frozen=True)
class Snapshot:
    """Everything the monitor knows after one poll cycle. Never mutated."""

    sequence: int
    taken_at: datetime
    pipeline: PipelineView | None = None
    deployment: DeploymentView | None = None
    history: tuple[DeploymentSummary, ...] = ()
    connection: ConnectionState = field(default_factory=ConnectionState)
    #: The operation AWS throttled in this cycle, when it did.
    throttled_operation: str | None = None
    next_poll_seconds: float = 0.0
    #: Things the user should know about the data itself (an API the endpoint lacks, ...).
    notes: tuple[str, ...] = ()
    outcome: Outcome | None = None
    #: The agents of instances the deployment waits for (none of their events started yet).
    agents: tuple[AgentView, ...] = ()

    @property
    def waiting_agents(self) -> tuple[AgentView, ...]:
        return tuple(a for a in self.agents if a.waiting)

    @property
    def active(self) -> bool:
        """Something is running: poll fast."""
        followed = self.pipeline.followed if self.pipeline else None
        if followed is not None and not followed.final:
            return True
        return self.deployment is not None and not self.deployment.final
