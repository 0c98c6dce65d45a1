"""Adaptive polling: fast while something runs, slow when idle, wider while AWS throttles us,
and a growing retry delay while the network is down. Pure arithmetic; the caller sleeps."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PollIntervals:
    """Seconds between polls. The defaults suit real AWS; tests pass their own."""

    active: float = 3.0
    idle: float = 20.0
    max_throttled: float = 60.0
    max_offline: float = 30.0
    #: clean polls before a throttling back-off is halved again
    recover_after: int = 3


class PollSchedule:
    """The delay before the next poll, given how the last one went."""

    def __init__(self, intervals: PollIntervals | None = None) -> None:
        self.intervals = intervals or PollIntervals()
        self._throttle_factor = 1.0
        self._clean = 0
        self._offline = 0
        self._active = True

    @property
    def throttled(self) -> bool:
        return self._throttle_factor > 1.0

    def _base(self) -> float:
        return self.intervals.active if self._active else self.intervals.idle

    def _throttled(self) -> float:
        return min(self.intervals.max_throttled, self._base() * self._throttle_factor)

    def after_success(self, *, active: bool) -> float:
        self._active = active
        self._offline = 0
        if self._throttle_factor > 1.0:
            self._clean += 1
            if self._clean >= self.intervals.recover_after:
                self._throttle_factor = max(1.0, self._throttle_factor / 2)
                self._clean = 0
        return self._throttled()

    def after_throttle(self) -> float:
        self._clean = 0
        self._offline = 0
        self._throttle_factor = min(self._throttle_factor * 2, 64.0)
        return max(self._throttled(), self.intervals.active)

    def after_connection_problem(self) -> float:
        self._offline += 1
        step = self.intervals.active * (2 ** (self._offline - 1))
        return min(self.intervals.max_offline, step)
