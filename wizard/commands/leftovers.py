"""`cdwizard leftovers --answers FILE [--adopt ID]… [--remove ID]… [--yes] [--out DIR] [--sandbox]`.

Lists what exists, carries this project's `cdwizard:project` tag and is not in terraform's state
(a run interrupted at the wrong instant, a lost state): exit 0 when nothing is left over, 7 while
anything is. `--adopt ID` imports a leftover into terraform's state where these answers would
create it (`terraform import`), so the next apply keeps it instead of making another one;
`--remove ID` deletes it (after a confirmation, like destroy). `all` stands for every leftover.
apply, destroy and doctor print these commands, with the right IDs, when they find leftovers.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from wizard.commands.common import CommandError, load_answers_arg, make_sink, run_guarded
from wizard.core.exitcodes import ExitCode, exit_codes_help

if TYPE_CHECKING:
    from wizard.services.terraform.workflow import Workflow

PARENTS = {"leftovers": ("answers", "out", "output", "sandbox", "mirror", "yes")}


def configure(parser: argparse.ArgumentParser, name: str) -> None:
    parser.add_argument(
        "--adopt",
        action="append",
        default=[],
        metavar="ID",
        help="import this leftover into terraform's state (repeatable; `all` for every one)",
    )
    parser.add_argument(
        "--remove",
        action="append",
        default=[],
        metavar="ID",
        help="delete this leftover (repeatable; `all` for every one); asks first unless --yes",
    )
    parser.epilog = exit_codes_help(
        (
            ExitCode.OK,
            ExitCode.USAGE,
            ExitCode.BAD_ANSWERS,
            ExitCode.TOOL_MISSING,
            ExitCode.PLAN_FAILED,
            ExitCode.DESTROY_FAILED,
            ExitCode.REFUSED,
            ExitCode.WORKSPACE_BUSY,
            ExitCode.FILE_ERROR,
            ExitCode.INTERRUPTED,
            ExitCode.TERMINATED,
        ),
        {
            ExitCode.OK: "nothing left over",
            ExitCode.USAGE: "an ID that is not a leftover",
            ExitCode.DESTROY_FAILED: "leftovers remain",
            ExitCode.REFUSED: "removal not confirmed",
        },
    )


def _pick(found: list[Any], wanted: list[str], verb: str) -> list[Any]:
    from wizard.core.exitcodes import ExitCode

    if "all" in wanted:
        return list(found)
    by_id = {item.id: item for item in found}
    unknown = [w for w in wanted if w not in by_id]
    if unknown:
        known = ", ".join(by_id) or "none"
        raise CommandError(
            f"cannot {verb} {', '.join(unknown)}: not a leftover of this workspace "
            f"(leftovers now: {known})",
            ExitCode.USAGE,
        )
    return [by_id[w] for w in wanted]


def _confirm(items: list[Any]) -> bool:
    out = sys.stderr
    out.write("\nThis deletes, for good:\n")
    for item in items:
        out.write(f"  {item.label}\n")
    out.flush()
    try:
        return input("Type 'yes' to delete them: ").strip().lower() == "yes"
    except EOFError:
        return False


def _run(args: argparse.Namespace) -> int:
    from wizard.commands.options import CommonOptions
    from wizard.core.events.base import Notice
    from wizard.core.exitcodes import ExitCode
    from wizard.services.terraform.workflow import Options, Workflow, WorkflowError, run_sync

    opts = CommonOptions.from_args(args)
    answers = load_answers_arg(args)
    assert answers is not None
    if args.adopt and args.remove:
        raise CommandError("give --adopt or --remove, not both at once", ExitCode.USAGE)
    needs_confirm = bool(args.remove) and not args.yes
    if needs_confirm and not sys.stdin.isatty():
        raise CommandError(
            "refusing to delete leftovers without confirmation: there is no terminal to ask "
            "on. Re-run with --yes.",
            ExitCode.REFUSED,
        )
    sink = make_sink(opts.mode, activity="looking for leftovers")
    rerun = opts.rerun("leftovers")
    flow = Workflow(
        Options(
            answers=answers,
            out=opts.workspace,
            sandbox=opts.sandbox,
            mirror=opts.mirror,
            rerun_apply=opts.rerun("apply"),
            rerun_destroy=opts.rerun("destroy"),
            rerun_leftovers=rerun,
            command="leftovers",
            rerun=rerun,
        ),
        emit=sink.emit,
    )
    try:
        flow.start()
        if args.adopt:
            run_sync(flow.prepare, flow.interrupt)  # the plan says where each one belongs
        else:
            run_sync(flow.initialize, flow.interrupt)
        found = run_sync(flow.find_leftovers, flow.interrupt)
        if args.adopt or args.remove:
            chosen = _pick(found, args.adopt or args.remove, "adopt" if args.adopt else "remove")
            if needs_confirm and chosen and not _confirm(chosen):
                sink.emit(Notice(text="nothing was removed", level="warn"))
                return ExitCode.REFUSED
            act = flow.adopt if args.adopt else flow.remove
            run_sync(lambda: act(chosen), flow.interrupt)
            found = run_sync(flow.find_leftovers, flow.interrupt)
        return _report(flow, found, sink, rerun)
    except WorkflowError as exc:
        sink.emit(Notice(text=str(exc), hint=exc.hint, level="error"))
        return exc.code
    finally:
        try:
            flow.close()
        finally:
            sink.close()


def _report(flow: Workflow, found: list[Any], sink: Any, rerun: str) -> int:
    from wizard.core.events.base import Notice
    from wizard.core.exitcodes import ExitCode

    if not found:
        sink.emit(
            Notice(text="no leftovers: everything tagged for this project is in terraform's state")
        )
        return ExitCode.OK
    for leftover in found:
        item = flow.leftover_item(leftover)
        sink.emit(
            Notice(
                text=f"left over: {item.label}",
                hint=f"adopt: `{item.adopt}` · remove: `{item.remove}`",
                level="warn",
            )
        )
    sink.emit(
        Notice(
            text=f"{len(found)} leftover(s): they exist, carry this project's tag and are not "
            "in terraform's state",
            hint=f"adopt or remove each (`{rerun} --adopt all` / `--remove all`)",
            level="error",
        )
    )
    return ExitCode.DESTROY_FAILED


def run(args: argparse.Namespace) -> int:
    return run_guarded(_run, args)
