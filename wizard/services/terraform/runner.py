"""Running terraform: async, streaming, interruptible. No UI here -- only typed events.

    runner = TerraformRunner(workdir, find_terraform(), env=terraform_env(cli_config=...))
    async for event in runner.plan():      # TUI worker, or `run_sync` for the commands
        ...
    runner.interrupt()                      # 1st: SIGINT to terraform, wait; 2nd: kill

Terraform runs in its own process group, so a Ctrl-C in the terminal reaches only cdwizard, which
forwards exactly one SIGINT: terraform then stops starting new operations, lets running ones finish,
writes its state and releases the lock. (Were it in our group, the terminal would deliver a second
copy, and two interrupts make terraform exit at once, possibly with state unsaved.) A second
`interrupt()` kills the whole group, providers included.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from wizard.core.events.base import Event, Level, LogLine, Notice
from wizard.core.events.terraform import TfCommandFinished, TfCommandStarted
from wizard.services.terraform import commands
from wizard.services.terraform.binary import TerraformBinary
from wizard.services.terraform.stream import human_diagnostics, parse_line, stderr_event

#: asyncio's default StreamReader limit is 64 KiB; one diagnostic with a large policy document can
#: be longer. Lines up to this size are parsed; longer ones are reported as truncated.
LINE_LIMIT = 32 * 1024 * 1024

_EOF = object()


def terraform_env(
    base: Mapping[str, str] | None = None,
    *,
    cli_config: Path | None = None,
    extra: Mapping[str, str | None] | None = None,
) -> dict[str, str]:
    """Environment for terraform processes only (never applied to our own `os.environ`).

    `extra` values of `None` remove the variable (the sandbox drops real-AWS credentials)."""
    env = dict(os.environ if base is None else base)
    env["TF_IN_AUTOMATION"] = "1"  # no "run terraform apply next" hints meant for humans
    env["TF_INPUT"] = "0"  # never prompt
    env["CHECKPOINT_DISABLE"] = "1"  # no version check over the network
    if cli_config is not None:
        env["TF_CLI_CONFIG_FILE"] = str(Path(cli_config).resolve())
    for key, value in (extra or {}).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


class TerraformRunner:
    """One working directory, one terraform binary, one command at a time."""

    def __init__(
        self,
        workdir: Path,
        binary: TerraformBinary,
        *,
        env: Mapping[str, str] | None = None,
        kill_grace: float = 5.0,
    ) -> None:
        self.workdir = Path(workdir)
        self.binary = binary
        self.env = dict(env) if env is not None else terraform_env()
        self.kill_grace = kill_grace
        self._proc: asyncio.subprocess.Process | None = None
        self._queue: asyncio.Queue[Any] | None = None
        self._interrupts = 0
        self.last: TfCommandFinished | None = None

    # --- control ------------------------------------------------------------------------------

    @property
    def interrupted(self) -> bool:
        """True once `interrupt()` was called: callers stop before starting the next command."""
        return self._interrupts > 0

    def interrupt(self) -> None:
        """First call: SIGINT to terraform (graceful). Second: SIGKILL to its process group.

        Safe to call from a signal handler installed with `loop.add_signal_handler` or from
        the event loop (a TUI button)."""
        self._interrupts += 1
        proc = self._proc
        if proc is None or proc.returncode is not None:
            return
        if self._interrupts == 1:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGINT)
            self._notice(
                "interrupt: terraform is finishing the calls in flight and saving its state",
                "press Ctrl-C again to kill it (state may then be incomplete)",
                level="warn",
            )
        else:
            self._kill(proc)
            self._notice("killed terraform and its providers", level="error")

    def _kill(self, proc: asyncio.subprocess.Process) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            proc.kill()

    def _notice(self, text: str, hint: str | None = None, *, level: Level = "info") -> None:
        if self._queue is not None:
            self._queue.put_nowait(Notice(text=text, hint=hint, level=level))

    # --- commands -----------------------------------------------------------------------------

    def init(self, *, upgrade: bool = False) -> AsyncIterator[Event]:
        """With `-json` where terraform has it; otherwise its human diagnostics are read from
        stderr once it closes, so both ways give `TfDiagnostic` events."""
        json_ui = self.binary.init_json
        argv = commands.init_argv(self.binary.path, upgrade=upgrade, json=json_ui)
        return self.stream("init", argv, human_stderr=not json_ui)

    def plan(self, *, out: str = commands.PLAN_FILE, destroy: bool = False) -> AsyncIterator[Event]:
        """Exit code 0 = no changes, 2 = changes (both success), 1 = error."""
        return self.stream("plan", commands.plan_argv(self.binary.path, out=out, destroy=destroy))

    def apply(self, *, plan: str = commands.PLAN_FILE) -> AsyncIterator[Event]:
        return self.stream("apply", commands.apply_argv(self.binary.path, plan=plan))

    async def outputs(self) -> dict[str, Any]:
        """`terraform output -json` as {name: {value, type, sensitive}} ({} when there is no
        state yet). Values of sensitive outputs are included: never log them."""
        code, out, _err = await self.capture(commands.output_argv(self.binary.path))
        if code != 0 or not out.strip():
            return {}
        data = json.loads(out)
        return data if isinstance(data, dict) else {}

    async def show_plan(self, plan: str = commands.PLAN_FILE) -> dict[str, Any]:
        """The saved plan as JSON (`show -json`); holds sensitive values, keep it in memory."""
        code, out, err = await self.capture(commands.show_plan_argv(self.binary.path, plan))
        if code != 0:
            raise RuntimeError(f"terraform show -json {plan} failed: {err.strip()[:500]}")
        data = json.loads(out)
        return data if isinstance(data, dict) else {}

    async def show_state(self) -> dict[str, Any]:
        """The current state as JSON (`show -json`; {} when there is none or it cannot be read);
        holds sensitive values, keep it in memory."""
        code, out, _err = await self.capture(commands.show_state_argv(self.binary.path))
        if code != 0 or not out.strip():
            return {}
        try:
            data = json.loads(out)
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    async def _spawn(self, argv: Sequence[str], **options: Any) -> asyncio.subprocess.Process:
        """`argv` in the workdir with our environment, no stdin, both outputs piped, in its own
        session (see the module docstring: Ctrl-C is ours to forward)."""
        return await asyncio.create_subprocess_exec(
            *argv,
            cwd=self.workdir,
            env=self.env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
            **options,
        )

    async def capture(self, argv: Sequence[str]) -> tuple[int, str, str]:
        """Run a short command to completion; (exit code, stdout, stderr)."""
        proc = await self._spawn(argv)
        out, err = await proc.communicate()
        return proc.returncode or 0, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")

    async def stream(
        self, command: str, argv: Sequence[str], *, human_stderr: bool = False
    ) -> AsyncIterator[Event]:
        """Start `argv` in the workdir and yield its events as they arrive, then a
        `TfCommandFinished`. Cancelling the consumer interrupts terraform (and kills it if it
        does not stop within `kill_grace` seconds). `human_stderr`: stderr is terraform's human
        output, read as diagnostics when it closes."""
        if self._proc is not None and self._proc.returncode is None:
            raise RuntimeError("a terraform command is already running in this runner")
        started = time.monotonic()
        shown = (Path(argv[0]).name, *argv[1:])
        yield TfCommandStarted(command=command, argv=tuple(shown), workdir=str(self.workdir))
        if self.interrupted:
            self.last = TfCommandFinished(command=command, exit_code=130, interrupted=True)
            yield self.last
            return
        queue: asyncio.Queue[Any] = asyncio.Queue()
        self._queue = queue
        proc = await self._spawn(argv, limit=LINE_LIMIT)
        self._proc = proc
        assert proc.stdout is not None and proc.stderr is not None
        readers = [
            asyncio.create_task(_pump(proc.stdout, queue, stderr=False)),
            asyncio.create_task(
                _pump(proc.stderr, queue, stderr=True, human=human_stderr),
            ),
        ]
        finished = False
        try:
            open_streams = 2
            while open_streams:
                item = await queue.get()
                if item is _EOF:
                    open_streams -= 1
                    continue
                yield item
            code = await proc.wait()
            while not queue.empty():  # notices queued by interrupt() at the very end
                item = queue.get_nowait()
                if item is not _EOF:
                    yield item
            finished = True
            self.last = TfCommandFinished(
                command=command,
                exit_code=code,
                duration_seconds=time.monotonic() - started,
                interrupted=self._interrupts > 0,
                killed=self._interrupts > 1,
                level="info" if code in (0, 2) and not self._interrupts else "error",
            )
            yield self.last
        finally:
            if not finished:
                await self._stop(proc)
            for task in readers:
                task.cancel()
            for task in readers:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            self._queue = None
            self._proc = None

    async def _stop(self, proc: asyncio.subprocess.Process) -> None:
        """The consumer went away mid-command: interrupt, wait a little, then kill."""
        if proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(asyncio.shield(proc.wait()), self.kill_grace)
        except (TimeoutError, asyncio.CancelledError):
            self._kill(proc)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(proc.wait(), 5)


async def _pump(
    reader: asyncio.StreamReader, queue: asyncio.Queue[Any], *, stderr: bool, human: bool = False
) -> None:
    """Read lines into the queue as events; always finish with `_EOF`. `human`: keep the lines
    and queue them as diagnostics at the end (a block spans many lines)."""
    if human:
        await _pump_human(reader, queue)
        return
    try:
        while True:
            try:
                line = await reader.readline()
            except ValueError:
                # longer than LINE_LIMIT: asyncio has already dropped it; say so and go on
                queue.put_nowait(
                    LogLine(
                        source="cdwizard",
                        text=f"skipped a terraform line longer than {LINE_LIMIT} bytes",
                        level="warn",
                    )
                )
                continue
            if not line:
                return
            event = stderr_event(line) if stderr else parse_line(line)
            if event is not None:
                queue.put_nowait(event)
    finally:
        queue.put_nowait(_EOF)


async def _pump_human(reader: asyncio.StreamReader, queue: asyncio.Queue[Any]) -> None:
    lines: list[str] = []
    try:
        while True:
            try:
                line = await reader.readline()
            except ValueError:
                continue  # longer than LINE_LIMIT: not a diagnostic line anyone can read
            if not line:
                break
            lines.append(line.decode("utf-8", "replace"))
    finally:
        for event in human_diagnostics(lines):
            queue.put_nowait(event)
        queue.put_nowait(_EOF)
