"""The simulation's state: plain, picklable data hung on moto's own objects.

A deployment's whole schedule (`DeploymentRun`) is computed when it is created; a pipeline
execution (`ExecutionRun`) is scheduled stage by stage as the clock passes its milestones. Times
are absolute epoch seconds. Nothing here holds a lock, a function or a moto object, so the
launcher's pickling of moto's backends saves and restores runs with them, and a later process
computes the same state from the same schedule.

What an API shows at time `t` is a pure function of these records and `t` (`status_at`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Attribute names on moto objects.
DEPLOYMENT_ATTR = "_cdwizard_run"  # on moto.codedeploy DeploymentInfo
PIPELINE_ATTR = "_cdwizard_runs"  # on moto.codepipeline CodePipeline
COMMAND_ATTR = "_cdwizard_outputs"  # on moto.ssm Command


# --- CodeDeploy -------------------------------------------------------------------------------


def _status_at(start: float | None, end: float, status: str, t: float) -> str:
    """Pending, InProgress from `start`, `status` from `end` (no `start`: it never runs)."""
    if start is None:
        return "Pending" if t < end else status
    if t < start:
        return "Pending"
    return "InProgress" if t < end else status


@dataclass
class EventRun:
    """One lifecycle event on one instance. `start` None: it never runs (Pending, then `status`,
    i.e. Skipped, from `end`)."""

    name: str
    status: str
    start: float | None
    end: float
    error_code: str = "Success"
    script_name: str = ""
    message: str = "Succeeded"
    log_tail: str = ""
    #: `scripts.log` entries this event writes: (time, message with its newline)
    log: list[tuple[float, str]] = field(default_factory=list)
    #: False for events the agent does not report on (the service's own BlockTraffic and
    #: AllowTraffic): the API shows no diagnostics for them
    diagnostics: bool = True

    def status_at(self, t: float) -> str:
        return _status_at(self.start, self.end, self.status, t)


@dataclass
class TargetRun:
    """One instance of a deployment: its events in order and its overall result."""

    instance_id: str
    arn: str
    events: list[EventRun]
    status: str
    start: float | None
    end: float

    def status_at(self, t: float) -> str:
        return _status_at(self.start, self.end, self.status, t)

    def updated_at(self, t: float, created: float) -> float:
        times = [created]
        for event in self.events:
            times += [x for x in (event.start, event.end) if x is not None and x <= t]
        return max(times)

    def install_end(self) -> float | None:
        """When Install succeeded here (the agent's last-successful-install pointer moves)."""
        for event in self.events:
            if event.name == "Install" and event.status == "Succeeded" and event.start is not None:
                return event.end
        return None


@dataclass(frozen=True)
class TrafficStep:
    """One change of an instance's registration with the group's target groups at `at`:
    `drain`, `deregister`, `register` (`passing`: the state it stays in when it cannot turn
    healthy) or `healthy`."""

    at: float
    instance_id: str
    action: str
    target_groups: tuple[str, ...]
    passing: tuple[str, str, str] | None = None


@dataclass
class Bundle:
    """What later deployments need from a revision: the appspec and the hook scripts it names
    (path inside the bundle -> content), or why the bundle could not be read."""

    files: dict[str, bytes] = field(default_factory=dict)
    problem: str | None = None


@dataclass
class DeploymentRun:
    """A deployment's schedule: Created until `start`, InProgress until `end`, then `status`."""

    deployment_id: str
    group_id: str
    application: str
    group: str
    config_name: str
    created: float
    start: float
    end: float
    status: str
    revision: dict[str, Any]
    previous_revision: dict[str, Any] | None
    creator: str
    ignore_stop_failures: bool
    targets: list[TargetRun]
    bundle: Bundle
    error_code: str | None = None
    error_message: str | None = None
    description: str | None = None
    file_exists_behavior: str | None = None
    auto_rollback: dict[str, Any] | None = None
    #: rollbackInfo fields: rollbackDeploymentId / rollbackTriggeringDeploymentId / rollbackMessage
    rollback: dict[str, str] = field(default_factory=dict)
    #: roll back (create a codeDeployRollback deployment) at `end`, once the clock passes it
    rollback_due: bool = False
    stopped_at: float | None = None
    #: the pipeline action that created it: (pipeline, execution id, action execution id)
    link: tuple[str, str, str] | None = None
    #: load balancer registration changes its traffic events make, in time order; the first
    #: `traffic_done` have been performed
    traffic: list[TrafficStep] = field(default_factory=list)
    traffic_done: int = 0

    def status_at(self, t: float) -> str:
        if t < self.start:
            return "Created"
        return "InProgress" if t < self.end else self.status

    def target(self, instance_id: str) -> TargetRun | None:
        return next((x for x in self.targets if x.instance_id == instance_id), None)


# --- CodePipeline -----------------------------------------------------------------------------


@dataclass
class ActionRun:
    """One attempt of one action. Final `status` from `end` (InProgress before)."""

    action_execution_id: str
    stage: str
    action: str
    declaration: dict[str, Any]
    start: float
    end: float
    status: str
    input_artifacts: list[dict[str, Any]] = field(default_factory=list)
    output_artifacts: list[dict[str, Any]] = field(default_factory=list)
    external_id: str | None = None
    summary: str | None = None
    error: tuple[str, str] | None = None
    output_variables: dict[str, str] = field(default_factory=dict)
    #: a source action's revision: revisionId, revisionSummary, created
    revision: dict[str, Any] | None = None
    deployment_id: str | None = None
    #: a manual approval's token (while it waits its `end` is infinity: `approval.WAITING`)
    token: str | None = None
    #: who decided a manual approval (PutApprovalResult's caller)
    updated_by: str | None = None

    def status_at(self, t: float) -> str:
        return "InProgress" if t < self.end else self.status

    @property
    def provider(self) -> str:
        return str(self.declaration.get("actionTypeId", {}).get("provider", ""))


@dataclass
class StageRun:
    """An execution's passage through one stage (retries reopen it)."""

    name: str
    index: int
    enter: float
    end: float | None = None
    status: str | None = None
    actions: list[ActionRun] = field(default_factory=list)
    #: index of the runOrder group that runs (or ran last)
    group: int = 0
    #: RetryStageExecution FAILED_ACTIONS: the actions the next group start re-runs
    retry_only: list[str] | None = None

    def status_at(self, t: float) -> str:
        if self.end is None or t < self.end or self.status is None:
            return "InProgress"
        return self.status


@dataclass
class ExecutionRun:
    """A pipeline execution and its next milestone (`next_kind` at `next_at`)."""

    execution_id: str
    pipeline_version: int
    trigger_type: str
    trigger_detail: str | None
    start: float
    variables: list[dict[str, str]] = field(default_factory=list)
    #: source action name -> commit id to use (StartPipelineExecution sourceRevisions)
    overrides: dict[str, str] = field(default_factory=dict)
    stages: list[StageRun] = field(default_factory=list)
    #: "enter" (stage `next_stage`), "group" (start a runOrder group), "group_done", "wait"
    #: (blocked at the entry of stage `next_stage`) or None (finished)
    next_kind: str | None = "enter"
    next_at: float | None = None
    next_stage: int = 0
    status: str | None = None
    end: float | None = None
    #: {"at": time, "abandon": bool, "reason": str}
    stop: dict[str, Any] | None = None
    #: retries of failed stages, in order (RetryStageExecution requests)
    retries: int = 0

    @property
    def done(self) -> bool:
        return self.next_kind is None

    def status_at(self, t: float) -> str:
        if self.end is not None and t >= self.end and self.status is not None:
            return self.status
        if self.stop is not None and t >= self.stop["at"]:
            return "Stopping"
        return "InProgress"

    def stage_run(self, name: str) -> StageRun | None:
        found = [s for s in self.stages if s.name == name]
        return found[-1] if found else None


@dataclass
class PipelineRuns:
    """A pipeline's executions (oldest first), which stage each holds, and a due poll."""

    executions: list[ExecutionRun] = field(default_factory=list)
    #: stage name -> execution id holding it
    occupants: dict[str, str] = field(default_factory=dict)
    #: stage name -> execution ids waiting to enter it, oldest first
    waiting: dict[str, list[str]] = field(default_factory=dict)
    #: PollForSourceChanges: when polling will notice the branch moved
    poll_due: float | None = None
    #: "<repository>/<branch>" -> the head last seen (None: no branch)
    heads: dict[str, str | None] = field(default_factory=dict)

    def execution(self, execution_id: str) -> ExecutionRun | None:
        return next((e for e in self.executions if e.execution_id == execution_id), None)
