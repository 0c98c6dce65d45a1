"""What saving the sandbox state safely costs (issue 10).

    CDWIZARD_PROVIDER_MIRROR=/path/to/mirror python -m bench sandbox_saves

1. one save of the default stack's emulator state (22 resources, AWS managed policies loaded):
   `Sandbox.save()` (gate pause, pickle, atomic write, stamp with its hash) against the bare
   `persistence.save_state()` (pickle and atomic write only), same state, interleaved; and how
   long requests wait while a save holds them (the pause).
2. a whole sandbox apply of the default answers with the periodic save (every
   `AUTOSAVE_SECONDS`) against the same apply with it off, in ABBA order (destroy between);
   goal <= 1.05.

`BENCH_SAVE_ROUNDS` (default 5) sets the number of save pairs; `BENCH_AUTOSAVE_ROUNDS`
(default 1) the number of apply pairs (each is a full apply and destroy).
"""

from __future__ import annotations

import asyncio
import io
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

from bench import terraform_mirror
from wizard.core.answers import default_answers
from wizard.core.output import JsonSink
from wizard.services.terraform import workflow as workflow_module


def _flow(out: Path, mirror: Path) -> workflow_module.Workflow:
    sink = JsonSink(io.StringIO(), heartbeat=None)
    return workflow_module.Workflow(
        workflow_module.Options(
            answers=default_answers(), out=out, sandbox=True, mirror=mirror, command="apply"
        ),
        emit=sink.emit,
    )


def _apply(out: Path, mirror: Path) -> tuple[float, workflow_module.Workflow]:
    flow = _flow(out, mirror)
    flow.start()
    asyncio.run(flow.prepare())
    started = time.perf_counter()
    asyncio.run(flow.apply())
    took = time.perf_counter() - started
    assert flow.exit_code == 0, f"sandbox apply failed: {flow.report}"
    return took, flow


def _destroy(flow: workflow_module.Workflow) -> None:
    asyncio.run(flow.prepare(destroy=True))
    asyncio.run(flow.destroy())
    assert flow.exit_code == 0, f"sandbox destroy failed: {flow.report}"


def _saves(flow: workflow_module.Workflow, rounds: int) -> None:
    from wizard.services.sandbox.persistence import save_state

    box = flow.sandbox
    assert box is not None and box.state_file is not None
    bare_file = box.state_file.with_name("bare.pkl.gz")
    safe: list[float] = []
    bare: list[float] = []
    waits: list[float] = []
    iam = box.clients.client("iam")
    for _ in range(rounds):
        started = time.perf_counter()
        save_state(bare_file)
        bare.append(time.perf_counter() - started)

        asked = threading.Event()

        def ask(asked: threading.Event = asked) -> None:  # arrives while the save holds it
            asked.wait()
            before = time.perf_counter()
            iam.get_role(RoleName="CodeDeployServiceRole")
            waits.append(time.perf_counter() - before)

        caller = threading.Thread(target=ask)
        caller.start()
        started = time.perf_counter()
        asked.set()
        box.save(force=True)
        safe.append(time.perf_counter() - started)
        caller.join()
    size = box.state_file.stat().st_size / 1e6
    b, s = statistics.median(bare), statistics.median(safe)
    print(
        f"   bare save_state (pickle + atomic write, {size:.1f} MB): {b:.3f}s (median of {rounds})"
    )
    print(f"   Sandbox.save (+ gate pause + stamp): {s:.3f}s; ratio {s / b:.2f}")
    print(f"   a request arriving during a save waited at most {max(waits):.3f}s")


def main() -> None:
    mirror = terraform_mirror()
    if mirror is None:
        return
    save_rounds = int(os.environ.get("BENCH_SAVE_ROUNDS", "5"))
    apply_rounds = int(os.environ.get("BENCH_AUTOSAVE_ROUNDS", "1"))
    every = workflow_module.AUTOSAVE_SECONDS
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "ws"
        timings: dict[str, list[float]] = {"on": [], "off": []}
        order = ["off", "on", "on", "off"] * ((apply_rounds + 1) // 2)
        for n, kind in enumerate(order[: 2 * apply_rounds]):
            workflow_module.AUTOSAVE_SECONDS = every if kind == "on" else float("inf")
            try:
                took, flow = _apply(out, Path(mirror))
            finally:
                workflow_module.AUTOSAVE_SECONDS = every
            timings[kind].append(took)
            try:
                if n == 0:
                    _saves(flow, save_rounds)
                _destroy(flow)
            finally:
                flow.close()
        on, off = statistics.mean(timings["on"]), statistics.mean(timings["off"])
        k = len(timings["on"])
        print(f"   apply without periodic saves: {off:.1f}s (mean of {k})")
        print(f"   apply saving every {every:.0f}s: {on:.1f}s (mean of {k})")
        print(f"   ratio: {on / off:.3f} (goal <= 1.05)")
