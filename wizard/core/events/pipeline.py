"""CodePipeline executions, stages and actions, plus the monitor's own health events.

Produced by the AWS pipeline poller (through `wizard.core.timeline.diff`), consumed by the monitor
screen, plain lines and NDJSON. Status values are CodePipeline's own strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Literal

from wizard.core.events.base import Event, Level, format_duration, plural, seconds_between

#: `PipelineExecutionStatus` values that never change again.
FINAL_EXECUTION_STATUSES: frozenset[str] = frozenset(
    {"Cancelled", "Stopped", "Succeeded", "Superseded", "Failed"}
)
#: Final statuses of an execution that was stopped or replaced rather than failed.
STOPPED_EXECUTION_STATUSES: frozenset[str] = frozenset({"Stopped", "Cancelled", "Superseded"})


def short_commit(commit_id: str | None) -> str:
    """The 7-character form people recognise from git."""
    return (commit_id or "")[:7]


def first_line(text: str | None, limit: int = 72) -> str:
    """First line of a commit message, cut to `limit` characters."""
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


@dataclass(frozen=True, kw_only=True)
class PipelineExecutionStarted(Event):
    """An execution was seen for the first time (started, or already running when we attached)."""

    kind: ClassVar[str] = "pipeline.execution_started"
    pipeline: str
    execution_id: str
    status: str
    commit_id: str | None = None
    commit_message: str | None = None
    trigger_type: str | None = None
    trigger_detail: str | None = None
    started_at: datetime | None = None

    def summary(self) -> str:
        line = f"pipeline {self.pipeline}: execution {self.execution_id[:8]} {self.status}"
        if self.commit_id:
            line += f" — commit {short_commit(self.commit_id)}"
            if self.commit_message:
                line += f' "{first_line(self.commit_message)}"'
        if self.trigger_type:
            line += f" (trigger {self.trigger_type})"
        return line


@dataclass(frozen=True, kw_only=True)
class PipelineExecutionChanged(Event):
    """The followed execution changed status without finishing (e.g. InProgress -> Stopping)."""

    kind: ClassVar[str] = "pipeline.execution_changed"
    pipeline: str
    execution_id: str
    status: str
    previous_status: str | None = None
    status_summary: str | None = None

    def summary(self) -> str:
        line = f"pipeline {self.pipeline}: execution {self.execution_id[:8]} {self.status}"
        return line + (f": {self.status_summary}" if self.status_summary else "")


@dataclass(frozen=True, kw_only=True)
class PipelineExecutionFinished(Event):
    """The followed execution reached a final status."""

    kind: ClassVar[str] = "pipeline.execution_finished"
    pipeline: str
    execution_id: str
    status: str
    status_summary: str | None = None
    duration_seconds: float | None = None
    #: Plain-words reason, e.g. "branch 'master' does not exist in repository 'x' yet".
    explanation: str | None = None

    def implied_level(self) -> Level:
        return "info" if self.status == "Succeeded" else "error"

    def summary(self) -> str:
        took = (
            f" after {format_duration(self.duration_seconds)}"
            if self.duration_seconds is not None
            else ""
        )
        line = f"pipeline {self.pipeline}: execution {self.execution_id[:8]} {self.status}{took}"
        reason = self.explanation or self.status_summary
        return line + (f": {reason}" if reason else "")


@dataclass(frozen=True, kw_only=True)
class StageChanged(Event):
    """A stage of the followed execution changed status."""

    kind: ClassVar[str] = "pipeline.stage"
    pipeline: str
    execution_id: str
    stage: str
    status: str
    previous_status: str | None = None

    def implied_level(self) -> Level:
        return "error" if self.status == "Failed" else "info"

    def summary(self) -> str:
        return f"stage {self.stage}: {self.status}"


@dataclass(frozen=True, kw_only=True)
class ActionChanged(Event):
    """An action of the followed execution changed status (with its error when it failed)."""

    kind: ClassVar[str] = "pipeline.action"
    pipeline: str
    execution_id: str
    stage: str
    action: str
    status: str
    previous_status: str | None = None
    summary_text: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    external_execution_id: str | None = None
    external_url: str | None = None
    started_at: datetime | None = None
    updated_at: datetime | None = None

    def implied_level(self) -> Level:
        return "error" if self.status == "Failed" else "info"

    @property
    def duration(self) -> float | None:
        if self.status == "InProgress":
            return None
        return seconds_between(self.started_at, self.updated_at)

    def summary(self) -> str:
        took = f" in {format_duration(self.duration)}" if self.duration is not None else ""
        line = f"stage {self.stage} action {self.action}: {self.status}{took}"
        if self.status == "Failed" and (self.error_message or self.error_code):
            line += f" — {self.error_message or self.error_code}"
        return line


@dataclass(frozen=True, kw_only=True)
class DeploymentLinked(Event):
    """The CodeDeploy action of an execution named its deployment (its `externalExecutionId`)."""

    kind: ClassVar[str] = "pipeline.deployment_linked"
    pipeline: str
    execution_id: str
    stage: str
    action: str
    deployment_id: str

    def summary(self) -> str:
        return f"stage {self.stage} action {self.action} runs deployment {self.deployment_id}"


@dataclass(frozen=True, kw_only=True)
class ConnectionProblem(Event):
    """AWS could not be reached (network down, DNS, timeouts). Polling continues and recovers."""

    kind: ClassVar[str] = "connection.problem"
    level: Literal["debug", "info", "warn", "error"] = "warn"
    service: str
    operation: str
    message: str
    retry_in_seconds: float

    def summary(self) -> str:
        return (
            f"cannot reach AWS ({self.service} {self.operation}): {self.message} — "
            f"retrying in {format_duration(self.retry_in_seconds)}"
        )


@dataclass(frozen=True, kw_only=True)
class ConnectionRestored(Event):
    """AWS answers again after a connection problem."""

    kind: ClassVar[str] = "connection.restored"
    down_seconds: float

    def summary(self) -> str:
        return f"connection to AWS restored after {format_duration(self.down_seconds)}"


@dataclass(frozen=True, kw_only=True)
class PollingThrottled(Event):
    """AWS throttled a call even after botocore's retries; the monitor polls less often."""

    kind: ClassVar[str] = "polling.throttled"
    level: Literal["debug", "info", "warn", "error"] = "warn"
    operation: str
    interval_seconds: float

    def summary(self) -> str:
        return (
            f"AWS is throttling {self.operation}; polling every "
            f"{format_duration(self.interval_seconds)} until it eases"
        )


FailureSubject = Literal["pipeline", "deployment"]


@dataclass(frozen=True, kw_only=True)
class FailureExplained(Event):
    """What an opaque failure means and what to do about it.

    `headline` is the short form ("2 of 3 instances failed at AfterInstall (exit 2)"; the
    finished event already carries it), `explanation` the why, `remedy` the next step in words.
    `action` names the monitor action that does it (e.g. `redeploy_ignore_stop`, `ship`) so a
    screen can offer it as one key.
    """

    kind: ClassVar[str] = "failure.explained"
    level: Literal["debug", "info", "warn", "error"] = "error"
    subject: FailureSubject
    subject_id: str
    headline: str
    explanation: str | None = None
    remedy: str | None = None
    action: str | None = None

    def summary(self) -> str:
        parts = [self.explanation] if self.explanation else []
        if self.remedy:
            parts.append(f"What to do: {self.remedy}.")
        return " ".join(parts) or self.headline


@dataclass(frozen=True, kw_only=True)
class CommitPushed(Event):
    """`cdwizard ship` pushed the payload to the pipeline's branch (or found it already there)."""

    kind: ClassVar[str] = "source.pushed"
    repository: str
    branch: str
    commit_id: str
    files: int
    created_branch: bool = False
    unchanged: bool = False

    def summary(self) -> str:
        if self.unchanged:
            return (
                f"{self.repository}:{self.branch} already holds this payload "
                f"(commit {short_commit(self.commit_id)})"
            )
        made = " (new branch)" if self.created_branch else ""
        return (
            f"pushed {plural(self.files, 'file')} to "
            f"{self.repository}:{self.branch}{made} as commit {short_commit(self.commit_id)}"
        )


@dataclass(frozen=True, kw_only=True)
class ObjectUploaded(Event):
    """`cdwizard ship` uploaded the payload zip to the S3 source key (or found it there)."""

    kind: ClassVar[str] = "source.uploaded"
    bucket: str
    key: str
    version_id: str
    files: int
    etag: str | None = None
    unchanged: bool = False

    def summary(self) -> str:
        where = f"s3://{self.bucket}/{self.key}"
        if self.unchanged:
            return f"{where} already holds this payload (version {self.version_id})"
        return f"uploaded {plural(self.files, 'file')} to {where} as version {self.version_id}"


@dataclass(frozen=True, kw_only=True)
class SourceRead(Event):
    """The followed execution's source action read its revision: the commit (id, message,
    author date, repository and branch) or the S3 object version (id, ETag)."""

    kind: ClassVar[str] = "pipeline.source"
    pipeline: str
    execution_id: str
    provider: str
    revision_id: str | None = None
    description: str

    def summary(self) -> str:
        return f"source: {self.description}"
