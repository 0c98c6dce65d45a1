"""Preflight checks (`cdwizard doctor`, the wizard's review step) as typed events.

Each check produces one `PreflightCheck`: a stable `name`, a `status` (ok/warn/fail/skip), what
was found (`detail`) and, when something is wrong, what to do (`fix`). `PreflightStarted` lists
the checks to come; `PreflightFinished` carries the counts and the exit code. Plain output, NDJSON
and the TUI consume the same events.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import ClassVar, Literal

from wizard.core.events.base import Event, Level, plural

#: Which part of the setup a failure is in: it decides the exit code.
Area = Literal["aws", "tool"]


class CheckStatus(StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"

    @property
    def mark(self) -> str:
        return {"ok": "✓", "warn": "!", "fail": "✗", "skip": "-"}[self.value]


#: the level a check's event has unless its producer chose one
_CHECK_LEVEL: dict[str, Level] = {"fail": "error", "warn": "warn"}


@dataclass(frozen=True, kw_only=True)
class PreflightStarted(Event):
    kind: ClassVar[str] = "preflight.started"
    #: where the AWS checks go: "profile dev, eu-west-1", "sandbox http://127.0.0.1:5000"
    target: str
    #: names of the checks, in the order they run
    checks: tuple[str, ...]

    def summary(self) -> str:
        return f"preflight: {len(self.checks)} checks against {self.target}"


@dataclass(frozen=True, kw_only=True)
class PreflightCheck(Event):
    """The result of one check."""

    kind: ClassVar[str] = "preflight.check"
    name: str
    title: str
    status: CheckStatus
    detail: str
    fix: str | None = None
    area: Area = "aws"

    def implied_level(self) -> Level:
        return _CHECK_LEVEL.get(self.status.value, "info")

    def summary(self) -> str:
        # plain sinks mark warn/error lines themselves; ok and skip lines get their mark here
        mark = f"{self.status.mark} " if self.status in (CheckStatus.OK, CheckStatus.SKIP) else ""
        line = f"{mark}{self.title}: {self.detail}"
        return f"{line} (fix: {self.fix})" if self.fix else line


@dataclass(frozen=True, kw_only=True)
class PreflightFinished(Event):
    kind: ClassVar[str] = "preflight.finished"
    counts: Mapping[str, int] = field(default_factory=dict)
    #: the process exit code the run implies (0 unless a check failed)
    exit_code: int = 0
    #: name of the first failed check, if any
    first_failure: str | None = None

    def implied_level(self) -> Level:
        return "error" if self.first_failure else "info"

    def summary(self) -> str:
        n = {s: self.counts.get(s.value, 0) for s in CheckStatus}
        warnings = plural(n[CheckStatus.WARN], "warning")
        return (
            f"preflight: {n[CheckStatus.OK]} ok, {warnings}, {n[CheckStatus.FAIL]} failed, "
            f"{n[CheckStatus.SKIP]} skipped"
        )
