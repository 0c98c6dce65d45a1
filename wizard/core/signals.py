"""Stop signals, handled alike: SIGINT (Ctrl-C), SIGTERM (CI, `timeout`, `kill`) and SIGHUP (the
terminal went away).

- `install()` (once, by the CLI) makes SIGTERM and SIGHUP raise `Terminated` in the main thread,
  the way Python turns SIGINT into `KeyboardInterrupt`; the CLI turns either into its message and
  exit code (130, 143, 129). A signal ignored when we started (`nohup`) stays ignored.
- While terraform runs, `run_sync` in the terraform workflow routes all three to a graceful stop
  instead (`STOP_SIGNALS`).
- `deferred()` holds them back while something must not be cut in half (saving the sandbox
  state): a signal that arrives meanwhile is raised when the block ends.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

#: Every signal that stops a run gracefully, in the order they are described.
STOP_SIGNALS: tuple[signal.Signals, ...] = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

NAMES: dict[int, str] = {
    signal.SIGINT: "Ctrl-C (SIGINT)",
    signal.SIGTERM: "SIGTERM",
    signal.SIGHUP: "SIGHUP (the terminal went away)",
}


class Terminated(BaseException):
    """SIGTERM or SIGHUP arrived (a `BaseException`, like `KeyboardInterrupt`: only the CLI's
    top level catches it)."""

    def __init__(self, signum: int) -> None:
        super().__init__(NAMES.get(signum, f"signal {signum}"))
        self.signum = int(signum)


def describe(signum: int) -> str:
    return NAMES.get(signum, f"signal {signum}")


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated(signum)


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def install() -> None:
    """SIGTERM and SIGHUP raise `Terminated` in the main thread (unless ignored at start-up)."""
    if not _in_main_thread():
        return
    for sig in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(sig) is not signal.SIG_IGN:
            signal.signal(sig, _raise_terminated)


def raise_for(signum: int) -> None:
    """Raise what the signal would have raised: `KeyboardInterrupt` or `Terminated`."""
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise Terminated(signum)


@contextmanager
def deferred(on_signal: Callable[[int], None] | None = None) -> Iterator[list[int]]:
    """Run the block to its end whatever stop signal arrives; then raise the first one (unless
    the block raised). `on_signal(signum)` is told at once (to print "saving, one moment").
    Outside the main thread nothing changes (signals are only delivered to the main thread)."""
    held: list[int] = []
    if not _in_main_thread():
        yield held
        return

    def hold(signum: int, frame: FrameType | None) -> None:
        held.append(signum)
        if on_signal is not None:
            on_signal(signum)

    previous: dict[signal.Signals, object] = {}
    for sig in STOP_SIGNALS:
        current = signal.getsignal(sig)
        if current is signal.SIG_IGN:
            continue
        previous[sig] = current
        signal.signal(sig, hold)
    completed = False
    try:
        yield held
        completed = True
    finally:
        for stopped, handler in previous.items():
            # getsignal() gives back what signal() accepts (None: a handler set outside Python)
            signal.signal(stopped, handler if handler is not None else signal.SIG_DFL)  # type: ignore[arg-type]
        if held and completed:
            raise_for(held[0])
