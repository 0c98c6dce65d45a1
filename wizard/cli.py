"""The `cdwizard` command line.

Start-up stays light: this module and the `wizard.commands.*` modules import only the standard
library at top level, so `cdwizard --help` and `--version` never load textual, boto3 or jinja2.
Each subcommand module provides `configure(parser)` and `run(args) -> int`.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from wizard import __version__
from wizard.commands import DEFAULT_OUT, DEFAULT_SANDBOX_OUT
from wizard.core.exitcodes import ExitCode, exit_codes_help

#: `typing.TYPE_CHECKING` without importing typing (~2.5 ms of `cdwizard --help`); type checkers
#: treat a module constant with this name the same way.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from pathlib import Path
    from types import ModuleType


def as_path(text: str) -> Path:
    """argparse type for paths; pathlib is imported only when a path is actually given."""
    from pathlib import Path

    return Path(text)


#: subcommand -> (module, one-line help). Order is the order of `--help`.
COMMANDS: dict[str, tuple[str, str]] = {
    "answers": (
        "wizard.commands.answers",
        "print a commented template or JSON Schema; check a file",
    ),
    "render": ("wizard.commands.render", "render the Terraform root module and the payload"),
    "plan": ("wizard.commands.terraform", "render, init and plan; summarise in pipeline terms"),
    "apply": ("wizard.commands.terraform", "plan, confirm, and apply exactly that plan"),
    "destroy": ("wizard.commands.terraform", "destroy everything (empties the artifact bucket)"),
    "monitor": ("wizard.commands.monitor", "follow pipeline runs, deployments and lifecycle hooks"),
    "ship": ("wizard.commands.monitor", "push the rendered payload to the source and follow it"),
    "connection": (
        "wizard.commands.connection",
        "the source's CodeConnections connection: status, list, authorize (sandbox)",
    ),
    "rehearse": ("wizard.commands.rehearse", "run a payload's hooks locally as the agent would"),
    "doctor": ("wizard.commands.doctor", "preflight checks, each with a fix"),
    "leftovers": (
        "wizard.commands.leftovers",
        "list what exists outside terraform's state; adopt or remove it",
    ),
}


def _shared_parents() -> dict[str, argparse.ArgumentParser]:
    """Option groups reused by several subcommands (declared once)."""
    answers = argparse.ArgumentParser(add_help=False)
    answers.add_argument(
        "--answers",
        "-a",
        type=as_path,
        metavar="FILE",
        help="answers file (YAML); see `answers template`",
    )
    out = argparse.ArgumentParser(add_help=False)
    out.add_argument(
        "--out",
        "-o",
        type=as_path,
        metavar="DIR",
        help=f"workspace folder (default ./{DEFAULT_OUT}; ./{DEFAULT_SANDBOX_OUT} with --sandbox)",
    )
    output = argparse.ArgumentParser(add_help=False)
    mode = output.add_mutually_exclusive_group()
    mode.add_argument(
        "--plain",
        dest="output",
        action="store_const",
        const="plain",
        help="append-only lines with a heartbeat (the default without a terminal)",
    )
    mode.add_argument(
        "--json",
        dest="output",
        action="store_const",
        const="json",
        help="one JSON event per line (NDJSON) for scripts",
    )
    sandbox = argparse.ArgumentParser(add_help=False)
    sandbox.add_argument(
        "--sandbox",
        action="store_true",
        default=argparse.SUPPRESS,
        help="use the embedded AWS emulator (moto on 127.0.0.1) instead of an AWS account",
    )
    mirror = argparse.ArgumentParser(add_help=False)
    mirror.add_argument(
        "--provider-mirror",
        type=as_path,
        metavar="DIR",
        default=argparse.SUPPRESS,
        help="install providers from this filesystem mirror (air-gapped); "
        "env CDWIZARD_PROVIDER_MIRROR",
    )
    yes = argparse.ArgumentParser(add_help=False)
    yes.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    return {
        "answers": answers,
        "out": out,
        "output": output,
        "sandbox": sandbox,
        "mirror": mirror,
        "yes": yes,
    }


def _global_options(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The options that come before a subcommand (the wizard's own), declared once for both
    passes over the command line."""
    parser.add_argument("--answers", "-a", type=as_path, metavar="FILE", help="prefill the wizard")
    parser.add_argument("--out", "-o", type=as_path, metavar="DIR", help="workspace folder")
    parser.add_argument(
        "--sandbox",
        action="store_true",
        default=False,
        help="run against the embedded AWS emulator (no AWS account needed)",
    )
    parser.add_argument(
        "--provider-mirror",
        type=as_path,
        metavar="DIR",
        default=None,
        help="install providers from this filesystem mirror; env CDWIZARD_PROVIDER_MIRROR",
    )
    return parser


def requested_command(argv: Sequence[str]) -> str | None:
    """The subcommand named in `argv`: a first pass that knows only the options before it (so
    their values are skipped) takes the first other word."""
    first = _global_options(argparse.ArgumentParser(add_help=False, exit_on_error=False))
    first.add_argument("command", nargs="?")
    first.add_argument("rest", nargs=argparse.REMAINDER)  # the subcommand's, unread
    try:
        known, _ = first.parse_known_args(argv)
    except argparse.ArgumentError:  # e.g. `--out` without its value: the real pass says so
        return None
    return known.command if known.command in COMMANDS else None


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The full parser. Only the subcommand named in `argv` (all of them when `argv` is None)
    imports its module to declare its options; the others are listed with their help line, so
    `cdwizard --help` imports no subcommand at all."""
    only = requested_command(argv) if argv is not None else None
    parser = argparse.ArgumentParser(
        prog="cdwizard",
        description="From nothing to a working CodeCommit -> CodeDeploy pipeline on EC2, "
        "then a live view of every run. Without a subcommand: the interactive wizard.",
        epilog=exit_codes_help() + " CDWIZARD_DEBUG=1 shows Python tracebacks.",
    )
    parser.add_argument("--version", action="version", version=f"cdwizard {__version__}")
    _global_options(parser)
    parents = _shared_parents()
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        if argv is not None and name != only:
            sub.add_parser(name, help=help_text, description=help_text)
            continue
        module = importlib.import_module(module_name)
        wanted = getattr(module, "PARENTS", {}).get(name, ())
        sp = sub.add_parser(
            name,
            help=help_text,
            description=help_text,
            parents=[parents[p] for p in wanted],
        )
        module.configure(sp, name)
        sp.set_defaults(_module=module_name)
    return parser


def debugging() -> bool:
    """`CDWIZARD_DEBUG=1`: show Python tracebacks instead of one-line messages."""
    return os.environ.get("CDWIZARD_DEBUG", "") not in ("", "0")


def _quiet_threads() -> None:
    """A crash in a background thread prints one line, not a traceback, and a log line that
    cannot be written is dropped (unless debugging)."""
    import logging
    import threading

    logging.raiseExceptions = False

    def hook(info: threading.ExceptHookArgs) -> None:
        if info.exc_type is SystemExit:
            return
        name = info.thread.name if info.thread is not None else "a background thread"
        detail = f"{info.exc_type.__name__}: {info.exc_value}"
        print(f"cdwizard: {name} stopped on an error ({detail})", file=sys.stderr)

    threading.excepthook = hook


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    from wizard.core import signals

    signals.install()  # SIGTERM / SIGHUP stop the run like Ctrl-C
    if debugging():
        return int(_load(args).run(args))
    _quiet_threads()
    try:
        return int(_load(args).run(args))
    except KeyboardInterrupt:
        print("\ncdwizard: interrupted (Ctrl-C)", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except signals.Terminated as exc:
        print(f"\ncdwizard: stopped by {signals.describe(exc.signum)}", file=sys.stderr)
        return 128 + exc.signum
    except BrokenPipeError:
        # the reader of our output went away (`cdwizard monitor --json | head`): stop quietly
        return ExitCode.OUTPUT_CLOSED
    except OSError as exc:
        from wizard.core.fserrors import describe

        print(f"cdwizard: {describe(exc).line()}", file=sys.stderr)
        return ExitCode.FILE_ERROR
    except MemoryError:
        print("cdwizard: ran out of memory", file=sys.stderr)
        return ExitCode.ERROR
    except Exception as exc:
        print(
            f"cdwizard: unexpected error ({type(exc).__name__}: {exc}). This is a bug: run the "
            "same command with CDWIZARD_DEBUG=1 to see where it happened, and report it.",
            file=sys.stderr,
        )
        return ExitCode.ERROR


def _load(args: argparse.Namespace) -> ModuleType:
    return importlib.import_module(getattr(args, "_module", "wizard.commands.wizard"))


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
