"""The monitor's modals: confirm an action (showing exactly what it will do) and read a full log."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import RichLog, Static

from wizard.core.agent_log import parse_scripts_log
from wizard.core.timeline.offers import STOP, STOP_ROLLBACK
from wizard.services.aws.monitor.actions import PlannedAction
from wizard.services.aws.monitor.full_log import FullLog
from wizard.tui.screens.modals import Dialog
from wizard.tui.theme import THEME

#: actions that interrupt something running: their Run button is red
DANGEROUS = frozenset({STOP, STOP_ROLLBACK})


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
