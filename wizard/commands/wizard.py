"""`cdwizard` with no subcommand: the interactive wizard.

Its options (`--answers`, `--out`, `--sandbox`, `--provider-mirror`) are the top-level ones parsed
in `wizard.cli`. Without a terminal it never waits for input: it says what is missing and how to
run without questions, and exits non-zero.
"""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wizard.app.adapters import SandboxSession
    from wizard.app.ports import WizardServices
    from wizard.tui.app import WizardApp


def configure(parser: argparse.ArgumentParser, name: str) -> None:
    return None  # the wizard's options are the top-level ones (see wizard.cli)


def non_interactive_help(answers: Path | None, out: Path, flags: str = "") -> str:
    """What is missing and the commands that do the same without questions."""
    from wizard.core.answers import AnswersError, load_answers

    lines = [
        "cdwizard: the interactive wizard needs a terminal, and this is not one "
        "(stdin or stdout is not a TTY, or CI is set). Nothing was asked or changed.",
        "",
    ]
    candidate = answers
    if candidate is None and (out / "answers.yml").is_file():
        candidate = out / "answers.yml"
        lines.append(f"An earlier wizard run saved answers in {candidate}.")
    if candidate is None:
        lines += [
            "Missing: an answers file. Write one (every question, with its default and help):",
            "  cdwizard answers template > answers.yml",
        ]
        candidate = Path("answers.yml")
    else:
        try:
            load_answers(candidate)
        except AnswersError as exc:
            lines += [f"Missing or invalid in {candidate}:", str(exc), ""]
            lines += ["Fix them, then check again with:", f"  cdwizard answers check {candidate}"]
        else:
            lines.append(f"{candidate} is complete and valid.")
    lines += [
        "",
        "Then run without questions:",
        f"  cdwizard plan --answers {candidate}{flags}",
        f"  cdwizard apply --answers {candidate}{flags} --yes",
    ]
    return "\n".join(lines)


def build_services(args: argparse.Namespace) -> WizardServices:
    """The real services: AWS discovery, the deployment explainer, the terraform workflow, and
    with `--sandbox` the embedded emulator (started in the background: the first screen never
    waits for it)."""
    from wizard.app.adapters import AwsDiscovery, SandboxSession, explain_text, workflow_factory
    from wizard.app.ports import WizardServices
    from wizard.commands.options import CommonOptions

    opts = CommonOptions.from_args(args)
    out = opts.workspace
    sandbox: SandboxSession | None = None
    render_sandbox = None
    if opts.sandbox:
        from wizard.services.sandbox import sandbox_render_context

        sandbox = SandboxSession(out)
        sandbox.start_in_background()
        render_sandbox = sandbox_render_context()
    return WizardServices(
        discovery=AwsDiscovery(out, sandbox),
        explain=explain_text,
        runner=workflow_factory(sandbox=sandbox, mirror=opts.mirror),
        target_label="sandbox" if sandbox is not None else "aws",
        render_sandbox=render_sandbox,
        extra={"sandbox": sandbox} if sandbox is not None else {},
    )


@contextmanager
def imports_kept_out_of_gc() -> Iterator[None]:
    """Import the TUI with the garbage collector paused, then freeze what was imported.

    Importing textual and the wizard creates some 70,000 objects (modules, classes, functions)
    that live as long as the process and are almost never garbage. With the collector on, CPython
    scans them over and over while they are created, then in a full collection while the first
    screen is built, and once more when the process exits: about a third of the wizard's start-up
    overhead over a bare Textual app. `gc.freeze()` moves them to the permanent generation, so
    later collections only look at the objects the running app creates. Once per process: later
    calls (the TUI already imported) change nothing."""
    if "wizard.tui.app" in sys.modules or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def build_app(args: argparse.Namespace) -> WizardApp:
    """The App exactly as `cdwizard` runs it (the startup benchmark uses this too)."""
    from wizard.commands.options import CommonOptions

    opts = CommonOptions.from_args(args)
    with imports_kept_out_of_gc():
        from wizard.tui.app import WizardApp

        services = build_services(args)
    return WizardApp(
        out=opts.workspace,
        services=services,
        answers_file=opts.answers,
        handle_signals=True,
    )


def _stop_sandbox(sandbox: SandboxSession) -> None:
    """Stop the wizard's emulator, saving its state in the workspace; a failed save is one line
    on stderr."""
    from wizard.commands.common import error, file_problem
    from wizard.services.sandbox.launcher import SandboxError

    try:
        sandbox.stop()
    except SandboxError as exc:
        error(f"sandbox: {exc}")
    except OSError as exc:
        error(f"sandbox: could not save its state: {file_problem(exc, sandbox.state_file)}")


def run(args: argparse.Namespace) -> int:
    from wizard.commands.common import error, same_target
    from wizard.commands.options import CommonOptions
    from wizard.core.exitcodes import ExitCode

    opts = CommonOptions.from_args(args)
    out = opts.workspace
    answers: Path | None = opts.answers
    if answers is not None and not answers.is_file():
        error(f"--answers {answers}: file not found")
        return ExitCode.BAD_ANSWERS
    if opts.mode != "tui":  # no person at a terminal (or CI): never wait for input
        print(non_interactive_help(answers, out, same_target(args)), file=sys.stderr)
        return ExitCode.REFUSED
    from wizard.commands.common import file_problem
    from wizard.core import signals
    from wizard.services.workspace_lock import WorkspaceBusy, WorkspaceLock

    lock = WorkspaceLock(out, "wizard")
    try:
        lock.acquire()  # the whole session: it saves answers, renders, applies, monitors
    except WorkspaceBusy as exc:
        error(str(exc))
        return ExitCode.WORKSPACE_BUSY
    except OSError as exc:
        error(file_problem(exc, out))
        return ExitCode.FILE_ERROR
    try:
        app = build_app(args)
        try:
            code = app.run()
        finally:
            sandbox = app.services.extra.get("sandbox")
            if sandbox is not None:
                with signals.deferred():  # a stop signal waits until the state is written
                    _stop_sandbox(sandbox)
    finally:
        lock.release()
    if app.saved_to is not None:
        print(f"Answers saved in {app.saved_to}.")
        print("Run `cdwizard` again (same folder) to resume, or without questions:")
        print(f"  cdwizard apply --answers {app.saved_to}{same_target(args)} --yes")
    if code is None:  # the app stopped on an exception (textual printed it)
        return app.return_code or ExitCode.ERROR
    return int(code)
