"""The monitor screen's parts as widgets that draw themselves from the screen's reactive state.

`MonitorScreen` holds the state (`snapshot`, `now`, `report`, `busy`, `last_note`); each part
binds what it shows with `data_bind` and redraws in its watchers, so an update is one assignment
on the screen. Parts that show running times also bind `now`, the screen's once-a-second clock.
What each part shows comes from the pure `*_content` functions in `monitor_views`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.reactive import var
from textual.widgets import Static

from wizard.core.events.base import format_duration
from wizard.core.exitcodes import ExitCode
from wizard.core.timeline import FailureReport, Snapshot, finished, result_code
from wizard.tui.widgets.monitor_views import (
    ago,
    banner_content,
    failure_content,
    flow_content,
    overview_content,
)

Clock = Callable[[], datetime]


class ConnectionBanner(Static):
    """Shown while AWS cannot be reached or throttles us (the last good view stays below)."""

    DEFAULT_CSS = """
    ConnectionBanner {
        display: none;
        height: auto;
        padding: 0 1;
        text-style: bold;
        &.-error { background: $error 35%; color: $text; }
        &.-warn { background: $warning 25%; color: $text; }
        &.-note { background: $panel; color: $text-muted; text-style: none; }
    }
    """

    snapshot: var[Snapshot | None] = var(None, always_update=True, init=False)

    def __init__(self, *, clock: Clock, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.clock = clock

    def watch_snapshot(self, snapshot: Snapshot | None) -> None:
        if snapshot is None:
            return
        found = banner_content(snapshot, self.clock())
        self.display = found is not None
        self.remove_class("-error", "-warn", "-note")
        if found is not None:
            text, severity = found
            self.add_class(severity)
            self.update(text)


class PipelineFlow(Static):
    """The pipeline's stages as a flow with status and timing, and the followed execution."""

    DEFAULT_CSS = """
    PipelineFlow {
        display: none;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    snapshot: var[Snapshot | None] = var(None, always_update=True, init=False)
    now: var[datetime | None] = var(None, always_update=True, init=False)

    def __init__(self, *, clock: Clock, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.clock = clock

    def watch_snapshot(self, snapshot: Snapshot | None) -> None:
        if snapshot is None:
            return
        pipeline = snapshot.pipeline
        self.display = pipeline is not None
        if pipeline is not None:
            self.border_title = f"Pipeline {pipeline.name}"
            self.update(flow_content(pipeline, self.clock()))

    def watch_now(self, now: datetime | None) -> None:
        """Stage timers move on while something runs."""
        snap = self.snapshot
        if now is not None and snap is not None and snap.pipeline is not None and snap.active:
            self.update(flow_content(snap.pipeline, now))


class DeploymentOverview(Static):
    """The current deployment: status, config, progress, counts, recent durations."""

    DEFAULT_CSS = """
    DeploymentOverview {
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    snapshot: var[Snapshot | None] = var(None, always_update=True, init=False)
    now: var[datetime | None] = var(None, always_update=True, init=False)

    def __init__(self, *, clock: Clock, id: str | None = None) -> None:
        super().__init__(overview_content(None, (), clock()), id=id)
        self.clock = clock

    def watch_snapshot(self, snapshot: Snapshot | None) -> None:
        if snapshot is not None:
            self.update(overview_content(snapshot.deployment, snapshot.history, self.clock()))

    def watch_now(self, now: datetime | None) -> None:
        """The running deployment's times move on."""
        snap = self.snapshot
        if now is not None and snap is not None:
            dep = snap.deployment
            if dep is not None and not dep.final:
                self.update(overview_content(dep, snap.history, now))


class FailurePanel(VerticalScroll):
    """What failed in plain words, why, what to do and its key, the diagnostic, the log tail."""

    DEFAULT_CSS = """
    FailurePanel {
        display: none;
        & > #failure-text { height: auto; }
    }
    """

    report: var[FailureReport | None] = var(None, init=False)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._text = Static("", id="failure-text")

    def compose(self) -> ComposeResult:
        yield self._text

    def watch_report(self, report: FailureReport | None) -> None:
        self.display = report is not None
        if report is not None:
            self._text.update(failure_content(report))


class MonitorStatus(Static):
    """The status line: what runs now, how fresh the view is, how the run ended, the last note."""

    DEFAULT_CSS = """
    MonitorStatus {
        height: 1;
        padding: 0 1;
        background: $surface;
    }
    """

    snapshot: var[Snapshot | None] = var(None, always_update=True, init=False)
    now: var[datetime | None] = var(None, always_update=True, init=False)
    busy: var[str | None] = var(None, always_update=True, init=False)
    last_note: var[str] = var("", always_update=True, init=False)

    def __init__(self, *, clock: Clock, polls: bool, id: str | None = None) -> None:
        super().__init__("connecting…", id=id)
        self.clock = clock
        #: the feed polls (a rehearsal streams): "polling every …" means something
        self.polls = polls

    def watch_snapshot(self) -> None:
        self._show(self.clock())

    def watch_now(self, now: datetime | None) -> None:
        self._show(now or self.clock())

    def watch_busy(self) -> None:
        self._show(self.clock())

    def watch_last_note(self) -> None:
        self._show(self.clock())

    def _show(self, now: datetime) -> None:
        snap = self.snapshot
        parts: list[str] = []
        if self.busy:
            parts.append(f"⋯ {self.busy}")
        if snap is not None:
            parts.append(f"updated {ago(snap.taken_at, now)}")
            if snap.connection.ok and snap.next_poll_seconds and self.polls:
                parts.append(f"polling every {format_duration(snap.next_poll_seconds)}")
            if finished(snap):
                code = result_code(snap)
                parts.append("finished ✓" if code == ExitCode.OK else f"finished (exit {code})")
        if self.last_note:
            parts.append(self.last_note)
        if not parts and snap is None:
            return  # nothing to say yet: "connecting…" stays
        self.update(Content.from_markup("[$text-muted]$s[/]", s=" · ".join(parts)))


__all__ = [
    "ConnectionBanner",
    "DeploymentOverview",
    "FailurePanel",
    "MonitorStatus",
    "PipelineFlow",
]
