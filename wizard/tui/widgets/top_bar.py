"""The one-line bar at the very top: product, where we build, where answers are saved."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static


class TopBar(Static):
    """`◆ cdwizard  AWS · profile default · eu-west-1 ……… answers: ./cdwizard-out/answers.yml`"""

    DEFAULT_CSS = """
    TopBar {
        height: 1;
        background: $panel;
        padding: 0 1;
    }
    """

    def __init__(self, target: str, workspace: str) -> None:
        super().__init__()
        self.target = target
        self.workspace = workspace

    def on_mount(self) -> None:
        self.update(self.describe(self.size.width))

    def on_resize(self) -> None:
        self.update(self.describe(self.size.width))

    def describe(self, width: int) -> Content:
        left = Content.from_markup("[b $primary]◆ cdwizard[/]  [$secondary]$t[/]", t=self.target)
        right = Content.from_markup("[$text-muted]$w[/]", w=self.workspace)
        gap = max(2, width - 2 - left.cell_length - right.cell_length)
        return left + Content(" " * gap) + right
