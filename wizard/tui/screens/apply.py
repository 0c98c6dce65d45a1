"""Step 8: apply exactly the reviewed plan, one live row per resource.

Each row shows a spinner while terraform works on the resource, its elapsed time, then ✓ or ✗
with the reason under a failed row. The raw terraform log is one key away. At the end: what was
added/changed/destroyed and how long it took, the outputs (console links) and what to do next.
Ctrl+C asks first; pressing it again stops terraform gracefully, and once more kills it.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.style import Style
from textual.widgets import Collapsible, Footer, Log, Static

from wizard.app.failure_steps import failure_lines
from wizard.app.ports import Failure, is_runner_error
from wizard.core.events.base import Notice, format_duration
from wizard.core.events.terraform import TfOutputs
from wizard.core.progress import Progress, ResourceRow, resource_labels
from wizard.tui.messages import RunnerEvent
from wizard.tui.screens.base import Navigate, WizardScreen, titled
from wizard.tui.screens.modals import InterruptDialog
from wizard.tui.widgets.failure_panel import FailurePanel
from wizard.tui.widgets.lookup import SPINNER

NEXT_STEPS = (
    "Push the service to the branch and follow it:  cdwizard ship",
    "Follow every pipeline run, deployment and hook:  cdwizard monitor",
)

ICONS = {
    "pending": "[dim]○[/]",
    "done": "[$success]✓[/]",
    "failed": "[b $error]✗[/]",
    "interrupted": "[$warning]■[/]",
}


def row_content(
    row: ResourceRow, label: str, now: float, frame: int, *, width: int = 100
) -> Content:
    """`⠋ pipeline shop  (aws_codepipeline.this)   create   12s`, plus the reason if failed."""
    icon = (
        f"[$secondary]{SPINNER[frame % len(SPINNER)]}[/]"
        if row.status == "running"
        else ICONS.get(row.status, "•")
    )
    elapsed = row.elapsed_seconds
    if row.status == "running" and isinstance(row.started_at, datetime):
        elapsed = max(elapsed, now - row.started_at.timestamp())
    shown_time = format_duration(elapsed) if row.status != "pending" else ""
    name = label if label else row.address
    where = f"  ({row.address})" if label else ""
    head = Content.from_markup(f"{icon} $name[dim]$where[/]", name=name, where=where).truncate(
        max(20, width - 20), ellipsis=True
    )
    tail = Content.from_markup("[dim]$action[/] $time", action=row.action, time=shown_time)
    gap = max(1, width - head.cell_length - tail.cell_length)
    line = head + Content(" " * gap) + tail
    if row.status == "failed" and row.error:
        line = line + Content("\n") + Content.from_markup("[$error]  └ $e[/]", e=row.error)
    return line


class ApplyScreen(WizardScreen):
    STEP = "apply"
    BINDINGS: ClassVar = [
        Binding("l", "toggle_log", "Raw log"),
        Binding("m", "monitor", "Monitor"),
        Binding("escape", "back", "Back to review", show=False),
    ]

    running = False
    stopping = 0
    started: float | None = None
    finished: float | None = None
    failure: Failure | None = None
    code: int | None = None
    succeeded = False

    def compose(self) -> ComposeResult:
        yield self.top_bar()
        yield self.step_indicator()
        with VerticalScroll(id="apply-body"):
            yield Static("8. Apply", classes="step-title")
            yield Static("", id="apply-status", markup=False)
            yield titled("Resources", VerticalScroll(id="rows"))
            yield Static("", id="result", markup=False)
            yield FailurePanel(id="failure", classes="failure-detail")
            yield titled("Outputs", Static("", id="outputs"))
            yield Static("", id="next-steps", markup=False)
            with Collapsible(title="Raw log (l)", collapsed=True, id="raw-log"):
                yield Log(max_lines=10_000, id="log")
        yield Footer()

    def on_mount(self) -> None:
        self.outputs: dict[str, Any] = {}
        self.labels = self._labels()
        self._frame = 0
        self._row_widgets: dict[str, Static] = {}
        #: address -> (row, width) last drawn; only running rows move without a new row
        self._rows_drawn: dict[str, tuple[ResourceRow, int]] = {}
        self.query_one("#outputs").display = False
        self.set_interval(0.08, self._tick)
        if self.context.runner is None:
            self.failure = Failure(
                "There is nothing to apply: no plan was made",
                "go back to Review (Esc) so the plan can be made first",
            )
            self._show_result()
            return
        self.apply()

    def _labels(self) -> dict[str, str]:
        """address -> what it is in pipeline terms, from the reviewed plan."""
        return resource_labels(self.context.runner.summary if self.context.runner else None)

    @work(group="apply", exit_on_error=False, name="applying")
    async def apply(self) -> None:
        """Apply in an async worker on the app's loop: terraform streams, the UI stays live."""
        runner = self.context.runner
        assert runner is not None
        self.running = True
        self.started = self.context.services.clock()
        try:
            self.code = await runner.apply()
        except Exception as exc:
            if not is_runner_error(exc):
                raise
            self.failure = Failure(
                str(exc), getattr(exc, "hint", None) or "the raw log (l) has terraform's output"
            )
            self.code = getattr(exc, "code", 1)
        finally:
            self.running = False
            self.finished = self.context.services.clock()
            self._tick()
            self._show_result()
            await asyncio.to_thread(runner.close)

    # --- live view ----------------------------------------------------------------------------

    @on(RunnerEvent)
    def _show_event(self, message: RunnerEvent) -> None:
        """Each event of the run: its line in the raw log; outputs and warnings where they show."""
        event = message.event
        if isinstance(event, TfOutputs):
            self.outputs.update(event.values())
        if isinstance(event, Notice) and event.level in ("warn", "error"):
            # e.g. an emulator failure while terraform runs: not only in the raw log
            self.notify(event.text, severity="warning", timeout=15)
        self.query_one("#log", Log).write_lines(event.summary().splitlines() or [""])

    def _tick(self) -> None:
        """Every 80 ms while resources run: their spinners, elapsed times and the status."""
        self._frame += 1
        runner = self.context.runner
        if runner is not None:
            self._show_rows(runner.progress)

    def _show_rows(self, progress: Progress) -> None:
        container = self.query_one("#rows", VerticalScroll)
        now = self.context.services.clock()
        width = max(40, container.size.width - 2)
        for address, row in progress.rows.items():
            if row.status != "running" and self._rows_drawn.get(address) == (row, width):
                continue  # unchanged since the last frame: no re-render, no relayout
            self._rows_drawn[address] = (row, width)
            widget = self._row_widgets.get(address)
            if widget is None:
                widget = Static(classes="resource-row")
                self._row_widgets[address] = widget
                container.mount(widget)
            widget.set_class(row.status == "failed", "-failed")
            widget.update(
                row_content(row, self.labels.get(address, ""), now, self._frame, width=width)
            )
        counts = progress.counts().line()
        elapsed = (self.finished or now) - (self.started or now)
        if self.running:
            verb = "Stopping" if self.stopping else "Applying"
            text = f"{verb}: {counts} · {format_duration(elapsed)}"
            self.query_one("#apply-status", Static).update(text)

    def _show_result(self) -> None:
        result = self.query_one("#result", Static)
        status = self.query_one("#apply-status", Static)
        runner = self.context.runner
        progress = runner.progress if runner is not None else None
        elapsed = format_duration((self.finished or 0) - (self.started or 0))
        if self.failure is not None:
            status.update("")
            result.update(f"✗ {self.failure.message}.\n  {self.failure.fix}")
            result.set_class(True, "-failed")
            return
        ok = bool(progress is not None and progress.ok and self.code == 0)
        added, changed, destroyed = _changes(progress)
        report = runner.report if runner is not None else None
        leftovers = report.leftovers if report is not None else ()
        if ok and leftovers:  # the monitor opens next: say it where it stays visible
            self.notify(
                "\n".join(line for item in leftovers for line in item.lines()),
                title=f"{len(leftovers)} left over outside terraform's state",
                severity="warning",
                timeout=60,
            )
        if ok:
            status.update(f"Done in {elapsed}.")
            result.update(
                f"✓ Apply complete: {added} added, {changed} changed, {destroyed} destroyed "
                f"in {elapsed}."
            )
            self.query_one("#next-steps", Static).update(
                "Next:\n" + "\n".join(f"  • {step}" for step in NEXT_STEPS)
            )
            self.succeeded = True
            self.post_message(Navigate(self.STEP, "next"))  # land on the live monitor
        else:
            stopped = self.stopping or (progress is not None and progress.interrupted)
            head = "■ Apply stopped" if stopped else "✗ Apply failed"
            status.update("")
            result.update(
                f"{head} after {elapsed}: {added} added, {changed} changed, {destroyed} destroyed."
            )
            result.set_class(True, "-failed")
            self._show_failure(progress)
        result.set_class(ok, "-ok")
        if self.outputs:
            self.query_one("#outputs").display = True
            self.query_one("#outputs", Static).update(outputs_content(self.outputs))
        result.scroll_visible(animate=False, top=True)

    def _show_failure(self, progress: Progress | None) -> None:
        """Under the result: terraform's error diagnostics in full (each failed resource by its
        name), why, and what to do, from the run's report."""
        runner = self.context.runner
        report = runner.report if runner is not None else None
        diagnostics = report.diagnostics if report is not None else ()
        lines = failure_lines(
            diagnostics,
            report.cause if report is not None else None,
            report.next_steps if report is not None else (),
            "apply",
            labels=self.labels,
        )
        if not diagnostics:  # no report (or no diagnostics): at least the reasons we have
            errors = [("error", f"✗ {e}") for e in (progress.errors if progress else ())]
            lines = errors + lines
        leftovers = [
            (role, text)
            for item in (report.leftovers if report is not None else ())
            for role, text in (("error", f"left over: {item.label}"), ("detail", _commands(item)))
        ]
        at = next(
            (i for i, (role, _) in enumerate(lines) if role in ("why", "heading")), len(lines)
        )
        lines[at:at] = leftovers  # after what terraform said, before why and what to do
        lines.append(("note", "Esc goes back to Review; the answers are saved."))
        self.query_one("#failure", FailurePanel).show(lines)

    # --- keys ---------------------------------------------------------------------------------

    def request_interrupt(self) -> bool:
        """Ctrl+C / Ctrl+Q while terraform runs: ask; again: stop gracefully; again: kill."""
        runner = self.context.runner
        if not self.running or runner is None:
            return False
        if isinstance(self.app.screen, InterruptDialog):
            self.app.screen.dismiss(True)  # the second press does not wait for the answer
            return True
        if self.stopping:
            self.stopping += 1
            runner.interrupt()  # the runner kills terraform on its second interrupt
            self.notify("Killing terraform.", severity="warning")
            return True
        self.app.push_screen(
            InterruptDialog(
                "Stop the apply?",
                "terraform finishes the resources it is working on, saves its state and "
                "stops; what is not started yet stays undone.\n"
                "Press Ctrl+C again to stop without waiting for this answer; once stopping, "
                "Ctrl+C once more kills terraform (a resource may be left half-made).",
                "Stop",
                "Keep going",
                danger=True,
            ),
            callback=self._interrupt_answer,
        )
        return True

    def _interrupt_answer(self, stop: bool | None) -> None:
        runner = self.context.runner
        if stop and self.running and runner is not None and not self.stopping:
            self.stopping = 1
            runner.interrupt()

    def action_monitor(self) -> None:
        if self.succeeded:
            self.post_message(Navigate(self.STEP, "next"))
        else:
            self.notify("The monitor opens once the apply has succeeded.")

    def action_toggle_log(self) -> None:
        log = self.query_one("#raw-log", Collapsible)
        log.collapsed = not log.collapsed

    def action_back(self) -> None:
        if self.running:
            self.notify("terraform is still applying; Ctrl+C stops it.", severity="warning")
            return
        self.post_message(Navigate(self.STEP, "back"))

    @on(Collapsible.Expanded)
    def _log_opened(self) -> None:
        self.query_one("#log", Log).scroll_end(animate=False)


def _changes(progress: Progress | None) -> tuple[int, int, int]:
    """(added, changed, destroyed): terraform's own change summary, else counted from rows."""
    if progress is None:
        return 0, 0, 0
    summary = progress.summary
    if summary is not None:
        return summary.add, summary.change, summary.remove
    done = [r for r in progress.rows.values() if r.status == "done"]
    added = sum(1 for r in done if r.action in ("create", "replace"))
    changed = sum(1 for r in done if r.action == "update")
    destroyed = sum(1 for r in done if r.action in ("delete", "replace"))
    return added, changed, destroyed


def outputs_content(outputs: dict[str, Any]) -> Content:
    """`name  value` lines, console links first; https values become clickable links."""
    lines: list[Content] = []
    width = max((len(k) for k in outputs), default=0)
    links_first = sorted(outputs.items(), key=lambda kv: not str(kv[1]).startswith("https://"))
    for name, value in links_first:
        text = value if isinstance(value, str) else repr(value)
        if text.startswith("https://"):
            shown = Content(text).stylize(Style(link=text, underline=True))
        else:
            shown = Content(text)
        lines.append(Content(f"{name:<{width}}  ") + shown)
    return Content("\n").join(lines)


def _commands(item: Any) -> str:
    """The adopt and remove commands of a leftover, one a line."""
    return f"adopt:  {item.adopt}\nremove: {item.remove}"
