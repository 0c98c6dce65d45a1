"""The agent's two hook log files, written as the agent writes them.

The line formats, the ~2 KB tail and the parser live in `wizard.core.agent_log` (the monitor reads
what the rehearsal writes); this module owns the files: `logs/scripts.log` per deployment
(opened per event) and the combined `deployment-logs/codedeploy-agent-deployments.log` per root
(created with the Logger header on its first entry).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import IO

from wizard.core.agent_log import deployments_log_entry, logfile_header, scripts_log_entry
from wizard.services.rehearse.rubyisms import ruby_strip

Clock = Callable[[], datetime]


def local_now() -> datetime:
    """Aware local time (the agent logs in the host's local time)."""
    return datetime.now().astimezone()


class ScriptsLog:
    """`<deployment>/logs/scripts.log`, opened for one event (`w` if new, else append)."""

    def __init__(self, path: Path, clock: Clock = local_now) -> None:
        if not path.parent.is_dir():
            path.parent.mkdir(parents=True, exist_ok=True)
        self._handle: IO[bytes] = open(path, "ab")  # noqa: SIM115 - closed in close()
        self._clock = clock

    def write(self, message: bytes) -> None:
        """One entry; `message` is raw bytes (a script's output, as it printed it)."""
        self._handle.write(scripts_log_entry(self._clock(), "").encode() + message)
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
        self._handle.write(deployments_log_entry(self._clock(), deployment_id, ruby_strip(message)))
        self._handle.flush()

    def _open(self) -> IO[str]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fresh = not self.path.exists() or self.path.stat().st_size == 0
        handle = open(self.path, "a", encoding="utf-8", errors="replace")  # noqa: SIM115
        if fresh:
            handle.write(logfile_header(self._clock()))
        return handle

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
