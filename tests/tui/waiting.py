"""Wait on conditions, never on the clock (harlequin's `tests/waiting.py` pattern)."""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.pilot import Pilot


async def wait_for(
    pilot: Pilot,
    predicate: Callable[[], object],
    *,
    what: str,
    timeout: float = 10.0,
    interval: float | None = 0.01,
) -> None:
    """Pump the app until `predicate()` is truthy; fail naming `what` never happened.

    `interval` lets thread workers run between checks (pumping messages alone does not advance
    a thread). Exceptions from the predicate (a widget not mounted yet) count as "not yet".
    """
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while True:
        try:
            if predicate():
                return
            last_error = None
        except Exception as exc:  # not there yet
            last_error = exc
        if time.monotonic() > deadline:
            detail = f" (last error: {last_error!r})" if last_error else ""
            raise AssertionError(f"timed out after {timeout}s waiting for {what}{detail}")
        await pilot.pause(interval)
