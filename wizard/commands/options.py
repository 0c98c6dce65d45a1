"""The options every command shares, read from argparse once and typed from then on.

argparse leaves an option a subcommand does not declare off its namespace (`--sandbox` and
`--provider-mirror` use `SUPPRESS`); `CommonOptions.from_args` is the one place that fills such
gaps with defaults, so command bodies read `opts.sandbox`, never `getattr(args, ...)`. The
resolvers (workspace folder, output mode, provider mirror) live here, next to the commands that
use them, and `rerun` words the exact command line to suggest after a failure from the same data.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from wizard.commands import DEFAULT_OUT, DEFAULT_SANDBOX_OUT

OutputMode = Literal["tui", "plain", "json"]


@dataclass(frozen=True, kw_only=True)
class CommonOptions:
    """What the shared flags ask for; `None`/`False` where the command has no such flag."""

    command: str
    answers: Path | None = None
    out: Path | None = None
    output: Literal["plain", "json"] | None = None
    sandbox: bool = False
    provider_mirror: Path | None = None
    yes: bool = False
    adopt: bool = False
    remote: str | None = None

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> CommonOptions:
        given = vars(args)
        return cls(
            command=str(given.get("command") or "wizard"),
            answers=given.get("answers"),
            out=given.get("out"),
            output=given.get("output"),
            sandbox=bool(given.get("sandbox", False)),
            provider_mirror=given.get("provider_mirror"),
            yes=bool(given.get("yes", False)),
            adopt=given.get("adopt") is True,  # `leftovers --adopt ID...` is a list
            remote=given.get("remote"),
        )

    def with_answers(self, answers: Path) -> CommonOptions:
        return replace(self, answers=answers)

    @property
    def workspace(self) -> Path:
        """The workspace folder: `--out`, else a default that keeps sandbox and real apart."""
        if self.out is not None:
            return Path(self.out)
        return Path(DEFAULT_SANDBOX_OUT if self.sandbox else DEFAULT_OUT)

    @property
    def mode(self) -> OutputMode:
        """`tui`, `plain` or `json`: an explicit flag wins; otherwise a terminal gets the TUI."""
        if self.output is not None:
            return self.output
        if os.environ.get("CI") or not (sys.stdin.isatty() and sys.stdout.isatty()):
            return "plain"
        return "tui"

    @property
    def mirror(self) -> Path | None:
        """`--provider-mirror`, else `$CDWIZARD_PROVIDER_MIRROR`, else none (the registry)."""
        if self.provider_mirror is not None:
            return Path(self.provider_mirror)
        env = os.environ.get("CDWIZARD_PROVIDER_MIRROR")
        return Path(env) if env else None

    def same_target(self) -> str:
        """The flags that make a later command use this run's workspace and AWS target."""
        parts: list[str] = []
        if self.out is not None:
            parts += ["--out", str(self.out)]
        if self.sandbox:
            parts.append("--sandbox")
        return "".join(f" {part}" for part in parts)

    def rerun(self, command: str) -> str:
        """`command` as this run would be typed again: its answers file, workspace and target
        (and `--adopt`, for the plan or apply that took it)."""
        answers = f" --answers {self.answers}" if self.answers is not None else ""
        adopt = " --adopt" if self.adopt and command in ("plan", "apply") else ""
        return f"cdwizard {command}{answers}{self.same_target()}{adopt}"
