"""The real monitor screen on a sandbox pipeline that waits at production's approval (Source,
Deploy-staging, Approve-production, Deploy-production): no Stubber, the real `AwsFeed` polls the
sandbox over HTTP. The screen shows the wait (its message and link); `v` (or `x`), a comment,
`y` answer it with PutApprovalResult; the sandbox records the answer and, as the fake clock moves
between polls, the run goes on to production (the deployment panel follows it) or fails.

A `Gate` holds the feed between polls; the test advances the sandbox's clock, then lets it poll
once. The screen's and the monitor's clocks are the sandbox's, so nothing depends on the time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.sandbox_delivery_support import FakeClock, Stack, run_until
from tests.test_sandbox_delivery_approval import LINK, MESSAGE, PRODUCTION, STAGING
from tests.test_sandbox_delivery_approval import _environments as environments
from tests.test_sandbox_delivery_approval import _push as push
from tests.tui.monitor_gate import Gate, next_update
from tests.tui.test_monitor_approval_ui import comment, confirm, dialog_text, first_poll
from tests.tui.waiting import wait_for
from wizard.app.monitor_feed import AwsFeed
from wizard.core.timeline import Snapshot
from wizard.services.aws.monitor import (
    ExecutionSelector,
    FollowSpec,
    PollIntervals,
    monitor_clients,
)
from wizard.services.aws.session import AwsClients
from wizard.tui.monitor_app import MonitorApp
from wizard.tui.screens.monitor import MonitorScreen
from wizard.tui.screens.monitor_modals import ActionDialog
from wizard.tui.widgets.monitor_parts import PipelineFlow

SIZE = (120, 40)
INTERVALS = PollIntervals(active=2.0, idle=10.0)
#: the sandbox's clock moves this much between two polls (a deployment step takes ~1 s)
STEP = 5.0


@pytest.fixture
def clients(sandbox_endpoint: str, aws_target: Any) -> AwsClients:
    return monitor_clients(aws_target, max_attempts=2)


@pytest.fixture
def stack(clients: AwsClients) -> Stack:
    return Stack(clients)


def approval(stack: Stack) -> dict[str, Any]:
    """Approve-production's action state, from GetPipelineState."""
    state = stack.client("codepipeline").get_pipeline_state(name=stack.pipeline)
    stage = next(s for s in state["stageStates"] if s["stageName"] == "Approve-production")
    return dict(stage["actionStates"][0].get("latestExecution") or {})


def at_the_approval(stack: Stack, clock: FakeClock) -> str:
    """A run that deployed staging and now waits for production's approval."""
    environments(stack)
    clock.advance(5)
    execution = push(stack, "1")
    run_until(clock, lambda: approval(stack).get("status") == "InProgress" or None)
    return execution


class Watching:
    """The monitor app on the sandbox, its feed held by a gate between polls."""

    def __init__(self, clients: AwsClients, stack: Stack, clock: FakeClock, execution: str):
        def now() -> datetime:
            return datetime.fromtimestamp(clock.t, UTC)

        self.clock = clock
        self.gate = Gate()
        spec = FollowSpec(pipeline=stack.pipeline, execution=ExecutionSelector("id", execution))
        self.feed = AwsFeed(clients, spec, intervals=INTERVALS, pause=self.gate.pause, clock=now)
        self.gate.feed = self.feed
        self.app = MonitorApp(self.feed, clock=now)

    async def until(self, pilot: Any, screen: MonitorScreen, done: Any, limit: int = 120) -> None:
        """Advance the sandbox's clock and poll once, until `done(snapshot)`."""
        for _ in range(limit):
            snapshot = screen.snapshot
            if snapshot is not None and done(snapshot):
                return
            self.clock.advance(STEP)
            await next_update(pilot, screen, self.gate, frame=False)
        raise AssertionError("the monitor never got there")


def ended(snapshot: Snapshot) -> bool:
    return snapshot.outcome is not None


async def test_v_approves_the_sandboxs_wait_and_the_screen_follows_production(
    clients: AwsClients, stack: Stack, sim_clock: FakeClock
) -> None:
    execution = at_the_approval(stack, sim_clock)
    watching = Watching(clients, stack, sim_clock, execution)
    app = watching.app
    async with app.run_test(size=SIZE) as pilot:
        screen = await first_poll(app, pilot)
        assert {"approve", "reject"} <= screen.offered
        flow = str(screen.query_one(PipelineFlow).render())
        assert "Approve-production waits" in flow
        assert MESSAGE in flow and LINK in flow
        overview = screen.query_one("#overview")
        assert f"/{STAGING[0]}" in str(overview.content), "staging's deployment so far"

        await comment(app, pilot, "v", "ship it")
        await wait_for(pilot, lambda: isinstance(app.screen, ActionDialog), what="confirm")
        assert f"Approve stage Approve-production of pipeline {stack.pipeline}" in (
            dialog_text(app)
        )
        await confirm(app, pilot, screen)
        assert 'approved stage Approve-production: "ship it"' in screen.activity[-1]
        decided = approval(stack)
        assert (decided["status"], decided["summary"]) == ("Succeeded", "ship it")
        assert "token" not in decided

        production = f"/{PRODUCTION[0]}"
        await watching.until(pilot, screen, lambda _: production in str(overview.content))
        assert screen.snapshot is not None and screen.snapshot.outcome is None, "still deploying"
        await watching.until(pilot, screen, ended)

        end = screen.snapshot
        assert end is not None and end.outcome is not None
        assert end.outcome.result == "succeeded", end.outcome
        assert end.deployment is not None and end.deployment.group == PRODUCTION[0]
        assert end.deployment.status.value == "Succeeded"
        assert production in str(overview.content)
        assert stack.execution(execution)["status"] == "Succeeded"
        assert "finished ✓" in str(screen.query_one("#mon-status").content)
        await pilot.press("q")
    assert watching.feed.ended.wait(5), "the poll loop ends with the screen"


async def test_x_rejects_with_a_comment_and_the_run_fails(
    clients: AwsClients, stack: Stack, sim_clock: FakeClock
) -> None:
    execution = at_the_approval(stack, sim_clock)
    watching = Watching(clients, stack, sim_clock, execution)
    app = watching.app
    async with app.run_test(size=SIZE) as pilot:
        screen = await first_poll(app, pilot)
        assert "Approve-production waits" in str(screen.query_one(PipelineFlow).render())

        await comment(app, pilot, "x", "not on a Friday")
        await wait_for(pilot, lambda: isinstance(app.screen, ActionDialog), what="confirm")
        assert "Reject stage Approve-production" in dialog_text(app)
        await confirm(app, pilot, screen)
        assert 'rejected stage Approve-production: "not on a Friday"' in screen.activity[-1]
        decided = approval(stack)
        assert (decided["status"], decided["summary"]) == ("Failed", "not on a Friday")

        await watching.until(pilot, screen, ended)
        end = screen.snapshot
        assert end is not None and end.outcome is not None
        assert end.outcome.result == "failed", end.outcome
        assert end.pipeline is not None
        assert end.pipeline.executions[0].progress == "staging ✓ · approval ✗ rejected"
        assert end.deployment is not None and end.deployment.group == STAGING[0]
        assert stack.execution(execution)["status"] == "Failed"
        assert "latestExecution" not in next(
            s
            for s in stack.client("codepipeline").get_pipeline_state(name=stack.pipeline)[
                "stageStates"
            ]
            if s["stageName"] == "Deploy-production"
        ), "production was never deployed"
        await pilot.press("q")
    assert watching.feed.ended.wait(5), "the poll loop ends with the screen"
