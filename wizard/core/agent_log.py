"""The CodeDeploy agent's hook logs: where they live, how their lines look, and how to read them.

One definition for every writer and reader: the local rehearsal and the sandbox's simulated agent
write these formats, the monitor reads them (a `logTail`, or the whole `scripts.log` fetched over
SSM).

- `<root>/<group-id>/<deployment-id>/logs/scripts.log`: entries `2026-11-26 06:56:20 <message>`
  (local time, no zone, one space, the message as written: a last line without newline runs into
  the next entry). Messages are `LifecycleEvent - X`, `Script - <location>` (each with a newline)
  and the scripts' output lines, `[stdout]text` / `[stderr]text`.
- `<root>/deployment-logs/codedeploy-agent-deployments.log`: a Ruby `Logger` file, so it starts
  with `# Logfile created on … by logger.rb/v1.5.0`; each entry is
  `[2026-11-26 06:56:20.231] [d-XXXXXXXXX]<message, stripped>`, one per line.
- `ScriptLogTail`: `ScriptLog#append_to_log`, the newest whole entries that fit 2048 characters
  (with the agent's off-by-one accounting); the failure's `logTail`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

#: The agent's deployment root on an instance.
DEPLOYMENT_ROOT = "/opt/codedeploy-agent/deployment-root"
#: The combined log, relative to the deployment root.
DEPLOYMENTS_LOG = "deployment-logs/codedeploy-agent-deployments.log"
LOGGER_VERSION = "logger.rb/v1.5.0"
TAIL_BUDGET = 2048
STAMP_FORMAT = "%Y-%m-%d %H:%M:%S"
LIFECYCLE_PREFIX = "LifecycleEvent - "
SCRIPT_PREFIX = "Script - "

Stream = Literal["stdout", "stderr"]

_ENTRY = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (?P<message>.*)$")


def scripts_log_path(group_id: str, deployment_id: str, root: str = DEPLOYMENT_ROOT) -> str:
    """`<root>/<group-id>/<deployment-id>/logs/scripts.log`."""
    return f"{root.rstrip('/')}/{group_id}/{deployment_id}/logs/scripts.log"


# --- writing ----------------------------------------------------------------------------------


def lifecycle_message(event: str) -> str:
    """The entry that opens an event's part of `scripts.log`."""
    return f"{LIFECYCLE_PREFIX}{event}\n"


def script_message(location: str) -> str:
    """The entry before a script's output."""
    return f"{SCRIPT_PREFIX}{location}\n"


def output_prefix(stream: Stream | str) -> str:
    """What precedes a script's output line: `[stdout]` or `[stderr]`."""
    return f"[{stream}]"


def output_message(stream: Stream | str, text: str) -> str:
    """A whole line of a script's output, as the agent logs it: `[stdout]text` + newline."""
    return f"{output_prefix(stream)}{text}\n"


def scripts_log_entry(at: datetime, message: str) -> str:
    """One `scripts.log` entry (the message keeps its own newline, if any)."""
    return f"{at.strftime(STAMP_FORMAT)} {message}"


def deployments_log_entry(at: datetime, deployment_id: str, message: str) -> str:
    """One line of the combined log; `message` must already be stripped (Ruby's `strip`)."""
    return (
        f"[{at.strftime(STAMP_FORMAT)}.{at.microsecond // 1000:03d}] [{deployment_id}]{message}\n"
    )


def logfile_header(created: datetime) -> str:
    """The first line Ruby's `Logger` writes to a new file (`created` should be aware)."""
    return f"# Logfile created on {created.strftime(STAMP_FORMAT + ' %z')} by {LOGGER_VERSION}\n"


class ScriptLogTail:
    """The agent's bounded list of recent log entries for one lifecycle event."""

    def __init__(self) -> None:
        self.entries: list[str] = []

    def append(self, entry: str) -> None:
        log = self.entries
        log.append(entry)
        index = len(log)
        remaining = TAIL_BUDGET
        while index > 0 and remaining - len(log[index - 1]) > 0:
            index -= 1
            remaining -= len(log[index - 1])  # sic: the agent subtracts the next-older entry
        if index > 0:
            del log[:index]

    def text(self) -> str:
        return "".join(self.entries)


# --- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogLine:
    event: str
    stream: Stream
    text: str


def parse_scripts_log(text: str, event: str = "") -> list[LogLine]:
    """Output lines with the lifecycle event they belong to (`event` until a header says).

    Works on a whole `scripts.log` and on a `logTail`, which may start mid-way, without
    timestamps or headers.
    """
    lines: list[LogLine] = []
    current = event
    stdout, stderr = output_prefix("stdout"), output_prefix("stderr")
    for raw in text.splitlines():
        found = _ENTRY.match(raw)
        message = found.group("message") if found else raw
        if message.startswith(LIFECYCLE_PREFIX):
            current = message.removeprefix(LIFECYCLE_PREFIX).strip()
            continue
        if message.startswith(SCRIPT_PREFIX) or not message.strip():
            continue
        stream: Stream = "stderr" if message.startswith(stderr) else "stdout"
        lines.append(LogLine(current, stream, message.removeprefix(stderr).removeprefix(stdout)))
    return lines
