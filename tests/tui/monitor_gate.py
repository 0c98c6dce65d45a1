"""Drive the real `AwsFeed` loop one poll at a time from a Pilot test (no sleeps).

The feed's `pause` (called between polls) blocks until the test calls `step()`, which first
applies the scenario's next frame (moto state, queued Stubber responses). So the test asserts on
the screen after each poll, and the loop never runs ahead of the stubbed responses. Closing the
feed (the screen does when it goes away) releases the pause, so the worker's loop ends.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from tests.tui.waiting import wait_for
from wizard.app.monitor_feed import AwsFeed
from wizard.tui.screens.monitor import MonitorScreen


class Gate:
    def __init__(self, frames: list[Callable[[], None]] | None = None) -> None:
        self.frames = list(frames or [])
        self.feed: AwsFeed | None = None
        self.delays: list[float | None] = []
        self._go = threading.Event()
        self.applied = 0

    def begin(self) -> None:
        """Apply frame 0 (before the first poll)."""
        if self.frames:
            self.frames[0]()
            self.applied = 1

    def pause(self, delay: float | None) -> None:
        self.delays.append(delay)
        while not self._go.wait(0.02):
            if self.feed is None or self.feed.closed:
                return
        self._go.clear()

    def release(self) -> None:
        """Let the loop poll once more (without a new frame)."""
        self._go.set()

    def step(self) -> None:
        """Apply the next frame, then let the loop poll once."""
        if self.applied < len(self.frames):
            self.frames[self.applied]()
            self.applied += 1
        self._go.set()


async def next_update(pilot, screen: MonitorScreen, gate: Gate, *, frame: bool = True) -> None:
    """Step the gate and wait until the screen applied the poll that followed."""
    seen = screen.updates
    if frame:
        gate.step()
    else:
        gate.release()
    await wait_for(pilot, lambda: screen.updates > seen, what="the next poll", timeout=30)
