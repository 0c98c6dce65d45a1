"""Read the CodeDeploy agent's `scripts.log` format (also what `logTail` holds) into hook output.

Entries look like `2026-11-26 06:56:20 [stdout]text`; `LifecycleEvent - X` and `Script - path`
lines say which hook and script the following output belongs to. A log tail may start mid-way,
without timestamps or headers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

_ENTRY = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (?P<message>.*)$")


@dataclass(frozen=True)
class LogLine:
    event: str
    stream: Literal["stdout", "stderr"]
    text: str


def parse_scripts_log(text: str, event: str = "") -> list[LogLine]:
    """Output lines with the lifecycle event they belong to (`event` until a header says)."""
    lines: list[LogLine] = []
    current = event
    for raw in text.splitlines():
        found = _ENTRY.match(raw)
        message = found.group("message") if found else raw
        if message.startswith("LifecycleEvent - "):
            current = message.removeprefix("LifecycleEvent - ").strip()
            continue
        if message.startswith("Script - ") or not message.strip():
            continue
        stream: Literal["stdout", "stderr"] = (
            "stderr" if message.startswith("[stderr]") else "stdout"
        )
        lines.append(
            LogLine(current, stream, message.removeprefix("[stderr]").removeprefix("[stdout]"))
        )
    return lines
