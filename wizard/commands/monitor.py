"""`cdwizard monitor` and `cdwizard ship`.

monitor: follow a pipeline's execution (commit -> stages -> CodeDeploy deployment -> every
instance's lifecycle events) or one deployment, until it ends; exit 0 on success, 10 failed,
11 stopped, 12 `--timeout`, 13 AWS error. `--approve` / `--reject --comment TEXT` answer the
manual approval the pipeline waits at (after asking; `--yes`, or exit 8 without a terminal).
ship: push the rendered payload to the pipeline's source -- a CodeCommit branch through the
CodeCommit API, a GitHub/GitLab/Bitbucket branch with your own git, or the S3 source key --
then follow the execution it triggers (same exit codes).

In a terminal both open the live monitor screen (`wizard.tui.screens.monitor`); `--plain` and
`--json` (and no terminal) print events instead. `--sandbox` watches the embedded emulator an
earlier `apply --sandbox` left in the workspace (`--out`): it is started from its saved state and
saved again on exit. Without `--answers`, the workspace's `answers.yml` is used when present.

Only the standard library is imported at module level (`cdwizard --help` stays fast).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wizard.core.answers import Answers
    from wizard.core.output import EventSink
    from wizard.services.aws.monitor import FollowSpec
    from wizard.services.aws.session import AwsTarget
    from wizard.services.sandbox.launcher import Sandbox
    from wizard.tui.monitor_app import MonitorApp

PARENTS = {
    "monitor": ("answers", "out", "output", "sandbox", "yes"),
    "ship": ("answers", "out", "output", "sandbox"),
}

_DURATION = re.compile(r"^(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?(?:(?P<s>\d+(?:\.\d+)?)s?)?$")


def parse_duration(text: str) -> float:
    """`90`, `45s`, `10m`, `1h30m` -> seconds (argparse type)."""
    found = _DURATION.match(text.strip())
    if not text.strip() or found is None or not any(found.groupdict().values()):
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a duration: use seconds or units, e.g. 90, 45s, 10m, 1h30m"
        )
    h, m, s = (found.group(k) for k in ("h", "m", "s"))
    return int(h or 0) * 3600 + int(m or 0) * 60 + float(s or 0)


def _positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


def configure(parser: argparse.ArgumentParser, name: str) -> None:
    aws = parser.add_argument_group("AWS (default: from --answers, else the AWS environment)")
    aws.add_argument("--region", metavar="REGION", help="AWS region (overrides the answers)")
    aws.add_argument("--profile", metavar="NAME", help="AWS profile (overrides the answers)")
    watch = parser.add_argument_group("watching")
    watch.add_argument(
        "--timeout",
        type=parse_duration,
        metavar="DURATION",
        help="give up after this long (exit 12), e.g. 30m; default: wait as long as it takes",
    )
    watch.add_argument(
        "--poll-interval",
        type=_positive,
        default=3.0,
        metavar="SECONDS",
        help="seconds between polls while something runs (default 3; idle: 20; AWS throttling "
        "widens it)",
    )
    if name == "monitor":
        what = parser.add_argument_group("what to follow (default: the pipeline of --answers)")
        what.add_argument("--pipeline", metavar="NAME", help="CodePipeline name")
        what.add_argument(
            "--deployment", metavar="ID", help="follow this CodeDeploy deployment only"
        )
        what.add_argument(
            "--execution", metavar="ID", help="follow this pipeline execution (default: newest)"
        )
        what.add_argument(
            "--follow",
            action="store_true",
            help="keep watching new executions after this one ends (until Ctrl-C or --timeout)",
        )
        answer = parser.add_argument_group(
            "manual approval (the stage waiting now; asks first unless --yes)"
        )
        verdict = answer.add_mutually_exclusive_group()
        verdict.add_argument(
            "--approve", action="store_true", help="approve the waiting approval, then exit"
        )
        verdict.add_argument(
            "--reject",
            action="store_true",
            help="reject the waiting approval (needs --comment), then exit",
        )
        answer.add_argument(
            "--comment", metavar="TEXT", help="the approval's comment (at most 512 characters)"
        )
    else:
        ship = parser.add_argument_group("ship")
        ship.add_argument(
            "--message", "-m", metavar="TEXT", help="commit message (default names the project)"
        )
        ship.add_argument(
            "--author",
            metavar="NAME",
            help="commit author (default: cdwizard for CodeCommit; your git identity for GitHub, "
            "GitLab and Bitbucket)",
        )
        ship.add_argument("--email", metavar="ADDRESS", help="commit author e-mail")
        ship.add_argument(
            "--remote",
            metavar="NAME|URL",
            help="GitHub/GitLab/Bitbucket sources: the git remote to push to, a URL or a remote "
            "of the current repository (default: the current repository's remote that points at "
            "source.repository_id); git's own credentials are used, cdwizard stores none",
        )
        ship.add_argument(
            "--dry-run",
            action="store_true",
            help="show what would be pushed (the files, or the exact git commands), push nothing",
        )
        ship.add_argument(
            "--no-follow", action="store_true", help="push, then exit without following"
        )
        ship.add_argument(
            "--trigger-wait",
            type=parse_duration,
            default=60.0,
            metavar="DURATION",
            help="how long the push may take to start the pipeline before cdwizard starts it "
            "with StartPipelineExecution (default 60s)",
        )


def run(args: argparse.Namespace) -> int:
    from wizard.commands.common import run_guarded

    return run_guarded(_ship if args.command == "ship" else _monitor, args)


# --- shared -----------------------------------------------------------------------------------


def _answers(args: argparse.Namespace, *, required: bool, saved: bool = True) -> Answers | None:
    """`--answers`, else (with `saved`) the workspace's `answers.yml` that the wizard or an
    apply left there."""
    from wizard.commands.common import load_answers_arg
    from wizard.commands.options import CommonOptions

    opts = CommonOptions.from_args(args)
    if saved and opts.answers is None:
        saved_file = opts.workspace / "answers.yml"
        if saved_file.is_file():
            args.answers = saved_file
    return load_answers_arg(args, required=required)


@contextlib.contextmanager
def aws_target(args: argparse.Namespace, answers: Answers | None) -> Iterator[AwsTarget]:
    """Where to talk to: the workspace's sandbox (started for the command, saved after, the
    workspace locked meanwhile: its emulator lives in this process), or AWS (`--region`/
    `--profile`, the answers, the environment)."""
    from wizard.commands.options import CommonOptions

    if not CommonOptions.from_args(args).sandbox:
        yield _target(args, answers)
        return
    from wizard.commands.common import workspace_lock
    from wizard.core import signals

    with workspace_lock(args):
        box = start_sandbox(args, answers)
        try:
            yield box.target
        finally:
            with signals.deferred():  # a stop signal waits until the state is written
                stop_sandbox(box)


def stop_sandbox(box: Sandbox) -> None:
    """Stop the workspace's emulator, saving what the command changed (a push, a release, a
    redeploy); a failed save is one line on stderr, not a traceback."""
    from wizard.commands.common import error, file_problem
    from wizard.services.sandbox.launcher import StateReplaced

    try:
        box.stop()
    except StateReplaced as exc:
        error(f"sandbox: {exc}")
    except OSError as exc:
        error(f"sandbox: could not save its state: {file_problem(exc, box.state_file)}")


def start_sandbox(args: argparse.Namespace, answers: Answers | None) -> Sandbox:
    """The emulator an earlier `apply --sandbox` left in the workspace, running again."""
    from wizard.commands.common import CommandError, error
    from wizard.commands.options import CommonOptions
    from wizard.core.exitcodes import ExitCode
    from wizard.services.sandbox import STATE_FILE
    from wizard.services.sandbox.launcher import Sandbox, SandboxError

    out = CommonOptions.from_args(args).workspace
    state = out / STATE_FILE
    if not state.is_file():
        raise CommandError(
            f"no sandbox in {out} (no {STATE_FILE}): create one with `cdwizard apply --sandbox "
            "--answers FILE` or the wizard (`cdwizard --sandbox`), or point --out at its folder",
            ExitCode.USAGE,
        )
    region = args.region or (answers.aws.region if answers else None) or "eu-west-1"
    box = Sandbox.for_workspace(out, region)
    try:
        box.start()
    except SandboxError as exc:
        raise CommandError(str(exc), ExitCode.TOOL_MISSING) from None
    mismatch = box.mismatch()
    if mismatch is not None:
        error(f"warning: sandbox: {mismatch.text} ({mismatch.hint})")
    return box


def _target(args: argparse.Namespace, answers: Answers | None) -> AwsTarget:
    from wizard.commands.common import CommandError
    from wizard.core.exitcodes import ExitCode
    from wizard.services.aws.target import target_for

    region = (
        args.region
        or (answers.aws.region if answers else None)
        or os.environ.get("AWS_REGION")
        or os.environ.get("AWS_DEFAULT_REGION")
    )
    if not region:
        raise CommandError(
            "no AWS region: pass --region, or --answers FILE, or set AWS_REGION", ExitCode.USAGE
        )
    profile = args.profile or (answers.aws.profile if answers else None)
    return target_for(region, profile)  # honours an emulator endpoint from the environment


def _sink(args: argparse.Namespace, activity: str) -> EventSink:
    from wizard.commands.common import make_sink
    from wizard.commands.options import CommonOptions

    return make_sink(CommonOptions.from_args(args).mode, activity=activity)


def _tui(args: argparse.Namespace) -> bool:
    from wizard.commands.options import CommonOptions

    return CommonOptions.from_args(args).mode == "tui"


def _ship_source(args: argparse.Namespace, answers: Answers | None) -> Any:
    if answers is None:
        return None
    from wizard.app.monitor_feed import ship_source
    from wizard.commands.options import CommonOptions

    opts = CommonOptions.from_args(args)
    sandbox = opts.sandbox
    remote = opts.remote
    return ship_source(answers, opts.workspace, sandbox=sandbox, remote=remote)


def monitor_app(
    args: argparse.Namespace, target: AwsTarget, spec: FollowSpec, answers: Answers | None
) -> MonitorApp:
    """The monitor screen as `cdwizard monitor` runs it in a terminal (tests drive this too)."""
    from wizard.app.monitor_feed import aws_feed
    from wizard.tui.monitor_app import MonitorApp

    feed = aws_feed(target, spec, ship=_ship_source(args, answers), intervals=_intervals(args))
    return MonitorApp(feed, timeout=args.timeout)


def _run_app(app: MonitorApp) -> int:
    from wizard.core.exitcodes import ExitCode

    code = app.run()
    return int(code) if code is not None else int(app.return_code or ExitCode.ERROR)


def _answer_with(args: argparse.Namespace, answers: Answers | None, pipeline: str | None) -> str:
    """`cdwizard monitor` as this user runs it again: answers file, workspace, target, and the
    pipeline when there are no answers to name it."""
    from wizard.commands.options import CommonOptions

    again = CommonOptions.from_args(args).rerun("monitor")
    return again if answers is not None or not pipeline else f"{again} --pipeline {pipeline}"


def _intervals(args: argparse.Namespace) -> Any:
    from wizard.services.aws.monitor import PollIntervals

    active = float(args.poll_interval)
    return PollIntervals(active=active, idle=max(20.0, active * 4))


# --- monitor ----------------------------------------------------------------------------------


def follow_spec(args: argparse.Namespace, answers: Answers | None) -> FollowSpec:
    """What `monitor` follows. On the screen, with nothing pinned, it keeps following the newest
    execution (it is a live view); printed output follows one execution to its end."""
    from wizard.commands.common import CommandError
    from wizard.core.exitcodes import ExitCode
    from wizard.services.aws.monitor import ExecutionSelector, FollowSpec

    pipeline = args.pipeline or (answers.pipeline.name if answers else None)
    if args.deployment:
        pipeline = args.pipeline  # an explicit deployment is followed on its own
    if not pipeline and not args.deployment:
        raise CommandError(
            "nothing to follow: give --answers FILE, --pipeline NAME or --deployment ID",
            ExitCode.USAGE,
        )
    if args.execution and args.follow:
        raise CommandError("--execution and --follow exclude each other", ExitCode.USAGE)
    selector = ExecutionSelector("id", args.execution) if args.execution else ExecutionSelector()
    keep = bool(args.follow) or (_tui(args) and not args.execution and not args.deployment)
    environments = _environments(args)
    return FollowSpec(
        pipeline=pipeline,
        deployment_id=args.deployment,
        execution=ExecutionSelector("newest") if keep else selector,
        keep_following=keep,
        application=answers.deployment.application if answers else None,
        # with environments each Deploy-<env> stage has its own group: read from its deployment
        group=answers.deployment.group if answers and not environments else None,
        environments=environments,
    )


def _environments(args: argparse.Namespace) -> Any:
    """The workspace's terraform output `environments` (empty without one)."""
    from wizard.app.monitor_feed import environments_in
    from wizard.commands.options import CommonOptions

    return environments_in(CommonOptions.from_args(args).workspace)


def _monitor(args: argparse.Namespace) -> int:
    from wizard.services.aws.monitor import Monitor, monitor_clients
    from wizard.services.aws.monitor.follow import follow

    named = bool(args.pipeline or args.deployment)
    answers = _answers(args, required=False, saved=not named)
    if args.approve or args.reject:
        return _answer_approval(args, answers)
    if args.comment is not None:
        from wizard.commands.common import CommandError
        from wizard.core.exitcodes import ExitCode

        raise CommandError("--comment goes with --approve or --reject", ExitCode.USAGE)
    spec = follow_spec(args, answers)
    with aws_target(args, answers) as target:
        if _tui(args):
            return _run_app(monitor_app(args, target, spec, answers))
        clients = monitor_clients(target)
        sink = _sink(args, "watching")
        try:
            monitor = Monitor(clients, spec, intervals=_intervals(args))
            answer_with = _answer_with(args, answers, spec.pipeline)
            return follow(monitor, sink, timeout=args.timeout, answer_with=answer_with).exit_code
        finally:
            sink.close()


def _confirm_answer(description: str, verb: str) -> bool:
    """Ask on the terminal, like apply and destroy do: `y` runs it."""
    import sys

    sys.stderr.write(f"\n  {description}\n\n")
    sys.stderr.flush()
    try:
        answer = input(f"{verb}? [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in {"y", "yes"}


def _answer_approval(args: argparse.Namespace, answers: Answers | None) -> int:
    """`--approve` / `--reject`: answer the approval the pipeline waits at, after asking."""
    import sys

    from botocore.exceptions import BotoCoreError, ClientError

    from wizard.commands.common import CommandError
    from wizard.commands.options import CommonOptions
    from wizard.core.events.base import Notice
    from wizard.core.exitcodes import ExitCode
    from wizard.services.aws.monitor import monitor_clients
    from wizard.services.aws.monitor.actions import ActionUnavailable, answer_approval
    from wizard.services.aws.monitor.errors import classify

    verb = "approve" if args.approve else "reject"
    if args.deployment or args.follow:
        raise CommandError(
            f"--{verb} answers a pipeline's approval: leave out --deployment and --follow",
            ExitCode.USAGE,
        )
    if args.reject and not (args.comment or "").strip():
        raise CommandError(
            "--reject needs --comment TEXT: say what to fix before it is tried again",
            ExitCode.USAGE,
        )
    pipeline = args.pipeline or (answers.pipeline.name if answers else None)
    if not pipeline:
        raise CommandError(
            f"which pipeline's approval? give --pipeline NAME or --answers FILE to --{verb}",
            ExitCode.USAGE,
        )
    needs_confirm = not CommonOptions.from_args(args).yes
    if needs_confirm and not sys.stdin.isatty():
        raise CommandError(
            f"refusing to {verb} without confirmation: there is no terminal to ask on. "
            f"Re-run with --yes.",
            ExitCode.REFUSED,
        )
    sink = _sink(args, f"looking for the approval of {pipeline}")
    try:
        with aws_target(args, answers) as target:
            clients = monitor_clients(target)
            try:
                approval = _waiting_approval(clients, pipeline, args.execution)
                plan = answer_approval(
                    clients, pipeline, approval, approve=bool(args.approve), comment=args.comment
                )
                if needs_confirm and not _confirm_answer(plan.description, plan.title):
                    sink.emit(Notice(level="warn", text=f"not {verb}d: nothing was changed"))
                    return int(ExitCode.REFUSED)
                sink.emit(Notice(text=plan.execute().message))
            except ActionUnavailable as exc:
                raise CommandError(str(exc), ExitCode.USAGE) from None
            except (BotoCoreError, ClientError) as exc:
                raise CommandError(classify(exc).text, ExitCode.AWS_ERROR) from None
        sink.emit(Notice(text=f"follow the run with: {_answer_with(args, answers, pipeline)}"))
        return int(ExitCode.OK)
    finally:
        sink.close()


def _waiting_approval(clients: Any, pipeline: str, execution: str | None) -> Any:
    """The approval waiting in `execution`, else in the newest running execution that has one."""
    from wizard.services.aws.monitor import ExecutionSelector
    from wizard.services.aws.monitor.actions import waiting_approval
    from wizard.services.aws.monitor.pipeline_poller import PipelinePoller

    poller = PipelinePoller(
        clients.client("codepipeline"), pipeline, emulator=clients.target.is_emulator
    )
    selector = ExecutionSelector("id", execution) if execution else ExecutionSelector("newest")
    view = poller.poll(selector)
    if view.waiting_approval is None and not execution:
        for e in view.executions[1:]:
            if not e.final:
                view = poller.poll(ExecutionSelector("id", e.execution_id))
                if view.waiting_approval is not None:
                    break
    return waiting_approval(view)


# --- ship -------------------------------------------------------------------------------------


def _ship(args: argparse.Namespace) -> int:
    answers = _answers(args, required=True)
    assert answers is not None
    with aws_target(args, answers) as target:
        return _ship_to(args, answers, target)


def _ship_to(args: argparse.Namespace, answers: Answers, target: AwsTarget) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    from wizard.commands.common import CommandError
    from wizard.core.events.base import Notice
    from wizard.core.exitcodes import ExitCode
    from wizard.services.aws.monitor import (
        ExecutionSelector,
        FollowSpec,
        Monitor,
        monitor_clients,
    )
    from wizard.services.aws.monitor.errors import classify
    from wizard.services.aws.monitor.follow import follow_commit
    from wizard.services.aws.ship import ShipError

    clients = monitor_clients(target)
    tui = _tui(args)
    sink = _sink(args, "shipping")
    try:
        # the workspace's payload (with the user's edits) if rendered, else a fresh rendering
        source = _ship_source(args, answers)
        try:
            plan = source.plan(clients)
            sink.emit(Notice(text=plan.describe(), hint=f"from {source.origin}"))
            message = args.message or source.message
            if args.dry_run:
                for line in plan.details(message):
                    sink.emit(Notice(text=line))
                return int(ExitCode.OK)
            result = plan.execute(message=message, author=args.author, email=args.email)
        except ShipError as exc:
            raise CommandError(str(exc), ExitCode.AWS_ERROR) from None
        except (BotoCoreError, ClientError) as exc:
            raise CommandError(classify(exc).text, ExitCode.AWS_ERROR) from None
        sink.emit(result.event)
        if args.no_follow:
            return int(ExitCode.OK)
        environments = _environments(args)
        spec = FollowSpec(
            pipeline=answers.pipeline.name,
            execution=ExecutionSelector("commit", result.revision_id),
            application=answers.deployment.application,
            group=None if environments else answers.deployment.group,
            environments=environments,
        )
        if tui:
            sink.close()
            app = ship_app(
                args,
                target,
                spec,
                answers,
                commit_id=result.revision_id,
                unchanged=result.unchanged,
                label=result.label,
            )
            return _run_app(app)
        monitor = Monitor(clients, spec, intervals=_intervals(args))
        return follow_commit(
            monitor,
            sink,
            release_now=result.unchanged,
            trigger_wait=args.trigger_wait,
            timeout=args.timeout,
            answer_with=_answer_with(args, answers, None),
        ).exit_code
    finally:
        sink.close()


def ship_app(
    args: argparse.Namespace,
    target: AwsTarget,
    spec: FollowSpec,
    answers: Answers,
    *,
    commit_id: str,
    unchanged: bool,
    label: str | None = None,
) -> MonitorApp:
    """After `ship` pushed: the monitor screen following the execution of that commit."""
    from wizard.app.monitor_feed import AwsFeed
    from wizard.services.aws.monitor import monitor_clients
    from wizard.tui.monitor_app import MonitorApp

    feed = AwsFeed(
        monitor_clients(target),
        spec,
        ship=_ship_source(args, answers),
        intervals=_intervals(args),
        trigger_wait=args.trigger_wait,
    )
    note = feed.expect_commit(commit_id, unchanged=unchanged)
    where = label or f"{answers.source.repository}/{answers.source.branch}"
    pushed = f"shipped {commit_id[:8]} to {where}"
    return MonitorApp(feed, timeout=args.timeout, intro=note or f"✓ {pushed}")


__all__ = [
    "PARENTS",
    "aws_target",
    "configure",
    "follow_spec",
    "monitor_app",
    "parse_duration",
    "run",
    "ship_app",
    "start_sandbox",
]
