"""The row of steps at the top: done ✓, current ●, still to come ○."""

from __future__ import annotations

from collections.abc import Iterable

from textual.content import Content
from textual.widgets import Static

from wizard.app.steps import STEPS


class StepIndicator(Static):
    """`✓ Welcome › ✓ AWS › ● Source › ○ Targets …`"""

    DEFAULT_CSS = """
    StepIndicator {
        height: 1;
        padding: 0 1;
        margin: 1 0 0 0;
    }
    """

    def __init__(
        self,
        current: str,
        completed: Iterable[str],
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.current = current
        self.completed = set(completed)

    def on_mount(self) -> None:
        self.update(self.describe())

    def describe(self) -> Content:
        parts: list[Content] = []
        for index, step in enumerate(STEPS, start=1):
            if step.name == self.current:
                parts.append(
                    Content.from_markup(f"[b $primary]● {index} $title[/]", title=step.title)
                )
            elif step.name in self.completed:
                parts.append(
                    Content.from_markup(f"[$success]✓[/] {index} $title", title=step.title)
                )
            else:
                parts.append(Content.from_markup(f"[dim]○ {index} $title[/]", title=step.title))
        return Content.from_markup("[dim] › [/]").join(parts)
