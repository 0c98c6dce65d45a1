"""The monitor's modals: confirm an action (showing exactly what it will do) and read a full log."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, RichLog, Static

from wizard.core.agent_log import parse_scripts_log
from wizard.core.timeline import ActionView
from wizard.core.timeline.offers import REJECT, STOP, STOP_ROLLBACK
from wizard.services.aws.monitor.actions import COMMENT_LIMIT, PlannedAction
from wizard.services.aws.monitor.full_log import FullLog
from wizard.tui.screens.modals import Dialog
from wizard.tui.theme import THEME

#: actions that interrupt something running: their Run button is red
DANGEROUS = frozenset({STOP, STOP_ROLLBACK, REJECT})


def api_line(api: str, params: Mapping[str, Any]) -> str:
    """`codedeploy:StopDeployment deploymentId=d-1 autoRollbackEnabled=true`."""
    shown = []
    for key, value in params.items():
        if isinstance(value, bool):
            text = str(value).lower()
        elif isinstance(value, (dict, list)):
            text = "{…}" if isinstance(value, dict) else f"[{len(value)}]"
        else:
            text = str(value)
        shown.append(f"{key}={text}")
    return " ".join([api, *shown])


class ActionDialog(Dialog):
    """Run this action? The planned description, then the exact API call."""

    def __init__(self, planned: PlannedAction) -> None:
        body = f"{planned.description}\n\n{api_line(planned.api, planned.params)}"
        super().__init__(
            f"{planned.title}?", body, "Run", "Cancel", danger=planned.key in DANGEROUS
        )
        self.planned = planned


class CommentDialog(ModalScreen[str | None]):
    """The comment for approving or rejecting a waiting approval (a rejection needs one).
    Enter goes on to the confirmation with the comment; Esc cancels (None)."""

    DEFAULT_CSS = """
    CommentDialog #comment-problem { color: $error; height: auto; }
    """
    BINDINGS: ClassVar = [Binding("escape", "cancel", "Cancel", show=False)]

    def __init__(self, approval: ActionView, *, approve: bool) -> None:
        super().__init__(classes="dialog-screen")
        self.approval = approval
        self.approve = approve

    def compose(self) -> ComposeResult:
        a = self.approval
        verb = "Approve" if self.approve else "Reject"
        lines = [f"Stage {a.stage} waits for approval."]
        if a.approval_message:
            lines.append(a.approval_message)
        if a.approval_url:
            lines.append(f"Review: {a.approval_url}")
        need = "optional" if self.approve else "required: say what to fix"
        lines.append(f"\nComment ({need}; Enter goes on to confirm, Esc cancels):")
        with Vertical(classes="dialog"):
            yield Static(f"{verb} stage {a.stage}", classes="dialog-title", markup=False)
            yield Static("\n".join(lines), classes="dialog-body", markup=False)
            yield Input(placeholder="comment", max_length=COMMENT_LIMIT, id="approval-comment")
            yield Static("", id="comment-problem", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="no")
                yield Button(f"{verb}…", id="yes", variant="primary" if self.approve else "error")

    def on_mount(self) -> None:
        self.query_one("#approval-comment", Input).focus()

    def _submit(self) -> None:
        text = self.query_one("#approval-comment", Input).value.strip()
        if not self.approve and not text:
            self.query_one("#comment-problem", Static).update(
                "A rejection needs a comment: say what to fix."
            )
            return
        self.dismiss(text)

    @on(Input.Submitted)
    def _entered(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "yes":
            self._submit()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)


def log_lines(log: FullLog) -> list[Text]:
    """The log as styled lines: a heading per lifecycle event, stderr in red."""
    lines: list[Text] = []
    current = None
    for line in parse_scripts_log(log.text):
        if line.event != current:
            current = line.event
            lines.append(Text(f"── {current or 'output'} ──", style=f"bold {THEME.primary}"))
        style = THEME.error if line.stream == "stderr" else ""
        lines.append(Text(line.text, style=style or ""))
    if not lines:
        lines.append(Text("(the log is empty)", style="dim"))
    return lines


class LogViewer(ModalScreen[None]):
    """The whole `scripts.log` of one instance, scrollable; Esc closes."""

    BINDINGS: ClassVar = [
        Binding("escape", "close", "Close"),
        Binding("q", "close", "Close", show=False),
        Binding("end", "bottom", "End", show=False),
    ]

    def __init__(self, log: FullLog, deployment_id: str = "") -> None:
        super().__init__(classes="dialog-screen")
        self.log_file = log
        self.deployment_id = deployment_id
        self.lines = log_lines(log)

    def compose(self) -> ComposeResult:
        log = self.log_file
        cut = " — only the last part (the file is larger)" if log.truncated else ""
        of = f" of {self.deployment_id}" if self.deployment_id else ""
        with Vertical(classes="dialog log-viewer"):
            yield Static(
                f"scripts.log on {log.instance_id}{of}", classes="dialog-title", markup=False
            )
            yield Static(
                f"{log.path} · {log.size} bytes{cut} · Esc closes",
                classes="dialog-body",
                markup=False,
            )
            yield RichLog(id="full-log", wrap=False, highlight=False, markup=False, max_lines=None)

    def on_mount(self) -> None:
        view = self.query_one("#full-log", RichLog)
        for line in self.lines:
            view.write(line, scroll_end=False)
        view.focus()

    def action_close(self) -> None:
        self.dismiss(None)

    def action_bottom(self) -> None:
        self.query_one("#full-log", RichLog).scroll_end(animate=False)
