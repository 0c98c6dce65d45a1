"""`cdwizard plan|apply|destroy --answers FILE [--out DIR] [--yes] [--plain|--json] [--sandbox]`.

One module for the three commands: `configure(parser, name)` gets the command name. The work is
done by `wizard.services.terraform.workflow.Workflow`; this module only picks the output mode,
asks for confirmation (or refuses without a terminal), and maps the outcome to an exit code.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from wizard.commands.common import (
    CommandError,
    load_answers_arg,
    make_sink,
    run_guarded,
)
from wizard.core.exitcodes import ExitCode, exit_codes_help

if TYPE_CHECKING:
    from wizard.core.events.base import Event
    from wizard.core.events.terraform import PlanSummary

_COMMON = ("answers", "out", "output", "sandbox", "mirror")
PARENTS = {"plan": _COMMON, "apply": (*_COMMON, "yes"), "destroy": (*_COMMON, "yes")}
_EXIT_CODES = (
    ExitCode.OK,
    ExitCode.BAD_ANSWERS,
    ExitCode.TOOL_MISSING,
    ExitCode.PLAN_FAILED,
    ExitCode.APPLY_FAILED,
    ExitCode.DESTROY_FAILED,
    ExitCode.REFUSED,
    ExitCode.RENDER_CONFLICT,
    ExitCode.WORKSPACE_BUSY,
    ExitCode.FILE_ERROR,
    ExitCode.HANGUP,
    ExitCode.INTERRUPTED,
    ExitCode.TERMINATED,
)


def configure(parser: argparse.ArgumentParser, name: str) -> None:
    parser.add_argument(
        "--force",
        action="store_true",
        help="overwrite files you edited in the workspace since the last render "
        "(default: stop with exit code 9 and write FILE.new next to them)",
    )
    if name in ("plan", "apply"):
        parser.add_argument(
            "--adopt",
            action="store_true",
            help="import the existing resources cdwizard can take over (made by hand with the "
            "same names, e.g. by the seed procedure) instead of failing on their names; "
            "resources it cannot take over stop the run with the answers key to rename",
        )
    parser.epilog = exit_codes_help(_EXIT_CODES)


def _confirm(summary: PlanSummary, command: str) -> bool:
    """Ask on the terminal. Destructive plans need the word `yes`, others `y`."""
    out = sys.stderr
    out.write("\n")
    for line in summary.lines():
        out.write(f"  {line}\n")
    if summary.destructive:
        out.write("\nDESTRUCTIVE: " + "; ".join(summary.destructive) + "\n")
        prompt = f"Type 'yes' to {command} anyway: "
        accepted = {"yes"}
    else:
        verb = "destroy all of this" if command == "destroy" else "apply this plan"
        prompt = f"{verb[0].upper()}{verb[1:]}? [y/N] "
        accepted = {"y", "yes"}
    out.flush()
    try:
        answer = input(prompt)
    except EOFError:
        return False
    return answer.strip().lower() in accepted


def _run(args: argparse.Namespace) -> int:
    from wizard.commands.options import CommonOptions
    from wizard.core.events.base import Notice
    from wizard.core.events.terraform import TfCommandStarted
    from wizard.core.progress import ResourceNames
    from wizard.services.terraform.workflow import Options, Workflow, WorkflowError, run_sync

    opts = CommonOptions.from_args(args)
    command = opts.command
    answers = load_answers_arg(args)
    assert answers is not None
    needs_confirm = command in ("apply", "destroy") and not opts.yes
    if needs_confirm and not sys.stdin.isatty():
        raise CommandError(
            f"refusing to {command} without confirmation: there is no terminal to ask on. "
            f"Review with `{opts.rerun('plan')}`, then re-run with --yes.",
            ExitCode.REFUSED,
        )
    # a terminal gets plain lines too (the wizard's apply screen is the TUI); plain lines call
    # resources what the plan summary says they are
    sink = make_sink(opts.mode, activity=f"running {command}", describe=ResourceNames().line)

    def emit(event: Event) -> None:
        if isinstance(event, TfCommandStarted) and hasattr(sink, "set_activity"):
            sink.set_activity(f"running terraform {event.command}")
        sink.emit(event)

    flow = Workflow(
        Options(
            answers=answers,
            out=opts.workspace,
            sandbox=opts.sandbox,
            mirror=opts.mirror,
            force_render=args.force,
            rerun_apply=opts.rerun("apply"),
            rerun_destroy=opts.rerun("destroy"),
            rerun_leftovers=opts.rerun("leftovers"),
            command=command,
            rerun=opts.rerun(command),
            adopt=opts.adopt,
        ),
        emit=emit,
    )
    try:
        flow.start()
        summary = run_sync(lambda: flow.prepare(destroy=command == "destroy"), flow.interrupt)
        if command == "plan":
            return ExitCode.OK
        if command == "apply" and not summary.has_changes:
            emit(Notice(text="nothing to apply: the infrastructure matches the answers"))
            return ExitCode.OK
        if needs_confirm and summary.has_changes:
            try:
                agreed = _confirm(summary, command)
            except KeyboardInterrupt:
                emit(Notice(text=f"{command} cancelled: nothing was changed", level="warn"))
                return ExitCode.INTERRUPTED
            if not agreed:
                emit(Notice(text=f"{command} cancelled: nothing was changed", level="warn"))
                return ExitCode.REFUSED
        if command == "apply":
            return run_sync(flow.apply, flow.interrupt)
        return run_sync(flow.destroy, flow.interrupt)
    except WorkflowError as exc:
        if exc.failure is None:  # a failure of terraform itself was emitted with its steps
            emit(Notice(text=str(exc), hint=exc.hint, level="error"))
        return exc.code
    finally:
        try:
            flow.close()  # saves the sandbox; a stop signal meanwhile is raised afterwards
        finally:
            sink.close()


def run(args: argparse.Namespace) -> int:
    return run_guarded(_run, args)
