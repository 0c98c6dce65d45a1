"""The monitor screen fed frozen snapshots by message injection (memray style): what each part
shows, that an update patches only what changed, the failure panel, the banner, the keys.

The feed here never polls (`QuietFeed`); the test posts the `SnapshotArrived` messages the
worker would post, each with the events `timeline.diff` derives, and waits on conditions.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from rich.text import Text
from textual.widgets import Static

from tests.tui.monitor_frames import (
    DEPLOYMENT,
    EXECUTION,
    FLEET,
    QuietFeed,
    application_stop_snapshot,
    branch_missing_snapshot,
    failed_snapshot,
    fleet,
    frozen_clock,
    offline,
    running_snapshot,
    snap,
    update,
)
from tests.tui.waiting import wait_for
from wizard.core.exitcodes import ExitCode
from wizard.core.timeline import Snapshot, diff
from wizard.tui.monitor_app import MonitorApp
from wizard.tui.screens.monitor import MonitorScreen, SnapshotArrived
from wizard.tui.widgets.monitor_grid import LifecycleGrid
from wizard.tui.widgets.monitor_views import ExecutionHistory

SIZE = (120, 40)


def text(screen: MonitorScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).content)


def footer_keys(screen: MonitorScreen) -> set[str]:
    """The keys the footer shows as usable now."""
    return {k for k, b in screen.active_bindings.items() if b.binding.show and b.enabled}


def cell(grid: LifecycleGrid, row: str, column: str) -> Text:
    return grid.get_cell(row, column)


class Session:
    """Posts snapshots as the feed's worker would, each with its diff events."""

    def __init__(self, app: MonitorApp, pilot) -> None:
        self.app = app
        self.pilot = pilot
        self.previous: Snapshot | None = None

    @property
    def screen(self) -> MonitorScreen:
        screen = self.app.screen
        assert isinstance(screen, MonitorScreen), screen
        return screen

    async def post(self, snapshot: Snapshot) -> MonitorScreen:
        screen = self.screen
        seen = screen.updates
        screen.post_message(SnapshotArrived(update(snapshot, *diff(self.previous, snapshot))))
        self.previous = snapshot
        await wait_for(self.pilot, lambda: screen.updates > seen, what="the update")
        return screen


async def started(app: MonitorApp, pilot) -> Session:
    await wait_for(pilot, lambda: isinstance(app.screen, MonitorScreen), what="the monitor")
    return Session(app, pilot)


async def test_a_running_deployment_reads_from_commit_to_every_hook() -> None:
    feed = QuietFeed()
    app = MonitorApp(feed, clock=frozen_clock)
    async with app.run_test(size=SIZE) as pilot:
        session = await started(app, pilot)
        screen = await session.post(running_snapshot())
        flow = text(screen, "#flow")
        assert "Source ✓ 4s" in flow and "Deploy ▶ 1m40s" in flow
        assert 'commit a1b2c3d "Health check waits for the port"' in flow
        assert "trigger push (event)" in flow
        history = screen.query_one("#history", ExecutionHistory)
        assert history.row_count == 4
        assert str(history.get_cell(EXECUTION, "mark")) == "▶"
        assert str(history.get_cell(EXECUTION, "trigger")) == "push (event)"
        overview = text(screen, "#overview")
        assert "d-7Q2H5K9XA ▶ InProgress" in overview
        assert "1/3 done" in overview
        assert "1 ok · 0 failed · 1 running · 1 pending · 0 skipped" in overview
        assert "median 1m34s of 8" in overview  # the duration sparkline's caption
        grid = screen.query_one("#grid", LifecycleGrid)
        assert grid.row_count == 3
        a, b, c = FLEET
        assert str(cell(grid, a, "ValidateService")) == "✓ 3s"
        assert str(cell(grid, b, "AfterInstall")) == "▶ 1m23s"  # running: elapsed on the clock
        assert str(cell(grid, c, "ApplicationStop")) == "·"
        assert str(cell(grid, b, "status")) == "▶ running"
        assert not screen.query_one("#failure").display
        assert not screen.query_one("#banner").display
        assert screen.offered == {"release", "stop", "stop_rollback", "fetch_log", "ship"}


async def test_ten_of_a_thousand_instances_moving_patch_ten_rows() -> None:
    app = MonitorApp(QuietFeed(), clock=frozen_clock)
    async with app.run_test(size=SIZE) as pilot:
        session = await started(app, pilot)
        first = fleet(1000)
        screen = await session.post(snap(1, deployment=first))
        grid = screen.query_one("#grid", LifecycleGrid)
        assert (grid.row_count, grid.rebuilds) == (1000, 1)
        moved = fleet(1000, changed=10, base=first)
        await session.post(snap(2, deployment=moved))
        # BeforeInstall finished and Install started on 10 rows: 2 cells each, no rebuild
        assert grid.rebuilds == 1
        assert grid.cells_written == 20
        target = moved.instances[3].target_id
        assert str(cell(grid, target, "Install")).startswith("▶")
        untouched = moved.instances[500].target_id
        assert str(cell(grid, untouched, "BeforeInstall")).startswith("▶")
        # an identical snapshot writes nothing at all
        await session.post(snap(3, deployment=moved))
        assert (grid.rebuilds, grid.cells_written) == (1, 0)
        # the row cursor scrolls through the fleet under a header that stays
        grid.focus()
        await pilot.press("end")
        assert grid.selected_instance() == moved.instances[-1].target_id
        assert grid.scroll_offset.y > 0
        assert "Instance" in grid.render_line(0).text
        await pilot.press("home", "down", "down")
        assert grid.selected_instance() == moved.instances[2].target_id
        assert grid.scroll_offset.y == 0
        # another deployment is a new grid
        await session.post(snap(4, deployment=replace(moved, deployment_id="d-OTHER0001")))
        assert grid.rebuilds == 2


async def test_a_failure_opens_the_panel_with_the_diagnostic_and_log_tail() -> None:
    app = MonitorApp(QuietFeed(), clock=frozen_clock)
    async with app.run_test(size=SIZE) as pilot:
        session = await started(app, pilot)
        await session.post(running_snapshot(1))
        screen = await session.post(failed_snapshot(2))
        assert screen.query_one("#failure").display
        panel = text(screen, "#failure-text")
        assert "✗ 2 of 3 instances failed at AfterInstall (exit 2)" in panel
        assert "CodeDeploy stopped the deployment (HEALTH_CONSTRAINTS)" in panel
        assert "fix scripts/after_install.sh and push the fix" in panel
        assert "press l to fetch the full scripts.log" in panel
        where = "i-0a1b2c3d4e5f60001 · AfterInstall · ScriptFailed · scripts/after_install.sh"
        assert where in panel
        assert "ERROR: No matching distribution found for fastapi==99" in panel
        grid = screen.query_one("#grid", LifecycleGrid)
        failed = cell(grid, FLEET[0], "AfterInstall")
        assert str(failed) == "✗ exit 2"
        assert failed.style and "on" in str(failed.style), "the failing cell is highlighted"
        assert str(cell(grid, FLEET[0], "ValidateService")) == "– skip"
        assert grid.selected_instance() == FLEET[0], "the cursor goes to the failed instance"
        assert {"fetch_log", "redeploy_last_success", "retry_failed"} <= screen.offered
        assert not {"stop", "stop_rollback"} & screen.offered, "nothing runs any more"
        lines = screen.activity
        assert any("2 of 3 instances failed at AfterInstall" in line for line in lines)
        assert any("│ ERROR: No matching distribution" in line for line in lines)
        await pilot.press("q")
    assert app.return_value == ExitCode.DEPLOY_FAILED


async def test_application_stop_offers_the_redeploy_that_skips_it() -> None:
    app = MonitorApp(QuietFeed(), clock=frozen_clock)
    async with app.run_test(size=SIZE) as pilot:
        session = await started(app, pilot)
        screen = await session.post(application_stop_snapshot())
        panel = text(screen, "#failure-text")
        assert "runs the script of the revision last installed successfully" in panel
        assert "s3://shop-artifacts/shop/Source/w0Xy.zip" in panel
        assert "press i to redeploy ignoring ApplicationStop failures" in panel
        assert "redeploy_ignore_stop" in screen.offered
        assert "i" in footer_keys(screen)


async def test_a_missing_branch_is_said_in_those_words_and_offers_ship() -> None:
    app = MonitorApp(QuietFeed(), clock=frozen_clock)
    async with app.run_test(size=SIZE) as pilot:
        session = await started(app, pilot)
        screen = await session.post(branch_missing_snapshot())
        panel = text(screen, "#failure-text")
        assert "branch 'main' does not exist in repository 'shop'" in panel
        assert "press p to ship the payload" in panel
        assert "✗ Source/Source: The action failed because no branch named main" in text(
            screen, "#flow"
        )
        assert not screen.query_one("#grid").display, "no deployment: no grid"
        assert "no deployment yet" in text(screen, "#overview")
        assert "ship" in screen.offered


async def test_a_network_error_shows_a_banner_and_recovers() -> None:
    app = MonitorApp(QuietFeed(), clock=frozen_clock)
    async with app.run_test(size=SIZE) as pilot:
        session = await started(app, pilot)
        good = running_snapshot(1)
        await session.post(good)
        screen = await session.post(offline(good, 2))
        banner = screen.query_one("#banner", Static)
        assert banner.display and banner.has_class("-error")
        assert "AWS unreachable for 15s (codedeploy GetDeployment)" in str(banner.content)
        assert "retrying in 4s" in str(banner.content)
        grid = screen.query_one("#grid", LifecycleGrid)
        assert grid.row_count == 3, "the last good view stays on screen"
        await session.post(replace(good, sequence=3, taken_at=good.taken_at))
        assert not banner.display
        lines = screen.activity
        assert any("cannot reach AWS" in line for line in lines)
        assert any("connection to AWS restored" in line for line in lines)


async def test_keys_follow_the_state_and_leaving_closes_the_feed() -> None:
    feed = QuietFeed()
    app = MonitorApp(feed, clock=frozen_clock)
    async with app.run_test(size=SIZE) as pilot:
        session = await started(app, pilot)
        screen = session.screen

        def shown() -> set[str]:
            return {
                b.binding.action
                for b in screen.active_bindings.values()
                if b.binding.show and b.enabled
            }

        assert "act('release')" not in shown(), "no snapshot yet: no actions"
        await session.post(running_snapshot())
        assert {"act('release')", "act('stop')", "act('stop_rollback')"} <= shown()
        assert "act('redeploy_last_success')" not in shown()
        await session.post(failed_snapshot())
        assert "act('stop')" not in shown() and "act('redeploy_last_success')" in shown()
        await pilot.press("g")
        assert feed.woken == 1
        await pilot.press("a")
        assert not screen.query_one("#activity").display
        history = screen.query_one("#history", ExecutionHistory)
        history.focus()
        await pilot.press("down", "enter")
        assert feed.followed == [history.selected_execution()]
        assert feed.followed[0] != EXECUTION
        await pilot.press("q")
    assert feed.closed
    assert app.return_value == ExitCode.DEPLOY_FAILED


async def test_a_rehearsal_snapshot_has_no_pipeline_parts() -> None:
    from wizard.core.events.lifecycle import (
        DeploymentStarted,
        LifecycleEventChanged,
        LifecycleStatus,
    )
    from wizard.core.timeline import EventFold

    fold = EventFold()
    start = DeploymentStarted(
        deployment_id="d-LOCAL0001", application="shop", group="LocalFleet", targets=("local",)
    )
    app = MonitorApp(QuietFeed(), clock=frozen_clock)
    async with app.run_test(size=SIZE) as pilot:
        session = await started(app, pilot)
        screen = session.screen
        first = fold.apply(start)
        assert first is not None
        screen.post_message(SnapshotArrived(update(first, start)))
        changed = LifecycleEventChanged(
            deployment_id="d-LOCAL0001",
            target_id="local",
            event="ApplicationStop",
            status=LifecycleStatus.IN_PROGRESS,
            started_at=first.taken_at,
        )
        second = fold.apply(changed)
        screen.post_message(SnapshotArrived(update(second, changed)))
        grid = screen.query_one("#grid", LifecycleGrid)
        await wait_for(pilot, lambda: screen.updates == 2, what="two updates")
        assert not screen.query_one("#flow").display
        assert not screen.query_one("#history").display
        assert grid.row_count == 1
        assert str(cell(grid, "local", "ApplicationStop")).startswith("▶")
        assert DEPLOYMENT not in text(screen, "#overview")


async def test_an_agent_still_installing_shows_over_the_screen() -> None:
    from wizard.core.agent_health import AgentView

    app = MonitorApp(QuietFeed(), clock=frozen_clock)
    async with app.run_test(size=SIZE) as pilot:
        session = await started(app, pilot)
        good = running_snapshot(1)
        waiting_for = FLEET[2]  # its events are all Pending
        since = frozen_clock() - timedelta(minutes=2, seconds=10)
        agent = AgentView(waiting_for, "installing", since, source="console")
        screen = await session.post(replace(good, agents=(agent,)))
        banner = screen.query_one("#banner", Static)
        assert banner.display and banner.has_class("-note")
        assert str(banner.content) == (
            f"agent not yet running on {waiting_for} (installing since 2 min) — CodeDeploy "
            "holds the deployment for it (up to an hour)"
        )
        assert any("agent not yet running on" in line for line in screen.activity)
        await session.post(replace(good, sequence=2, agents=()))
        assert not banner.display
