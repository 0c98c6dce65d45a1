"""Small dialogs: resume an earlier run, quit, interrupt, and the error view."""

from __future__ import annotations

import traceback
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from wizard.core.events.base import plural


class Dialog(ModalScreen[bool]):
    """A question with two buttons; Enter/y means yes, Esc/n means no."""

    BINDINGS: ClassVar = [
        Binding("y", "answer(True)", "Yes", show=False),
        Binding("n", "answer(False)", "No", show=False),
        Binding("escape", "answer(False)", "No", show=False),
    ]

    def __init__(self, title: str, body: str, yes: str, no: str, *, danger: bool = False) -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.body = body
        self.yes = yes
        self.no = no
        self.danger = danger

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.title_text, classes="dialog-title", markup=False)
            yield Static(self.body, classes="dialog-body", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.no, id="no")
                yield Button(self.yes, id="yes", variant="error" if self.danger else "primary")

    def on_mount(self) -> None:
        self.query_one("#yes", Button).focus()

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class ResumeDialog(Dialog):
    """Offered on launch when an earlier run left answers in the workspace."""


class QuitDialog(Dialog):
    """Ctrl+C / Ctrl+Q outside of an apply: answers are saved, so quitting loses nothing."""


class InterruptDialog(Dialog):
    """Ctrl+C during terraform: stop gracefully? (a second Ctrl+C forces)."""


class ErrorScreen(ModalScreen[bool]):
    """What an unexpected worker error turns into: the message, the trace, and a way out."""

    BINDINGS: ClassVar = [
        Binding("escape", "close", "Close"),
        Binding("q", "quit_app", "Quit"),
    ]

    def __init__(self, where: str, error: BaseException, saved_to: str) -> None:
        super().__init__(classes="dialog-screen")
        self.where = where
        self.error = error
        self.saved_to = saved_to
        self.more = 0
        self.last_more = ""

    def compose(self) -> ComposeResult:
        trace = "".join(traceback.format_exception(self.error)).rstrip()
        with Vertical(classes="dialog -error"):
            yield Static(
                f"Something went wrong while {self.where}", classes="dialog-title", markup=False
            )
            yield Static(
                f"{type(self.error).__name__}: {self.error}\n\n"
                f"Your answers are safe in {self.saved_to}. This looks like a bug in cdwizard: "
                "the details below help to report it.",
                classes="dialog-body",
                markup=False,
            )
            with VerticalScroll(classes="trace"):
                yield Static(trace, markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Static("", id="more", markup=False)
                yield Button("Quit", id="quit")
                yield Button("Carry on", id="close", variant="primary")

    def on_mount(self) -> None:
        for button in self.query("#close").results(Button):
            button.focus()
        self._show_more()

    def add(self, where: str, error: BaseException) -> None:
        """Another worker failed while this is shown: count it rather than stack dialogs."""
        self.more += 1
        self.last_more = f"{type(error).__name__} while {where}"
        self._show_more()

    def _show_more(self) -> None:
        if self.more and self.is_mounted:
            self.query_one("#more", Static).update(
                f"and {plural(self.more, 'more error')} (last: {self.last_more})"
            )

    def action_close(self) -> None:
        self.dismiss(False)

    def action_quit_app(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "quit")
