"""Fault injection for the tests in tests/test_faults.py. Python imports this module at start-up
only in the cdwizard processes those tests launch (their PYTHONPATH names this folder); the
product never loads it.

`CDWIZARD_TEST_PAUSE` (comma-separated) names the points where the process stops and waits,
`CDWIZARD_TEST_PAUSE_DIR` where it says so and is released:

- `save`: before each sandbox state save (so a signal can arrive *during* the save);
- `run_instances`: after the emulator created an instance, before it answers terraform (so
  terraform can be interrupted while its create call is in flight).

At the N-th time a point is reached the process writes `<dir>/<point>-<N>` and waits until the
test writes `<dir>/go-<point>-<N>`.
"""

from __future__ import annotations

import io
import os
import time
from pathlib import Path
from typing import Any

_DIR = os.environ.get("CDWIZARD_TEST_PAUSE_DIR")
_POINTS = {p for p in os.environ.get("CDWIZARD_TEST_PAUSE", "").split(",") if p}
_counts: dict[str, int] = {}


def _pause(point: str) -> None:
    assert _DIR is not None
    _counts[point] = _counts.get(point, 0) + 1
    name = f"{point}-{_counts[point]}"
    Path(_DIR, name).write_text(str(os.getpid()))
    go = Path(_DIR, f"go-{name}")
    deadline = time.monotonic() + 300
    while not go.exists() and time.monotonic() < deadline:
        time.sleep(0.02)


def _hold_saves() -> None:
    from wizard.services.sandbox import persistence

    original = persistence.save_state

    def save_state(path: Path) -> int:
        _pause("save")
        return original(path)

    persistence.save_state = save_state


def _hold_run_instances() -> None:
    from wizard.services.sandbox import gate

    original_init = gate.RequestGate.__init__

    def hold(app: Any) -> Any:
        def middleware(environ: dict[str, Any], start_response: Any) -> list[bytes]:
            size = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(size) if size else b""
            environ["wsgi.input"] = io.BytesIO(body)
            answer = list(app(environ, start_response))
            if b"Action=RunInstances" in body:
                _pause("run_instances")
            return answer

        return middleware

    def __init__(self: Any, app: Any) -> None:
        original_init(self, hold(app))

    gate.RequestGate.__init__ = __init__


if _DIR and _POINTS:
    if "save" in _POINTS:
        _hold_saves()
    if "run_instances" in _POINTS:
        _hold_run_instances()
