"""The runner against the real terraform binary: streaming, exit codes, interrupts, cancellation,
long lines, and the python-terraform command lines (each known fault worked around)."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest

from wizard.core.events.base import LogLine, Notice
from wizard.core.events.terraform import (
    TfApplyStart,
    TfCommandFinished,
    TfCommandStarted,
    TfOutputs,
    TfPlannedChange,
    TfProvision,
    TfVersion,
)
from wizard.core.progress import replay
from wizard.services.terraform import commands
from wizard.services.terraform.binary import probe
from wizard.services.terraform.runner import TerraformRunner, terraform_env

CONFIG = """
variable "sleep" {
  type    = number
  default = 0
}

resource "terraform_data" "first" {
  input = "hello"
}

resource "terraform_data" "slow" {
  input = terraform_data.first.output
  provisioner "local-exec" {
    command = "exec sleep ${var.sleep}"
  }
}

output "big" {
  value = join("", [for i in range(1000) : join("", [for j in range(20) : "0123456789"])])
}
"""


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "main.tf").write_text(CONFIG)
    return tmp_path


@pytest.fixture
def runner(workdir: Path, terraform_bin: str) -> TerraformRunner:
    env = terraform_env(extra={"TF_CLI_CONFIG_FILE": os.devnull})
    return TerraformRunner(workdir, probe(terraform_bin), env=env, kill_grace=10)


async def wait_gone(pgid: int, timeout: float = 15.0) -> bool:
    """True once no process of the group is left (killed processes take a moment to be reaped)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        await asyncio.sleep(0.05)
    return False


async def collect(agen) -> list:
    return [event async for event in agen]


def finished(events: list) -> TfCommandFinished:
    last = events[-1]
    assert isinstance(last, TfCommandFinished)
    return last


async def test_plan_apply_destroy_stream_typed_events(runner: TerraformRunner) -> None:
    init = await collect(runner.init())
    assert isinstance(init[0], TfCommandStarted) and finished(init).exit_code == 0
    assert any(isinstance(e, LogLine) and "Terraform has been" in e.text for e in init)
    plan = await collect(runner.plan())
    assert plan[0].argv[:2] == ("terraform", "plan")
    assert isinstance(plan[1], TfVersion)
    assert finished(plan).exit_code == 2 and finished(plan).level == "info"  # 2 = changes
    assert {e.address for e in plan if isinstance(e, TfPlannedChange)} == {
        "terraform_data.first",
        "terraform_data.slow",
    }
    apply = await collect(runner.apply())
    assert finished(apply).exit_code == 0
    outputs = next(e for e in apply if isinstance(e, TfOutputs))  # a 200 KB line, parsed
    assert len(outputs.values()["big"]) == 200_000
    assert replay(apply).counts().done == 2
    assert (await runner.outputs())["big"]["value"].startswith("0123456789")
    again = await collect(runner.plan())
    assert finished(again).exit_code == 0  # nothing to do
    doomed = await collect(runner.plan(destroy=True, out=commands.DESTROY_PLAN_FILE))
    assert finished(doomed).exit_code == 2  # the destroy is reviewed like any plan
    destroy = await collect(runner.apply(plan=commands.DESTROY_PLAN_FILE))
    assert finished(destroy).exit_code == 0
    assert await runner.outputs() == {}


async def test_stderr_becomes_warn_log_lines(workdir: Path, terraform_bin: str) -> None:
    env = terraform_env(extra={"TF_CLI_CONFIG_FILE": str(workdir / "missing.tfrc")})
    runner = TerraformRunner(workdir, probe(terraform_bin), env=env)
    events = await collect(runner.init())
    warns = [e for e in events if isinstance(e, LogLine) and e.source == "terraform stderr"]
    assert any("Unable to open CLI configuration file" in e.text for e in warns)
    assert all(e.level == "warn" for e in warns)


async def _apply_until_provisioning(runner: TerraformRunner, sleep: int) -> tuple:
    runner.env["TF_VAR_sleep"] = str(sleep)
    await collect(runner.init())
    await collect(runner.plan())
    events: list = []
    agen = runner.apply()
    async for event in agen:
        events.append(event)
        if isinstance(event, TfProvision) and event.phase == "start":
            break
    return agen, events


async def test_first_interrupt_is_graceful_and_a_rerun_converges(
    runner: TerraformRunner,
) -> None:
    agen, events = await _apply_until_provisioning(runner, 60)
    runner.interrupt()
    events += [event async for event in agen]
    done = finished(events)
    assert done.interrupted and not done.killed and done.exit_code != 0
    assert done.duration_seconds < 30  # it stopped instead of sleeping 60 s
    notes = [e for e in events if isinstance(e, Notice)]
    assert notes and "press Ctrl-C again" in (notes[0].hint or "")
    assert any(isinstance(e, LogLine) and "Interrupt received" in e.text for e in events)
    state = replay(events)
    assert state.rows["terraform_data.first"].status == "done"  # saved before stopping
    # a fresh run picks up from the saved state
    env = {**runner.env, "TF_VAR_sleep": "0"}
    runner2 = TerraformRunner(runner.workdir, runner.binary, env=env)
    plan = await collect(runner2.plan())
    planned = {e.address: e.action for e in plan if isinstance(e, TfPlannedChange)}
    assert "terraform_data.first" not in planned  # already exists
    assert finished(plan).exit_code == 2
    apply = await collect(runner2.apply())
    assert finished(apply).exit_code == 0
    assert finished(await collect(runner2.plan())).exit_code == 0


async def test_second_interrupt_kills_the_process_group(runner: TerraformRunner) -> None:
    agen, events = await _apply_until_provisioning(runner, 60)
    pid = runner._proc.pid
    runner.interrupt()
    runner.interrupt()
    events += [event async for event in agen]
    done = finished(events)
    assert done.killed and done.interrupted
    assert [e.level for e in events if isinstance(e, Notice)][-1] == "error"
    assert await wait_gone(pid)  # terraform, its provider and the provisioner are all gone


async def test_cancelling_the_consumer_stops_terraform(runner: TerraformRunner) -> None:
    await collect(runner.init())
    runner.env["TF_VAR_sleep"] = "60"
    await collect(runner.plan())
    started = asyncio.Event()
    pids: list[int] = []

    async def consume() -> None:
        async for event in runner.apply():
            if isinstance(event, TfApplyStart) and runner._proc is not None:
                pids.append(runner._proc.pid)
            if isinstance(event, TfProvision):
                started.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(started.wait(), 60)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await wait_gone(pids[0])
    assert runner._proc is None


async def test_interrupt_before_a_command_starts_skips_it(runner: TerraformRunner) -> None:
    runner.interrupt()
    events = await collect(runner.plan())
    assert finished(events).interrupted and finished(events).exit_code == 130
    assert len(events) == 2  # started + finished, no process


def test_python_terraform_command_lines_avoid_its_known_faults() -> None:
    tf = "terraform"
    init = commands.init_argv(tf)
    plan = commands.plan_argv(tf)
    apply = commands.apply_argv(tf)
    destroy = commands.plan_argv(tf, destroy=True, out="tfplan.destroy")
    everything = init + plan + apply + destroy + commands.output_argv(tf)
    assert "-force" not in everything  # removed in 0.15 (destroy() adds it)
    faulty = ("-synchronous", "-state", "-var-file", "-reconfigure")
    assert not any(a.startswith(faulty) for a in everything)
    assert init == ["terraform", "init", "-input=false", "-no-color"]  # no positional dir
    assert plan[1] == "plan" and "-json" in plan and "-detailed-exitcode" in plan
    assert "-out=tfplan" in plan
    assert apply[-1] == "tfplan" and "-auto-approve" not in apply  # the reviewed plan only
    assert destroy[1] == "plan" and destroy[-1] == "-destroy"  # a reviewed plan, not `destroy`
    assert "-auto-approve" not in destroy and "-json" in destroy


def test_python_terraform_never_reads_state_from_the_cwd(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / ".terraform").mkdir()
    (tmp_path / ".terraform" / "terraform.tfstate").write_text("{not json")
    monkeypatch.chdir(tmp_path)
    assert commands.apply_argv("terraform")[1] == "apply"  # no JSONDecodeError


def test_signal_module_has_sigint() -> None:  # guards the process-group design on this OS
    assert signal.SIGINT and hasattr(os, "killpg")
