"""Time to the first green deployment in the sandbox, and where it goes.

    CDWIZARD_PROVIDER_MIRROR=/path/to/mirror python -m bench first_green

What `cdwizard --sandbox` does from the Review screen on, with the default answers: `init` and
`plan` (the Review screen runs them), then the user presses Apply: `apply`, the wizard lands on
the monitor, the user presses Ship once (`ship`: the payload pushed to the branch through the
CodeCommit API), and the pipeline's run ends with a green deployment (`deployment`). No ratio:
the figure is absolute, with its breakdown; the goal is Apply -> green <= 60 s on a 2-core
machine. `CDWIZARD_SANDBOX_BUCKET_LIFECYCLE=1` includes the bucket lifecycle configuration
(and the provider's 55 s wait for it) for comparison.
"""

from __future__ import annotations

import asyncio
import io
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import terraform_mirror
from wizard.core.answers import default_answers
from wizard.core.output import JsonSink
from wizard.services.terraform import commands

GOAL = 60.0


def _events_file() -> Any:
    """Where the NDJSON events go: `BENCH_EVENTS=FILE` keeps them (per-resource timings)."""
    path = os.environ.get("BENCH_EVENTS")
    return open(path, "w", encoding="utf-8") if path else io.StringIO()


async def _drain(events: Any) -> int:
    async for _ in events:
        pass
    return 0


def wait_green(clients: Any, pipeline: str, commit: str, timeout: float = 300.0) -> str:
    """Wait until the execution that carries `commit` ends; its status."""
    cp = clients.client("codepipeline")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = cp.list_pipeline_executions(pipelineName=pipeline)["pipelineExecutionSummaries"]
        for run in runs:
            revisions = {r.get("revisionId") for r in run.get("sourceRevisions", [])}
            if commit in revisions and run["status"] not in ("InProgress", "Stopping"):
                return str(run["status"])
        time.sleep(0.2)
    return "timeout"


def main() -> None:
    mirror = terraform_mirror()
    if mirror is None:
        return
    from wizard.core.render import render
    from wizard.services.aws.ship import execute_ship, files_from_tree, plan_ship
    from wizard.services.sandbox import bucket_lifecycle_wanted, sandbox_render_context
    from wizard.services.terraform.workflow import Options, Workflow

    answers = default_answers()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "ws"
        flow = Workflow(
            Options(answers=answers, out=out, sandbox=True, mirror=Path(mirror)),
            emit=JsonSink(_events_file(), heartbeat=None).emit,
        )
        flow.start()
        try:
            runner = flow.runner
            assert runner is not None and flow.sandbox is not None
            flow.render()
            flow.sandbox.ensure_repository(answers.source.repository)
            t0 = time.perf_counter()
            asyncio.run(_drain(runner.init()))
            t_init = time.perf_counter()
            asyncio.run(_drain(runner.plan(out=commands.PLAN_FILE)))
            t_plan = time.perf_counter()
            code = asyncio.run(flow.apply())  # the Apply key
            t_apply = time.perf_counter()
            assert code == 0, f"sandbox apply failed: {flow.report}"
            clients = flow.sandbox.clients
            files = files_from_tree(render(answers, sandbox=sandbox_render_context()))
            plan = plan_ship(clients, answers.source.repository, answers.source.branch, files)
            shipped = execute_ship(clients, plan, message="bench: first green")  # the Ship key
            t_ship = time.perf_counter()
            status = wait_green(clients, answers.pipeline.name, shipped.commit_id)
            t_green = time.perf_counter()
        finally:
            flow.close()
    after_apply = t_green - t_plan
    lifecycle = ("with" if bucket_lifecycle_wanted() else "without") + " the bucket lifecycle"
    print(f"   init        {t_init - t0:6.1f}s")
    print(f"   plan        {t_plan - t_init:6.1f}s")
    print(
        f"   apply       {t_apply - t_plan:6.1f}s  ({lifecycle} the bucket lifecycle configuration)"
    )
    print(f"   ship        {t_ship - t_apply:6.1f}s")
    print(f"   deployment  {t_green - t_ship:6.1f}s  (pipeline run: {status})")
    print(
        f"   Apply -> green: {after_apply:.1f}s (goal <= {GOAL:.0f}s); with init + plan: "
        f"{t_green - t0:.1f}s"
    )
    assert status == "Succeeded", f"the shipped run ended {status}"
