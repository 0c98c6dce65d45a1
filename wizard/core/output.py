"""Event sinks: the plain (append-only, CI-friendly) and NDJSON consumers of the event stream.

The TUI is the third consumer; it lives in `wizard.tui` and receives the same `Event` objects.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import IO, Protocol

from wizard.core.events.base import Event, Heartbeat

HEARTBEAT_SECONDS = 25.0


class EventSink(Protocol):
    """Anything that consumes events. `close()` flushes and stops any heartbeat."""

    def emit(self, event: Event) -> None: ...

    def close(self) -> None: ...


class _LineWriter:
    """Thread-safe line writer with an optional heartbeat for long silent stretches."""

    def __init__(
        self,
        stream: IO[str] | None = None,
        *,
        heartbeat: float | None = HEARTBEAT_SECONDS,
        activity: str = "working",
    ) -> None:
        self._stream = stream if stream is not None else sys.stdout
        self._lock = threading.Lock()
        self._last = time.monotonic()
        self._started = self._last
        self._activity = activity
        self._stop = threading.Event()
        self._broken = False
        self._thread: threading.Thread | None = None
        if heartbeat:
            self._thread = threading.Thread(
                target=self._beat, args=(heartbeat,), name="cdwizard-heartbeat", daemon=True
            )
            self._thread.start()

    def set_activity(self, activity: str) -> None:
        """What the heartbeat says we are doing ("applying", "waiting for the deployment")."""
        self._activity = activity

    def _beat(self, every: float) -> None:
        while not self._stop.wait(min(every, 1.0)):
            now = time.monotonic()
            if now - self._last >= every:
                try:
                    self.emit(
                        Heartbeat(activity=self._activity, elapsed_seconds=now - self._started)
                    )
                except BrokenPipeError:
                    return  # the reader went away; the main thread reports it on its next write

    def write(self, line: str) -> None:
        """Write one line. A closed pipe (`| head`) raises BrokenPipeError once, after pointing
        the stream at /dev/null so the interpreter's final flush stays quiet."""
        with self._lock:
            if self._broken:
                raise BrokenPipeError(errno.EPIPE, "output closed")
            try:
                self._stream.write(line + "\n")
                self._stream.flush()
            except BrokenPipeError:
                self._broken = True
                _silence(self._stream)
                raise
            self._last = time.monotonic()

    def emit(self, event: Event) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        with self._lock, contextlib.suppress(BrokenPipeError, ValueError):
            if not self._broken:
                self._stream.flush()


def _silence(stream: IO[str]) -> None:
    """Point a stream's file descriptor at /dev/null (after its reader closed the pipe)."""
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


def _summary(event: Event) -> str:
    return event.summary()


class PlainSink(_LineWriter):
    """Append-only lines `HH:MM:SS LEVEL summary`; never redraws; heartbeat while silent."""

    def __init__(
        self,
        stream: IO[str] | None = None,
        *,
        heartbeat: float | None = HEARTBEAT_SECONDS,
        activity: str = "working",
        show_debug: bool = False,
        describe: Callable[[Event], str] | None = None,
    ) -> None:
        self._show_debug = show_debug
        #: the line for an event (default: its `summary()`)
        self._describe = describe or _summary
        super().__init__(stream, heartbeat=heartbeat, activity=activity)

    def emit(self, event: Event) -> None:
        if event.level == "debug" and not self._show_debug:
            return
        stamp = event.at.astimezone().strftime("%H:%M:%S")
        mark = {"error": "✗ ", "warn": "! "}.get(event.level, "")
        self.write(f"{stamp} {mark}{self._describe(event)}")


class JsonSink(_LineWriter):
    """One JSON object per line (NDJSON): `{"type": ..., "at": ..., "level": ..., ...}`."""

    def emit(self, event: Event) -> None:
        self.write(json.dumps(event.to_dict(), ensure_ascii=False, sort_keys=False))


class CollectingSink:
    """Keeps every event in memory (tests, and the TUI's replay of a finished run)."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def emit(self, event: Event) -> None:
        self.events.append(event)

    def close(self) -> None:
        return None


class FanOut:
    """Send each event to several sinks."""

    def __init__(self, *sinks: EventSink) -> None:
        self.sinks = sinks

    def emit(self, event: Event) -> None:
        for sink in self.sinks:
            sink.emit(event)

    def close(self) -> None:
        for sink in self.sinks:
            sink.close()
