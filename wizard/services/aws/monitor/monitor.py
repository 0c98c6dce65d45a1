"""The live monitor: a background thread that polls, builds frozen snapshots, diffs them into
typed events and hands both to subscribers (the TUI, the plain/JSON printers).

    monitor = Monitor(clients, FollowSpec(pipeline="p"))
    monitor.subscribe(lambda update: ...)   # called on the monitor's thread
    monitor.start()
    outcome = monitor.wait(timeout=None)     # or watch `monitor.latest`
    monitor.stop()

`cycle()` runs one poll synchronously (tests, benchmarks). Delays come from `PollSchedule`;
`sleeper` is injectable so tests never sleep.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

from wizard.core.agent_health import AgentView
from wizard.core.events.base import Event, Notice, utcnow
from wizard.core.events.lifecycle import LifecycleStatus
from wizard.core.events.pipeline import STOPPED_EXECUTION_STATUSES
from wizard.core.timeline import (
    ConnectionState,
    DeploymentSummary,
    DeploymentView,
    EnvironmentStages,
    Outcome,
    PipelineView,
    Snapshot,
    diff,
)
from wizard.services.aws.monitor.deployment_poller import DeploymentPoller, recent_deployments
from wizard.services.aws.monitor.errors import Problem, classify
from wizard.services.aws.monitor.pipeline_poller import ExecutionSelector, PipelinePoller
from wizard.services.aws.monitor.schedule import PollIntervals, PollSchedule
from wizard.services.aws.monitor.traffic_poller import TrafficPoller

if TYPE_CHECKING:
    from wizard.services.aws.session import AwsClients

#: An instance InProgress with every lifecycle event still Pending this long waits for its agent
#: (a running agent takes a command within seconds).
AGENT_GRACE_SECONDS = 10.0
#: Seconds between looks at the agents a deployment waits for (one GetConsoleOutput each).
AGENT_CHECK_SECONDS = 30.0
#: At most this many waiting instances are looked at per check.
AGENT_CHECK_LIMIT = 10


@dataclass(frozen=True)
class FollowSpec:
    """What to watch. A pipeline (its executions and their deployments) and/or one deployment."""

    pipeline: str | None = None
    deployment_id: str | None = None
    execution: ExecutionSelector = field(default_factory=ExecutionSelector)
    #: keep watching new executions after the followed one ends (never finishes by itself)
    keep_following: bool = False
    #: for the deployment history (sparkline); found from the deployment when not given
    application: str | None = None
    group: str | None = None
    history: int = 10
    #: the terraform output `environments` (a Deploy-<env> stage and group per environment)
    environments: tuple[EnvironmentStages, ...] = ()

    def __post_init__(self) -> None:
        if not self.pipeline and not self.deployment_id:
            raise ValueError("FollowSpec needs a pipeline or a deployment id")


@dataclass(frozen=True)
class MonitorUpdate:
    """One poll's result: the new snapshot and the events since the previous one."""

    snapshot: Snapshot
    events: tuple[Event, ...]


Listener = Callable[[MonitorUpdate], None]


class Monitor:
    """Polls AWS on a background thread; see the module docstring."""

    def __init__(
        self,
        clients: AwsClients,
        spec: FollowSpec,
        *,
        intervals: PollIntervals | None = None,
        sleeper: Callable[[float], Any] | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.clients = clients
        self.spec = spec
        self.emulator = clients.target.is_emulator
        self.schedule = PollSchedule(intervals)
        self._clock = clock
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._sleeper = sleeper
        self._changed = threading.Condition()
        self._listeners: list[Listener] = []
        self._thread: threading.Thread | None = None
        self._selector = spec.execution
        self._sequence = 0
        self._connection = ConnectionState()
        self._history: tuple[DeploymentSummary, ...] = ()
        self._history_key: tuple[str, str] | None = None
        self._history_for: str | None = None
        self._notes: list[str] = []
        self._agents: tuple[AgentView, ...] = ()
        self._agents_checked: float | None = None
        self._pending_since: dict[str, datetime] = {}
        self.latest: Snapshot | None = None
        self.outcome: Outcome | None = None
        #: the last execution/deployment that ended while keep_following (for --timeout's code)
        self.last_finished: Outcome | None = None
        self.pipeline_poller = (
            PipelinePoller(
                clients.client("codepipeline"),
                spec.pipeline,
                history=spec.history,
                emulator=self.emulator,
                connection_status=self._connection_status,
                environments=spec.environments,
            )
            if spec.pipeline
            else None
        )
        self.deployment_poller: DeploymentPoller | None = None
        #: the target group of a deployment with traffic control (None: no load balancer)
        self.traffic_poller: TrafficPoller | None = None
        #: an unexpected error (a bug) that ended the thread; `wait` then returns None
        self.crash: BaseException | None = None

    def _connection_status(self, arn: str) -> tuple[str, str] | None:
        """(status, name) of a connection (CodeStar Connections GetConnection), None if gone."""
        from wizard.services.aws.connections import get_connection

        found = get_connection(self.clients, arn)
        return (found.status, found.name) if found is not None else None

    # -- subscribers -------------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> None:
        """`listener(update)` runs on the monitor's thread after every poll."""
        self._listeners.append(listener)

    # -- thread ------------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("monitor already started")
        self._thread = threading.Thread(target=self._run, name="cdwizard-monitor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def poll_now(self) -> None:
        """Poll again without waiting for the interval (e.g. right after an action)."""
        self._wake.set()

    def follow_execution(self, execution_id: str) -> None:
        """Switch to a given execution (e.g. the one `start_pipeline_execution` just started)."""
        self._selector = ExecutionSelector("id", execution_id)
        self.poll_now()

    def wait(self, timeout: float | None = None) -> Outcome | None:
        """Block until the followed run ends (its outcome) or `timeout` passes (None)."""
        found = self.wait_until(lambda s: s.outcome is not None, timeout)
        return found.outcome if found is not None else None

    def wait_until(
        self, predicate: Callable[[Snapshot], bool], timeout: float | None = None
    ) -> Snapshot | None:
        """Block until a snapshot satisfies `predicate` (or the monitor stops); None on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._changed:
            while True:
                snap = self.latest
                if snap is not None and predicate(snap):
                    return snap
                if self._thread is not None and not self._thread.is_alive():
                    return None
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return None
                self._changed.wait(0.5 if remaining is None else min(remaining, 0.5))

    def _sleep(self, seconds: float) -> None:
        if self._sleeper is not None:
            self._sleeper(seconds)
            return
        self._wake.wait(seconds)
        self._wake.clear()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                update = self.cycle()
                if update.snapshot.outcome is not None:
                    return
                self._sleep(update.snapshot.next_poll_seconds)
        except Exception as exc:  # a bug: keep it for the caller instead of dying silently
            self.crash = exc
        finally:
            with self._changed:
                self._changed.notify_all()

    # -- one poll ----------------------------------------------------------------------------

    def cycle(self) -> MonitorUpdate:
        """Poll once, build the snapshot, diff it, notify subscribers; returns the update."""
        throttled: str | None = None
        outcome: Outcome | None = None
        try:
            self._poll()
            delay = self.schedule.after_success(active=self._active())
            self._connection = ConnectionState()
            outcome = self._decide()
        except (BotoCoreError, ClientError) as exc:
            found = classify(exc, operation=self._last_operation(), emulator=self.emulator)
            if found.problem is Problem.THROTTLED:
                throttled = found.operation or "an API"
                delay = self.schedule.after_throttle()
            elif found.problem is Problem.CONNECTION:
                delay = self.schedule.after_connection_problem()
                self._connection = ConnectionState(
                    ok=False,
                    problem=found.message,
                    since=self._connection.since or self._clock(),
                    service=self._last_service(),
                    operation=found.operation,
                )
            else:
                delay = 0.0
                outcome = self._error_outcome(found.text)
        fresh = self._new_notes()  # this cycle's notes are in this cycle's snapshot
        snapshot = self._snapshot(delay, throttled, outcome)
        previous = self.latest
        events = diff(previous, snapshot)
        if outcome is not None and outcome.result == "error":
            events.append(Notice(level="error", text=outcome.message))
        for note in fresh:
            events.append(Notice(level="warn", text=note))
        if self.emulator:
            fault = _emulator_fault()
            if fault:
                events.append(Notice(level="warn", text=fault))
        update = MonitorUpdate(snapshot=snapshot, events=tuple(events))
        with self._changed:
            self.latest = snapshot
            if outcome is not None:
                self.outcome = outcome
            self._changed.notify_all()
        for listener in list(self._listeners):
            listener(update)
        return update

    def _poll(self) -> None:
        pipeline_view = None
        if self.pipeline_poller is not None:
            pipeline_view = self.pipeline_poller.poll(self._selector)
            if self.spec.keep_following:
                self._selector = ExecutionSelector("newest")
        deployment_id = self.spec.deployment_id or (
            pipeline_view.deployment_id if pipeline_view else None
        )
        if deployment_id is None:
            return
        poller = self.deployment_poller
        if poller is None or poller.deployment_id != deployment_id:
            poller = DeploymentPoller(
                self.clients.client("codedeploy"), deployment_id, emulator=self.emulator
            )
            self.deployment_poller = poller
        if not poller.done:
            view = poller.poll()
            self._refresh_history(view)
            self._check_agents(view)
            self._poll_traffic(view)

    def _check_agents(self, view: DeploymentView) -> None:
        """While instances are InProgress with every lifecycle event Pending for longer than
        `AGENT_GRACE_SECONDS`, look at their agents (the first run can reach instances whose agent
        is still installing): at most every `AGENT_CHECK_SECONDS`, and again at once when other
        instances start waiting. Instances waiting for their turn are Pending, not InProgress."""
        now_at = self._clock()
        held = {
            i.target_id
            for i in view.instances
            if i.status == "InProgress"
            and i.events
            and all(c.status is LifecycleStatus.PENDING for c in i.events)
        }
        self._pending_since = {t: self._pending_since.get(t, now_at) for t in held}
        waiting = sorted(
            t
            for t, since in self._pending_since.items()
            if (now_at - since).total_seconds() >= AGENT_GRACE_SECONDS
        )[:AGENT_CHECK_LIMIT]
        if view.final or not waiting or view.is_rehearsal:
            self._agents, self._agents_checked = (), None
            return
        now = time.monotonic()
        known = {a.instance_id for a in self._agents}
        if (
            self._agents_checked is not None
            and now - self._agents_checked < AGENT_CHECK_SECONDS
            and known == set(waiting)
        ):
            return
        from wizard.services.aws.agents import agent_health

        self._agents_checked = now
        self._agents = agent_health(self.clients, waiting)

    def _poll_traffic(self, view: DeploymentView) -> None:
        """One DescribeTargetHealth per poll while a load-balanced deployment runs, and one
        more when it has ended (the state it left the target group in)."""
        if not view.with_traffic:
            return
        traffic = self.traffic_poller
        if traffic is None or traffic.target_groups != view.target_groups:
            traffic = TrafficPoller(
                self.clients.client("elbv2"), view.target_groups, emulator=self.emulator
            )
            self.traffic_poller = traffic
        traffic.poll()

    def _refresh_history(self, view: DeploymentView) -> None:
        """Group history for the duration sparkline: on first sight and after each finish."""
        # the deployment's own group first: with environments each Deploy-<env> stage has its own
        app = view.application or self.spec.application
        group = view.group or self.spec.group
        if not app or not group:
            return
        marker = f"{view.deployment_id}:{view.final}"
        if self._history_for == marker:
            return
        self._history_for = marker
        self._history = recent_deployments(
            self.clients.client("codedeploy"), app, group, limit=self.spec.history
        )

    def _active(self) -> bool:
        """Poll at the active interval while the followed run goes on, and while the execution
        the selector names (a pushed commit's, or an id) has not shown up yet."""
        pipeline = self.pipeline_poller.view if self.pipeline_poller else None
        followed = pipeline.followed if pipeline else None
        if followed is not None and not followed.final:
            # a manual approval can wait for hours: poll at the idle pace until it is answered
            # (answering from the monitor polls at once)
            return pipeline is None or pipeline.waiting_approval is None
        if pipeline is not None and followed is None and self._selector.kind in ("commit", "id"):
            return True
        dep = self.deployment_poller.view if self.deployment_poller else None
        return dep is not None and not dep.final

    def _last_operation(self) -> str:
        candidates = [
            p
            for p in (self.deployment_poller, self.pipeline_poller, self.traffic_poller)
            if p is not None
        ]
        return next((p.api.last_operation for p in candidates if p.api.last_operation), "")

    def _last_service(self) -> str:
        if self.deployment_poller is not None and self.deployment_poller.api.last_operation:
            return "codedeploy"
        return "codepipeline" if self.pipeline_poller is not None else "codedeploy"

    def _new_notes(self) -> list[str]:
        fresh = []
        for poller in (self.pipeline_poller, self.deployment_poller, self.traffic_poller):
            if poller is None:
                continue
            for note in poller.notes:
                if note not in self._notes:
                    self._notes.append(note)
                    fresh.append(note)
        return fresh

    # -- outcome -----------------------------------------------------------------------------

    def _decide(self) -> Outcome | None:
        """The followed run's outcome once it (and its deployment) ended; None while running."""
        dep = self.deployment_poller.view if self.deployment_poller else None
        pipeline = self.pipeline_poller.view if self.pipeline_poller else None
        if pipeline is None or self.spec.deployment_id:
            if dep is None or not dep.final:
                return None
            return _deployment_outcome(dep)
        followed = pipeline.followed
        if followed is None or not followed.final:
            return None
        if pipeline.deployment_id and (
            dep is None or (dep.deployment_id == pipeline.deployment_id and not dep.final)
        ):
            return None  # the execution ended first; read the deployment's end too
        if followed.status == "Succeeded":
            result = Outcome("succeeded", "pipeline", followed.execution_id, "Succeeded")
        elif followed.status in STOPPED_EXECUTION_STATUSES:
            result = Outcome("stopped", "pipeline", followed.execution_id, followed.status)
        else:
            result = Outcome(
                "failed", "pipeline", followed.execution_id, followed.status_summary or "Failed"
            )
        if self.spec.keep_following:
            self.last_finished = result
            return None
        return result

    def _error_outcome(self, message: str) -> Outcome:
        pipeline = self.spec.pipeline
        subject: Literal["pipeline", "deployment"] = "pipeline" if pipeline else "deployment"
        return Outcome("error", subject, pipeline or self.spec.deployment_id or "", message)

    def _snapshot(self, delay: float, throttled: str | None, outcome: Outcome | None) -> Snapshot:
        self._sequence += 1
        pipeline: PipelineView | None = self.pipeline_poller.view if self.pipeline_poller else None
        deployment = self.deployment_poller.view if self.deployment_poller else None
        if (
            deployment is not None
            and pipeline is not None
            and self.spec.deployment_id is None
            and pipeline.deployment_id != deployment.deployment_id
        ):
            deployment = None  # a new execution has not linked its deployment yet
        traffic = self.traffic_poller.view if self.traffic_poller else None
        if deployment is not None and deployment.with_traffic and traffic is not None:
            deployment = replace(deployment, traffic=traffic)
        return Snapshot(
            sequence=self._sequence,
            taken_at=self._clock(),
            pipeline=pipeline,
            deployment=deployment,
            history=self._history,
            connection=self._connection,
            throttled_operation=throttled,
            next_poll_seconds=delay,
            notes=tuple(self._notes),
            outcome=outcome,
            agents=self._agents if deployment is not None else (),
        )


def _deployment_outcome(dep: DeploymentView) -> Outcome:
    status = dep.status.value
    if status == "Succeeded":
        return Outcome("succeeded", "deployment", dep.deployment_id, status)
    if status == "Stopped":
        return Outcome("stopped", "deployment", dep.deployment_id, status)
    return Outcome("failed", "deployment", dep.deployment_id, dep.error_message or status)


def _emulator_fault() -> str | None:
    """One line about new failures inside this process's sandbox emulator (None without one)."""
    from wizard.services.sandbox.launcher import running_sandbox

    box = running_sandbox()
    return box.describe_faults() if box is not None else None
