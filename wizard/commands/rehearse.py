"""`cdwizard rehearse [BUNDLE_DIR]`: run a payload's appspec hooks locally as the agent would.

The bundle defaults to the rendered workspace's `payload/` folder (`--out`, default
`./cdwizard-out`). Deployments go under `--root` (default `~/.cdwizard/deployment-root`) in the
agent's own layout, so the logs and pointers can be inspected like on an instance.

`--watch` shows the rehearsal live on the monitor screen (the same grid and failure panel as a
real deployment); without a terminal it prints plain lines instead.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from wizard.commands.common import run_guarded

if TYPE_CHECKING:
    from wizard.core.answers import Answers
    from wizard.core.events.lifecycle import DeploymentStatus
    from wizard.services.rehearse import Rehearsal
    from wizard.tui.monitor_app import MonitorApp

PARENTS = {"rehearse": ("answers", "out", "output")}

_BEHAVIORS = ("DISALLOW", "OVERWRITE", "RETAIN")


def configure(parser: argparse.ArgumentParser, name: str) -> None:
    parser.add_argument(
        "bundle",
        nargs="?",
        type=Path,
        metavar="BUNDLE_DIR",
        help="revision to deploy: a folder with appspec.yml, or a tar/tgz/zip "
        "(default: the rendered workspace's payload/ folder)",
    )
    parser.add_argument(
        "--root",
        type=Path,
        metavar="DIR",
        help="deployment root (default ~/.cdwizard/deployment-root; the agent uses "
        "/opt/codedeploy-agent/deployment-root)",
    )
    parser.add_argument(
        "--group-id",
        metavar="ID",
        help="DEPLOYMENT_GROUP_ID and the folder under the root (default "
        "default-local-deployment-group); rehearsals of one group share ApplicationStop history",
    )
    parser.add_argument(
        "--application",
        metavar="NAME",
        help="APPLICATION_NAME (default: the answers' application, else the bundle location "
        "as codedeploy-local does)",
    )
    parser.add_argument(
        "--group",
        metavar="NAME",
        help="DEPLOYMENT_GROUP_NAME (default: the answers' deployment group, else LocalFleet)",
    )
    parser.add_argument(
        "--events",
        metavar="LIST",
        help="comma-separated lifecycle events to run instead of the default order; "
        "DownloadBundle and Install are added when missing (codedeploy-local's rules)",
    )
    parser.add_argument(
        "--traffic",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="run (or, with --no-traffic, skip) BeforeBlockTraffic, AfterBlockTraffic, "
        "BeforeAllowTraffic and AfterAllowTraffic; default: run when the answers configure a "
        "load_balancer, skipped otherwise, as CodeDeploy does for an in-place deployment group "
        "with or without a load balancer",
    )
    parser.add_argument(
        "--file-exists-behavior",
        type=str.upper,
        choices=_BEHAVIORS,
        metavar="{DISALLOW,OVERWRITE,RETAIN}",
        help="for files at a destination the previous revision did not install (default: the "
        "answers' payload.file_exists_behavior, else DISALLOW); the appspec's value wins",
    )
    parser.add_argument(
        "--type",
        dest="bundle_type",
        choices=("directory", "tar", "tgz", "zip"),
        help="bundle format (default: detected)",
    )
    parser.add_argument(
        "--max-revisions",
        type=int,
        default=5,
        metavar="N",
        help="revisions kept per deployment group, the last successful one always (default 5)",
    )
    parser.add_argument(
        "--watch",
        action="store_true",
        help="show the rehearsal live on the monitor screen (instances × lifecycle events, the "
        "failure panel, the full scripts.log on l); needs a terminal, else plain lines",
    )
    parser.add_argument(
        "--allow-system-destinations",
        action="store_true",
        help="let appspec files install straight into /, /usr, /etc and similar folders",
    )


def _run(args: argparse.Namespace) -> int:
    from wizard.commands.common import CommandError, load_answers_arg, make_sink
    from wizard.commands.options import CommonOptions
    from wizard.core.exitcodes import ExitCode
    from wizard.services.rehearse import (
        DEFAULT_GROUP_ID,
        DEFAULT_GROUP_NAME,
        Rehearsal,
        RehearsalError,
        RehearsalOptions,
        default_root,
        parse_events_arg,
    )

    opts = CommonOptions.from_args(args)
    answers = load_answers_arg(args, required=False)
    bundle: Path | None = args.bundle
    if bundle is None:
        bundle = opts.workspace / "payload"
        if not bundle.exists():
            raise CommandError(
                f"no payload at {bundle}: render the workspace first (`cdwizard render --answers "
                "FILE`), pass --out DIR of a rendered workspace, or give BUNDLE_DIR",
                ExitCode.USAGE,
            )
    application = args.application or (answers.deployment.application if answers else None)
    group = args.group or (answers.deployment.group if answers else DEFAULT_GROUP_NAME)
    behavior = args.file_exists_behavior or (
        answers.payload.file_exists_behavior if answers else "DISALLOW"
    )
    try:
        rehearsal = Rehearsal(
            RehearsalOptions(
                bundle=bundle,
                root=args.root or default_root(),
                group_id=args.group_id or DEFAULT_GROUP_ID,
                group_name=group,
                application=application,
                events=parse_events_arg(args.events) if args.events is not None else None,
                traffic=_traffic(args.traffic, answers),
                file_exists_behavior=behavior,
                max_revisions=args.max_revisions,
                bundle_type=args.bundle_type,
                allow_system_destinations=args.allow_system_destinations,
            )
        )
    except RehearsalError as exc:
        raise CommandError(str(exc), ExitCode.USAGE) from None
    mode = opts.mode
    if args.watch and opts.output:
        raise CommandError(
            f"--watch shows the monitor screen; it does not combine with --{args.output}",
            ExitCode.USAGE,
        )
    if args.watch and mode == "tui":
        return watch(rehearsal)
    if args.watch:
        print("cdwizard: --watch needs a terminal; printing plain lines instead", file=sys.stderr)
    sink = make_sink(mode, activity="rehearsing")
    try:
        result = rehearsal.run(sink)
    except RehearsalError as exc:
        raise CommandError(str(exc), ExitCode.ERROR) from None
    finally:
        sink.close()
    return exit_code(result.status)


def _traffic(flag: bool | None, answers: Answers | None) -> bool:
    """Whether the traffic hooks run: `--traffic`/`--no-traffic`, else whether the answers put
    the deployment group behind a load balancer (CodeDeploy runs them only then)."""
    if flag is not None:
        return flag
    return answers is not None and answers.load_balancer.mode != "none"


def exit_code(status: DeploymentStatus) -> int:
    from wizard.core.events.lifecycle import DeploymentStatus as Status
    from wizard.core.exitcodes import ExitCode

    if status is Status.SUCCEEDED:
        return ExitCode.OK
    if status is Status.STOPPED:
        return ExitCode.DEPLOY_STOPPED
    return ExitCode.DEPLOY_FAILED


def watch_app(rehearsal: Rehearsal) -> MonitorApp:
    """The monitor screen watching `rehearsal` (started when the screen mounts)."""
    from wizard.app.monitor_feed import RehearsalFeed
    from wizard.tui.monitor_app import MonitorApp

    return MonitorApp(RehearsalFeed(rehearsal), workspace=str(rehearsal.root))


def watch(rehearsal: Rehearsal) -> int:
    """Run the rehearsal on the screen; the exit code is the rehearsal's (quitting early stops
    it: exit 11)."""
    from wizard.core.exitcodes import ExitCode

    app = watch_app(rehearsal)
    code = app.run()
    result = getattr(app.feed, "result", None)
    if result is not None:
        return exit_code(result.status)
    error = getattr(app.feed, "error", None)
    if error:
        print(f"cdwizard: {error}", file=sys.stderr)
        return ExitCode.ERROR
    return int(code) if code is not None else int(app.return_code or ExitCode.ERROR)


def run(args: argparse.Namespace) -> int:
    return run_guarded(_run, args)
