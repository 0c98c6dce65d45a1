"""The monitor screen with the real monitor: `AwsFeed` polling a moto server in the screen's thread
worker, botocore's Stubber only for the APIs moto lacks (GetPipelineState, ListActionExecutions,
ListDeploymentTargets, BatchGetDeploymentTargets). A `Gate` lets the loop poll once per step, so
the test reads the screen after each poll; nothing waits on the clock.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.monitor_scenarios import (
    DeploymentScript,
    Fleet,
    GapStubber,
    create_deployment,
    create_pipeline,
    queue_cycle,
    set_execution,
    start_execution,
)
from tests.relay import Relay
from tests.tui.monitor_gate import Gate, next_update
from tests.tui.waiting import wait_for
from wizard.app.monitor_feed import AwsFeed
from wizard.core.events.lifecycle import IN_PLACE_EVENTS
from wizard.core.exitcodes import ExitCode
from wizard.services.aws.monitor import ExecutionSelector, FollowSpec, PollIntervals
from wizard.services.aws.session import AwsClients
from wizard.tui.monitor_app import MonitorApp
from wizard.tui.screens.monitor import MonitorScreen
from wizard.tui.widgets.monitor_grid import LifecycleGrid

SIZE = (120, 40)
INSTANCES = ["i-0a", "i-0b", "i-0c"]
INTERVALS = PollIntervals(active=2.0, idle=10.0, max_offline=3.0)


@pytest.fixture
def clients(aws_target) -> AwsClients:
    return AwsClients(aws_target, max_attempts=2)


def feed_for(clients: AwsClients, spec: FollowSpec, gate: Gate) -> AwsFeed:
    feed = AwsFeed(clients, spec, intervals=INTERVALS, pause=gate.pause)
    gate.feed = feed
    return feed


async def test_the_real_monitor_follows_a_deployment_to_every_hook(clients) -> None:
    create_pipeline(clients)
    execution = start_execution(clients)
    deployment = create_deployment(clients)
    fleet = Fleet(deployment, INSTANCES)
    pipeline_stub = GapStubber(
        clients.client("codepipeline"), {"GetPipelineState", "ListActionExecutions"}
    )
    target_stub = GapStubber(
        clients.client("codedeploy"), {"ListDeploymentTargets", "BatchGetDeploymentTargets"}
    )
    script = DeploymentScript(target_stub, fleet)

    def frame(advance: Callable[[], None], status: str = "InProgress") -> Callable[[], None]:
        def apply() -> None:
            advance()
            queue_cycle(pipeline_stub, script, execution, status)

        return apply

    def first_instance_done() -> None:
        for ev in IN_PLACE_EVENTS:
            fleet.start("i-0a", ev)
            fleet.finish("i-0a", ev)
        fleet.start("i-0b", "ApplicationStop")

    def the_rest_done() -> None:
        for inst in ("i-0b", "i-0c"):
            for ev in IN_PLACE_EVENTS:
                if fleet.cells[inst][ev].status != "Succeeded":
                    fleet.start(inst, ev)
                    fleet.finish(inst, ev)

    gate = Gate(
        [
            frame(lambda: None),
            frame(first_instance_done),
            frame(the_rest_done, "Succeeded"),
        ]
    )
    spec = FollowSpec(pipeline="demo", execution=ExecutionSelector("newest"), keep_following=True)
    feed = feed_for(clients, spec, gate)
    app = MonitorApp(feed)
    with pipeline_stub, target_stub:
        gate.begin()
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: isinstance(app.screen, MonitorScreen), what="screen")
            screen = app.screen
            assert isinstance(screen, MonitorScreen)
            await wait_for(pilot, lambda: screen.updates == 1, what="the first poll")
            grid = screen.query_one("#grid", LifecycleGrid)
            assert grid.row_count == 3 and grid.rebuilds == 1
            assert all(str(grid.get_cell(i, "ApplicationStop")) == "·" for i in INSTANCES)
            assert "execution" in str(screen.query_one("#flow").content)

            await next_update(pilot, screen, gate)
            assert grid.rebuilds == 1, "the grid is patched, not rebuilt"
            # i-0a: status + 7 cells; i-0b: status + ApplicationStop started
            assert grid.cells_written == 10
            assert str(grid.get_cell("i-0a", "ValidateService")) == "✓ 3s"
            assert str(grid.get_cell("i-0b", "ApplicationStop")).startswith("▶")
            assert "1/3 done" in str(screen.query_one("#overview").content)

            await next_update(pilot, screen, gate)
            assert grid.rebuilds == 1
            assert all(str(grid.get_cell(i, "ValidateService")) == "✓ 3s" for i in INSTANCES)
            assert "finished ✓" in str(screen.query_one("#mon-status").content)
            assert not screen.query_one("#failure").display
            assert "release" in screen.offered and "redeploy_last_success" in screen.offered
            pipeline_stub.assert_no_pending_responses()
            target_stub.assert_no_pending_responses()
            await pilot.press("q")
    assert app.return_value == ExitCode.OK
    assert feed.closed
    assert feed.ended.wait(5), "the poll loop ends with the screen"


async def test_a_network_outage_shows_a_banner_and_the_screen_recovers(aws_target) -> None:
    setup = AwsClients(aws_target)
    create_pipeline(setup)
    execution = start_execution(setup)
    relay = Relay(aws_target.endpoint_url)
    relay.up()
    clients = relay.clients(aws_target.region)
    gate = Gate([lambda: None, relay.down, relay.up])
    feed = feed_for(clients, FollowSpec(pipeline="demo"), gate)
    app = MonitorApp(feed)
    try:
        gate.begin()
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: isinstance(app.screen, MonitorScreen), what="screen")
            screen = app.screen
            assert isinstance(screen, MonitorScreen)
            await wait_for(pilot, lambda: screen.updates == 1, what="the first poll")
            banner = screen.query_one("#banner")
            assert not banner.display or not banner.has_class("-error")

            await next_update(pilot, screen, gate)  # the relay is down
            assert banner.display and banner.has_class("-error")
            assert "AWS unreachable" in str(banner.content)
            assert "Could not connect to the endpoint URL" in str(banner.content)
            assert screen.query_one("#flow").display, "the last good view stays"

            set_execution("demo", execution, "Succeeded")
            await next_update(pilot, screen, gate)  # back up
            assert not banner.has_class("-error")
            assert any("cannot reach AWS" in line for line in screen.activity)
            assert any("connection to AWS restored" in line for line in screen.activity)
            # retried sooner while offline than the idle interval
            assert gate.delays[1] is not None and gate.delays[1] <= INTERVALS.max_offline
    finally:
        relay.down()
    assert feed.ended.wait(5), "the poll loop ends with the screen"
