"""Per-resource progress of a terraform run, as a pure reducer over the event stream.

    state = Progress()
    for event in events:
        state = reduce(state, event)     # never mutates; same events -> same state

Rows come from `planned_change` (so a saved-plan apply knows its total up front) and are updated
by the apply hooks; data-source reads (`action: read`) and no-ops are not rows. Elapsed times come
from the events' own timestamps, so replaying a recorded stream gives the same table; a live view
adds "now - started_at" for running rows itself. Used by plain output, the failed-apply report and
the TUI's apply screen.

Plain output and the apply screen call a resource by what it is in pipeline terms when the
plan summary says so, with its address in parentheses (`resource_labels`, `resource_name`,
`ResourceNames`): "artifact bucket demo-artifacts-… (module.artifacts.aws_s3_bucket.this)".
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from wizard.core.events.base import Event
from wizard.core.events.terraform import (
    PlanSummary,
    TfApplyComplete,
    TfApplyErrored,
    TfApplyProgress,
    TfApplyStart,
    TfChangeSummary,
    TfCommandFinished,
    TfCommandStarted,
    TfDiagnostic,
    TfPlannedChange,
    TfResourceEvent,
)

RowStatus = Literal["pending", "running", "done", "failed", "interrupted"]

#: Hook actions that are not infrastructure changes.
_NOT_CHANGES = frozenset({"read", "noop", ""})


@dataclass(frozen=True)
class ResourceRow:
    address: str
    action: str
    status: RowStatus = "pending"
    started_at: datetime | None = None
    elapsed_seconds: float = 0.0
    id_value: str | None = None
    error: str | None = None
    #: hook completions still expected (a replacement is a delete and a create)
    steps_left: int = 1


@dataclass(frozen=True)
class Counts:
    total: int = 0
    pending: int = 0
    running: int = 0
    done: int = 0
    failed: int = 0
    interrupted: int = 0

    def line(self) -> str:
        parts = [f"{self.done}/{self.total} done"]
        if self.running:
            parts.append(f"{self.running} running")
        if self.failed:
            parts.append(f"{self.failed} failed")
        if self.interrupted:
            parts.append(f"{self.interrupted} interrupted")
        return ", ".join(parts)


@dataclass(frozen=True)
class Progress:
    command: str = ""
    rows: Mapping[str, ResourceRow] = field(default_factory=dict)
    errors: tuple[str, ...] = ()
    summary: TfChangeSummary | None = None
    finished: bool = False
    exit_code: int | None = None
    interrupted: bool = False

    def counts(self) -> Counts:
        tally = {"pending": 0, "running": 0, "done": 0, "failed": 0, "interrupted": 0}
        for row in self.rows.values():
            tally[row.status] += 1
        return Counts(total=len(self.rows), **tally)

    def with_status(self, *statuses: RowStatus) -> list[ResourceRow]:
        return [row for row in self.rows.values() if row.status in statuses]

    @property
    def ok(self) -> bool:
        return self.finished and not self.interrupted and self.exit_code in (0, 2)


def reduce(state: Progress, event: Event) -> Progress:
    """The state after `event`. Events that do not concern progress return `state` itself."""
    if isinstance(event, TfCommandStarted):
        if event.command in ("plan", "apply", "destroy"):
            return Progress(command=event.command)
        return state
    if isinstance(event, TfPlannedChange):
        if event.action in _NOT_CHANGES or event.address in state.rows:
            return state
        steps = 2 if event.action == "replace" else 1
        return _put(state, ResourceRow(event.address, event.action, steps_left=steps))
    if isinstance(event, TfApplyStart):
        if _is_read(event):
            return state
        row = state.rows.get(event.address) or ResourceRow(event.address, event.action)
        return _put(
            state,
            dataclasses.replace(
                row,
                status="running",
                started_at=row.started_at or event.at,
                id_value=event.id_value or row.id_value,
            ),
        )
    if isinstance(event, TfApplyProgress):
        known = state.rows.get(event.address)
        if known is None or _is_read(event):
            return state
        return _put(state, dataclasses.replace(known, elapsed_seconds=_elapsed(known, event)))
    if isinstance(event, TfApplyComplete):
        if _is_read(event):
            return state
        row = state.rows.get(event.address) or ResourceRow(event.address, event.action)
        left = max(0, row.steps_left - 1)
        return _put(
            state,
            dataclasses.replace(
                row,
                status="done" if left == 0 else "running",
                steps_left=left,
                elapsed_seconds=_elapsed(row, event),
                id_value=event.id_value or row.id_value,
            ),
        )
    if isinstance(event, TfApplyErrored):
        if _is_read(event):
            return state
        row = state.rows.get(event.address) or ResourceRow(event.address, event.action)
        return _put(
            state,
            dataclasses.replace(row, status="failed", elapsed_seconds=_elapsed(row, event)),
        )
    if isinstance(event, TfDiagnostic):
        if event.severity != "error":
            return state
        detail = event.detail_line
        reason = event.summary_text + (f": {detail}" if detail else "")
        if event.address:
            row = state.rows.get(event.address) or ResourceRow(event.address, "", status="failed")
            if row.error:  # keep the first (root) cause
                return state
            return _put(state, dataclasses.replace(row, error=reason))
        return dataclasses.replace(state, errors=(*state.errors, reason))
    if isinstance(event, TfChangeSummary):
        return dataclasses.replace(state, summary=event)
    if isinstance(event, TfCommandFinished):
        rows = state.rows
        if event.interrupted or event.exit_code not in (0, 2):
            rows = {
                addr: dataclasses.replace(row, status="interrupted")
                if row.status == "running"
                else row
                for addr, row in rows.items()
            }
        return dataclasses.replace(
            state,
            rows=rows,
            finished=True,
            exit_code=event.exit_code,
            interrupted=event.interrupted,
        )
    return state


def replay(events: Iterable[Event], state: Progress | None = None) -> Progress:
    """Fold `reduce` over `events`."""
    current = state or Progress()
    for event in events:
        current = reduce(current, event)
    return current


def _put(state: Progress, row: ResourceRow) -> Progress:
    rows = dict(state.rows)
    rows[row.address] = row
    return dataclasses.replace(state, rows=rows)


def _is_read(event: TfResourceEvent) -> bool:
    return event.is_data_read or event.action in _NOT_CHANGES - {""}


def _elapsed(row: ResourceRow, event: Event) -> float:
    reported = float(getattr(event, "elapsed_seconds", 0.0) or 0.0)
    if row.started_at is not None:
        measured = (event.at - row.started_at).total_seconds()
        return max(reported, measured, row.elapsed_seconds)
    return max(reported, row.elapsed_seconds)


# --- resources in pipeline terms --------------------------------------------------------------


def resource_labels(summary: PlanSummary | None) -> dict[str, str]:
    """address -> what it is in pipeline terms ("artifact bucket demo-artifacts-…", "IAM role
    demo-pipeline"), from the plan summary: each item's own label per resource, else the item's
    text when it is about exactly one resource (a group's "4 IAM roles" would repeat on every
    one of its resources, so those keep their bare address)."""
    labels: dict[str, str] = {}
    for item in summary.items if summary is not None else ():
        if len(item.labels) == len(item.addresses):
            labels.update(
                (a, label) for a, label in zip(item.addresses, item.labels, strict=True) if label
            )
        elif len(item.addresses) == 1:
            labels[item.addresses[0]] = item.what
    return labels


def resource_name(address: str, labels: Mapping[str, str]) -> str:
    """`artifact bucket demo-… (module.artifacts.aws_s3_bucket.this)`, or the bare address."""
    label = labels.get(address)
    return f"{label} ({address})" if label else address


class ResourceNames:
    """Plain lines for a terraform event stream that name resources in pipeline terms once the
    plan summary has gone by (`line` is a `PlainSink` describer)."""

    def __init__(self) -> None:
        self.labels: dict[str, str] = {}

    def line(self, event: Event) -> str:
        if isinstance(event, PlanSummary):
            self.labels = resource_labels(event)
        if isinstance(event, TfResourceEvent):
            return event.line(resource_name(event.address, self.labels))
        return event.summary()
