"""The one-line bar at the very top: product, where we build, where answers are saved."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label


class TopBar(Horizontal):
    def __init__(self, target: str, workspace: str) -> None:
        super().__init__()
        self.target = target
        self.workspace = workspace

    def compose(self) -> ComposeResult:
        yield Label("◆ cdwizard", classes="brand")
        yield Label(self.target, classes="target")
        yield Label(self.workspace, classes="workspace")
