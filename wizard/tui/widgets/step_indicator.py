"""The row of steps at the top: done ✓, current ●, still to come ○."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from textual.content import Content
from textual.widgets import Static

from wizard.app.steps import flow, step


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
        optional: Collection[str] = (),
    ) -> None:
        """`optional`: the optional steps in this run's flow (e.g. Environments)."""
        super().__init__(name=name, id=id, classes=classes)
        self.current = current
        self.completed = set(completed)
        self.optional = frozenset(optional)

    def on_mount(self) -> None:
        self.update(self.describe())

    def on_resize(self) -> None:
        self.update(self.describe())

    def set_optional(self, optional: Collection[str]) -> None:
        """Show the steps of a flow that now takes (or skips) some optional steps."""
        self.optional = frozenset(optional)
        self.update(self.describe())

    def describe(self) -> Content:
        parts: list[Content] = []
        for index, name in enumerate(flow({*self.optional, self.current}), start=1):
            step_ = step(name)
            if step_.name == self.current:
                parts.append(
                    Content.from_markup(f"[b $primary]● {index} $title[/]", title=step_.title)
                )
            elif step_.name in self.completed:
                parts.append(
                    Content.from_markup(f"[$success]✓[/] {index} $title", title=step_.title)
                )
            else:
                parts.append(Content.from_markup(f"[dim]○ {index} $title[/]", title=step_.title))
        joined = Content.from_markup("[dim] › [/]").join(parts)
        width = self.content_size.width
        if width and joined.cell_length > width:  # a long flow on a narrow screen: tighter
            return Content.from_markup("[dim]›[/]").join(parts)
        return joined
