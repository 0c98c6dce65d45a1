"""The monitor screen's smaller parts: the pipeline flow, the execution history, the deployment
overview with its duration sparkline, the failure panel and the connection banner.

The `*_content` functions are pure (a view and a clock in, styled text out), so tests read them
without an app. User-supplied text (commit messages, log lines) goes in through `$variables`,
never as markup.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from datetime import datetime

from rich.text import Text
from textual.content import Content
from textual.reactive import var
from textual.widgets import DataTable

from wizard.core.agent_log import parse_scripts_log
from wizard.core.events.base import format_duration, seconds_between
from wizard.core.events.lifecycle import DeploymentStatus
from wizard.core.events.pipeline import first_line, short_commit
from wizard.core.timeline import (
    DeploymentSummary,
    DeploymentView,
    ExecutionView,
    FailureReport,
    PipelineView,
    Snapshot,
    StageView,
)
from wizard.tui.theme import THEME
from wizard.tui.widgets.monitor_grid import MUTED

#: status -> (icon, theme variable) for stages, actions and executions
_STATUS: dict[str, tuple[str, str]] = {
    "Succeeded": ("✓", "$success"),
    "InProgress": ("▶", "$secondary"),
    "Failed": ("✗", "$error"),
    "Stopped": ("■", "$warning"),
    "Stopping": ("■", "$warning"),
    "Cancelled": ("⊘", "$text-muted"),
    "Superseded": ("⊘", "$text-muted"),
    "Abandoned": ("⊘", "$text-muted"),
}

_RICH_STATUS: dict[str, str] = {
    "Succeeded": THEME.success or "green",
    "InProgress": THEME.secondary or "blue",
    "Failed": THEME.error or "red",
    "Stopped": THEME.warning or "yellow",
    "Stopping": THEME.warning or "yellow",
}


def ago(when: datetime | None, now: datetime) -> str:
    """`12s ago`, `3m05s ago`, `—`."""
    if when is None:
        return "—"
    return f"{format_duration((now - when).total_seconds())} ago"


def status_mark(status: str | None) -> Content:
    if status is None:
        return Content.from_markup("[$text-muted]·[/]")
    icon, colour = _STATUS.get(status, ("•", "$text-muted"))
    return Content.from_markup(f"[{colour}]{icon}[/]")


# --- pipeline flow ------------------------------------------------------------------------------


def stage_time(stage: StageView, now: datetime) -> float | None:
    """How long the stage took (or has been running), from its actions' timestamps."""
    starts = (a.started_at or a.updated_at for a in stage.actions if a.status)
    begin = min((s for s in starts if s is not None), default=None)
    if begin is None:
        return None
    if stage.status == "InProgress":
        return seconds_between(begin, now)
    ends = [a.updated_at for a in stage.actions if a.updated_at is not None]
    return seconds_between(begin, max(ends)) if ends else None


def flow_content(pipeline: PipelineView, now: datetime) -> Content:
    """`Source ✓ 4s ━━▶ Deploy ▶ 1m02s`, the followed execution (status, commit, trigger), and
    the failed action's error, if any."""
    parts: list[Content] = []
    for stage in pipeline.stages:
        took = stage_time(stage, now)
        shown = f" {format_duration(took)}" if took is not None else ""
        style = "b" if stage.status else "$text-muted"
        waits = stage.status == "InProgress" and any(a.is_approval for a in stage.actions)
        mark = Content.from_markup("[$warning]⏸[/]") if waits else status_mark(stage.status)
        part = Content.from_markup(f"[{style}]$name[/] ", name=stage.name) + mark
        part += Content.from_markup("[$text-muted]$t[/]", t=shown)
        parts.append(part)
    arrow = Content.from_markup("  [$text-muted]━━▶[/]  ")
    if not parts:
        rows = [Content.from_markup("[$text-muted](no stages)[/]")]
    elif len(parts) <= 2:
        rows = [arrow.join(parts)]
    else:  # a stage per environment (and approvals): two stages a line, the arrow carries on
        pairs = [parts[k : k + 2] for k in range(0, len(parts), 2)]
        rows = [
            arrow.join(pair) + (arrow if k < len(pairs) - 1 else Content(""))
            for k, pair in enumerate(pairs)
        ]
    lines = [*rows, *execution_lines(pipeline, now)]
    lines += approval_lines(pipeline)
    failed = pipeline.failed_action
    if failed is not None and (failed.error_message or failed.error_code):
        lines.append(
            Content.from_markup(
                "[$error]✗ $stage/$action: $why[/]",
                stage=failed.stage,
                action=failed.name,
                why=first_line(failed.error_message or failed.error_code, 160),
            )
        )
    return Content("\n").join(lines)


def approval_lines(pipeline: PipelineView) -> list[Content]:
    """A waiting manual approval: its stage, message and link, and the keys that answer it."""
    waiting = pipeline.waiting_approval
    if waiting is None:
        return []
    lines = [
        Content.from_markup(
            "[$warning]⏸ $stage waits[/] [$text-muted]· v approve · x reject[/]",
            stage=waiting.stage,
        )
    ]
    said = first_line(waiting.approval_message, 160) if waiting.approval_message else ""
    if said or waiting.approval_url:
        link = waiting.approval_url or ""
        lines.append(
            Content.from_markup(
                "  $m[$text-muted]$sep[/]$u", m=said, sep=" · review " if link else "", u=link
            )
        )
    return lines


#: `trigger.triggerType` in a few words
TRIGGER_WORDS: dict[str, str] = {
    "CloudWatchEvent": "push (event)",
    "PollForSourceChanges": "push (poll)",
    "Webhook": "webhook",
    "WebhookV2": "webhook",
    "StartPipelineExecution": "release",
    "CreatePipeline": "created",
    "PutActionRevision": "new revision",
    "ManualRollback": "rollback",
    "AutomatedRollback": "auto rollback",
}


def trigger_words(trigger: str | None) -> str:
    return TRIGGER_WORDS.get(trigger or "", trigger or "")


def execution_lines(pipeline: PipelineView, now: datetime) -> list[Content]:
    followed = pipeline.followed
    if followed is None:
        if not pipeline.executions:
            return [
                Content.from_markup(
                    "[$text-muted]no executions yet: one starts on the first push "
                    "(p ships the payload) or a release (r)[/]"
                )
            ]
        return [Content.from_markup("[$text-muted]not following an execution[/]")]
    took = followed.duration
    if took is None:
        took = seconds_between(followed.started_at, now)
    head = (
        Content.from_markup("execution [b]$id[/] ", id=followed.execution_id[:8])
        + status_mark(followed.status)
        + Content.from_markup(
            " $status[$text-muted]$took[/]",
            status=followed.status,
            took=f" · {format_duration(took)}" if took is not None else "",
        )
    )
    lines = [head]
    if followed.commit_id:
        lines.append(
            Content.from_markup(
                "commit [b]$c[/] [$text-muted]$m[/]",
                c=short_commit(followed.commit_id),
                m=f'"{first_line(followed.commit_message, 70)}"' if followed.commit_message else "",
            )
        )
    if (followed.trigger_type or followed.started_at) and pipeline.waiting_approval is None:
        lines.append(
            Content.from_markup(
                "[$text-muted]trigger $t · started $s[/]",
                t=trigger_words(followed.trigger_type) or "unknown",
                s=ago(followed.started_at, now),
            )
        )
    return lines


# --- execution history --------------------------------------------------------------------------

HISTORY_COLUMNS = (
    ("", "mark", 1),
    ("Execution", "id", 9),
    ("Status", "status", 10),
    ("Commit", "commit", 7),
    ("Message", "message", 34),
    ("Trigger", "trigger", 13),
    ("Started", "started", 10),
    ("Took", "took", 6),
)


#: width of the "Got to" column of pipelines with environments
PROGRESS_WIDTH = 44


def history_row(e: ExecutionView, followed: bool, now: datetime) -> list[Text]:
    colour = _RICH_STATUS.get(e.status, MUTED)
    took = e.duration
    if took is None and not e.final:
        took = seconds_between(e.started_at, now)
    return [
        Text("▶" if followed else "", style=f"bold {THEME.primary}"),
        Text(e.execution_id[:8]),
        Text(e.status, style=colour),
        Text(short_commit(e.commit_id) if e.commit_id else "—"),
        Text(first_line(e.commit_message, 34) if e.commit_message else ""),
        Text(trigger_words(e.trigger_type), style=MUTED),
        Text(ago(e.started_at, now), style=MUTED),
        Text(format_duration(took) if took is not None else ""),
    ]


class ExecutionHistory(DataTable[Text]):
    """The last executions, newest first; ▶ marks the followed one. Enter follows another.
    Bound to a screen's `snapshot`, it shows that snapshot's pipeline (hidden without one)."""

    DEFAULT_CSS = """
    ExecutionHistory {
        display: none;
        & > .datatable--cursor { background: $secondary 20%; text-style: none; }
        &:focus > .datatable--cursor {
            background: $secondary 35%;
            color: $foreground;
            text-style: none;
        }
    }
    """

    snapshot: var[Snapshot | None] = var(None, always_update=True, init=False)

    def __init__(
        self,
        *,
        clock: Callable[[], datetime],
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(
            cursor_type="row",
            cursor_foreground_priority="renderable",
            name=name,
            id=id,
            classes=classes,
        )
        self.clock = clock
        self.pipeline: PipelineView | None = None
        #: the "Got to" column is shown (added once a run's progress is known)
        self.with_progress = False
        for label, key, width in HISTORY_COLUMNS:
            self.add_column(label, key=key, width=width)

    def watch_snapshot(self, snapshot: Snapshot | None) -> None:
        if snapshot is not None:
            self.display = snapshot.pipeline is not None
            if snapshot.pipeline is not None:
                self.show(snapshot.pipeline, self.clock())

    def show(self, pipeline: PipelineView | None, now: datetime) -> None:
        old, self.pipeline = self.pipeline, pipeline
        if pipeline is None:
            self.clear()
            return
        if not self.with_progress and any(e.progress for e in pipeline.executions):
            # a pipeline with environments: how far each run got ("staging ✓ · approval ✗
            # rejected") takes the commit message's place (the flow shows the followed one's)
            self.with_progress = True
            self.remove_column("message")
            self.add_column("Got to", key="progress", width=PROGRESS_WIDTH)
            old = None
        ids = [e.execution_id for e in pipeline.executions]
        if old is None or [e.execution_id for e in old.executions] != ids:
            self.clear()
            for e in pipeline.executions:
                row = self._cells(e, e.execution_id == pipeline.followed_id, now)
                self.add_row(*row.values(), key=e.execution_id)
            return
        before = {e.execution_id: e for e in old.executions}
        for e in pipeline.executions:
            followed = e.execution_id == pipeline.followed_id
            was_followed = e.execution_id == old.followed_id
            if before.get(e.execution_id) == e and followed == was_followed and e.final:
                continue
            for key, value in self._cells(e, followed, now).items():
                self.update_cell(e.execution_id, key, value)

    def _cells(self, e: ExecutionView, followed: bool, now: datetime) -> dict[str, Text]:
        """The row by column key, in the table's column order."""
        keys = [key for _, key, _ in HISTORY_COLUMNS]
        cells = dict(zip(keys, history_row(e, followed, now), strict=True))
        if self.with_progress:
            del cells["message"]
            cells["progress"] = Text(e.progress or "—", style="" if e.progress else MUTED)
        return cells

    def selected_execution(self) -> str | None:
        if self.pipeline is None or not self.row_count:
            return None
        row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        return str(row_key.value) if row_key.value is not None else None


# --- deployment overview ------------------------------------------------------------------------

BARS = "▁▂▃▄▅▆▇█"


def sparkline_content(history: Sequence[DeploymentSummary]) -> Content:
    """One bar per recent finished deployment (oldest left), height = duration, colour =
    result; then the median."""
    done = [h for h in reversed(history) if h.duration is not None]
    if not done:
        return Content.from_markup("[$text-muted]no finished deployments yet[/]")
    durations = [h.duration or 0.0 for h in done]
    low, high = min(durations), max(durations)
    bars: list[Content] = []
    for h, d in zip(done, durations, strict=True):
        level = 0 if high == low else round((d - low) / (high - low) * (len(BARS) - 1))
        colour = {
            DeploymentStatus.SUCCEEDED: "$success",
            DeploymentStatus.FAILED: "$error",
            DeploymentStatus.STOPPED: "$warning",
        }.get(h.status, "$text-muted")
        bars.append(Content.from_markup(f"[{colour}]{BARS[level]}[/]"))
    median = statistics.median(durations)
    n = len(done)
    return Content("").join(bars) + Content.from_markup(
        "  [$text-muted]median $median of $n · $low–$high[/]",
        n=str(n),
        median=format_duration(median),
        low=format_duration(low),
        high=format_duration(high),
    )


def progress_bar(dep: DeploymentView, width: int = 24) -> Content:
    o = dep.overview
    total = max(1, dep.total_instances)
    pieces = (
        (o.succeeded + o.ready, "█", "$success"),
        (o.failed, "█", "$error"),
        (o.in_progress, "▒", "$secondary"),
        (o.skipped, "─", "$text-muted"),
    )
    out = Content("")
    used = 0
    for count, char, colour in pieces:
        n = round(count / total * width)
        n = min(n, width - used)
        if n:
            out += Content.from_markup(f"[{colour}]$bar[/]", bar=char * n)
            used += n
    return out + Content.from_markup("[$text-muted]$rest[/]", rest="░" * (width - used))


def overview_content(
    dep: DeploymentView | None, history: Sequence[DeploymentSummary], now: datetime
) -> Content:
    """The current deployment in three lines, then the durations of recent ones."""
    if dep is None:
        head = Content.from_markup("[$text-muted]no deployment yet[/]")
        return Content("\n").join([head, Content(""), sparkline_content(history)])
    took = dep.duration
    if took is None:
        took = seconds_between(dep.started_at or dep.created_at, now)
    status = dep.status.value
    head = (
        Content.from_markup("[b]$id[/] ", id=dep.deployment_id)
        + status_mark(status if status != "Created" else None)
        + Content.from_markup(
            " $status[$text-muted]$took[/]",
            status=status,
            took=f" · {format_duration(took)}" if took is not None else "",
        )
    )
    detail = " · ".join(
        p
        for p in (
            f"{dep.application}/{dep.group}",
            (dep.config_name or "").removeprefix("CodeDeployDefault."),
            f"by {dep.creator}" if dep.creator else "",
        )
        if p
    )
    revision = ""
    if dep.revision is not None:
        rev = dep.revision
        local = rev.revision_type == "String"  # a rehearsal: the bundle
        revision = rev.content if local and rev.content else rev.describe()
    o = dep.overview
    done = o.succeeded + o.ready + o.failed + o.skipped
    counts = Content.from_markup(
        "$s ok · $f failed · $r running · $p pending · $k skipped",
        s=str(o.succeeded + o.ready),
        f=str(o.failed),
        r=str(o.in_progress),
        p=str(o.pending),
        k=str(o.skipped),
    )
    lines = [
        head,
        Content.from_markup("[$text-muted]$d[/]", d=detail),
        Content.from_markup("[$text-muted]revision $r[/]", r=revision) if revision else None,
        progress_bar(dep) + Content.from_markup(" $n", n=f"{done}/{dep.total_instances} done"),
        counts,
        traffic_content(dep) if dep.with_traffic else None,
        Content.from_markup("[$text-muted]recent[/] ") + sparkline_content(history),
    ]
    if dep.rollback_deployment_id:
        lines.append(
            Content.from_markup("[$warning]rolling back with $r[/]", r=dep.rollback_deployment_id)
        )
    return Content("\n").join([line for line in lines if line is not None])


def traffic_content(dep: DeploymentView) -> Content:
    """`target group shop: 2 healthy, 1 draining · http://shop-1.elb.amazonaws.com`."""
    traffic = dep.traffic
    name = traffic.target_group if traffic else ", ".join(dep.target_groups)
    if traffic is None:
        return Content.from_markup("[$text-muted]target group $n: reading…[/]", n=name)
    if not traffic.available:
        return Content.from_markup("[$warning]target group $n: not readable[/]", n=name)
    healthy = traffic.healthy
    style = "$success" if healthy >= dep.total_instances else "$warning"
    line = Content.from_markup(
        "[$text-muted]target group[/] $n: [" + style + "]$c[/]", n=name, c=traffic.counts()
    )
    if traffic.load_balancer_url:
        line += Content.from_markup(" [$text-muted]·[/] $u", u=traffic.load_balancer_url)
    return line


# --- failure panel ------------------------------------------------------------------------------

#: action key -> the key that runs it, for "press l to ..." hints
KEY_FOR_ACTION: dict[str, tuple[str, str]] = {
    "fetch_log": ("l", "fetch the full scripts.log"),
    "redeploy_ignore_stop": ("i", "redeploy ignoring ApplicationStop failures"),
    "ship": ("p", "ship the payload"),
    "retry_failed": ("t", "retry the failed actions"),
}

TAIL_LINES = 14


def failure_content(report: FailureReport) -> Content:
    """Headline, why, what to do (and its key), the failing cell's diagnostic and log tail."""
    lines = [Content.from_markup("[b $error]✗ $h[/]", h=report.headline or "failed")]
    if report.explanation:
        lines.append(Content(report.explanation))
    if report.remedy:
        lines.append(Content.from_markup("[$primary]→[/] $r", r=report.remedy))
    key = KEY_FOR_ACTION.get(report.action or "")
    if key is not None:
        lines.append(
            Content.from_markup(
                "  [$text-muted]press[/] [b $primary]$k[/] [$text-muted]to $w[/]",
                k=key[0],
                w=key[1],
            )
        )
    diag = report.diagnostics
    if report.instance_id or diag is not None:
        where = " · ".join(
            p
            for p in (
                report.instance_id or "",
                report.event or "",
                diag.error_code if diag else "",
                diag.script_name if diag else "",
            )
            if p
        )
        lines.append(Content(""))
        lines.append(Content.from_markup("[b]$w[/]", w=where))
        if diag is not None and diag.message:
            lines.append(Content(diag.message))
        if diag is not None and diag.log_tail.strip():
            lines.append(Content.from_markup("[$text-muted]── log tail (last 4 KB) ──[/]"))
            for line in parse_scripts_log(diag.log_tail, report.event or "")[-TAIL_LINES:]:
                if line.stream == "stderr":
                    lines.append(Content.from_markup("[$error]$t[/]", t=line.text))
                else:
                    lines.append(Content(line.text))
    return Content("\n").join(lines)


# --- banner -------------------------------------------------------------------------------------


def banner_content(snapshot: Snapshot, now: datetime) -> tuple[Content, str] | None:
    """(text, severity class) of the line over the screen, or None when all is well."""
    c = snapshot.connection
    if not c.ok:
        where = f"{c.service} {c.operation}".strip()
        return (
            Content.from_markup(
                "⚠ AWS unreachable for $since ($where): $problem — retrying in $next; the view "
                "below is from the last good poll",
                since=format_duration((now - c.since).total_seconds()) if c.since else "a moment",
                where=where or "aws",
                problem=first_line(c.problem, 120),
                next=format_duration(snapshot.next_poll_seconds),
            ),
            "-error",
        )
    outcome = snapshot.outcome
    if outcome is not None and outcome.result == "error":
        return (
            Content.from_markup(
                "✗ watching stopped: $m — press g to try again", m=first_line(outcome.message, 160)
            ),
            "-error",
        )
    if snapshot.throttled_operation:
        return (
            Content.from_markup(
                "AWS is throttling $op: polling every $n until it eases",
                op=snapshot.throttled_operation,
                n=format_duration(snapshot.next_poll_seconds),
            ),
            "-warn",
        )
    waiting = snapshot.waiting_agents
    if waiting:
        said = "; ".join(a.describe(now) for a in waiting[:3])
        more = f" and {len(waiting) - 3} more" if len(waiting) > 3 else ""
        return (
            Content(f"{said}{more} — CodeDeploy holds the deployment for it (up to an hour)"),
            "-warn" if any(a.state == "failed" for a in waiting) else "-note",
        )
    if snapshot.notes:
        return Content("; ".join(snapshot.notes)), "-note"
    return None
