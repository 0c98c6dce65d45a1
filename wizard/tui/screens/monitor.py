"""The live monitor: commit → pipeline execution → deployment → every instance's lifecycle events.

Layout, top to bottom: a banner when AWS cannot be reached (or throttles us); the pipeline's
stages as a flow with status and timing, and the followed execution; the execution history next
to the current deployment's overview (counts, progress, a sparkline of recent durations); the
instances × lifecycle events grid; the failure panel (what failed, why in plain words, what to
do, the diagnostic and its log tail); the activity log; the footer with the keys that apply now.

Data comes from a `MonitorFeed` (`wizard.tui.monitor_feed`) whose blocking loop runs in a thread
worker and only posts `SnapshotArrived` messages; widgets are touched on the event loop only.
Actions are planned in a thread worker, confirmed in a dialog that shows what they will do, then
executed in another. Closing the screen closes the feed, which ends the worker's loop.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import DataTable, Footer, RichLog, Static
from textual.worker import Worker, WorkerState, get_current_worker

from wizard.core.events.base import Event, format_duration, utcnow
from wizard.core.events.lifecycle import DeploymentStatus, HookOutput
from wizard.core.events.pipeline import STOPPED_EXECUTION_STATUSES
from wizard.core.exitcodes import ExitCode
from wizard.core.timeline import FailureReport, Snapshot, available_actions, explain
from wizard.core.timeline.explain import FETCH_LOG, SHIP
from wizard.services.aws.monitor.actions import ActionResult, PlannedAction
from wizard.tui.messages import WorkerCrashed
from wizard.tui.monitor_feed import FeedUpdate, MonitorFeed
from wizard.tui.screens.monitor_modals import ActionDialog, LogViewer
from wizard.tui.theme import THEME
from wizard.tui.widgets.monitor_grid import MUTED, LifecycleGrid
from wizard.tui.widgets.monitor_views import (
    ExecutionHistory,
    ago,
    banner_content,
    failure_content,
    flow_content,
    overview_content,
)
from wizard.tui.widgets.top_bar import TopBar

#: action key -> what the status line says while it is planned/run
ACTION_WORDS: dict[str, str] = {
    "release": "release change",
    "retry_failed": "retry failed actions",
    "stop": "stop deployment",
    "stop_rollback": "stop and roll back",
    "redeploy_last_success": "redeploy the last successful revision",
    "redeploy_ignore_stop": "redeploy ignoring ApplicationStop failures",
    "fetch_log": "fetch the full log",
    "ship": "ship the payload",
}


class SnapshotArrived(Message, bubble=False):
    """The feed's worker produced an update (a frozen snapshot and its events)."""

    def __init__(self, update: FeedUpdate) -> None:
        super().__init__()
        self.update = update


class ActionPlanned(Message, bubble=False):
    def __init__(self, planned: PlannedAction) -> None:
        super().__init__()
        self.planned = planned


class ActionDone(Message, bubble=False):
    def __init__(self, planned: PlannedAction, result: ActionResult, note: str | None) -> None:
        super().__init__()
        self.planned = planned
        self.result = result
        self.note = note


class ActionFailed(Message, bubble=False):
    def __init__(self, what: str, message: str) -> None:
        super().__init__()
        self.what = what
        self.message = message


def expected_failure(exc: BaseException) -> str | None:
    """The user-facing words for an action failing in a foreseen way; None for a bug."""
    from botocore.exceptions import BotoCoreError, ClientError

    from wizard.services.aws.monitor.actions import ActionUnavailable
    from wizard.services.aws.monitor.errors import classify
    from wizard.services.aws.monitor.full_log import LogFetchError
    from wizard.services.aws.ship import ShipError

    if isinstance(exc, (ActionUnavailable, LogFetchError, ShipError)):
        return str(exc)
    if isinstance(exc, (BotoCoreError, ClientError)):
        return classify(exc).text
    return None


def result_code(snapshot: Snapshot | None) -> int:
    """The exit code the watched run earned so far (0 while it runs or when nothing ran)."""
    if snapshot is None:
        return ExitCode.OK
    if snapshot.outcome is not None:
        return int(snapshot.outcome.exit_code)
    followed = snapshot.pipeline.followed if snapshot.pipeline else None
    dep = snapshot.deployment
    if followed is not None and followed.final and (dep is None or dep.final):
        if followed.status == "Succeeded":
            return ExitCode.OK
        return (
            ExitCode.DEPLOY_STOPPED
            if followed.status in STOPPED_EXECUTION_STATUSES
            else ExitCode.DEPLOY_FAILED
        )
    if snapshot.pipeline is None and dep is not None and dep.final:
        return {
            DeploymentStatus.SUCCEEDED: ExitCode.OK,
            DeploymentStatus.STOPPED: ExitCode.DEPLOY_STOPPED,
        }.get(dep.status, ExitCode.DEPLOY_FAILED)
    return ExitCode.OK


def finished(snapshot: Snapshot | None) -> bool:
    """Whether the watched run has ended (the followed execution and its deployment)."""
    if snapshot is None:
        return False
    if snapshot.outcome is not None:
        return True
    followed = snapshot.pipeline.followed if snapshot.pipeline else None
    dep = snapshot.deployment
    if followed is not None:
        return followed.final and (dep is None or dep.final)
    return snapshot.pipeline is None and dep is not None and dep.final


def block(title: str, widget: Widget) -> Widget:
    widget.border_title = title
    widget.add_class("mon-block")
    return widget


_LEVEL_STYLE = {
    "error": (f"bold {THEME.error}", "✗ "),
    "warn": (THEME.warning or "yellow", "! "),
    "info": ("", "  "),
}


def activity_line(event: Event) -> Text | None:
    """One line of the activity log (debug events are left out)."""
    if event.level == "debug":
        return None
    if isinstance(event, HookOutput):
        style = THEME.error if event.stream == "stderr" else MUTED
        return Text(f"    {event.target_id} {event.event} │ {event.text}", style=style or "")
    style, mark = _LEVEL_STYLE.get(event.level, ("", "  "))
    text = mark + event.summary()
    hint = getattr(event, "hint", None)
    if hint:
        text += f"  ({hint})"
    return Text(text, style=style)


class MonitorScreen(Screen[int]):
    """See the module docstring. Dismisses with the exit code the watched run earned."""

    CSS_PATH = "../styles/monitor.tcss"
    AUTO_FOCUS = "#grid"
    BINDINGS: ClassVar = [
        Binding("r", "act('release')", "Release"),
        Binding("t", "act('retry_failed')", "Retry failed"),
        Binding("s", "act('stop')", "Stop"),
        Binding("b", "act('stop_rollback')", "Stop+rollback"),
        Binding("d", "act('redeploy_last_success')", "Redeploy last good"),
        Binding("i", "act('redeploy_ignore_stop')", "Redeploy, skip AppStop"),
        Binding("l", "act('fetch_log')", "Full log"),
        Binding("p", "act('ship')", "Ship"),
        Binding("n", "follow_newest", "Newest"),
        Binding("g", "poll_now", "Poll now"),
        Binding("a", "toggle_activity", "Activity"),
        Binding("q", "leave", "Quit"),
        Binding("escape", "leave", "Quit", show=False),
    ]

    def __init__(
        self,
        feed: MonitorFeed,
        *,
        clock: Callable[[], datetime] = utcnow,
        intro: str | None = None,
        leave_label: str = "Quit",
    ) -> None:
        super().__init__()
        self.feed = feed
        self.clock = clock
        self.intro = intro
        self.leave_label = leave_label
        self.snapshot: Snapshot | None = None
        self.report: FailureReport | None = None
        self.offered: frozenset[str] = frozenset()
        self.busy: str | None = None
        self.updates = 0
        self.last_note = ""
        #: the activity log's lines as plain text (the newest 2,000)
        self.activity: deque[str] = deque(maxlen=2000)
        self._failure_for: tuple[str, str | None] | None = None

    # --- composition --------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield TopBar(self.feed.label, f"live monitor · q {self.leave_label.lower()}")
        yield Static("", id="banner")
        if self.intro:
            yield Static(self.intro, id="intro", markup=False)
        with Horizontal(id="mon-top"):
            yield block("Pipeline", Static("", id="flow"))
            yield block("Deployment", Static("", id="overview"))
        yield block("Executions (Enter follows one)", ExecutionHistory(id="history"))
        yield block("Instances × lifecycle events", LifecycleGrid(clock=self.clock, id="grid"))
        yield block("Failure", VerticalScroll(Static("", id="failure-text"), id="failure"))
        yield block("Activity", RichLog(id="activity", max_lines=2000, wrap=True))
        yield Static("", id="mon-status")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        for hidden in ("#banner", "#flow", "#history", "#grid", "#failure"):
            self.query_one(hidden).display = False
        self.query_one("#overview", Static).update(overview_content(None, (), self.clock()))
        self.query_one("#mon-status", Static).update("connecting…")
        self.set_interval(1.0, self._tick)
        self.run_worker(
            self._watch, thread=True, group="monitor-feed", name="watching", exit_on_error=False
        )

    def on_unmount(self) -> None:
        self.feed.close()

    def _watch(self) -> None:
        """The feed's loop, on this worker's thread; it only ever posts messages."""
        worker = get_current_worker()
        self.feed.run(self._post_update, lambda: worker.is_cancelled)

    def _post_update(self, update: FeedUpdate) -> None:
        self.post_message(SnapshotArrived(update))

    # --- updates ------------------------------------------------------------------------------

    @on(SnapshotArrived)
    def _arrived(self, message: SnapshotArrived) -> None:
        self.apply_update(message.update)

    def apply_update(self, update: FeedUpdate) -> None:
        """Log the events, then patch every part with the new snapshot."""
        lines = [line for line in map(activity_line, update.events) if line is not None]
        for line in lines:
            self._write_activity(line)
        if lines:  # after the layout settles: the failure panel may just have taken room
            log = self.query_one("#activity", RichLog)
            self.call_after_refresh(log.scroll_end, animate=False)
        snapshot = update.snapshot
        if snapshot is None:
            return
        self.snapshot = snapshot
        self.updates += 1
        now = self.clock()
        self._show_banner(snapshot, now)
        pipeline = snapshot.pipeline
        flow = self.query_one("#flow", Static)
        history = self.query_one("#history", ExecutionHistory)
        flow.display = history.display = pipeline is not None
        self.query_one("#mon-top").set_class(pipeline is None, "-no-pipeline")
        if pipeline is not None:
            flow.border_title = f"Pipeline {pipeline.name}"
            flow.update(flow_content(pipeline, now))
            history.show(pipeline, now)
        self.query_one("#overview", Static).update(
            overview_content(snapshot.deployment, snapshot.history, now)
        )
        grid = self.query_one("#grid", LifecycleGrid)
        grid.display = snapshot.deployment is not None
        grid.show(snapshot.deployment)
        self._show_failure(explain(snapshot))
        self._offer(snapshot)
        self._show_status(now)

    def _show_banner(self, snapshot: Snapshot, now: datetime) -> None:
        banner = self.query_one("#banner", Static)
        found = banner_content(snapshot, now)
        banner.display = found is not None
        banner.remove_class("-error", "-warn", "-note")
        if found is not None:
            text, severity = found
            banner.add_class(severity)
            banner.update(text)

    def _show_failure(self, report: FailureReport | None) -> None:
        self.report = report
        panel = self.query_one("#failure", VerticalScroll)
        panel.display = report is not None
        if report is None:
            self._failure_for = None
            return
        self.query_one("#failure-text", Static).update(failure_content(report))
        key = (report.subject_id, report.instance_id)
        if key != self._failure_for:  # a new failure: put the cursor on its instance once
            self._failure_for = key
            if report.instance_id:
                self.query_one("#grid", LifecycleGrid).select_instance(report.instance_id)

    def _offer(self, snapshot: Snapshot) -> None:
        keys = {o.key for o in available_actions(snapshot)}
        if snapshot.pipeline is not None:
            keys.add(SHIP)  # "or on request": shipping is always possible with a pipeline
        dep = snapshot.deployment
        if dep is not None and dep.instances:
            keys.add(FETCH_LOG)  # any instance's log, the failed one first
        offered = frozenset(k for k in keys if self.feed.supports(k))
        if offered != self.offered:
            self.offered = offered
            self.refresh_bindings()

    def _show_status(self, now: datetime) -> None:
        snap = self.snapshot
        parts: list[str] = []
        if self.busy:
            parts.append(f"⋯ {self.busy}")
        if snap is not None:
            parts.append(f"updated {ago(snap.taken_at, now)}")
            if snap.connection.ok and snap.next_poll_seconds and self.feed.polls:
                parts.append(f"polling every {format_duration(snap.next_poll_seconds)}")
            code = result_code(snap)
            done = finished(snap)
            if done:
                parts.append("finished ✓" if code == ExitCode.OK else f"finished (exit {code})")
        if self.last_note:
            parts.append(self.last_note)
        self.query_one("#mon-status", Static).update(
            Content.from_markup("[$text-muted]$s[/]", s=" · ".join(parts))
        )

    def _tick(self) -> None:
        """Once a second: running cells, stage timers and "updated Ns ago" move on."""
        self.query_one("#grid", LifecycleGrid).tick()
        snap = self.snapshot
        now = self.clock()
        if snap is not None:
            if snap.pipeline is not None and snap.active:
                self.query_one("#flow", Static).update(flow_content(snap.pipeline, now))
            if snap.deployment is not None and not snap.deployment.final:
                self.query_one("#overview", Static).update(
                    overview_content(snap.deployment, snap.history, now)
                )
        self._show_status(now)

    # --- keys ---------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "act":
            key = str(parameters[0]) if parameters else ""
            if key not in self.offered:
                return False
            return None if self.busy else True
        if action == "follow_newest":
            pipeline = self.snapshot.pipeline if self.snapshot else None
            already = getattr(self.feed, "following_newest", True)
            return pipeline is not None and hasattr(self.feed, "follow_newest") and not already
        if action == "poll_now":
            return self.feed.polls
        return True

    def action_act(self, key: str) -> None:
        snapshot = self.snapshot
        if self.busy or snapshot is None or key not in self.offered:
            return
        instance = (
            self.query_one("#grid", LifecycleGrid).selected_instance() if key == FETCH_LOG else None
        )
        words = ACTION_WORDS.get(key, key)
        self._set_busy(f"looking at what “{words}” would do")
        self.run_worker(
            partial(self._plan_in_thread, key, snapshot, instance),
            thread=True,
            group="action",
            name=f"planning {words}",
            exit_on_error=False,
        )

    def _plan_in_thread(self, key: str, snapshot: Snapshot, instance: str | None) -> None:
        try:
            planned = self.feed.plan(key, snapshot, instance)
        except Exception as exc:
            message = expected_failure(exc)
            if message is None:
                raise
            self.post_message(ActionFailed(ACTION_WORDS.get(key, key), message))
            return
        self.post_message(ActionPlanned(planned))

    @on(ActionPlanned)
    def _planned(self, message: ActionPlanned) -> None:
        self._set_busy(None)
        planned = message.planned
        asks = getattr(self.feed, "needs_confirmation", None)
        if asks is not None and not asks(planned.key):
            self._note(f"{planned.title}: {planned.description}")
            self._confirmed(planned, True)
            return
        self.app.push_screen(
            ActionDialog(planned), callback=lambda yes: self._confirmed(planned, bool(yes))
        )

    def _confirmed(self, planned: PlannedAction, yes: bool) -> None:
        if not yes:
            self._note(f"{planned.title}: cancelled, nothing was changed")
            return
        self._set_busy(f"running “{planned.title}”")
        self.run_worker(
            partial(self._execute_in_thread, planned),
            thread=True,
            group="action",
            name=planned.title.lower(),
            exit_on_error=False,
        )

    def _execute_in_thread(self, planned: PlannedAction) -> None:
        try:
            result = planned.execute()
            note = self.feed.after(planned, result)
        except Exception as exc:
            message = expected_failure(exc)
            if message is None:
                raise
            self.post_message(ActionFailed(planned.title, message))
            return
        self.post_message(ActionDone(planned, result, note))

    @on(ActionDone)
    def _done(self, message: ActionDone) -> None:
        self._set_busy(None)
        planned, result = message.planned, message.result
        text = result.message + (f"; {message.note}" if message.note else "")
        self._note(f"{planned.title}: {text}")
        self.notify(text, title=planned.title)
        if planned.key == FETCH_LOG and result.detail is not None:
            dep = self.snapshot.deployment if self.snapshot else None
            self.app.push_screen(LogViewer(result.detail, dep.deployment_id if dep else ""))

    @on(ActionFailed)
    def _failed(self, message: ActionFailed) -> None:
        self._set_busy(None)
        self._note(f"{message.what}: {message.message}", level="error")
        self.notify(message.message, title=f"Could not {message.what}", severity="error")

    def _set_busy(self, text: str | None) -> None:
        self.busy = text
        self.refresh_bindings()
        self._show_status(self.clock())

    def _note(self, text: str, level: str = "info") -> None:
        self.last_note = text
        style, mark = _LEVEL_STYLE.get(level, ("", "  "))
        self._write_activity(Text(mark + text, style=style))
        self._show_status(self.clock())

    def _write_activity(self, line: Text) -> None:
        """Append to the activity log (wrapped at its width) and to `activity` (plain)."""
        self.activity.append(line.plain)
        log = self.query_one("#activity", RichLog)
        width = log.scrollable_content_region.width
        log.write(line, width=width if width > 20 else None)

    def action_poll_now(self) -> None:
        self.feed.wake()
        self._note("polling now")

    def action_follow_newest(self) -> None:
        follow = getattr(self.feed, "follow_newest", None)
        if callable(follow):
            follow()
            self.refresh_bindings()

    @on(DataTable.RowSelected, "#history")
    def _follow_selected(self, event: DataTable.RowSelected) -> None:
        follow = getattr(self.feed, "follow_execution", None)
        execution = event.row_key.value
        if callable(follow) and execution:
            pipeline = self.snapshot.pipeline if self.snapshot else None
            if pipeline is None or execution != pipeline.followed_id:
                follow(execution)
                self.refresh_bindings()

    def action_toggle_activity(self) -> None:
        log = self.query_one("#activity", RichLog)
        log.display = not log.display

    def action_leave(self) -> None:
        self.dismiss(result_code(self.snapshot))

    # --- errors -------------------------------------------------------------------------------

    @on(Worker.StateChanged)
    def _worker_state(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self._set_busy(None)
            self.app.post_message(WorkerCrashed(event.worker.name, event.worker.error))


__all__ = [
    "ActionDone",
    "ActionFailed",
    "ActionPlanned",
    "MonitorScreen",
    "SnapshotArrived",
    "activity_line",
    "expected_failure",
    "finished",
    "result_code",
]
