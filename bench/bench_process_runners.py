"""The two process runners, measured on the same trivial hook script in the same run.

cdwizard starts processes in two places: `wizard.services.rehearse.process` runs hook scripts
(synchronous: a selector over the pipes, a pidfd for the exit, the agent's deadline and
process-group rules) and `wizard.services.terraform.runner` runs terraform (asyncio subprocesses,
SIGINT forwarding, typed events for the TUI's async worker). Issue 11 asked whether both earn
their lines. Per run of a two-line script that writes to stdout and stderr (what a rehearsal
hook costs beyond the script itself):

- engine: `process.run` as the rehearsal calls it;
- asyncio: the terraform runner's way, `asyncio.create_subprocess_exec` with both outputs read
  line by line, in one event loop (`asyncio.run` per script would add the loop's start-up).

Wall time per script, and the parent's CPU time per script (what spawning costs us; the child's
own time is the same for both). Rounds interleave the two; medians are compared to the engine.
(The engine used to start scripts with a hand-rolled `os.posix_spawn`. Against
`subprocess.Popen`, 3,000 scripts alternating one by one, it saved 0.04-0.05 ms of wall time per
hook (2-4 %, about 0.4 ms of a 9-hook rehearsal) and 0.07 ms of parent CPU (15 %): not worth 90
lines, so the engine uses Popen.)
"""

from __future__ import annotations

import asyncio
import functools
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

SCRIPT = '#!/bin/sh\necho "$LIFECYCLE_EVENT"\necho "to stderr" >&2\n'
RUNS = 60  # scripts per sample
ROUNDS = 9


def _timed(body: Callable[[], None]) -> tuple[float, float]:
    """(wall, parent CPU) seconds per script for `body`, which runs RUNS scripts."""
    wall, cpu = time.perf_counter(), time.process_time()
    body()
    return (time.perf_counter() - wall) / RUNS, (time.process_time() - cpu) / RUNS


def _engine(script: Path, env: dict[str, str]) -> None:
    from wizard.services.rehearse import process

    for _ in range(RUNS):
        result = process.run([str(script)], env=env, timeout=30, on_output=_ignore)
        assert result.outcome == "exited" and result.returncode == 0, result


def _ignore(stream: str, line: bytes) -> None:
    return None


def _asyncio(script: Path, env: dict[str, str]) -> None:
    async def one() -> None:
        proc = await asyncio.create_subprocess_exec(
            str(script),
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
        assert proc.stdout is not None and proc.stderr is not None

        async def lines(reader: asyncio.StreamReader) -> None:
            while await reader.readline():
                pass

        await asyncio.gather(lines(proc.stdout), lines(proc.stderr))
        assert await proc.wait() == 0

    async def all_runs() -> None:
        for _ in range(RUNS):
            await one()

    asyncio.run(all_runs())


def measure() -> dict[str, tuple[float, float]]:
    ways: dict[str, Callable[[Path, dict[str, str]], None]] = {
        "engine": _engine,
        "asyncio": _asyncio,
    }
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in ways}
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "hook.sh"
        script.write_text(SCRIPT)
        script.chmod(0o755)
        env = dict(os.environ, LIFECYCLE_EVENT="AfterInstall")
        for warm_up in ways.values():  # imports, page cache
            warm_up(script, env)
        for n in range(ROUNDS):
            for name in list(ways)[::-1] if n % 2 else ways:
                samples[name].append(_timed(functools.partial(ways[name], script, env)))
    return {
        name: (statistics.median(w for w, _ in got), statistics.median(c for _, c in got))
        for name, got in samples.items()
    }


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    r = measure()
    base_wall, base_cpu = r["engine"]
    print(f"   one trivial hook script, {RUNS} per sample, {ROUNDS} interleaved rounds")
    print("   runner" + " " * 26 + "wall/script  vs engine   parent CPU/script  vs engine")
    labels = {
        "engine": "engine (rehearse/process.py)   ",
        "asyncio": "asyncio (the terraform runner) ",
    }
    for name, label in labels.items():
        wall, cpu = r[name]
        print(
            f"   {label} {wall * 1000:8.3f} ms  {wall / base_wall:6.2f}x"
            f"   {cpu * 1000:10.3f} ms    {cpu / base_cpu:6.2f}x"
        )


if __name__ == "__main__":
    main()
