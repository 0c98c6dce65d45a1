"""The agent's two hook logs and the ~2 KB tail it reports, byte for byte in shape.

- `logs/scripts.log` (per deployment): `2026-11-26 06:56:20 [stdout]line` — local time, no zone,
  one space, the message as written (a last line without newline runs into the next entry).
- `deployment-logs/codedeploy-agent-deployments.log` (per root): a Ruby `Logger` file, so it starts
  with `# Logfile created on … by logger.rb/v1.5.0`; each entry is
  `[2026-11-26 06:56:20.231] [d-XXXXXXXXX-local][stdout]line`, stripped, one per line.
- `ScriptLogTail`: `ScriptLog#append_to_log` — the newest whole entries that fit 2048 characters
  (with the agent's off-by-one accounting), sent as the failure's `log`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import IO

from wizard.services.rehearse.rubyisms import ruby_strip

Clock = Callable[[], datetime]
TAIL_BUDGET = 2048
LOGGER_VERSION = "logger.rb/v1.5.0"


def local_now() -> datetime:
    """Aware local time (the agent logs in the host's local time)."""
    return datetime.now().astimezone()


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


class ScriptsLog:
    """`<deployment>/logs/scripts.log`, opened for one event (`w` if new, else append)."""

    def __init__(self, path: Path, clock: Clock = local_now) -> None:
        if not path.parent.is_dir():
            path.parent.mkdir(parents=True, exist_ok=True)
        self._handle: IO[bytes] = open(path, "ab")  # noqa: SIM115 - closed in close()
        self._clock = clock

    def write(self, message: bytes) -> None:
        stamp = self._clock().strftime("%Y-%m-%d %H:%M:%S").encode()
        self._handle.write(stamp + b" " + message)
        self._handle.flush()

    def close(self) -> None:
        self._handle.close()


class DeploymentsLog:
    """The combined log; created (with the Logger header) on its first entry, like the agent."""

    def __init__(self, path: Path, clock: Clock = local_now) -> None:
        self.path = path
        self._clock = clock
        self._handle: IO[str] | None = None

    def log(self, deployment_id: str, message: str) -> None:
        if self._handle is None:
            self._handle = self._open()
        stamp = self._clock()
        millis = f"{stamp.microsecond // 1000:03d}"
        line = f"[{stamp:%Y-%m-%d %H:%M:%S}.{millis}] [{deployment_id}]{ruby_strip(message)}\n"
        self._handle.write(line)
        self._handle.flush()

    def _open(self) -> IO[str]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fresh = not self.path.exists() or self.path.stat().st_size == 0
        handle = open(self.path, "a", encoding="utf-8", errors="replace")  # noqa: SIM115
        if fresh:
            created = self._clock().strftime("%Y-%m-%d %H:%M:%S %z")
            handle.write(f"# Logfile created on {created} by {LOGGER_VERSION}\n")
        return handle

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
