"""A deployment's traffic through the load balancer: the target group's health, and each
instance leaving it (BlockTraffic) and rejoining it (AllowTraffic).

Produced by the monitor (`wizard.core.timeline.diff` from the target group polled alongside a
deployment with traffic control), consumed by the monitor screen, plain lines and NDJSON. State,
reason and description are `DescribeTargetHealth`'s own values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from wizard.core.events.base import Event, Level

#: What a target in each state does, in the words plain lines use.
_STATE_WORDS = {
    "draining": "leaves target group {tg}: draining (its in-flight requests finish)",
    "out": "is out of target group {tg}",
    "unused": "is out of target group {tg}",
    "initial": "rejoins target group {tg}: registered, health checks running",
    "healthy": "is healthy in target group {tg}",
    "unhealthy": "is unhealthy in target group {tg}",
    "unavailable": "is in target group {tg} with health checks off",
}


@dataclass(frozen=True, kw_only=True)
class TargetGroupObserved(Event):
    """The deployment's target group as the monitor first sees it."""

    kind: ClassVar[str] = "traffic.target_group"
    deployment_id: str
    target_group: str
    url: str | None = None
    health_check: str | None = None
    counts: Mapping[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        where = f" ({self.url})" if self.url else ""
        shown = ", ".join(f"{n} {state}" for state, n in self.counts.items() if n)
        check = f"; health check {self.health_check}" if self.health_check else ""
        return f"target group {self.target_group}{where}: {shown or 'no target registered'}{check}"


@dataclass(frozen=True, kw_only=True)
class TargetHealthChanged(Event):
    """One instance's state in the target group changed (`out`: no longer listed)."""

    kind: ClassVar[str] = "traffic.target"
    deployment_id: str
    target_group: str
    target_id: str
    state: str
    previous_state: str | None = None
    reason: str | None = None
    description: str | None = None
    #: healthy targets after this change, of the deployment's instances (or of the targets
    #: listed, when there are more)
    healthy: int = 0
    total: int = 0

    def implied_level(self) -> Level:
        return "warn" if self.state == "unhealthy" else "info"

    def summary(self) -> str:
        words = _STATE_WORDS.get(self.state, f"is {self.state} in target group {{tg}}")
        line = f"{self.target_id} {words.format(tg=self.target_group)}"
        if self.state == "unhealthy" and self.reason:
            line += f" — {self.reason}" + (f": {self.description}" if self.description else "")
        return f"{line} ({self.healthy} of {self.total} healthy)"
