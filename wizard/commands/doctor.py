"""`cdwizard doctor [--answers FILE] [--sandbox] [--plain|--json]`: the preflight checks, each
✓ / ! / ✗ with the fix.

Exit codes: 0 when no check failed (warnings do not fail); otherwise the code of the *first*
failed check in the listed order: 4 (TOOL_MISSING) when it is terraform or the provider, 13
(AWS_ERROR) for credentials, region, repository, instances, profiles, SSM agents or name
clashes. 3 (BAD_ANSWERS) when the answers file is invalid.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from wizard.commands.common import CommandError, load_answers_arg, run_guarded
from wizard.core.exitcodes import ExitCode, exit_codes_help

if TYPE_CHECKING:
    from wizard.core.events.base import Event

PARENTS = {"doctor": ("answers", "out", "output", "sandbox", "mirror")}

_TITLE_WIDTH = 18


def configure(parser: argparse.ArgumentParser, name: str) -> None:
    parser.add_argument(
        "--probe-codecommit",
        action="store_true",
        help="create and delete a throw-away CodeCommit repository to learn whether this account "
        "may create repositories (only when source.create_repository is true)",
    )
    parser.epilog = exit_codes_help(
        (ExitCode.OK, ExitCode.TOOL_MISSING, ExitCode.AWS_ERROR, ExitCode.BAD_ANSWERS),
        {
            ExitCode.OK: "no check failed (warnings allowed)",
            ExitCode.TOOL_MISSING: "the first failure is terraform or the provider",
            ExitCode.AWS_ERROR: "the first failure is an AWS check",
        },
    )


class ChecklistSink:
    """Plain checklist: one aligned line per check, its fix underneath, counts at the end."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream if stream is not None else sys.stdout

    def emit(self, event: Event) -> None:
        from wizard.core.events.base import Notice
        from wizard.core.events.preflight import (
            PreflightCheck,
            PreflightFinished,
            PreflightStarted,
        )

        if isinstance(event, PreflightStarted):
            self._write(f"cdwizard doctor: checking against {event.target}")
        elif isinstance(event, PreflightCheck):
            self._write(f"  {event.status.mark} {event.title:<{_TITLE_WIDTH}} {event.detail}")
            if event.fix:
                self._write(f"    {'':<{_TITLE_WIDTH}} fix: {event.fix}")
        elif isinstance(event, PreflightFinished):
            self._write(event.summary().removeprefix("preflight: "))
        elif isinstance(event, Notice):
            self._write(event.summary())

    def _write(self, line: str) -> None:
        self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        self.stream.flush()


def _sink(mode: str) -> Any:
    if mode == "json":
        from wizard.core.output import JsonSink

        return JsonSink(heartbeat=None)
    return ChecklistSink()


def _sandbox_target(region: str, out: Path) -> tuple[Any, Any]:
    """Start the embedded emulator on this workspace's saved sandbox state: (sandbox, target)."""
    from wizard.services.sandbox.launcher import Sandbox, SandboxError

    workspace = Sandbox.for_workspace(out, region)
    box = Sandbox(
        region=region, state_file=workspace.state_file, terraform_state=workspace.terraform_state
    )  # read-only: no log file, never saved
    try:
        box.start()
    except SandboxError as exc:
        raise CommandError(str(exc), ExitCode.TOOL_MISSING) from None
    return box, box.target


def _busy_notice(out: Path) -> Any:
    """A note when another cdwizard works in this workspace (results may be moving)."""
    from wizard.core.events.base import Notice
    from wizard.services.workspace_lock import current_holder

    holder = current_holder(out)
    if holder is None:
        return None
    return Notice(
        text=f"{holder.describe()} is working in {out}: what it changes may show up as "
        "failed checks (leftovers, clashes)",
        hint="run doctor again when it has finished",
        level="warn",
    )


def _run(args: argparse.Namespace) -> int:
    from wizard.commands.options import CommonOptions
    from wizard.core.answers import default_answers
    from wizard.core.events.base import Notice
    from wizard.services.aws.preflight import PreflightOptions, run_preflight
    from wizard.services.aws.session import AwsClients
    from wizard.services.aws.target import target_from_answers

    opts = CommonOptions.from_args(args)
    answers = load_answers_arg(args, required=False)
    mode = opts.mode
    sink = _sink(mode)
    if answers is None:
        answers = default_answers()
        sink.emit(
            Notice(
                text="no --answers given: checking the default answers",
                hint="see `cdwizard answers template`",
            )
        )
    out = opts.workspace
    busy = _busy_notice(out)
    if busy is not None:
        sink.emit(busy)
    box = None
    sandboxed = opts.sandbox
    try:
        if sandboxed:
            box, target = _sandbox_target(answers.aws.region, out)
        else:
            target = target_from_answers(answers)
        state = out / "terraform" / "terraform.tfstate"
        options = PreflightOptions(
            provider_mirror=opts.mirror,
            state_file=state if state.is_file() else None,
            probe_codecommit=args.probe_codecommit,
            sandbox=sandboxed,
            leftovers_command=opts.rerun("leftovers"),
        )
        # few retries: a preflight should answer quickly, even without a network
        clients = AwsClients(target, max_attempts=3)
        report = run_preflight(answers, clients, options, emit=sink.emit)
    finally:
        sink.close()
        if box is not None:
            box.stop(save=False)
    return report.exit_code


def run(args: argparse.Namespace) -> int:
    return run_guarded(_run, args)
