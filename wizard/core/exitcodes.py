"""Process exit codes, one place: each code's value and the words `--help` and the README use.
Scripts rely on the values."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import IntEnum


class ExitCode(IntEnum):
    """Where a command stopped. Values are stable: they are part of the CLI contract."""

    OK = 0
    ERROR = 1  # an unexpected error (a bug, or something we did not foresee)
    USAGE = 2  # bad command line (argparse uses 2 as well)
    BAD_ANSWERS = 3  # the answers file is missing, unreadable or invalid
    TOOL_MISSING = 4  # terraform/tofu missing or too old, or another required tool
    PLAN_FAILED = 5  # terraform init/plan failed
    APPLY_FAILED = 6  # terraform apply failed (some resources may exist: see the report)
    DESTROY_FAILED = 7  # terraform destroy failed or left resources behind
    REFUSED = 8  # a confirmation was needed and could not be asked (no TTY, no --yes)
    RENDER_CONFLICT = 9  # re-render would overwrite files the user edited
    DEPLOY_FAILED = 10  # the followed pipeline execution / deployment / rehearsal failed
    DEPLOY_STOPPED = 11  # it was stopped or cancelled
    TIMED_OUT = 12  # --timeout passed before it finished
    AWS_ERROR = 13  # AWS credentials/permissions/API problem we could not recover from
    INTERRUPTED = 130  # Ctrl-C
    OUTPUT_CLOSED = 141  # the reader of our output went away (`cdwizard monitor --json | head`)

    @property
    def help(self) -> str:
        """The few words `--help` prints for this code."""
        return _HELP[self]


_HELP: dict[ExitCode, str] = {
    ExitCode.OK: "ok",
    ExitCode.ERROR: "unexpected error",
    ExitCode.USAGE: "bad command line",
    ExitCode.BAD_ANSWERS: "bad answers file",
    ExitCode.TOOL_MISSING: "terraform (or the sandbox's moto) missing or too old",
    ExitCode.PLAN_FAILED: "init/plan failed",
    ExitCode.APPLY_FAILED: "apply failed",
    ExitCode.DESTROY_FAILED: "destroy failed or left resources behind",
    ExitCode.REFUSED: "confirmation refused (no terminal and no --yes, or answered no)",
    ExitCode.RENDER_CONFLICT: "render conflict (your edited files kept, the new ones in *.new)",
    ExitCode.DEPLOY_FAILED: "the followed run failed",
    ExitCode.DEPLOY_STOPPED: "it was stopped, cancelled or superseded",
    ExitCode.TIMED_OUT: "--timeout passed first",
    ExitCode.AWS_ERROR: "AWS error",
    ExitCode.INTERRUPTED: "interrupted",
    ExitCode.OUTPUT_CLOSED: "output closed (the reader went away)",
}


def exit_codes_help(
    codes: Iterable[ExitCode] = ExitCode, words: Mapping[ExitCode, str] | None = None
) -> str:
    """`Exit codes: 0 ok, 3 bad answers, …` for a `--help` epilog: `codes` in order, each with
    its own words unless `words` says what it means for this command."""
    said = words or {}
    return "Exit codes: " + ", ".join(f"{int(c)} {said.get(c, c.help)}" for c in codes) + "."


__all__ = ["ExitCode", "exit_codes_help"]
