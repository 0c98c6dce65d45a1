"""(b) The monitor screen applying a snapshot where 10 of 1,000 instances changed, vs rebuilding
the instances × lifecycle events grid, measured in the same run. Goal: patch ≤ 0.1× rebuild.

Headless: the real `MonitorApp`/`MonitorScreen` (textual's headless driver), a frozen clock, a
deployment of 1,000 instances × 7 lifecycle events. The changed snapshot reuses the 990
unchanged `InstanceView` objects, as the deployment poller does.

- patch: `LifecycleGrid.show(new)`, the screen's path (rows skipped by identity, 20 cells
  written);
- rebuild: `LifecycleGrid.rebuild(new)`: clear and add all 1,000 rows.

Each timing includes painting what is on screen (`render_lines` of the grid's region, which
re-renders the lines the update marked dirty: the whole view after a rebuild, only the changed
rows after a patch), so neither side hides deferred work. Also shown: the calls alone, and the whole
`SnapshotArrived` handler (banner, flow, history, overview, grid, failure panel, keys) for the
same change. Rounds alternate between the two snapshots (there is always a change) and are
interleaved patch/rebuild; medians are compared.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

ROUNDS = 20
SIZE = (140, 50)


async def measure() -> dict[str, float]:
    from textual.geometry import Region

    from tests.tui.monitor_frames import QuietFeed, fleet, frozen_clock, running_snapshot
    from wizard.app.monitor_feed import FeedUpdate
    from wizard.tui.monitor_app import MonitorApp
    from wizard.tui.screens.monitor import MonitorScreen
    from wizard.tui.widgets.monitor_grid import LifecycleGrid

    base = fleet(1000)
    moved = fleet(1000, changed=10, base=base)
    views = (base, moved)
    frame = running_snapshot()
    snapshots = (replace(frame, deployment=base), replace(frame, deployment=moved))
    app = MonitorApp(QuietFeed(), clock=frozen_clock)
    samples: dict[str, list[float]] = {
        k: [] for k in ("patch", "rebuild", "patch_call", "rebuild_call", "screen")
    }
    written: list[int] = []
    async with app.run_test(size=SIZE) as pilot:
        while not isinstance(app.screen, MonitorScreen):
            await pilot.pause()
        screen = app.screen
        screen.apply_update(FeedUpdate(snapshots[0]))
        await pilot.pause()
        grid = screen.query_one("#grid", LifecycleGrid)
        assert grid.row_count == 1000

        async def settle() -> None:
            grid.render_lines(Region(0, 0, grid.size.width, grid.size.height))

        for n in range(ROUNDS):
            target = views[(n + 1) % 2]
            grid.show(views[n % 2])
            await settle()

            started = time.perf_counter()
            grid.show(target)
            called = time.perf_counter()
            await settle()
            samples["patch"].append(time.perf_counter() - started)
            samples["patch_call"].append(called - started)
            written.append(grid.cells_written)

            started = time.perf_counter()
            grid.rebuild(target)
            called = time.perf_counter()
            await settle()
            samples["rebuild"].append(time.perf_counter() - started)
            samples["rebuild_call"].append(called - started)
            grid.deployment = target

            screen.apply_update(FeedUpdate(snapshots[n % 2]))
            await settle()
            started = time.perf_counter()
            screen.apply_update(FeedUpdate(snapshots[(n + 1) % 2]))
            await settle()
            samples["screen"].append(time.perf_counter() - started)
            await pilot.pause()
    assert set(written) == {20}, written
    return {k: statistics.median(v) for k, v in samples.items()}


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    r = asyncio.run(measure())
    ms = {k: v * 1000 for k, v in r.items()}
    ratio = r["patch"] / r["rebuild"]
    verdict = "met" if ratio <= 0.1 else "NOT met"
    print("   grid of 1,000 instances x 7 events; a snapshot where 10 instances changed (20 cells)")
    rows = (("patch   (apply + settle)", "patch"), ("rebuild (all + settle)  ", "rebuild"))
    for label, key in rows:
        alone = ms[f"{key}_call"]
        print(f"   {label}: {ms[key]:8.2f} ms  (the call alone {alone:.2f} ms)")
    print(f"   ratio patch/rebuild: {ratio:.3f}x  (goal <= 0.1x: {verdict})")
    print(f"   ratio of the calls alone: {r['patch_call'] / r['rebuild_call']:.4f}x")
    print(f"   whole screen handler for the same snapshot: {ms['screen']:.2f} ms")


if __name__ == "__main__":
    main()
