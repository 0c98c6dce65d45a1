"""SVG snapshots of the monitor screen (plain `def`: snap_compare runs its own loop).

Deterministic: frozen snapshots posted as the worker would, a frozen clock (every duration and
"ago" is computed from it), no spinner, no cursor blink, fixed terminal size. Update with
`pytest tests/tui/test_monitor_snapshots.py --snapshot-update` after looking at the report.
"""

from __future__ import annotations

from tests.tui.monitor_frames import (
    QuietFeed,
    approval_snapshot,
    failed_snapshot,
    frozen_clock,
    running_snapshot,
    update,
)
from tests.tui.waiting import wait_for
from wizard.core.timeline import Snapshot, diff
from wizard.tui.monitor_app import MonitorApp
from wizard.tui.screens.monitor import MonitorScreen, SnapshotArrived

SIZE = (120, 40)


def showing(*snapshots: Snapshot):
    async def run_before(pilot) -> None:
        app = pilot.app
        await wait_for(pilot, lambda: isinstance(app.screen, MonitorScreen), what="monitor")
        previous = None
        for snap in snapshots:
            app.screen.post_message(SnapshotArrived(update(snap, *diff(previous, snap))))
            previous = snap
        count = len(snapshots)
        await wait_for(pilot, lambda: app.screen.updates == count, what="the snapshots")
        await pilot.pause()

    return run_before


def test_monitor_running(snap_compare) -> None:
    app = MonitorApp(QuietFeed(), clock=frozen_clock)
    assert snap_compare(app, run_before=showing(running_snapshot()), terminal_size=SIZE)


def test_monitor_failure_panel(snap_compare) -> None:
    app = MonitorApp(QuietFeed(), clock=frozen_clock)
    run_before = showing(running_snapshot(1), failed_snapshot(2))
    assert snap_compare(app, run_before=run_before, terminal_size=SIZE)


def test_monitor_approval_waiting(snap_compare) -> None:
    app = MonitorApp(QuietFeed(), clock=frozen_clock)
    assert snap_compare(app, run_before=showing(approval_snapshot()), terminal_size=SIZE)
