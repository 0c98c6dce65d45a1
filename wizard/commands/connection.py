"""`cdwizard connection`: the CodeConnections connection of a GitHub, GitLab or Bitbucket source.

    cdwizard connection [status]        the answers' connection: AVAILABLE, or what to do
    cdwizard connection list            every connection of the account and region
    cdwizard connection authorize       the sandbox only: what the console step does on AWS

status exits 0 when the connection is AVAILABLE, 13 when it is PENDING, in ERROR or missing.
Only the standard library is imported at module level (`cdwizard --help` stays fast).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from wizard.core.answers import Answers
    from wizard.core.output import EventSink
    from wizard.services.aws.session import AwsTarget

PARENTS = {"connection": ("answers", "out", "output", "sandbox")}

ACTIONS = ("status", "list", "authorize")


def configure(parser: argparse.ArgumentParser, name: str) -> None:
    parser.add_argument(
        "action",
        nargs="?",
        choices=ACTIONS,
        default="status",
        help="status (default): the answers' connection; list: every connection (--provider to "
        "filter); authorize: the sandbox's stand-in for the console's 'Update pending "
        "connection' step",
    )
    parser.add_argument(
        "--provider",
        choices=("github", "gitlab", "bitbucket"),
        help="list: only this provider's connections",
    )
    parser.add_argument("--region", metavar="REGION", help="AWS region (overrides the answers)")
    parser.add_argument("--profile", metavar="NAME", help="AWS profile (overrides the answers)")


def run(args: argparse.Namespace) -> int:
    from wizard.commands.common import run_guarded

    return run_guarded(_run, args)


def _run(args: argparse.Namespace) -> int:
    from wizard.commands.common import make_sink
    from wizard.commands.monitor import _answers, aws_target
    from wizard.commands.options import CommonOptions

    answers = _answers(args, required=args.action != "list")
    sink = make_sink(CommonOptions.from_args(args).mode, activity="connection")
    try:
        with aws_target(args, answers) as target:
            if args.action == "list":
                return _list(args, target, sink)
            assert answers is not None
            return _status(args, answers, target, sink)
    finally:
        sink.close()


def _list(args: argparse.Namespace, target: AwsTarget, sink: EventSink) -> int:
    from wizard.core.events.base import Notice
    from wizard.core.exitcodes import ExitCode
    from wizard.services.aws.connections import list_connections
    from wizard.services.aws.session import AwsClients

    found = list_connections(AwsClients(target), args.provider)
    if not found:
        sink.emit(Notice(text="no connections in this account and region"))
    for c in found:
        sink.emit(Notice(text=f"{c.name}  {c.provider_type}  {c.status}  {c.arn}"))
    return int(ExitCode.OK)


def _status(args: argparse.Namespace, answers: Answers, target: AwsTarget, sink: EventSink) -> int:
    from wizard.commands.common import CommandError
    from wizard.core.connections import PROVIDER_TYPES, authorise_step, status_line
    from wizard.core.events.base import Notice
    from wizard.core.exitcodes import ExitCode
    from wizard.services.aws.connections import connection_of
    from wizard.services.aws.session import AwsClients

    provider = answers.source.provider
    if provider not in PROVIDER_TYPES:
        raise CommandError(
            f"source.provider is {provider}: only github, gitlab and bitbucket sources use a "
            "connection",
            ExitCode.USAGE,
        )
    found = connection_of(AwsClients(target), answers)
    if found is None:
        wanted = answers.source.connection_arn or f"named {answers.source.connection_name}"
        raise CommandError(
            f"no connection {wanted} in this account and region: `cdwizard apply` creates it "
            "(or set source.connection_arn to an existing one; `cdwizard connection list`)",
            ExitCode.AWS_ERROR,
        )
    if args.action == "authorize":
        if not target.is_emulator:
            raise CommandError(
                "only the sandbox authorises a connection from the command line; on AWS, "
                + authorise_step(found.arn, sandbox=False),
                ExitCode.USAGE,
            )
        from wizard.services.sandbox.console import authorize_connection

        was = found.status
        now = authorize_connection(target, found.arn)
        sink.emit(
            Notice(
                text=f"connection {found.name} ({found.provider_type}): {was} -> {now}",
                hint="on AWS this is the console's 'Update pending connection' step",
            )
        )
        return int(ExitCode.OK)
    line = status_line(
        found.name, found.provider_type, found.status, found.arn, sandbox=target.is_emulator
    )
    level: Literal["info", "warn"] = "info" if found.status == "AVAILABLE" else "warn"
    sink.emit(Notice(text=line, level=level))
    return int(ExitCode.OK if found.status == "AVAILABLE" else ExitCode.AWS_ERROR)
