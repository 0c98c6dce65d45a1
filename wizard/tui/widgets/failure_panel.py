"""A terraform failure, laid out: each error with its detail indented under it, why, and the next
steps as a bulleted list whose wrapped lines stay under their own text. Presentation only: the
lines and their roles come from `wizard.app.failure_steps.failure_lines`."""

from __future__ import annotations

from collections.abc import Sequence

from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Static

#: (role, text): role is "error", "detail", "why", "heading", "step" or "note"
Line = tuple[str, str]


class FailurePanel(Vertical):
    """Hidden until `show()` gets lines; `clear()` hides it again."""

    DEFAULT_CSS = """
    FailurePanel { height: auto; display: none; }
    FailurePanel.-shown { display: block; }
    FailurePanel > .-error { color: $error; text-style: bold; }
    FailurePanel > .-detail { padding: 0 0 0 2; }
    FailurePanel > .-why { color: $warning; margin: 1 0 0 0; }
    FailurePanel > .-heading { text-style: bold; margin: 1 0 0 0; }
    FailurePanel > .-step { height: auto; }
    FailurePanel > .-step > .bullet { width: 4; padding: 0 0 0 2; color: $secondary; }
    FailurePanel > .-step > .text { width: 1fr; }
    FailurePanel > .-note { color: $text-muted; margin: 1 0 0 0; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.lines: tuple[Line, ...] = ()

    @property
    def text(self) -> str:
        """Everything shown, as plain text (one line per entry)."""
        return "\n".join(text for _role, text in self.lines)

    def show(self, lines: Sequence[Line]) -> None:
        self.lines = tuple(lines)
        self.remove_children()
        widgets: list[Widget] = []
        for role, text in self.lines:
            if role == "step":
                widgets.append(
                    Horizontal(
                        Static("•", classes="bullet"),
                        Static(text, classes="text", markup=False),
                        classes="-step",
                    )
                )
            else:
                widgets.append(Static(text, classes=f"-{role}", markup=False))
        self.mount_all(widgets)
        self.set_class(bool(self.lines), "-shown")

    def clear(self) -> None:
        self.show(())
