"""`cdwizard render --answers FILE --out DIR [--force] [--diff] [--dry-run]`."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from wizard.commands.common import load_answers_arg, run_guarded, workspace_lock

if TYPE_CHECKING:
    from wizard.core.answers import Answers

PARENTS = {"render": ("answers", "out", "sandbox")}


def configure(parser: argparse.ArgumentParser, name: str) -> None:
    parser.add_argument(
        "--force",
        action="store_true",
        help="overwrite files you edited since the last render (default: write FILE.new)",
    )
    parser.add_argument("--diff", action="store_true", help="print a unified diff of changes")
    parser.add_argument(
        "--dry-run", action="store_true", help="show what would change; write nothing"
    )


def _run(args: argparse.Namespace) -> int:
    answers = load_answers_arg(args)
    assert answers is not None
    if args.dry_run:  # writes nothing: no lock needed (and it works on a read-only disk)
        return _render(args, answers)
    with workspace_lock(args, "render"):
        return _render(args, answers)


def _render(args: argparse.Namespace, answers: Answers) -> int:
    from wizard.commands.options import CommonOptions
    from wizard.core.exitcodes import ExitCode
    from wizard.core.render import plan_write, render, write_workspace

    opts = CommonOptions.from_args(args)
    out = opts.workspace
    sandbox = None
    if opts.sandbox:
        from wizard.services.sandbox import sandbox_render_context

        sandbox = sandbox_render_context()
    tree = render(answers, sandbox=sandbox)
    writer = plan_write if args.dry_run else write_workspace
    report = writer(tree, out, force=args.force)
    verb = "would write" if args.dry_run else "wrote"
    for change in report.changes:
        if change.status != "unchanged":
            print(f"  {change.status:<11} {change.path}")
        if args.diff and change.diff:
            sys.stdout.write(change.diff)
    counts = report.counts()
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    print(f"{verb} {out}: {summary}")
    stray = report.by_status("untracked")
    if stray:
        print(
            "cdwizard: there was no render manifest, so these files may be left over from an "
            f"earlier rendering: {', '.join(c.path for c in stray)} — delete the ones you did "
            "not add yourself",
            file=sys.stderr,
        )
    if report.conflicts:
        names = ", ".join(c.path for c in report.conflicts)
        placed = (
            "without --dry-run the new versions would go next to them as *.new"
            if args.dry_run
            else "the new versions are next to them as *.new"
        )
        print(
            f"cdwizard: {'would keep' if args.dry_run else 'kept'} your edits in {names}; "
            f"{placed}. Merge them, or re-run with --force to overwrite.",
            file=sys.stderr,
        )
        return ExitCode.RENDER_CONFLICT
    return ExitCode.OK


def run(args: argparse.Namespace) -> int:
    return run_guarded(_run, args)
