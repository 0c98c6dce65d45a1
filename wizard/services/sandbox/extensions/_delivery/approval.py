"""Manual approval actions (category Approval, provider Manual) in the delivery engine.

An approval action starts waiting with a fresh token (a uuid; also its externalExecutionId, as
AWS gives it) and shows its CustomData as the summary while it waits. It has no scheduled end:
its end is `WAITING` (infinity) until PutApprovalResult decides it, so the clock-driven scheduler
simply finds nothing due for its execution (no thread, no timer). On AWS an approval nobody
answers fails after 7 days; the sandbox never times it out.

Approved: the action Succeeded and the stage's next runOrder group (or the next stage) follows.
Rejected: the action Failed (errorDetails JobFailed, "Rejected by <caller>"), so the stage and the
execution fail as with any failed action. The stage stays locked while the approval waits, so a
newer execution waits at the stage's entry and supersedes one already waiting there (the
SUPERSEDED mode's stage lock).
"""

from __future__ import annotations

import math
import uuid
from typing import Any

from wizard.services.sandbox.extensions._delivery.model import ActionRun

#: The end of an approval nobody has answered yet.
WAITING = math.inf
APPROVED, REJECTED = "Approved", "Rejected"


def is_manual_approval(declaration: dict[str, Any]) -> bool:
    kind = declaration.get("actionTypeId") or {}
    return kind.get("category") == "Approval" and kind.get("provider") == "Manual"


def wait(run: ActionRun) -> None:
    """Start waiting: a token, the CustomData shown as the summary, no end yet."""
    token = str(uuid.uuid4())
    run.token = token
    run.external_id = token
    run.status, run.end = "InProgress", WAITING
    custom = (run.declaration.get("configuration") or {}).get("CustomData")
    run.summary = str(custom) if custom else None


def waiting(run: ActionRun) -> bool:
    return run.token is not None and run.end == WAITING


def external_link(run: ActionRun) -> str | None:
    link = (run.declaration.get("configuration") or {}).get("ExternalEntityLink")
    return str(link) if link else None


def decide(run: ActionRun, *, status: str, summary: str, by: str, at: float) -> None:
    """Record PutApprovalResult on a waiting approval (the caller re-times its execution)."""
    run.end = round(at, 3)
    run.updated_by = by
    run.summary = summary or f"{status} by {by}"
    if status == APPROVED:
        run.status, run.error = "Succeeded", None
    else:
        run.status, run.error = "Failed", ("JobFailed", f"Rejected by {by}")
