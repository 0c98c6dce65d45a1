"""Small helpers shared by the subcommands (stdlib-only at import time)."""

from __future__ import annotations

import argparse
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from wizard.core.answers import Answers
    from wizard.core.events.base import Event
    from wizard.core.output import EventSink


class CommandError(Exception):
    """Stop the command with a message (to stderr) and an exit code."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def error(message: str) -> None:
    print(f"cdwizard: {message}", file=sys.stderr)


def load_answers_arg(args: argparse.Namespace, *, required: bool = True) -> Answers | None:
    """Load `--answers`; on problems print them all and raise `CommandError(BAD_ANSWERS)`."""
    from wizard.commands.options import CommonOptions
    from wizard.core.answers import AnswersError, load_answers
    from wizard.core.exitcodes import ExitCode

    path = CommonOptions.from_args(args).answers
    if path is None:
        if required:
            raise CommandError(
                "--answers FILE is required here; create one with "
                "`cdwizard answers template > answers.yml`, or run `cdwizard` interactively",
                ExitCode.BAD_ANSWERS,
            )
        return None
    try:
        return load_answers(path)
    except AnswersError as exc:
        raise CommandError(str(exc), ExitCode.BAD_ANSWERS) from None


def same_target(args: argparse.Namespace) -> str:
    """The flags that make a later command use this run's workspace and AWS target."""
    from wizard.commands.options import CommonOptions

    return CommonOptions.from_args(args).same_target()


def make_sink(
    mode: str, *, activity: str = "working", describe: Callable[[Event], str] | None = None
) -> EventSink:
    """The JSON event sink for `json`, else the plain one (also for `tui`: the commands that
    have a screen open it themselves); `describe` words the plain lines (JSON is always the
    events themselves)."""
    from wizard.core.output import JsonSink, PlainSink

    if mode == "json":
        return JsonSink(activity=activity)
    return PlainSink(activity=activity, describe=describe)


def run_guarded(func: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run a command body, turning the errors a user can fix into one message and an exit code:
    `CommandError` (its own), a busy workspace (14), a file-system error or a damaged workspace
    file (15)."""
    from wizard.core.exitcodes import ExitCode
    from wizard.core.render.workspace import ManifestDamaged
    from wizard.services.workspace_lock import WorkspaceBusy

    try:
        return int(func(args))
    except CommandError as exc:
        error(str(exc))
        return exc.code
    except WorkspaceBusy as exc:
        error(str(exc))
        return ExitCode.WORKSPACE_BUSY
    except ManifestDamaged as exc:
        error(f"{exc} — {exc.fix}")
        return ExitCode.FILE_ERROR
    except OSError as exc:
        if isinstance(exc, BrokenPipeError):
            raise  # the CLI's top level: the reader went away, exit quietly
        error(file_problem(exc))
        return ExitCode.FILE_ERROR


def file_problem(exc: OSError, path: Path | None = None) -> str:
    """An `OSError` as one line: the path, what went wrong, the fix."""
    from wizard.core.fserrors import describe

    return describe(exc, path).line()


@contextmanager
def workspace_lock(args: argparse.Namespace, command: str | None = None) -> Iterator[None]:
    """Hold the workspace's lock (`--out`) while the block runs; a dead holder's lock is taken
    over with a note on stderr. Raises `WorkspaceBusy` / `OSError` for `run_guarded`."""
    from wizard.commands.options import CommonOptions
    from wizard.services.workspace_lock import WorkspaceLock

    opts = CommonOptions.from_args(args)
    lock = WorkspaceLock(opts.workspace, command or opts.command)
    with lock:
        if lock.took_over is not None:
            error(
                f"note: took over the workspace lock of {lock.took_over.describe()}, which "
                "stopped without releasing it (it was killed or crashed)"
            )
        yield
