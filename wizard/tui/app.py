"""The wizard App: wiring only. It owns the draft and the flow between screens, routes every
worker crash to one error view, and asks before quitting. Services come in through the
constructor, so tests can hand it real services pointed at a moto server."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import signal
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import App
from textual.binding import Binding
from textual.worker import Worker, WorkerState

from wizard.app import persist
from wizard.app.context import WizardContext
from wizard.app.draft import Draft
from wizard.app.ports import WizardServices
from wizard.app.steps import FORM_STEPS, following, preceding, step
from wizard.tui.messages import RunnerEvent, WorkerCrashed
from wizard.tui.screens.base import Navigate, WizardScreen
from wizard.tui.screens.modals import ErrorScreen, QuitDialog, ResumeDialog
from wizard.tui.theme import THEME, start_in_theme

if TYPE_CHECKING:
    from wizard.app.monitor_feed import MonitorFeed
    from wizard.core.events.base import Event

#: step -> "module:Class" of its screen; imported when first shown (keeps start-up fast)
SCREENS_BY_STEP: dict[str, str] = {
    "welcome": "wizard.tui.screens.welcome:WelcomeStep",
    "aws": "wizard.tui.screens.aws:AwsStep",
    "source": "wizard.tui.screens.source:SourceStep",
    "targets": "wizard.tui.screens.targets:TargetsStep",
    "deployment": "wizard.tui.screens.deployment:DeploymentStep",
    "environments": "wizard.tui.screens.environments:EnvironmentsStep",
    "payload": "wizard.tui.screens.payload:PayloadStep",
    "review": "wizard.tui.screens.review:ReviewScreen",
    "apply": "wizard.tui.screens.apply:ApplyScreen",
}


def screen_class(step_name: str) -> type[WizardScreen]:
    module_name, _, class_name = SCREENS_BY_STEP[step_name].partition(":")
    return getattr(importlib.import_module(module_name), class_name)


def resume_question(saved: persist.SavedRun) -> str:
    done = [s for s in FORM_STEPS if s in saved.completed]
    project = saved.flat.get("project", "(not named yet)")
    last = step(done[-1]).title if done else "none"
    return (
        f"Answers from an earlier run are saved in {saved.path}.\n\n"
        f"Project: {project}\n"
        f"Steps done: {len(done)} of {len(FORM_STEPS)} (last: {last})\n\n"
        "Resume where you left off, or start over from the defaults? "
        "(Starting over replaces that file at the first step.)"
    )


class WizardApp(App[int]):
    """`cdwizard` with no subcommand."""

    CSS_PATH: ClassVar = [
        "styles/app.tcss",
        "styles/form.tcss",
        "styles/review.tcss",
        "styles/apply.tcss",
        "styles/dialogs.tcss",
    ]
    TITLE = "cdwizard"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: ClassVar = [
        Binding("ctrl+q", "quit_wizard", "Quit", priority=True),
        Binding("ctrl+c", "interrupt", "Quit", show=False, priority=True),
    ]

    def __init__(
        self,
        *,
        out: Path,
        services: WizardServices | None = None,
        answers_file: Path | None = None,
        resume: bool | None = None,
        handle_signals: bool = False,
    ) -> None:
        """`resume`: None asks when an earlier run left answers; True/False decides up front.
        `handle_signals`: SIGTERM and SIGHUP stop a running apply gracefully, then quit with
        143 / 129 (the `cdwizard` command sets it; tests driving the app leave it off)."""
        super().__init__()
        self.handle_signals = handle_signals
        self.stop_code: int | None = None
        self.out = Path(out)
        self.services = services or WizardServices()
        self.answers_file = answers_file
        self.resume = resume
        self.context: WizardContext | None = None
        self.current_step: str | None = None
        self.saved_to: Path | None = None
        start_in_theme(self, THEME)

    # --- start --------------------------------------------------------------------------------

    def on_mount(self) -> None:
        if self.handle_signals:
            self._watch_stop_signals()
        saved = persist.load_saved(self.out)
        if saved is not None and self.resume is None:
            self.push_screen(
                ResumeDialog("Welcome back", resume_question(saved), "Resume", "Start over"),
                callback=lambda yes: self.start(saved if yes else None),
            )
        else:
            self.start(saved if self.resume else None)

    def start(self, saved: persist.SavedRun | None) -> None:
        """Build the draft (file > saved > discovery > defaults) and show the first step."""
        notes: list[str] = []
        file_flat = None
        if self.answers_file is not None:
            loaded = persist.read_lenient(self.answers_file)
            file_flat = loaded.flat
            notes.extend(f"{loaded.path}: {p}" for p in loaded.problems)
            if loaded.flat:
                notes.append(f"Prefilled from {loaded.path}; values to fix are marked.")
        if saved is not None:
            notes.extend(f"{saved.path}: {p}" for p in saved.problems)
        draft = Draft.prefilled(
            file=file_flat,
            saved=saved.flat if saved else None,
            completed=saved.completed if saved else (),
        )
        self.context = WizardContext(draft, self.services, self.out, notes)
        self.context.listener = self._post_runner_event
        self.show_step(draft.resume_step() if saved is not None else "welcome")

    # --- flow ---------------------------------------------------------------------------------

    def show_step(self, name: str) -> None:
        assert self.context is not None
        screen = screen_class(name)(self.context)
        if self.current_step is None:
            self.push_screen(screen)
        else:
            self.switch_screen(screen)
        self.current_step = name

    def save(self) -> None:
        assert self.context is not None
        try:
            self.saved_to = self.context.save()
        except OSError as exc:
            self.notify(
                f"Could not save the answers to {self.context.answers_path}: {exc}",
                title="Not saved",
                severity="error",
            )

    @on(Navigate)
    def _navigate(self, event: Navigate) -> None:
        assert self.context is not None
        if event.step == "apply" and event.direction == "next":
            self.open_monitor()
            return
        if event.direction == "next":
            self.context.draft.complete(event.step)
            self.save()
            self.show_step(following(event.step, self.context.draft.optional_steps()))
        else:
            self.save()
            if event.step == "review":
                self.release_runner()
            self.show_step(preceding(event.step, self.context.draft.optional_steps()))

    def open_monitor(self) -> None:
        """After a successful apply: the live monitor over the apply summary (Esc returns)."""
        from wizard.tui.screens.monitor import MonitorScreen

        if isinstance(self.screen, MonitorScreen):
            return
        try:
            feed = self.monitor_feed()
        except Exception as exc:  # no answers or no sandbox: say so, stay on the summary
            self.notify(f"The monitor cannot start: {exc}", severity="error")
            return
        self.push_screen(
            MonitorScreen(
                feed,
                intro="✓ Applied. Watching the new pipeline; Esc goes back to the apply summary.",
                leave_label="Back",
            )
        )

    def monitor_feed(self) -> MonitorFeed:
        """The new pipeline (newest execution, kept following), in the account or sandbox the
        apply used."""
        from wizard.app.monitor_feed import feed_after_apply
        from wizard.services.aws.target import target_from_answers

        assert self.context is not None
        answers = self.context.draft.answers()
        session = self.services.extra.get("sandbox")
        if session is not None and session.target is None:
            raise RuntimeError("the sandbox is not running")
        target = target_from_answers(answers, session.target if session is not None else None)
        return feed_after_apply(answers, self.context.out, target, sandbox=session is not None)

    def release_runner(self) -> None:
        """Leaving Review backwards: the plan is stale; stop terraform and the sandbox."""
        assert self.context is not None
        runner, self.context.runner = self.context.runner, None
        if runner is not None:
            runner.interrupt()
            self.run_worker(runner.close, thread=True, name="closing the runner")

    # --- quitting and errors ------------------------------------------------------------------

    def _watch_stop_signals(self) -> None:

        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGHUP):
            if signal.getsignal(sig) is signal.SIG_IGN:
                continue
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, self.stop_for_signal, int(sig))

    def stop_for_signal(self, signum: int) -> None:
        """SIGTERM / SIGHUP: like a confirmed Ctrl+C (terraform stops gracefully and saves its
        state), then quit with 128 + the signal number. A second one kills terraform."""
        first = self.stop_code is None
        self.stop_code = 128 + signum
        runner = self.context.runner if self.context is not None else None
        if runner is not None and self._applying():
            runner.interrupt()
            if first:
                self.set_interval(0.2, self._quit_when_stopped)
            return
        self.exit(self.stop_code)

    def _applying(self) -> bool:
        return any(getattr(screen, "running", False) for screen in self.screen_stack)

    def _quit_when_stopped(self) -> None:
        if not self._applying():
            self.exit(self.stop_code)

    def action_quit_wizard(self) -> None:
        self.action_interrupt()

    def action_interrupt(self) -> None:
        below = self.screen_stack[-2] if len(self.screen_stack) > 1 else None
        for screen in (self.screen, below):
            handler = getattr(screen, "request_interrupt", None)
            if callable(handler) and handler():
                return
        if isinstance(self.screen, QuitDialog):
            self.exit(0)
            return
        where = self.context.answers_path if self.context else self.out
        self.push_screen(
            QuitDialog(
                "Quit cdwizard?",
                f"Your answers are saved in {where}; run cdwizard again to resume.\n"
                "(Press Ctrl+C again to quit right away.)",
                "Quit",
                "Stay",
            ),
            callback=lambda yes: self.exit(0) if yes else None,
        )

    @on(Worker.StateChanged)
    def _app_worker_state(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.post_message(WorkerCrashed(event.worker.name, event.worker.error))

    def _post_runner_event(self, event: Event) -> None:
        """The context's listener (any thread): the event as a message to the App."""
        self.post_message(RunnerEvent(event))

    @on(RunnerEvent)
    def _to_the_screen(self, message: RunnerEvent) -> None:
        """A plan/apply event goes to the screen on view (Review or Apply shows it)."""
        self.screen.post_message(RunnerEvent(message.event))

    @on(WorkerCrashed)
    def _crashed(self, event: WorkerCrashed) -> None:
        if not self.is_running:  # shutting down: workers die with their screens
            return
        where = self.context.answers_path if self.context else self.out
        what = event.name or "working"
        if isinstance(self.screen, ErrorScreen):
            self.screen.add(what, event.error)
            return
        self.push_screen(
            ErrorScreen(what, event.error, str(where)),
            callback=lambda quit_now: self.exit(1) if quit_now else None,
        )
