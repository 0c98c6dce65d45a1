"""`cdwizard rehearse --watch`: a tiny real rehearsal (real hook scripts in a temp deployment root)
shown live on the monitor screen through `EventFold`; its failure panel, its full log, stopping
it by leaving, and the command's fallbacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from textual.widgets import Static

from tests.conftest import REPO
from tests.test_rehearse_support import write_bundle
from tests.tui.waiting import wait_for
from wizard.commands.rehearse import exit_code, watch_app
from wizard.core.events.lifecycle import DeploymentStatus
from wizard.core.exitcodes import ExitCode
from wizard.services.rehearse import Rehearsal, RehearsalOptions
from wizard.tui.monitor_app import MonitorApp
from wizard.tui.screens.monitor import MonitorScreen
from wizard.tui.screens.monitor_modals import ActionDialog, LogViewer
from wizard.tui.widgets.monitor_grid import LifecycleGrid

SIZE = (120, 40)
APPSPEC = "version: 0.0\nos: linux\nhooks:\n  AfterInstall:\n    - location: {script}\n"


def rehearsal(tmp_path: Path, script: str) -> Rehearsal:
    bundle = write_bundle(
        tmp_path / "bundle", APPSPEC.format(script="hook.sh"), {"hook.sh": script}
    )
    return Rehearsal(RehearsalOptions(bundle=bundle, root=tmp_path / "root", kill_grace=2.0))


async def on_screen(app: MonitorApp, pilot) -> MonitorScreen:
    await wait_for(pilot, lambda: isinstance(app.screen, MonitorScreen), what="the monitor")
    screen = app.screen
    assert isinstance(screen, MonitorScreen)
    return screen


async def test_a_rehearsal_is_watched_live_to_success(tmp_path: Path) -> None:
    app = watch_app(rehearsal(tmp_path, "#!/bin/sh\necho installed\n"))
    feed = app.feed
    async with app.run_test(size=SIZE) as pilot:
        screen = await on_screen(app, pilot)
        await wait_for(pilot, feed.ended.is_set, what="the rehearsal", timeout=60)
        grid = screen.query_one("#grid", LifecycleGrid)
        await wait_for(
            pilot,
            lambda: "Succeeded" in str(screen.query_one("#overview", Static).content),
            what="the final snapshot",
        )
        assert grid.row_count == 1 and grid.rebuilds == 1, "one rebuild, then patches"
        cells = {name: str(grid.get_cell("local", name)) for name in grid.columns_shown}
        ran = {"DownloadBundle", "Install", "AfterInstall"}  # the rest has no script here
        assert all(cells[n].startswith("✓ ") for n in ran), cells
        assert all(cells[n] == "– skip" for n in set(cells) - ran), cells
        assert not screen.query_one("#flow").display, "a rehearsal has no pipeline"
        assert "finished ✓" in str(screen.query_one("#mon-status", Static).content)
        assert any("local AfterInstall │ installed" in line for line in screen.activity)
        assert screen.offered == {"fetch_log"}, "only what a local run can do"
        await pilot.press("q")
    assert app.return_value == ExitCode.OK
    assert exit_code(feed.result.status) == ExitCode.OK


async def test_a_failing_hook_opens_the_panel_and_its_full_log(tmp_path: Path) -> None:
    app = watch_app(rehearsal(tmp_path, "#!/bin/sh\necho working\necho boom >&2\nexit 4\n"))
    feed = app.feed
    async with app.run_test(size=SIZE) as pilot:
        screen = await on_screen(app, pilot)
        await wait_for(pilot, feed.ended.is_set, what="the rehearsal", timeout=60)
        await wait_for(pilot, lambda: screen.report is not None, what="the failure")
        panel = str(screen.query_one("#failure-text", Static).content)
        assert "1 of 1 instance failed at AfterInstall (exit 4)" in panel
        assert "local · AfterInstall · ScriptFailed · hook.sh" in panel
        assert "boom" in panel, "the log tail"
        grid = screen.query_one("#grid", LifecycleGrid)
        assert str(grid.get_cell("local", "AfterInstall")) == "✗ exit 4"
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(app.screen, ActionDialog), what="the dialog")
        body = str(app.screen.query_one(".dialog-body", Static).content)
        assert f"Read {feed.rehearsal.scripts_log}" in body
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, LogViewer), what="the log")
        lines = [line.plain for line in app.screen.lines]
        assert lines[:3] == ["── AfterInstall ──", "working", "boom"]
        await pilot.press("escape", "q")
    assert app.return_value == ExitCode.DEPLOY_FAILED


async def test_leaving_stops_a_running_rehearsal(tmp_path: Path) -> None:
    app = watch_app(rehearsal(tmp_path, "#!/bin/sh\necho waiting\nexec sleep 60\n"))
    feed = app.feed
    async with app.run_test(size=SIZE) as pilot:
        screen = await on_screen(app, pilot)
        grid = screen.query_one("#grid", LifecycleGrid)
        await wait_for(
            pilot,
            lambda: str(grid.get_cell("local", "AfterInstall")).startswith("▶"),
            what="the hook to run",
            timeout=60,
        )
        assert "stop" in screen.offered
        await pilot.press("q")
    assert feed.ended.wait(20), "the rehearsal stopped with the screen"
    assert feed.result.status is DeploymentStatus.STOPPED


def test_watch_without_a_terminal_prints_lines_and_refuses_json(tmp_path: Path) -> None:
    bundle = write_bundle(tmp_path / "b", APPSPEC.format(script="ok.sh"), {"ok.sh": "#!/bin/sh\n"})
    base = [sys.executable, "-m", "wizard", "rehearse", str(bundle), "--root", str(tmp_path / "r")]
    plain = subprocess.run(
        [*base, "--watch"], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert plain.returncode == ExitCode.OK, plain.stderr
    assert "--watch needs a terminal; printing plain lines instead" in plain.stderr
    assert "Succeeded" in plain.stdout.splitlines()[-1]
    both = subprocess.run(
        [*base, "--watch", "--json"], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert both.returncode == ExitCode.USAGE
    assert "--watch shows the monitor screen; it does not combine with --json" in both.stderr
