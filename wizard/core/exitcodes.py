"""Process exit codes, one place. The README documents each; scripts rely on them."""

from __future__ import annotations

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
    WORKSPACE_BUSY = 14  # another cdwizard process is working in the same workspace
    FILE_ERROR = 15  # a file or folder cannot be read or written (disk full, read-only, damaged)
    HANGUP = 129  # SIGHUP (the terminal went away): stopped like Ctrl-C
    INTERRUPTED = 130  # Ctrl-C (SIGINT)
    OUTPUT_CLOSED = 141  # the reader of our output went away (SIGPIPE / EPIPE)
    TERMINATED = 143  # SIGTERM (CI, `timeout`, `kill`): stopped like Ctrl-C


def for_signal(signum: int) -> int:
    """The exit code of a run stopped by `signum`: 128 + the signal number, as shells do."""
    return 128 + int(signum)
