"""Streaming overhead of the terraform runner, and the wall time of a whole sandbox run.

    CDWIZARD_PROVIDER_MIRROR=/path/to/mirror python -m bench apply

1. whole sandbox run: render -> init -> plan -> apply of the default answers (cdwizard's Workflow,
   events to an NDJSON sink), wall clock.
2. ratio: our streamed apply (parse every line into events, reduce progress, NDJSON sink) against a
   bare `terraform apply -json tfplan > /dev/null` of the same plan, on the sandbox. Rounds run in
   ABBA order (destroy + fresh plan between) so drift cancels; goal <= 1.05.
3. parser throughput over the recorded full-stack stream (no terraform needed).

`BENCH_APPLY_ROUNDS` (default 2) sets the number of A/B pairs.
"""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import tempfile
import time
from pathlib import Path

from wizard.core import resources
from wizard.core.answers import default_answers
from wizard.core.output import JsonSink
from wizard.core.progress import Progress, reduce
from wizard.services.terraform import commands
from wizard.services.terraform.runner import TerraformRunner
from wizard.services.terraform.stream import parse_line

REPO = Path(__file__).resolve().parent.parent
RECORDED = REPO / "tests" / "data" / "tf_streams" / "sandbox_apply.jsonl"


def parser_throughput() -> None:
    lines = RECORDED.read_text().splitlines()
    reps = 200
    started = time.perf_counter()
    for _ in range(reps):
        state = Progress()
        for line in lines:
            event = parse_line(line)
            if event is not None:
                state = reduce(state, event)
    took = time.perf_counter() - started
    n = reps * len(lines)
    print(f"   parse+reduce: {n / took:,.0f} lines/s ({took / n * 1e6:.1f} µs/line, {n} lines)")


async def _streamed_apply(runner: TerraformRunner) -> float:
    sink = JsonSink(io.StringIO(), heartbeat=None)
    state = Progress()
    started = time.perf_counter()
    async for event in runner.apply():
        state = reduce(state, event)
        sink.emit(event)
    took = time.perf_counter() - started
    assert runner.last is not None and runner.last.exit_code == 0, "streamed apply failed"
    return took


def _bare_apply(runner: TerraformRunner) -> float:
    argv = commands.apply_argv(runner.binary.path)
    started = time.perf_counter()
    code = subprocess.run(
        argv, cwd=runner.workdir, env=runner.env, stdout=subprocess.DEVNULL, check=False
    ).returncode
    took = time.perf_counter() - started
    assert code == 0, "bare apply failed"
    return took


async def _quiet(events) -> int:  # type: ignore[no-untyped-def]
    async for _ in events:
        pass
    return 0


def _destroy(runner: TerraformRunner) -> None:
    """Tear down as `cdwizard destroy` does: a saved `plan -destroy`, then apply it."""
    asyncio.run(_quiet(runner.plan(destroy=True, out=commands.DESTROY_PLAN_FILE)))
    asyncio.run(_quiet(runner.apply(plan=commands.DESTROY_PLAN_FILE)))


def main() -> None:
    parser_throughput()
    mirror = os.environ.get("CDWIZARD_PROVIDER_MIRROR")
    if not mirror:
        print("   skipped the sandbox runs: set CDWIZARD_PROVIDER_MIRROR (offline provider mirror)")
        return
    if not (resources.templates_dir() / "terraform").is_dir():
        print("   skipped the sandbox runs: no terraform templates/modules in this checkout")
        return
    from wizard.services.terraform.workflow import Options, Workflow

    rounds = int(os.environ.get("BENCH_APPLY_ROUNDS", "2"))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "ws"
        sink = JsonSink(io.StringIO(), heartbeat=None)
        flow = Workflow(
            Options(answers=default_answers(), out=out, sandbox=True, mirror=Path(mirror)),
            emit=sink.emit,
        )
        started = time.perf_counter()
        flow.start()
        try:
            summary = asyncio.run(flow.prepare())
            asyncio.run(flow.apply())
            whole = time.perf_counter() - started
            assert flow.exit_code == 0, f"sandbox apply failed: {flow.report}"
            print(
                f"   whole sandbox run (render -> init -> plan -> apply, {summary.add} "
                f"resources): {whole:.1f}s"
            )
            runner = flow.runner
            assert runner is not None
            bare: list[float] = []
            ours: list[float] = []
            order = ["bare", "ours", "ours", "bare"] * ((rounds + 1) // 2)
            for kind in order[: 2 * rounds]:
                _destroy(runner)
                asyncio.run(_quiet(runner.plan()))
                if kind == "bare":
                    bare.append(_bare_apply(runner))
                else:
                    ours.append(asyncio.run(_streamed_apply(runner)))
            b, o = sum(bare) / len(bare), sum(ours) / len(ours)
            n = len(bare)
            print(f"   bare `terraform apply -json tfplan > /dev/null`: {b:.2f}s (mean of {n})")
            print(f"   streamed apply (parse + progress + NDJSON): {o:.2f}s (mean of {n})")
            print(f"   ratio streamed/bare: {o / b:.3f} (goal <= 1.05)")
            _destroy(runner)
        finally:
            flow.close()
