"""A discovery lookup as one status line: a spinner while asking, then ✓ or ✗ with the fix.

The spinner state is set with `asking()`, not `loading()`: `Widget.loading` is Textual's reactive,
and a method in its place is always truthy, so Textual would treat every line as loading (mouse
events over it dropped, the wheel would not scroll the screen under it)."""

from __future__ import annotations

from typing import Literal

from textual.content import Content
from textual.timer import Timer
from textual.widgets import Static

from wizard.app.ports import Failure

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"

State = Literal["idle", "loading", "ok", "warn", "failed", "off"]


class LookupStatus(Static):
    """Shows one lookup's state. The spinner only ticks while loading."""

    DEFAULT_CSS = """
    LookupStatus {
        height: auto;
    }

    LookupStatus.-failed {
        color: $error;
    }

    LookupStatus.-warn {
        color: $warning;
    }

    LookupStatus.-off {
        color: $text-muted;
    }
    """

    def __init__(
        self,
        idle_text: str = "",
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.state: State = "idle"
        self._text = idle_text
        self._frame = 0
        self._timer: Timer | None = None

    def on_mount(self) -> None:
        self._timer = self.set_interval(0.08, self._tick, pause=True)
        self._show()

    def _tick(self) -> None:
        self._frame = (self._frame + 1) % len(SPINNER)
        self._show()

    def _show(self) -> None:
        text = self._text
        if self.state == "loading":
            content = Content.from_markup(f"[$secondary]{SPINNER[self._frame]}[/] $t", t=text)
        elif self.state == "ok":
            content = Content.from_markup("[$success]✓[/] $t", t=text)
        elif self.state == "warn":
            content = Content.from_markup("[$warning]![/] $t", t=text)
        elif self.state == "failed":
            content = Content.from_markup("[$error]✗[/] $t", t=text)
        elif self.state == "off":
            content = Content.from_markup("[dim]– $t[/]", t=text)
        else:
            content = Content.from_markup("[dim]$t[/]", t=text)
        self.update(content)
        for state in ("idle", "loading", "ok", "warn", "failed", "off"):
            self.set_class(state == self.state, f"-{state}")

    def _set(self, state: State, text: str) -> None:
        self.state = state
        self._text = text
        if self._timer is not None:
            if state == "loading":
                self._timer.resume()
            else:
                self._timer.pause()
        if self.is_mounted:
            self._show()

    def asking(self, text: str) -> None:
        self._set("loading", text)

    def ok(self, text: str) -> None:
        self._set("ok", text)

    def warn(self, text: str) -> None:
        self._set("warn", text)

    def failed(self, failure: Failure) -> None:
        self._set("failed", f"{failure.message}.\n  {failure.fix}")

    def off(self, text: str) -> None:
        self._set("off", text)

    @property
    def text(self) -> str:
        return self._text
