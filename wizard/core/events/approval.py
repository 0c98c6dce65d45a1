"""Manual approvals of a pipeline execution: an `Approve-<env>` stage waiting for someone, then
approved or rejected (with who and their comment).

Produced by `wizard.core.timeline.diff` from the pipeline poller's views (an action whose
provider is `Manual`), consumed by the monitor screen, plain lines and NDJSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from wizard.core.events.base import Event, Level

#: The provider of CodePipeline's manual approval action (category Approval, owner AWS).
APPROVAL_PROVIDER = "Manual"


@dataclass(frozen=True, kw_only=True)
class _Approval(Event):
    pipeline: str
    stage: str
    action: str
    execution_id: str


@dataclass(frozen=True, kw_only=True)
class ApprovalWaiting(_Approval):
    """A manual approval started waiting: its message and link, and whether its token (needed
    to answer it) was readable."""

    kind: ClassVar[str] = "approval.waiting"
    message: str | None = None
    url: str | None = None
    token_present: bool = False

    def implied_level(self) -> Level:
        return "warn"

    def summary(self) -> str:
        line = f"stage {self.stage} waits for approval"
        if self.message:
            line += f': "{self.message}"'
        if self.url:
            line += f" (review {self.url})"
        return line


@dataclass(frozen=True, kw_only=True)
class ApprovalApproved(_Approval):
    """The approval was approved; the next stage runs."""

    kind: ClassVar[str] = "approval.approved"
    by: str | None = None
    comment: str | None = None

    def summary(self) -> str:
        line = f"stage {self.stage} approved"
        line += f" by {self.by}" if self.by else ""
        return line + (f': "{self.comment}"' if self.comment else "")


@dataclass(frozen=True, kw_only=True)
class ApprovalRejected(_Approval):
    """The approval was rejected; the stage and the execution fail."""

    kind: ClassVar[str] = "approval.rejected"
    by: str | None = None
    comment: str | None = None

    def implied_level(self) -> Level:
        return "error"

    def summary(self) -> str:
        line = f"stage {self.stage} rejected"
        line += f" by {self.by}" if self.by else ""
        return line + (f': "{self.comment}"' if self.comment else "")
