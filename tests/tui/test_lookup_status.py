"""The lookup status line is an ordinary widget to Textual in every state.

It once named its spinner setter `loading()`, hiding Textual's `Widget.loading` reactive behind a
(always truthy) method: Textual then dropped every mouse event over a lookup line, so a click or
the mouse wheel over one did nothing.
"""

from __future__ import annotations

from textual import events
from textual.app import App, ComposeResult
from textual.containers import VerticalScroll

from tests.tui.waiting import wait_for
from wizard.tui.widgets.lookup import LookupStatus


class Lines(App[None]):
    """A scrolling column of lookup lines that records which widget each click reached."""

    def __init__(self) -> None:
        super().__init__()
        self.clicked: list[str] = []

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            for i in range(30):
                yield LookupStatus(f"line {i}", id=f"line-{i}")

    def on_click(self, event: events.Click) -> None:
        if event.widget is not None and event.widget.id:
            self.clicked.append(event.widget.id)


async def test_clicks_reach_a_lookup_line_in_every_state() -> None:
    app = Lines()
    async with app.run_test(size=(40, 10)) as pilot:
        line = app.query_one("#line-1", LookupStatus)
        line.asking("Listing regions…")
        await pilot.pause()
        assert line.state == "loading" and line.has_class("-loading")
        assert line.loading is False  # Textual's own reactive, untouched
        assert await pilot.click("#line-1")
        line.ok("3 regions")
        await pilot.pause()
        assert await pilot.click("#line-1")
        assert app.clicked == ["line-1", "line-1"]


async def test_asking_spins_until_an_answer() -> None:
    app = Lines()
    async with app.run_test(size=(40, 10)) as pilot:
        line = app.query_one("#line-0", LookupStatus)
        line.asking("Checking your credentials…")
        first = str(line.render())
        await wait_for(pilot, lambda: str(line.render()) != first, what="the spinner to turn")
        assert "Checking your credentials…" in str(line.render())
        line.warn("no permission")
        await pilot.pause()
        assert line.state == "warn" and not line.has_class("-loading")
        assert str(line.render()).startswith("! no permission")
