"""The App that `cdwizard monitor`, `cdwizard ship` and `cdwizard rehearse --watch` run in a
terminal: the monitor screen alone, its exit code the watched run's (0 ok, 10 failed, 11 stopped,
12 `--timeout`). Worker crashes become the same error view as in the wizard."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import ClassVar

from textual import on
from textual.app import App
from textual.binding import Binding

from wizard.app.monitor_feed import MonitorFeed
from wizard.core.events.base import utcnow
from wizard.core.exitcodes import ExitCode
from wizard.core.timeline import finished, result_code
from wizard.tui.messages import WorkerCrashed
from wizard.tui.screens.modals import ErrorScreen
from wizard.tui.screens.monitor import MonitorScreen
from wizard.tui.theme import THEME, start_in_theme


class MonitorApp(App[int]):
    CSS_PATH: ClassVar = ["styles/app.tcss", "styles/dialogs.tcss"]
    TITLE = "cdwizard monitor"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: ClassVar = [
        Binding("ctrl+c", "stop", "Quit", show=False, priority=True),
        Binding("ctrl+q", "stop", "Quit", show=False, priority=True),
    ]

    def __init__(
        self,
        feed: MonitorFeed,
        *,
        clock: Callable[[], datetime] = utcnow,
        timeout: float | None = None,
        intro: str | None = None,
        workspace: str = "your workspace (the monitor only reads)",
    ) -> None:
        super().__init__()
        self.feed = feed
        self.clock = clock
        self.timeout = timeout
        self.intro = intro
        self.workspace = workspace
        self.timed_out = False
        start_in_theme(self, THEME)

    def on_mount(self) -> None:
        self.monitor_screen = MonitorScreen(self.feed, clock=self.clock, intro=self.intro)
        self.push_screen(self.monitor_screen, callback=self._left)
        if self.timeout is not None:
            self.set_timer(self.timeout, self._time_up)

    def _left(self, code: int | None) -> None:
        self.exit(int(code or 0))

    def _time_up(self) -> None:
        """`--timeout`: give up unless the watched run already ended."""
        if finished(self.monitor_screen.snapshot):
            return
        self.timed_out = True
        self.exit(int(ExitCode.TIMED_OUT))

    def action_stop(self) -> None:
        self.exit(result_code(self.monitor_screen.snapshot))

    @on(WorkerCrashed)
    def _crashed(self, event: WorkerCrashed) -> None:
        if not self.is_running:
            return
        if isinstance(self.screen, ErrorScreen):
            self.screen.add(event.name or "watching", event.error)
            return
        self.push_screen(
            ErrorScreen(event.name or "watching", event.error, self.workspace),
            callback=lambda quit_now: self.exit(int(ExitCode.ERROR)) if quit_now else None,
        )
