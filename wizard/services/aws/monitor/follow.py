"""Run a `Monitor` to the end for the CLI: events to a sink, heartbeat activity, `--timeout`,
the process exit code — and, after `cdwizard ship`, finding the execution the push triggered."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol

from wizard.core.events.approval import ApprovalWaiting
from wizard.core.events.base import Event, Notice, format_duration
from wizard.core.exitcodes import ExitCode
from wizard.core.timeline import Outcome, Snapshot
from wizard.services.aws.monitor.actions import release_change
from wizard.services.aws.monitor.monitor import Monitor, MonitorUpdate


class Sink(Protocol):
    def emit(self, event: Event) -> None: ...


@dataclass(frozen=True)
class FollowResult:
    exit_code: int
    outcome: Outcome | None
    timed_out: bool = False


#: How the CLI is run again to answer an approval; commands pass the user's exact flags.
MONITOR = "cdwizard monitor"


def answer_hint(answer_with: str) -> str:
    """The two commands that answer a waiting approval."""
    return f"{answer_with} --approve  or  {answer_with} --reject --comment TEXT"


def activity(snapshot: Snapshot, answer_with: str = MONITOR) -> str:
    """What the heartbeat says we are waiting for."""
    dep = snapshot.deployment
    if dep is not None and not dep.final:
        done = dep.overview.succeeded + dep.overview.failed + dep.overview.skipped
        total = dep.total_instances
        return f"waiting for deployment {dep.deployment_id} ({done} of {total} instances done)"
    pipeline = snapshot.pipeline
    waiting = pipeline.waiting_approval if pipeline is not None else None
    if pipeline is not None and waiting is not None:
        return (
            f"waiting for approval of stage {waiting.stage} of pipeline {pipeline.name} "
            f"({answer_hint(answer_with)})"
        )
    if pipeline is not None:
        running = next((s.name for s in pipeline.stages if s.status == "InProgress"), None)
        followed = pipeline.followed
        if followed is not None and not followed.final:
            where = f", stage {running}" if running else ""
            run = followed.execution_id[:8]
            return f"waiting for pipeline {pipeline.name} execution {run}{where}"
        return f"watching pipeline {pipeline.name} for a new execution"
    return "watching"


def _attach(monitor: Monitor, sink: Sink, answer_with: str) -> None:
    def on_update(update: MonitorUpdate) -> None:
        for event in update.events:
            sink.emit(event)
            if isinstance(event, ApprovalWaiting):
                sink.emit(Notice(text=f"answer it with: {answer_hint(answer_with)}"))
        set_activity = getattr(sink, "set_activity", None)
        if set_activity is not None:
            set_activity(activity(update.snapshot, answer_with))

    monitor.subscribe(on_update)


def _finish(
    monitor: Monitor, sink: Sink, timeout: float | None, waited: float, answer_with: str
) -> FollowResult:
    try:
        remaining = None if timeout is None else max(0.0, timeout - waited)
        outcome = monitor.wait(remaining)
    finally:
        monitor.stop()
        monitor.join(timeout=10)
    if monitor.crash is not None:
        raise monitor.crash
    if outcome is not None:
        return FollowResult(int(outcome.exit_code), outcome)
    latest = monitor.latest
    if monitor.spec.keep_following and (latest is None or not latest.active):
        last = monitor.last_finished
        code = int(last.exit_code) if last else int(ExitCode.OK)
        sink.emit(Notice(text=f"stopped watching after {format_duration(timeout or 0)}"))
        return FollowResult(code, last, timed_out=True)
    sink.emit(
        Notice(
            level="error",
            text=f"gave up waiting after {format_duration(timeout or 0)} (--timeout)",
            hint=(
                activity(latest, answer_with).replace("waiting for", "still waiting for")
                if latest
                else None
            ),
        )
    )
    return FollowResult(int(ExitCode.TIMED_OUT), None, timed_out=True)


def follow(
    monitor: Monitor, sink: Sink, *, timeout: float | None = None, answer_with: str = MONITOR
) -> FollowResult:
    """Start `monitor`, print its events, wait for the outcome (or `timeout` seconds).
    `answer_with`: the monitor command line, as the user runs it, that answers an approval."""
    _attach(monitor, sink, answer_with)
    monitor.start()
    return _finish(monitor, sink, timeout, 0.0, answer_with)


def follow_commit(
    monitor: Monitor,
    sink: Sink,
    *,
    trigger_wait: float,
    release_now: bool = False,
    timeout: float | None = None,
    answer_with: str = MONITOR,
) -> FollowResult:
    """Follow the execution of a pushed commit (the monitor's selector names it).

    A push starts the pipeline through its EventBridge rule or polling. If no execution of the
    commit shows up within `trigger_wait` seconds (or `release_now`: nothing new was pushed), the
    pipeline is started explicitly with StartPipelineExecution and that execution is followed.
    """
    pipeline = monitor.spec.pipeline
    if pipeline is None:
        raise ValueError("follow_commit needs a pipeline to watch")
    started = time.monotonic()
    _attach(monitor, sink, answer_with)
    if release_now:
        plan = release_change(monitor.clients, pipeline)
        sink.emit(Notice(text="nothing new to push: releasing the branch head again"))
        sink.emit(Notice(text=plan.description))
        monitor.follow_execution(plan.execute().ids["pipelineExecutionId"])
        monitor.start()
        return _finish(monitor, sink, timeout, 0.0, answer_with)
    monitor.start()
    limit = trigger_wait if timeout is None else min(trigger_wait, timeout)
    seen = monitor.wait_until(
        lambda s: (
            s.outcome is not None or (s.pipeline is not None and s.pipeline.followed_id is not None)
        ),
        limit,
    )
    if seen is None and monitor.running and (timeout is None or timeout > trigger_wait):
        plan = release_change(monitor.clients, pipeline)
        sink.emit(
            Notice(
                text=f"no execution of the pushed commit started within "
                f"{format_duration(trigger_wait)}",
                hint="is the pipeline's change detection in place: its EventBridge rule, or for "
                "GitHub, GitLab and Bitbucket an AVAILABLE connection?",
            )
        )
        sink.emit(Notice(text=plan.description))
        monitor.follow_execution(plan.execute().ids["pipelineExecutionId"])
    return _finish(monitor, sink, timeout, time.monotonic() - started, answer_with)
