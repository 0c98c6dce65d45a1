"""Start-up time, measured against baselines taken in the same run.

1. `cdwizard` (the wizard as the command builds it) from process launch until its first
   interactive screen is mounted, vs a minimal Textual app (one Label) timed the same way.
   Goal: at most 1.5x.
2. `cdwizard --help` vs a bare `python -c pass`. Goal: at most 3x.

Each timing is the wall time of a fresh process (interpreter start, imports, first screen, exit),
repeated and interleaved with its baseline; medians are compared. For (1) the children also report
the moment their first screen is up, so the launch -> first screen latency is shown without the
process teardown too.
"""

from __future__ import annotations

import compileall
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ROUNDS = int(os.environ.get("CDWIZARD_BENCH_ROUNDS", "7"))

#: what pip's generated `cdwizard` console script runs (no `-m`/runpy in between)
CONSOLE_SCRIPT = (
    "import re, sys\n"
    "from wizard.cli import main\n"
    "sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n"
    "sys.exit(main())\n"
)

#: the wizard, built exactly as `cdwizard` builds it, stopped once its first step is on screen
WIZARD_CHILD = """
import sys, time
from wizard.cli import build_parser
from wizard.commands.wizard import build_app

argv = ["--out", sys.argv[1]]
app = build_app(build_parser(argv).parse_args(argv))  # as `wizard.cli.main` parses it
from wizard.tui.screens.base import StepScreen  # imported by build_app already, as in cdwizard

async def stop_when_ready(pilot):
    while not (isinstance(app.screen, StepScreen) and app.screen.is_mounted):
        await pilot.pause(0.001)
    print("ready", time.time())
    app.exit(0)

app.run(headless=True, size=(120, 40), auto_pilot=stop_when_ready)
"""

#: the smallest Textual app, stopped the same way
MINIMAL_CHILD = """
import time
from textual.app import App
from textual.widgets import Label

class Minimal(App):
    def compose(self):
        yield Label("hello")

app = Minimal()

async def stop_when_ready(pilot):
    while not (app.screen.is_mounted and app.screen.query(Label)):
        await pilot.pause(0.001)
    print("ready", time.time())
    app.exit(0)

app.run(headless=True, size=(120, 40), auto_pilot=stop_when_ready)
"""


def _timed(argv: list[str]) -> tuple[float, float | None]:
    """Wall time of the whole process, and until it printed `ready <time.time()>` (if it did)."""
    env = dict(os.environ)
    env.pop("CI", None)
    env["PYTHONPATH"] = str(REPO)
    launched = time.time()
    started = time.perf_counter()
    done = subprocess.run(
        argv, cwd=REPO, env=env, check=True, capture_output=True, text=True, timeout=120
    )
    elapsed = time.perf_counter() - started
    ready = [line.split()[1] for line in done.stdout.splitlines() if line.startswith("ready ")]
    return elapsed, (float(ready[0]) - launched if ready else None)


def _report(label: str, ours: list[float], base: list[float], goal: float) -> float:
    ratio = statistics.median(ours) / statistics.median(base)
    verdict = "ok" if ratio <= goal else "OVER GOAL"
    print(f"     {label}")
    for who, values in (("cdwizard", ours), ("baseline", base)):
        print(
            f"       {who:<9} median {statistics.median(values) * 1000:7.1f} ms   "
            f"min {min(values) * 1000:7.1f} ms"
        )
    print(f"       ratio {ratio:.2f}x (goal <= {goal}x) {verdict}")
    return ratio


def _compare(name: str, subject: list[str], baseline: list[str], goal: float) -> float:
    _timed(subject), _timed(baseline)  # warm the file cache once
    ours, base = [], []
    for _ in range(ROUNDS):
        ours.append(_timed(subject))
        base.append(_timed(baseline))
    print(f"   {name}")
    ratio = _report("whole process", [o[0] for o in ours], [b[0] for b in base], goal)
    if all(o[1] is not None for o in ours + base):
        _report(
            "launch -> first screen up (without the exit)",
            [o[1] for o in ours],  # type: ignore[misc]
            [b[1] for b in base],  # type: ignore[misc]
            goal,
        )
    return ratio


def _compile_bytecode() -> None:
    """Write the wizard's bytecode before timing, as installing it does (pip compiles what it
    installs), so the wizard starts from .pyc files like textual in site-packages. Without this,
    where PYTHONDONTWRITEBYTECODE is set (as on our dev machines), every launch compiled the
    wizard's modules from source: ~20 ms no installed `cdwizard` spends."""
    compileall.compile_dir(REPO / "wizard", quiet=1)


def main() -> None:
    python = sys.executable
    _compile_bytecode()
    version = sys.version.split()[0]
    print(f"   {ROUNDS} rounds each, interleaved; python {version}; wizard bytecode compiled")
    with tempfile.TemporaryDirectory() as workspace:
        _compare(
            "launch -> first interactive screen (vs a minimal Textual app)",
            [python, "-c", WIZARD_CHILD, str(Path(workspace) / "out")],
            [python, "-c", MINIMAL_CHILD],
            1.5,
        )
    _compare(
        "cdwizard --help (vs python -c pass)",
        [python, "-c", CONSOLE_SCRIPT, "--help"],
        [python, "-c", "pass"],
        3.0,
    )


if __name__ == "__main__":
    main()
