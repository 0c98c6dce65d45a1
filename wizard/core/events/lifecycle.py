"""CodeDeploy deployments and their per-instance lifecycle events.

Produced by the AWS deployment poller (real CodeDeploy) and by the local rehearsal (which runs the
hooks the way the agent does), consumed by the monitor screen, plain lines and NDJSON. The names
and status values are CodeDeploy's own, so a rehearsal and a real deployment read the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import ClassVar, Literal

from wizard.core.events.base import Event, Level, format_duration, plural, seconds_between

#: In-place deployment without a load balancer, in the order the service sends them.
IN_PLACE_EVENTS: tuple[str, ...] = (
    "ApplicationStop",
    "DownloadBundle",
    "BeforeInstall",
    "Install",
    "AfterInstall",
    "ApplicationStart",
    "ValidateService",
)

#: The full in-place order when traffic is blocked/allowed through a load balancer.
IN_PLACE_EVENTS_WITH_TRAFFIC: tuple[str, ...] = (
    "BeforeBlockTraffic",
    "BlockTraffic",
    "AfterBlockTraffic",
    *IN_PLACE_EVENTS,
    "BeforeAllowTraffic",
    "AllowTraffic",
    "AfterAllowTraffic",
)

#: Events the agent runs appspec hook scripts for.
SCRIPTABLE_EVENTS: frozenset[str] = frozenset(
    {
        "BeforeBlockTraffic",
        "AfterBlockTraffic",
        "ApplicationStop",
        "BeforeInstall",
        "AfterInstall",
        "ApplicationStart",
        "ValidateService",
        "BeforeAllowTraffic",
        "AfterAllowTraffic",
    }
)

#: The events the agent runs hook scripts for, in the order a deployment runs them.
SCRIPTABLE_IN_ORDER: tuple[str, ...] = tuple(
    e for e in IN_PLACE_EVENTS_WITH_TRAFFIC if e in SCRIPTABLE_EVENTS
)

#: Events the service itself performs (load balancer registration); no agent involved.
SERVICE_EVENTS: frozenset[str] = frozenset({"BlockTraffic", "AllowTraffic"})

#: Hooks that run the *last successful* revision's scripts, not the new one's.
PREVIOUS_REVISION_EVENTS: frozenset[str] = frozenset(
    {"BeforeBlockTraffic", "AfterBlockTraffic", "ApplicationStop"}
)


class LifecycleStatus(StrEnum):
    """`LifecycleEvent.status` in the CodeDeploy API."""

    PENDING = "Pending"
    IN_PROGRESS = "InProgress"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    SKIPPED = "Skipped"
    UNKNOWN = "Unknown"

    @property
    def final(self) -> bool:
        return self in (self.SUCCEEDED, self.FAILED, self.SKIPPED)


class DeploymentStatus(StrEnum):
    """`DeploymentInfo.status` in the CodeDeploy API."""

    CREATED = "Created"
    QUEUED = "Queued"
    IN_PROGRESS = "InProgress"
    BAKING = "Baking"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    STOPPED = "Stopped"
    READY = "Ready"

    @property
    def final(self) -> bool:
        return self in (self.SUCCEEDED, self.FAILED, self.STOPPED)


#: `Diagnostics.errorCode` values of the API.
ErrorCode = Literal[
    "Success",
    "ScriptMissing",
    "ScriptNotExecutable",
    "ScriptTimedOut",
    "ScriptFailed",
    "UnknownError",
]


@dataclass(frozen=True, kw_only=True)
class Diagnostics:
    """Why a lifecycle event failed, as the agent reports it (the API's `Diagnostics`)."""

    error_code: str
    script_name: str = ""
    message: str = ""
    log_tail: str = ""


Origin = Literal["codedeploy", "rehearsal"]


@dataclass(frozen=True, kw_only=True)
class DeploymentStarted(Event):
    """A deployment was found (monitor) or begun (rehearsal)."""

    kind: ClassVar[str] = "deployment.started"
    deployment_id: str
    application: str
    group: str
    origin: Origin = "codedeploy"
    group_id: str | None = None
    targets: tuple[str, ...] = ()
    events: tuple[str, ...] = IN_PLACE_EVENTS
    revision: str | None = None
    creator: str | None = None

    def summary(self) -> str:
        where = "rehearsal" if self.origin == "rehearsal" else "deployment"
        n = len(self.targets)
        on = f" on {plural(n, 'instance')}" if n else ""
        rev = f" of {self.revision}" if self.revision else ""
        return f"{where} {self.deployment_id}{rev} ({self.application}/{self.group}){on}"


@dataclass(frozen=True, kw_only=True)
class LifecycleEventChanged(Event):
    """One instance's lifecycle event changed status (started, succeeded, failed, skipped)."""

    kind: ClassVar[str] = "lifecycle.event"
    deployment_id: str
    target_id: str
    event: str
    status: LifecycleStatus
    started_at: datetime | None = None
    ended_at: datetime | None = None
    diagnostics: Diagnostics | None = None
    #: Set for ApplicationStop & co. when the scripts came from an older revision.
    ran_revision: str | None = None

    def implied_level(self) -> Level:
        return "error" if self.status is LifecycleStatus.FAILED else "info"

    @property
    def duration(self) -> float | None:
        return seconds_between(self.started_at, self.ended_at)

    def summary(self) -> str:
        took = f" in {format_duration(self.duration)}" if self.duration is not None else ""
        line = f"{self.target_id} {self.event}: {self.status.value}{took}"
        if self.diagnostics and self.status is LifecycleStatus.FAILED:
            d = self.diagnostics
            script = f" [{d.script_name}]" if d.script_name else ""
            line += f" — {d.error_code}{script}: {d.message}"
        return line


@dataclass(frozen=True, kw_only=True)
class HookOutput(Event):
    """A line a hook script printed (rehearsal live; monitor when the full log is fetched)."""

    kind: ClassVar[str] = "lifecycle.output"
    deployment_id: str
    target_id: str
    event: str
    stream: Literal["stdout", "stderr"]
    text: str

    def summary(self) -> str:
        return f"{self.target_id} {self.event} [{self.stream}] {self.text}"


@dataclass(frozen=True, kw_only=True)
class DeploymentStatusChanged(Event):
    """A running deployment changed status or instance counts (InProgress, 1 of 3 done)."""

    kind: ClassVar[str] = "deployment.status"
    deployment_id: str
    status: DeploymentStatus
    previous_status: DeploymentStatus | None = None
    overview: Mapping[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        counts = ", ".join(
            f"{n} {name.lower().replace('inprogress', 'in progress')}"
            for name, n in self.overview.items()
            if n
        )
        return f"deployment {self.deployment_id} {self.status.value}" + (
            f": {counts}" if counts else ""
        )


@dataclass(frozen=True, kw_only=True)
class DeploymentFinished(Event):
    """The deployment reached a final status."""

    kind: ClassVar[str] = "deployment.finished"
    deployment_id: str
    status: DeploymentStatus
    error_code: str | None = None
    error_message: str | None = None
    #: Plain-words explanation of an opaque error (e.g. HEALTH_CONSTRAINTS), when one is known.
    explanation: str | None = None
    overview: Mapping[str, int] = field(default_factory=dict)
    duration_seconds: float | None = None
    rollback_deployment_id: str | None = None

    def implied_level(self) -> Level:
        return "info" if self.status is DeploymentStatus.SUCCEEDED else "error"

    def summary(self) -> str:
        took = (
            f" after {format_duration(self.duration_seconds)}"
            if self.duration_seconds is not None
            else ""
        )
        line = f"deployment {self.deployment_id} {self.status.value}{took}"
        if self.explanation:
            line += f": {self.explanation}"
        elif self.error_message:
            line += f": {self.error_message}"
        return line


@dataclass(frozen=True, kw_only=True)
class AgentStatusChanged(Event):
    """What is known of an instance's CodeDeploy agent while a deployment waits for it:
    `agent not yet running on i-… (installing since 2 min)`, then running (or failed)."""

    kind: ClassVar[str] = "agent.status"
    instance_id: str
    #: running | installing | failed | unknown (`wizard.core.agent_health.AgentState`)
    state: str
    since: datetime | None = None
    detail: str | None = None
    #: the line as the monitor words it at the time of the poll
    text: str = ""

    def __post_init__(self) -> None:
        if self.state == "failed" and self.level == "info":
            object.__setattr__(self, "level", "error")

    def summary(self) -> str:
        return self.text or f"agent on {self.instance_id}: {self.state}"
