"""A gate in front of the emulator's WSGI app: it counts the requests served (so a process that
changed nothing never writes the state file) and can hold new requests back while the state is
saved (so the saved picture is never taken in the middle of a request, even while terraform is
still applying).

Everything the emulator does happens inside a request (the delivery simulation too: each call
first performs what is due, then answers), so no request in flight means nothing is changing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class RequestGate:
    """WSGI middleware: `served` counts requests; `paused()` waits for the ones in flight to
    finish and holds new ones until the block ends."""

    def __init__(self, app: WsgiApp) -> None:
        self.app = app
        self.served = 0
        self._active = 0
        self._paused = False
        self._cond = threading.Condition()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with self._cond:
            while self._paused:
                self._cond.wait()
            self._active += 1
            self.served += 1
        try:
            result = self.app(environ, start_response)
            try:
                # the whole body inside the gate: a lazy body could still read the backends
                return list(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        finally:
            with self._cond:
                self._active -= 1
                self._cond.notify_all()

    @contextmanager
    def paused(self) -> Iterator[None]:
        """No request runs inside this block (those in flight finish first)."""
        with self._cond:
            while self._paused:  # one pause at a time
                self._cond.wait()
            self._paused = True
            while self._active:
                self._cond.wait()
        try:
            yield
        finally:
            with self._cond:
                self._paused = False
                self._cond.notify_all()
