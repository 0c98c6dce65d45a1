"""The monitor screen for a deployment behind a load balancer: the target group's line in the
deployment panel (counts and URL), the traffic columns of the grid, instances leaving and
rejoining in the activity log, and an AllowTraffic failure explained in the failure panel."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from textual.widgets import Static

from tests.tui.monitor_frames import (
    FLEET,
    QuietFeed,
    at,
    deployment,
    frozen_clock,
    pipeline,
    snap,
    update,
)
from tests.tui.waiting import wait_for
from wizard.core.events.lifecycle import IN_PLACE_EVENTS_WITH_TRAFFIC, LifecycleStatus
from wizard.core.timeline import (
    InstanceView,
    LifecycleCell,
    Snapshot,
    TargetHealthView,
    TrafficView,
    diff,
)
from wizard.tui.monitor_app import MonitorApp
from wizard.tui.screens.monitor import MonitorScreen, SnapshotArrived
from wizard.tui.widgets.monitor_grid import LifecycleGrid, event_names

URL = "http://shop-1234567890.eu-west-1.elb.amazonaws.com"


def traffic_row(target: str, done: int, running: str | None = None, failed: str | None = None):
    """An instance whose first `done` events succeeded, then `running` or `failed`."""
    events = []
    for n, name in enumerate(IN_PLACE_EVENTS_WITH_TRAFFIC):
        if n < done:
            status, began, ended = LifecycleStatus.SUCCEEDED, at(n * 3), at(n * 3 + 3)
        elif name == running:
            status, began, ended = LifecycleStatus.IN_PROGRESS, at(n * 3), None
        elif name == failed:
            status, began, ended = LifecycleStatus.FAILED, at(n * 3), at(n * 3 + 300)
        elif failed:
            status, began, ended = LifecycleStatus.SKIPPED, None, None
        else:
            status, began, ended = LifecycleStatus.PENDING, None, None
        events.append(LifecycleCell(name, status, began, ended))
    if failed:
        state = "Failed"
    elif done == len(IN_PLACE_EVENTS_WITH_TRAFFIC):
        state = "Succeeded"
    else:
        state = "InProgress" if running else "Pending"
    return InstanceView(target_id=target, status=state, updated_at=at(30), events=tuple(events))


def traffic(*states: tuple[str, str, str | None, str | None]) -> TrafficView:
    return TrafficView(
        target_group="shop-tg",
        target_group_arn="arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/"
        "shop-tg/0123456789abcdef",
        load_balancer_url=URL,
        health_check_path="/health",
        health_check_port="traffic-port",
        targets=tuple(TargetHealthView(t, s, r, d) for t, s, r, d in states),
    )


def frame(seq: int, rows: list[InstanceView], view: TrafficView | None, **kw: Any) -> Snapshot:
    dep = deployment(*rows, target_groups=("shop-tg",), traffic=view, **kw)
    return snap(seq, pipeline=pipeline(), deployment=dep)


async def post(app: MonitorApp, pilot: Any, previous: Snapshot | None, new: Snapshot) -> None:
    screen = app.screen
    assert isinstance(screen, MonitorScreen)
    seen = screen.updates
    screen.post_message(SnapshotArrived(update(new, *diff(previous, new))))
    await wait_for(pilot, lambda: screen.updates > seen, what="the update")


async def test_the_deployment_panel_and_the_grid_show_the_traffic() -> None:
    a, b, c = FLEET
    healthy = [(t, "healthy", None, None) for t in FLEET]
    first = frame(1, [traffic_row(t, 0) for t in FLEET], traffic(*healthy))
    draining = frame(
        2,
        [traffic_row(a, 1, running="BlockTraffic"), traffic_row(b, 0), traffic_row(c, 0)],
        traffic(
            (
                a,
                "draining",
                "Target.DeregistrationInProgress",
                "Target deregistration is in progress",
            ),
            *healthy[1:],
        ),
    )
    app = MonitorApp(QuietFeed(), clock=frozen_clock)
    async with app.run_test(size=(140, 44)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, MonitorScreen), what="the monitor")
        await post(app, pilot, None, first)
        screen = app.screen
        assert isinstance(screen, MonitorScreen)
        assert screen.has_class("-traffic")
        overview = str(screen.query_one("#overview", Static).content)
        assert f"target group shop-tg: 3 healthy · {URL}" in overview
        assert overview.splitlines()[-1].startswith("recent")  # the sparkline keeps its line
        grid = screen.query_one("#grid", LifecycleGrid)
        assert grid.columns_shown[:3] == ("BeforeBlockTraffic", "BlockTraffic", "AfterBlockTraffic")
        assert grid.columns_shown[-3:] == (
            "BeforeAllowTraffic",
            "AllowTraffic",
            "AfterAllowTraffic",
        )
        await post(app, pilot, first, draining)
        overview = str(screen.query_one("#overview", Static).content)
        assert "target group shop-tg: 2 healthy, 1 draining" in overview
        assert str(grid.get_cell(a, "BlockTraffic")).startswith("▶")
        assert any(
            f"{a} leaves target group shop-tg: draining" in line and "(2 of 3 healthy)" in line
            for line in screen.activity
        )


def test_grid_columns_before_any_instance_reports() -> None:
    dep = deployment(target_groups=("shop-tg",))
    assert event_names(dep) == IN_PLACE_EVENTS_WITH_TRAFFIC
    assert "BlockTraffic" not in event_names(replace(dep, target_groups=()))


async def test_an_allow_traffic_failure_is_explained_with_the_health_check() -> None:
    a, b, c = FLEET
    rows = [
        traffic_row(a, 10, failed="AllowTraffic"),
        traffic_row(b, 0),
        traffic_row(c, 0),
    ]
    for row in rows[1:]:
        assert row.status == "Pending"
    failed = frame(
        1,
        rows,
        traffic(
            (
                a,
                "unhealthy",
                "Target.ResponseCodeMismatch",
                "Health checks failed with these codes: [404]",
            ),
            (b, "healthy", None, None),
            (c, "healthy", None, None),
        ),
        status="Failed",
        error_code="HEALTH_CONSTRAINTS",
    )
    app = MonitorApp(QuietFeed(), clock=frozen_clock)
    async with app.run_test(size=(140, 44)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, MonitorScreen), what="the monitor")
        await post(app, pilot, None, failed)
        screen = app.screen
        assert isinstance(screen, MonitorScreen)
        panel = str(screen.query_one("#failure-text", Static).content)
        assert "1 of 3 instances never became healthy in target group shop-tg" in panel
        assert "GET /health on the traffic port, expecting 200" in panel
        assert "Target.ResponseCodeMismatch: Health checks failed with these codes: [404]" in panel
        assert "make the health check path answer 200" in panel
        grid = screen.query_one("#grid", LifecycleGrid)
        assert str(grid.get_cell(a, "AllowTraffic")).startswith("✗")
        assert grid.selected_instance() == a
