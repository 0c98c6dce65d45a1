"""A waiting manual approval on the monitor screen: the flow shows it (message and link), `v`
approves and `x` rejects — a comment dialog first, then the confirmation with the exact call,
then PutApprovalResult with the token from GetPipelineState. The real `AwsFeed` polls moto once
(a `Gate` holds it after that); the Stubber answers the CodePipeline state APIs moto lacks."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from textual.widgets import Static

from tests.approval_scenarios import MESSAGE, TOKEN, URL, Step, create_env_pipeline, queue_poll
from tests.monitor_scenarios import GapStubber, start_execution
from tests.tui.monitor_gate import Gate
from tests.tui.waiting import wait_for
from wizard.app.monitor_feed import AwsFeed
from wizard.services.aws.monitor import FollowSpec, PollIntervals
from wizard.services.aws.session import AwsClients
from wizard.tui.monitor_app import MonitorApp
from wizard.tui.screens.monitor import MonitorScreen
from wizard.tui.screens.monitor_modals import ActionDialog, CommentDialog
from wizard.tui.widgets.monitor_parts import PipelineFlow

SIZE = (120, 40)
APIS = {"GetPipelineState", "ListActionExecutions", "PutApprovalResult"}


@pytest.fixture
def clients(aws_target) -> AwsClients:
    return AwsClients(aws_target, max_attempts=2)


def waiting(clients: AwsClients) -> GapStubber:
    create_env_pipeline(clients)
    execution = start_execution(clients, "shop")
    stub = GapStubber(clients.client("codepipeline"), APIS)
    steps = {
        "Source": Step("Succeeded"),
        "Deploy-staging": Step("Succeeded"),
        "Approve-production": Step("InProgress"),
    }
    queue_poll(stub, "shop", execution, steps)
    return stub


def expect_put(stub: GapStubber, status: str, summary: str) -> None:
    stub.add_response(
        "put_approval_result",
        {"approvedAt": datetime(2026, 1, 2, tzinfo=UTC)},
        {
            "pipelineName": "shop",
            "stageName": "Approve-production",
            "actionName": "Approve",
            "result": {"summary": summary, "status": status},
            "token": TOKEN,
        },
    )


def watching(clients: AwsClients) -> MonitorApp:
    gate = Gate()
    feed = AwsFeed(
        clients,
        FollowSpec(pipeline="shop"),
        intervals=PollIntervals(active=2.0, idle=10.0),
        pause=gate.pause,
    )
    gate.feed = feed
    return MonitorApp(feed)


async def first_poll(app: MonitorApp, pilot) -> MonitorScreen:
    await wait_for(pilot, lambda: isinstance(app.screen, MonitorScreen), what="the monitor")
    screen = app.screen
    assert isinstance(screen, MonitorScreen)
    await wait_for(pilot, lambda: screen.updates >= 1, what="the first poll", timeout=30)
    return screen


async def comment(app: MonitorApp, pilot, key: str, text: str) -> CommentDialog:
    await pilot.press(key)
    await wait_for(pilot, lambda: isinstance(app.screen, CommentDialog), what="the comment")
    dialog = app.screen
    assert isinstance(dialog, CommentDialog)
    if text:
        await pilot.press(*text)
    await pilot.press("enter")
    return dialog


def dialog_text(app: MonitorApp) -> str:
    dialog = app.screen
    title = str(dialog.query_one(".dialog-title", Static).content)
    return title + "\n" + str(dialog.query_one(".dialog-body", Static).content)


async def confirm(app: MonitorApp, pilot, screen: MonitorScreen) -> None:
    done = len(screen.activity)
    await pilot.press("y")
    await wait_for(
        pilot,
        lambda: screen.busy is None and len(screen.activity) > done and app.screen is screen,
        what="the answer to be sent",
        timeout=60,
    )


async def test_v_asks_for_a_comment_then_confirms_then_approves(clients) -> None:
    stub = waiting(clients)
    expect_put(stub, "Approved", "ship it")
    app = watching(clients)
    with stub:
        async with app.run_test(size=SIZE) as pilot:
            screen = await first_poll(app, pilot)
            assert {"approve", "reject"} <= screen.offered
            flow = str(screen.query_one(PipelineFlow).render())
            assert "Approve-production waits" in flow
            assert MESSAGE in flow and URL in flow

            await comment(app, pilot, "v", "ship it")
            await wait_for(pilot, lambda: isinstance(app.screen, ActionDialog), what="confirm")
            text = dialog_text(app)
            assert text.startswith("Approve?")
            assert "Approve stage Approve-production of pipeline shop" in text
            assert "codepipeline:PutApprovalResult pipelineName=shop" in text
            assert not app.screen.danger
            await confirm(app, pilot, screen)
            stub.assert_no_pending_responses()
            assert 'approved stage Approve-production: "ship it"' in screen.activity[-1]


async def test_x_needs_a_comment_and_esc_changes_nothing(clients) -> None:
    stub = waiting(clients)
    expect_put(stub, "Rejected", "500s")
    app = watching(clients)
    with stub:
        async with app.run_test(size=SIZE) as pilot:
            screen = await first_poll(app, pilot)
            dialog = await comment(app, pilot, "x", "")
            problem = dialog.query_one("#comment-problem", Static)
            await wait_for(pilot, lambda: "needs a comment" in str(problem.content), what="why")
            assert app.screen is dialog, "an empty rejection goes nowhere"
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is screen, what="back on the monitor")
            assert "cancelled, nothing was changed" in screen.activity[-1]

            await comment(app, pilot, "x", "500s")
            await wait_for(pilot, lambda: isinstance(app.screen, ActionDialog), what="confirm")
            assert "Reject stage Approve-production" in dialog_text(app)
            assert app.screen.danger, "rejecting is shown as dangerous"
            await confirm(app, pilot, screen)
            stub.assert_no_pending_responses()
            assert 'rejected stage Approve-production: "500s"' in screen.activity[-1]
