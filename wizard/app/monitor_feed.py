"""Where the monitor screen's snapshots come from, and what its keys do (pure: no textual).

A feed runs a blocking loop in the screen's thread worker and hands every frozen
`wizard.core.timeline.Snapshot` (with the typed events since the previous one) to `emit`, which
only posts a message. Two feeds:

- `AwsFeed`: the AWS monitor (`wizard.services.aws.monitor.Monitor`), one poll per cycle on the
  worker's thread, the adaptive delay from its schedule, woken early by `wake()` (after an
  action, or on `g`). Actions are planned and executed through
  `wizard.services.aws.monitor.actions` and `wizard.services.aws.ship`; after one, the feed follows
  what it created (the new execution, the new deployment, the pushed commit's execution).
- `RehearsalFeed`: a local `cdwizard rehearse` run folded into the same snapshots
  (`wizard.core.timeline.EventFold`), so `rehearse --watch` is the same screen.

Both stop promptly when `close()` is called (the screen does on unmount): no orphan threads.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from wizard.core.events.base import Event, Notice, format_duration, utcnow
from wizard.core.timeline import EnvironmentStages, EventFold, Snapshot, explain
from wizard.core.timeline.failures import (
    FETCH_LOG,
    REDEPLOY_IGNORE_STOP,
    RETRY_FAILED,
    SHIP,
)
from wizard.core.timeline.offers import (
    APPROVE,
    REDEPLOY_LAST_SUCCESS,
    REJECT,
    RELEASE,
    STOP,
    STOP_ROLLBACK,
)
from wizard.services.aws.monitor import ExecutionSelector, FollowSpec, Monitor, PollIntervals
from wizard.services.aws.monitor.actions import ActionResult, ActionUnavailable, PlannedAction
from wizard.services.aws.ship import ShipError

if TYPE_CHECKING:
    from wizard.core.answers import Answers
    from wizard.services.aws.session import AwsClients, AwsTarget
    from wizard.services.aws.ship import ShipFile
    from wizard.services.rehearse import Rehearsal
    from wizard.services.shipping import Destination, Shipment

#: Every action key the screen knows, in footer order.
ACTION_KEYS: tuple[str, ...] = (
    RELEASE,
    RETRY_FAILED,
    STOP,
    STOP_ROLLBACK,
    REDEPLOY_LAST_SUCCESS,
    REDEPLOY_IGNORE_STOP,
    FETCH_LOG,
    SHIP,
    APPROVE,
    REJECT,
)
#: actions that take the user's comment (`plan_with_comment`): a dialog asks for it first
COMMENTED_KEYS: frozenset[str] = frozenset({APPROVE, REJECT})


@dataclass(frozen=True)
class FeedUpdate:
    """What the worker hands the screen: a snapshot (None: only events) and its events."""

    snapshot: Snapshot | None
    events: tuple[Event, ...] = ()


Emit = Callable[[FeedUpdate], None]


class MonitorFeed(Protocol):
    """What the monitor screen needs from the outside world. `run`, `plan` and `after` block;
    the screen calls them from thread workers, never on the event loop."""

    #: what is watched, for the top bar: "pipeline shop · AWS eu-west-1"
    label: str
    #: it polls (so "poll now" means something); a rehearsal streams instead
    polls: bool

    def run(self, emit: Emit, cancelled: Callable[[], bool]) -> None:
        """Produce updates until `cancelled()` or `close()` (or the source ends)."""

    def wake(self) -> None:
        """Poll now instead of waiting for the next interval."""

    def close(self) -> None:
        """Stop for good: `run` returns promptly."""

    def supports(self, key: str) -> bool:
        """Whether this feed can do the action `key` at all."""
        ...

    def plan(self, key: str, snapshot: Snapshot, instance_id: str | None = None) -> PlannedAction:
        """Describe the action before it runs (may read, never writes)."""
        ...

    def after(self, action: PlannedAction, result: ActionResult) -> str | None:
        """Follow what an executed action created; returns a line for the user, if any."""
        ...


# --- shared helpers -----------------------------------------------------------------------------


def first_failed_instance(snapshot: Snapshot) -> str | None:
    dep = snapshot.deployment
    if dep is None:
        return None
    failed = dep.failed_instances
    if failed:
        return failed[0].target_id
    return dep.instances[0].target_id if dep.instances else None


def suggested_action(snapshot: Snapshot) -> str | None:
    report = explain(snapshot)
    return report.action if report else None


# --- AWS ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShipSource:
    """Where `ship` takes the payload from and where it pushes it."""

    repository: str
    branch: str
    #: read when the action is planned (the workspace may change meanwhile)
    files: Callable[[], Sequence[ShipFile]]
    #: "the workspace's cdwizard-out/payload" or "a fresh rendering of the answers"
    origin: str
    message: str = "cdwizard ship: payload"
    #: False in the wizard's sandbox: the push only reaches the emulator, so one key ships
    confirm: bool = True
    #: the answers' source (CodeCommit, a connection's git repository, S3)
    destination: Destination | None = None
    #: the workspace (git pushes work in a private repository in it)
    workspace: Path | None = None
    #: the sandbox's bare repositories (a connection source pushes there), or None on AWS
    sandbox_git: Path | None = None
    #: for a connection source: the git remote (name or URL) to push to
    remote: str | None = None

    def plan(self, clients: AwsClients) -> Shipment:
        """Read the destination and plan the ship (nothing is written)."""
        from wizard.services.shipping import Destination, plan_shipment

        destination = self.destination or Destination(
            "codecommit", "codecommit", "", self.repository, self.branch
        )
        return plan_shipment(
            destination,
            self.files(),
            clients=clients,
            workspace=self.workspace or Path.cwd(),
            remote=self.remote,
            sandbox_git=self.sandbox_git,
        )


def ship_source(
    answers: Answers,
    out: Path,
    *,
    render_sandbox: Any = None,
    sandbox: bool = False,
    remote: str | None = None,
    confirm: bool = True,
) -> ShipSource:
    """The payload of the workspace `out` (with the user's edits), else a fresh rendering."""
    from wizard.services.sandbox import STATE_FILE
    from wizard.services.sandbox.git_remotes import root_for_state
    from wizard.services.shipping import destination_of

    workspace = Path(out) / "payload"

    def files() -> Sequence[ShipFile]:
        from wizard.services.aws.ship import files_from_dir, files_from_tree
        from wizard.services.workspace_lock import WorkspaceLock

        if workspace.is_dir():
            # not while another cdwizard renders into it (WorkspaceBusy names that process)
            with WorkspaceLock(Path(out), "ship"):
                return files_from_dir(workspace)
        from wizard.core.render import render

        return files_from_tree(render(answers, sandbox=render_sandbox))

    origin = (
        f"the workspace's {workspace}" if workspace.is_dir() else "a fresh rendering of the answers"
    )
    destination = destination_of(answers)
    return ShipSource(
        repository=destination.repository or destination.label,
        branch=destination.branch or "",
        files=files,
        origin=origin,
        message=f"cdwizard ship: {answers.project} payload",
        destination=destination,
        workspace=Path(out),
        sandbox_git=root_for_state(Path(out) / STATE_FILE) if sandbox else None,
        remote=remote,
        confirm=confirm,
    )


class AwsFeed:
    """The AWS monitor as a feed. See the module docstring."""

    polls = True

    def __init__(
        self,
        clients: AwsClients,
        spec: FollowSpec,
        *,
        label: str = "",
        intervals: PollIntervals | None = None,
        ship: ShipSource | None = None,
        trigger_wait: float = 60.0,
        pause: Callable[[float | None], None] | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.clients = clients
        self.base_spec = spec
        self.label = label or _label(spec, clients.target)
        self.intervals = intervals
        self.ship = ship
        self.trigger_wait = trigger_wait
        self._pause_fn = pause
        self._clock = clock
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._closed = False
        self._pending: list[Event] = []
        #: after a push: (monotonic deadline, commit) for starting the pipeline ourselves
        self._release_at: tuple[float, str] | None = None
        self.monitor = self._make(spec)
        #: True while `run` loops; `ended` is set when it returned (it ends with the screen)
        self.running = False
        self.ended = threading.Event()
        self.cycles = 0

    # -- the loop ----------------------------------------------------------------------------

    def _make(self, spec: FollowSpec) -> Monitor:
        return Monitor(self.clients, spec, intervals=self.intervals, clock=self._clock)

    def run(self, emit: Emit, cancelled: Callable[[], bool]) -> None:
        self.running = True
        try:
            while not (self._closed or cancelled()):
                with self._lock:
                    monitor = self.monitor
                update = monitor.cycle()
                self.cycles += 1
                if self._closed or cancelled():
                    return
                with self._lock:
                    if monitor is not self.monitor:
                        continue  # superseded by an action while polling: poll the new one
                    extra, self._pending = self._pending, []
                snapshot = update.snapshot
                extra += self._release_if_due(snapshot)
                emit(FeedUpdate(snapshot, (*extra, *update.events)))
                self._pause(self._delay(snapshot))
        finally:
            self.running = False
            self.ended.set()

    def _delay(self, snapshot: Snapshot) -> float | None:
        """Seconds to the next poll; None: only when woken (a fatal error is on screen)."""
        if snapshot.outcome is not None and snapshot.outcome.result == "error":
            return None
        delay = snapshot.next_poll_seconds
        if self._release_at is not None:
            delay = min(delay, max(0.0, self._release_at[0] - time.monotonic()))
        return delay

    def _pause(self, delay: float | None) -> None:
        if self._pause_fn is not None:
            self._pause_fn(delay)
            return
        self._wake.wait(delay)
        self._wake.clear()

    def wake(self) -> None:
        self._wake.set()

    def close(self) -> None:
        self._closed = True
        self._wake.set()

    @property
    def closed(self) -> bool:
        return self._closed

    # -- following ---------------------------------------------------------------------------

    def _switch(self, spec: FollowSpec, note: str | None = None) -> None:
        fresh = self._make(spec)
        with self._lock:
            self.monitor = fresh
            if note:
                self._pending.append(Notice(text=note))
        self.wake()

    def follow_execution(self, execution_id: str) -> None:
        """Follow one execution (and its deployment) until it ends."""
        spec = replace(
            self.base_spec,
            deployment_id=None,
            execution=ExecutionSelector("id", execution_id),
            keep_following=False,
        )
        self._switch(spec, f"following execution {execution_id}")

    @property
    def following_newest(self) -> bool:
        return self.monitor.spec.keep_following

    def follow_newest(self) -> None:
        """Follow whatever execution is newest, now and as new ones start."""
        spec = replace(
            self.base_spec,
            deployment_id=None,
            execution=ExecutionSelector("newest"),
            keep_following=True,
        )
        self._switch(spec, "following the newest execution")

    def follow_deployment(self, deployment_id: str) -> None:
        spec = replace(self.base_spec, deployment_id=deployment_id, keep_following=False)
        self._switch(spec, f"following deployment {deployment_id}")

    def follow_commit(self, commit_id: str) -> None:
        spec = replace(
            self.base_spec,
            deployment_id=None,
            execution=ExecutionSelector("commit", commit_id),
            keep_following=False,
        )
        self._switch(spec, f"waiting for the execution of commit {commit_id[:8]}")

    def _release_if_due(self, snapshot: Snapshot) -> list[Event]:
        """After a push: start the pipeline ourselves if no execution of the commit showed up."""
        due = self._release_at
        if due is None:
            return []
        pipeline = snapshot.pipeline
        if pipeline is not None and pipeline.followed_id is not None:
            self._release_at = None
            return []
        if time.monotonic() < due[0]:
            return []
        self._release_at = None
        from botocore.exceptions import BotoCoreError, ClientError

        from wizard.services.aws.monitor.actions import release_change
        from wizard.services.aws.monitor.errors import classify

        name = self.base_spec.pipeline or ""
        plan = release_change(self.clients, name)
        try:
            execution = plan.execute().ids["pipelineExecutionId"]
        except (BotoCoreError, ClientError) as exc:
            return [Notice(level="error", text=f"could not start {name}: {classify(exc).text}")]
        self.follow_execution(execution)
        return [
            Notice(
                text=f"no execution of commit {due[1][:8]} started within "
                f"{format_duration(self.trigger_wait)}: started {execution} "
                "(codepipeline:StartPipelineExecution)",
                hint="is the pipeline's change detection (EventBridge rule) in place?",
            )
        ]

    # -- actions -----------------------------------------------------------------------------

    def supports(self, key: str) -> bool:
        if key == SHIP:
            return self.ship is not None and self.base_spec.pipeline is not None
        return key in ACTION_KEYS

    def needs_confirmation(self, key: str) -> bool:
        """Whether the screen asks before running `key` (always, except the sandbox's ship)."""
        return not (key == SHIP and self.ship is not None and not self.ship.confirm)

    def plan(self, key: str, snapshot: Snapshot, instance_id: str | None = None) -> PlannedAction:
        from wizard.services.aws.monitor import actions

        pipeline, dep = snapshot.pipeline, snapshot.deployment
        if key == RELEASE:
            name = pipeline.name if pipeline else self.base_spec.pipeline
            if not name:
                raise ActionUnavailable("no pipeline is watched")
            return actions.release_change(self.clients, name)
        if key == RETRY_FAILED:
            stage = pipeline.failed_stage if pipeline else None
            if pipeline is None or stage is None or pipeline.followed_id is None:
                raise ActionUnavailable("no failed stage in the followed execution")
            return actions.retry_failed_actions(
                self.clients, pipeline.name, stage.name, pipeline.followed_id
            )
        if key == SHIP:
            return self._plan_ship()
        if key in COMMENTED_KEYS:
            return self.plan_with_comment(key, snapshot, "")
        if dep is None:
            raise ActionUnavailable("no deployment is shown")
        if key in (STOP, STOP_ROLLBACK):
            return actions.stop_deployment(self.clients, dep, rollback=key == STOP_ROLLBACK)
        if key == REDEPLOY_LAST_SUCCESS:
            # When ApplicationStop failed, the last good revision would run the same broken
            # stop script again: redeploy it past that failure.
            ignore = suggested_action(snapshot) == REDEPLOY_IGNORE_STOP
            return actions.redeploy_last_successful(
                self.clients, dep.application, dep.group, ignore_application_stop_failures=ignore
            )
        if key == REDEPLOY_IGNORE_STOP:
            return actions.redeploy_ignoring_stop_failures(self.clients, dep)
        if key == FETCH_LOG:
            instance = instance_id or first_failed_instance(snapshot)
            if instance is None:
                raise ActionUnavailable("the deployment has no instances to read a log from")
            return actions.fetch_full_log(self.clients, dep, instance)
        raise ActionUnavailable(f"unknown action {key}")

    def plan_with_comment(self, key: str, snapshot: Snapshot, comment: str) -> PlannedAction:
        """Approve or reject the approval the followed execution waits at, with `comment`."""
        from wizard.services.aws.monitor import actions

        if key not in COMMENTED_KEYS:
            raise ActionUnavailable(f"{key} takes no comment")
        pipeline = snapshot.pipeline
        approval = actions.waiting_approval(pipeline)
        assert pipeline is not None
        return actions.answer_approval(
            self.clients, pipeline.name, approval, approve=key == APPROVE, comment=comment
        )

    def _plan_ship(self) -> PlannedAction:
        source = self.ship
        if source is None:
            raise ActionUnavailable("ship needs the answers (repository, branch, payload)")
        try:
            plan = source.plan(self.clients)
        except ShipError as exc:
            raise ActionUnavailable(str(exc)) from None

        def run() -> ActionResult:
            done = plan.execute(message=source.message)
            short = done.revision_id[:8]
            what = "already up to date" if done.unchanged else f"{done.verb} {short}"
            return ActionResult(f"{done.label}: {what}", {"commitId": done.revision_id}, done)

        follow = (
            f" Then follow the pipeline execution the push starts (cdwizard starts one itself "
            f"if none has after {format_duration(self.trigger_wait)})."
        )
        return PlannedAction(
            key=SHIP,
            title="Ship the payload",
            description=f"{plan.describe()} The files come from {source.origin}.{follow}",
            api=plan.api,
            params=plan.params(),
            _run=run,
        )

    def after(self, action: PlannedAction, result: ActionResult) -> str | None:
        ids = result.ids
        if action.key in (RELEASE, RETRY_FAILED) and "pipelineExecutionId" in ids:
            self.follow_execution(ids["pipelineExecutionId"])
        elif action.key in (REDEPLOY_LAST_SUCCESS, REDEPLOY_IGNORE_STOP) and "deploymentId" in ids:
            self.follow_deployment(ids["deploymentId"])
        elif action.key == SHIP:
            return self._after_ship(result)
        elif action.key != FETCH_LOG:
            self.wake()
        return None

    def _after_ship(self, result: ActionResult) -> str | None:
        shipped = result.detail
        return self.expect_commit(
            result.ids["commitId"], unchanged=bool(getattr(shipped, "unchanged", False))
        )

    def expect_commit(self, commit_id: str, *, unchanged: bool = False) -> str | None:
        """After a push: follow the execution of `commit_id`; start the pipeline ourselves when
        nothing new was pushed, or when no execution shows up within `trigger_wait`."""
        if unchanged:
            from wizard.services.aws.monitor.actions import release_change

            name = self.base_spec.pipeline or ""
            execution = release_change(self.clients, name).execute().ids["pipelineExecutionId"]
            self.follow_execution(execution)
            return f"the branch already held this payload: released it again ({execution})"
        self._release_at = (time.monotonic() + self.trigger_wait, commit_id)
        self.follow_commit(commit_id)
        return None


#: where the workspace keeps terraform's local state (its outputs name the environments)
STATE_FILE = Path("terraform") / "terraform.tfstate"


def environments_in(out: Path) -> tuple[EnvironmentStages, ...]:
    """The terraform output `environments` of the workspace's state (empty when it has none, or
    no readable state): which stages deploy to which group, and approve it first."""
    import json

    try:
        data = json.loads((out / STATE_FILE).read_text(encoding="utf-8"))
        value = data["outputs"]["environments"]["value"]
    except (OSError, ValueError, KeyError, TypeError):
        return ()
    found = []
    for env in value if isinstance(value, list) else []:
        if not isinstance(env, dict) or not env.get("name") or not env.get("deploy_stage"):
            continue
        found.append(
            EnvironmentStages(
                name=str(env["name"]),
                deployment_group=str(env.get("deployment_group_name") or ""),
                deploy_stage=str(env["deploy_stage"]),
                approval_stage=str(env["approval_stage"]) if env.get("approval_stage") else None,
            )
        )
    return tuple(found)


def _label(spec: FollowSpec, target: AwsTarget) -> str:
    what = f"pipeline {spec.pipeline}" if spec.pipeline else f"deployment {spec.deployment_id}"
    where = "sandbox" if target.is_emulator else f"AWS {target.region}"
    if target.profile and not target.is_emulator:
        where += f" · profile {target.profile}"
    return f"{what} · {where}"


def aws_feed(
    target: AwsTarget,
    spec: FollowSpec,
    *,
    ship: ShipSource | None = None,
    intervals: PollIntervals | None = None,
    label: str = "",
) -> AwsFeed:
    """The feed the commands and the wizard use: the monitor's own clients (adaptive retries)."""
    from wizard.services.aws.monitor import monitor_clients

    return AwsFeed(monitor_clients(target), spec, ship=ship, intervals=intervals, label=label)


def feed_after_apply(
    answers: Answers, out: Path, target: AwsTarget, label: str = "", *, sandbox: bool = False
) -> AwsFeed:
    """What the wizard shows once the apply succeeded: the new pipeline, newest execution. In
    the sandbox, Ship runs on its key alone (the first green deployment is one key away)."""
    environments = environments_in(out)
    spec = FollowSpec(
        pipeline=answers.pipeline.name,
        execution=ExecutionSelector("newest"),
        keep_following=True,
        application=answers.deployment.application,
        # with environments each Deploy-<env> stage has its own group: read from its deployment
        group=None if environments else answers.deployment.group,
        environments=environments,
    )
    ship = ship_source(answers, out, sandbox=target.is_emulator, confirm=not sandbox)
    return aws_feed(target, spec, ship=ship, label=label)


# --- local rehearsal ----------------------------------------------------------------------------


class _FoldingSink:
    """The rehearsal's sink: every event folded into a snapshot and handed on."""

    def __init__(self, fold: EventFold, emit: Emit) -> None:
        self.fold = fold
        self.emit_update = emit

    def emit(self, event: Event) -> None:
        self.emit_update(FeedUpdate(self.fold.apply(event), (event,)))

    def close(self) -> None:
        return None


class RehearsalFeed:
    """`cdwizard rehearse --watch`: one local rehearsal, run once, shown live."""

    polls = False

    def __init__(self, rehearsal: Rehearsal, *, label: str = "") -> None:
        self.rehearsal = rehearsal
        self.fold = EventFold()
        self.label = label or f"rehearsal of {rehearsal.bundle} · this machine"
        self.result: Any = None
        self.error: str | None = None
        self.running = False
        self.ended = threading.Event()
        self._started = False

    def run(self, emit: Emit, cancelled: Callable[[], bool]) -> None:
        from wizard.services.rehearse import RehearsalError

        if self._started or cancelled():
            return
        self._started = True
        self.running = True
        try:
            self.result = self.rehearsal.run(_FoldingSink(self.fold, emit))
        except RehearsalError as exc:
            self.error = str(exc)
            emit(FeedUpdate(None, (Notice(level="error", text=str(exc)),)))
        finally:
            self.running = False
            self.ended.set()

    def wake(self) -> None:
        return None

    def close(self) -> None:
        self.rehearsal.cancel()

    def supports(self, key: str) -> bool:
        return key in (STOP, FETCH_LOG)

    def plan(self, key: str, snapshot: Snapshot, instance_id: str | None = None) -> PlannedAction:
        rehearsal = self.rehearsal
        if key == STOP:

            def stop() -> ActionResult:
                rehearsal.cancel()
                return ActionResult("stop requested: the running script got TERM")

            return PlannedAction(
                key=STOP,
                title="Stop the rehearsal",
                description="Send TERM to the running hook script's process group; the "
                "remaining lifecycle events are skipped, as the agent does for a stopped "
                "deployment. Files already installed stay where they are.",
                api="local:cancel",
                params={"deployment": rehearsal.deployment_id},
                _run=stop,
            )
        if key == FETCH_LOG:
            path = rehearsal.scripts_log

            def read() -> ActionResult:
                from wizard.services.aws.monitor.full_log import FullLog, LogFetchError

                try:
                    text = path.read_text(encoding="utf-8", errors="replace")
                except OSError as exc:
                    raise LogFetchError(f"cannot read {path}: {exc.strerror}") from None
                log = FullLog("local", str(path), text, len(text.encode()))
                return ActionResult(f"read {len(text)} characters of {path}", {}, log)

            return PlannedAction(
                key=FETCH_LOG,
                title="Full log",
                description=f"Read {path}, the rehearsal's scripts.log (every hook's output).",
                api="local:read",
                params={"path": str(path)},
                _run=read,
            )
        raise ActionUnavailable(f"a rehearsal cannot {key.replace('_', ' ')}")

    def after(self, action: PlannedAction, result: ActionResult) -> str | None:
        return None


__all__ = [
    "ACTION_KEYS",
    "AwsFeed",
    "Emit",
    "FeedUpdate",
    "MonitorFeed",
    "RehearsalFeed",
    "ShipSource",
    "aws_feed",
    "environments_in",
    "feed_after_apply",
    "first_failed_instance",
    "ship_source",
    "suggested_action",
]
