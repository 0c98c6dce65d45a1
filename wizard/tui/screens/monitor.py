"""The live monitor: commit → pipeline execution → deployment → every instance's lifecycle events.

Layout, top to bottom: a banner when AWS cannot be reached (or throttles us); the pipeline's
stages as a flow with status and timing, and the followed execution; the execution history next
to the current deployment's overview (counts, progress, a sparkline of recent durations); the
instances × lifecycle events grid; the failure panel (what failed, why in plain words, what to
do, the diagnostic and its log tail); the activity log; the footer with the keys that apply now.

Data comes from a `MonitorFeed` (`wizard.app.monitor_feed`) whose blocking loop runs in a thread
worker and only posts `SnapshotArrived` messages. The screen keeps the state as reactive
attributes (`snapshot`, `now`, `report`, `offered`, `busy`, `last_note`); each part binds what it
shows (`data_bind`) and redraws itself (`wizard.tui.widgets.monitor_parts`), so a new snapshot is
one assignment. Actions are planned in a thread worker, confirmed in a dialog that shows what they
will do, then executed in another. Closing the screen closes the feed, which ends the worker's
loop.
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
from textual.containers import Horizontal
from textual.message import Message
from textual.reactive import var
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import DataTable, Footer, RichLog, Static
from textual.worker import Worker, WorkerState, get_current_worker

from wizard.app.monitor_feed import COMMENTED_KEYS, FeedUpdate, MonitorFeed
from wizard.core.events.base import Event, utcnow
from wizard.core.events.lifecycle import HookOutput
from wizard.core.timeline import (
    FailureReport,
    Snapshot,
    available_actions,
    explain,
    finished,
    result_code,
)
from wizard.core.timeline.failures import FETCH_LOG, SHIP
from wizard.services.aws.monitor.actions import ActionResult, PlannedAction
from wizard.tui.messages import WorkerCrashed
from wizard.tui.screens.monitor_modals import ActionDialog, CommentDialog, LogViewer
from wizard.tui.theme import THEME
from wizard.tui.widgets.monitor_grid import MUTED, LifecycleGrid
from wizard.tui.widgets.monitor_parts import (
    ConnectionBanner,
    DeploymentOverview,
    FailurePanel,
    MonitorStatus,
    PipelineFlow,
)
from wizard.tui.widgets.monitor_views import ExecutionHistory
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
    "approve": "approve the waiting approval",
    "reject": "reject the waiting approval",
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
        Binding("v", "act('approve')", "Approve"),
        Binding("x", "act('reject')", "Reject"),
        Binding("n", "follow_newest", "Newest"),
        Binding("g", "poll_now", "Poll now"),
        Binding("a", "toggle_activity", "Activity"),
        Binding("q", "leave", "Quit"),
        Binding("escape", "leave", "Quit", show=False),
    ]

    #: the feed's latest snapshot; the parts bound to it redraw themselves
    snapshot: var[Snapshot | None] = var(None, always_update=True, init=False)
    #: the clock, once a second: running cells, stage timers and "updated Ns ago" move on
    now: var[datetime | None] = var(None, always_update=True, init=False)
    #: what failed, in plain words (None: nothing did)
    report: var[FailureReport | None] = var(None, init=False)
    #: the action keys that apply to what is on screen (the footer follows)
    offered: var[frozenset[str]] = var(frozenset(), bindings=True, init=False)
    #: what is being planned or run now (keys wait meanwhile)
    busy: var[str | None] = var(None, always_update=True, bindings=True, init=False)
    last_note: var[str] = var("", always_update=True, init=False)

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
        self.updates = 0
        #: the activity log's lines as plain text (the newest 2,000)
        self.activity: deque[str] = deque(maxlen=2000)

    # --- composition --------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        clock = self.clock
        yield TopBar(self.feed.label, f"live monitor · q {self.leave_label.lower()}")
        yield ConnectionBanner(clock=clock, id="banner")
        if self.intro:
            yield Static(self.intro, id="intro", markup=False)
        with Horizontal(id="mon-top"):
            yield block("Pipeline", PipelineFlow(clock=clock, id="flow"))
            yield block("Deployment", DeploymentOverview(clock=clock, id="overview"))
        yield block("Executions (Enter follows one)", ExecutionHistory(clock=clock, id="history"))
        yield block("Instances × lifecycle events", LifecycleGrid(clock=clock, id="grid"))
        yield block("Failure", FailurePanel(id="failure"))
        yield block("Activity", RichLog(id="activity", max_lines=2000, wrap=True))
        yield MonitorStatus(clock=clock, polls=self.feed.polls, id="mon-status")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        # Bound here rather than in compose: the parts are mounted now, so each binding holds at
        # once, before the first snapshot is handled (from compose they would be set up later,
        # from each part's own queue, racing the first SnapshotArrived).
        state = MonitorScreen
        self.query_one(ConnectionBanner).data_bind(state.snapshot)
        self.query_one(PipelineFlow).data_bind(state.snapshot, state.now)
        self.query_one(DeploymentOverview).data_bind(state.snapshot, state.now)
        self.query_one(ExecutionHistory).data_bind(state.snapshot)
        self.query_one(LifecycleGrid).data_bind(state.snapshot, state.now)
        self.query_one(FailurePanel).data_bind(state.report)
        status = self.query_one(MonitorStatus)
        status.data_bind(state.snapshot, state.now, state.busy, state.last_note)
        # the log stays at its newest line when parts above it take or give back room
        self.query_one("#activity", RichLog).anchor()
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

    def _tick(self) -> None:
        self.now = self.clock()

    # --- updates ------------------------------------------------------------------------------

    @on(SnapshotArrived)
    def _arrived(self, message: SnapshotArrived) -> None:
        self.apply_update(message.update)

    def apply_update(self, update: FeedUpdate) -> None:
        """Log the events, then set the new state: the parts bound to it redraw themselves."""
        for line in map(activity_line, update.events):
            if line is not None:
                self._write_activity(line)
        snapshot = update.snapshot
        if snapshot is None:
            return
        self.snapshot = snapshot  # banner, flow, history, overview, grid, status
        self.report = explain(snapshot)  # after the grid: a new failure selects its row
        self.offered = self._offers(snapshot)
        self.updates += 1

    def watch_snapshot(self, snapshot: Snapshot | None) -> None:
        self.set_class(snapshot is not None and snapshot.pipeline is None, "-no-pipeline")
        deployment = snapshot.deployment if snapshot is not None else None
        self.set_class(deployment is not None and deployment.with_traffic, "-traffic")

    def watch_report(self, old: FailureReport | None, new: FailureReport | None) -> None:
        """A new failure puts the grid's cursor on its instance (once: then the user moves it)."""
        if new is None or not new.instance_id:
            return
        if old is None or (old.subject_id, old.instance_id) != (new.subject_id, new.instance_id):
            self.query_one("#grid", LifecycleGrid).select_instance(new.instance_id)

    def _offers(self, snapshot: Snapshot) -> frozenset[str]:
        keys = {o.key for o in available_actions(snapshot)}
        if snapshot.pipeline is not None:
            keys.add(SHIP)  # "or on request": shipping is always possible with a pipeline
        dep = snapshot.deployment
        if dep is not None and dep.instances:
            keys.add(FETCH_LOG)  # any instance's log, the failed one first
        return frozenset(k for k in keys if self.feed.supports(k))

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
        if key in COMMENTED_KEYS:
            self._ask_comment(key, snapshot)
            return
        instance = (
            self.query_one("#grid", LifecycleGrid).selected_instance() if key == FETCH_LOG else None
        )
        self._plan(key, snapshot, instance)

    def _plan(
        self, key: str, snapshot: Snapshot, instance: str | None, comment: str | None = None
    ) -> None:
        words = ACTION_WORDS.get(key, key)
        self.busy = f"looking at what “{words}” would do"
        self.run_worker(
            partial(self._plan_in_thread, key, snapshot, instance, comment),
            thread=True,
            group="action",
            name=f"planning {words}",
            exit_on_error=False,
        )

    def _ask_comment(self, key: str, snapshot: Snapshot) -> None:
        """Approve/reject: the comment first, then the usual confirmation of the planned call."""
        waiting = snapshot.pipeline.waiting_approval if snapshot.pipeline else None
        if waiting is None:
            self._note(f"{ACTION_WORDS[key]}: no approval is waiting now")
            return

        def entered(comment: str | None) -> None:
            if comment is None:
                self._note(f"{ACTION_WORDS[key]}: cancelled, nothing was changed")
                return
            self._plan(key, snapshot, None, comment)

        self.app.push_screen(CommentDialog(waiting, approve=key == "approve"), callback=entered)

    def _plan_in_thread(
        self, key: str, snapshot: Snapshot, instance: str | None, comment: str | None = None
    ) -> None:
        try:
            with_comment = getattr(self.feed, "plan_with_comment", None)
            if comment is not None and callable(with_comment):
                planned = with_comment(key, snapshot, comment)
            else:
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
        self.busy = None
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
        self.busy = f"running “{planned.title}”"
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
        self.busy = None
        planned, result = message.planned, message.result
        text = result.message + (f"; {message.note}" if message.note else "")
        self._note(f"{planned.title}: {text}")
        self.notify(text, title=planned.title)
        if planned.key == FETCH_LOG and result.detail is not None:
            dep = self.snapshot.deployment if self.snapshot else None
            self.app.push_screen(LogViewer(result.detail, dep.deployment_id if dep else ""))

    @on(ActionFailed)
    def _failed(self, message: ActionFailed) -> None:
        self.busy = None
        self._note(f"{message.what}: {message.message}", level="error")
        self.notify(message.message, title=f"Could not {message.what}", severity="error")

    def _note(self, text: str, level: str = "info") -> None:
        self.last_note = text
        style, mark = _LEVEL_STYLE.get(level, ("", "  "))
        self._write_activity(Text(mark + text, style=style))

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
            self.busy = None
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
