"""The simulation's one clock and its pace.

Every schedule is computed in absolute epoch seconds from `now()`, and every read API turns a
schedule into state by comparing it with `now()`. Tests replace the clock with `set_clock` (a
callable returning epoch seconds); nothing else in the simulation reads the time.

`CDWIZARD_SANDBOX_PACE` scales every simulated duration, read when a schedule is computed:
`1` (the default) makes a single-instance pipeline run take about 20 s, `0.1` ten times faster,
`0` instantaneous (runs finish the moment they start, their events in order with equal times).
A value that is not a number >= 0 is ignored (the default applies).
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable

PACE_ENV = "CDWIZARD_SANDBOX_PACE"

_CLOCK: dict[str, Callable[[], float]] = {"now": time.time}


def now() -> float:
    """The simulation's current time (epoch seconds)."""
    return float(_CLOCK["now"]())


def set_clock(clock: Callable[[], float] | None) -> None:
    """Replace the clock (tests); `None` restores `time.time`."""
    _CLOCK["now"] = clock or time.time


def pace() -> float:
    """The duration factor from `CDWIZARD_SANDBOX_PACE` (1.0 when unset or invalid)."""
    raw = os.environ.get(PACE_ENV, "").strip()
    if not raw:
        return 1.0
    try:
        value = float(raw)
    except ValueError:
        return 1.0
    return value if 0 <= value < float("inf") else 1.0


def jitter(*parts: str, spread: float = 0.2) -> float:
    """A stable factor in [1 - spread, 1 + spread] derived from `parts` (no randomness: the same
    run always gets the same durations)."""
    digest = hashlib.sha256("\0".join(parts).encode()).digest()
    unit = int.from_bytes(digest[:8], "big") / 2**64
    return 1.0 - spread + 2 * spread * unit


def duration(base: float, *parts: str) -> float:
    """`base` seconds, jittered by `parts` and scaled by the pace; rounded to milliseconds."""
    return round(base * jitter(*parts) * pace(), 3)
