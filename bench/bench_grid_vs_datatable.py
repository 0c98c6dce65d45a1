"""The monitor's custom line-API grid (`LifecycleGrid`) vs Textual's own `DataTable` driven with
`update_cell`, at 1,000 instances × 7 lifecycle events, measured in the same run.

Issue 11 asked whether the custom grid earns its lines: keep the simpler one (`DataTable`) unless
the custom grid is at least 3× faster where it matters. The candidate, `TableGrid` below, is the
smallest `DataTable` subclass that shows the same cells (the same `cell_text`/`status_text`) with
the same patch rule (rows the poller reused are skipped by identity; in a changed row only the
cells that differ are written with `update_cell`).

Operations, each timed with the paint of what is on screen (`render_lines` of the widget's
region) and any deferred work the widget leaves for idle (`DataTable` measures new rows there):

- build: an empty widget gets the 1,000-row deployment;
- patch: a snapshot where 10 of the 1,000 instances moved (20 cells);
- tick: the once-a-second refresh of running cells' elapsed time, with all 1,000 instances
  running a hook (the worst case: `AllAtOnce`; with `OneAtATime` one cell runs).

Rounds are interleaved (grid, table, grid, …) and medians compared; the ratio is table / grid,
so a ratio of 3 means the custom grid is 3× faster.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROUNDS = 15
SIZE = (140, 50)


def _table_class() -> Any:
    """The `DataTable` candidate (built lazily: `python -m bench` imports every module)."""
    from rich.text import Text
    from textual.widgets import DataTable

    from wizard.core.events.lifecycle import LifecycleStatus
    from wizard.core.timeline import DeploymentView, InstanceView, LifecycleCell
    from wizard.tui.widgets.monitor_grid import (
        CELL_WIDTH,
        SHORT_NAMES,
        STATUS_WIDTH,
        cell_text,
        event_names,
        status_text,
    )

    class TableGrid(DataTable[Text]):
        def __init__(self, *, clock: Callable[[], datetime]) -> None:
            super().__init__(cursor_type="row", zebra_stripes=True)
            self.clock = clock
            self.deployment: DeploymentView | None = None
            self.cells_written = 0
            self._running_cells: dict[tuple[str, str], LifecycleCell] = {}

        def show(self, deployment: DeploymentView) -> None:
            old, self.deployment = self.deployment, deployment
            if old is None or old.deployment_id != deployment.deployment_id:
                self.rebuild(deployment)
            else:
                self.patch(old, deployment)

        def rebuild(self, deployment: DeploymentView) -> None:
            self.clear(columns=True)
            self._running_cells = {}
            names = event_names(deployment)
            width = max([12, *(len(i.target_id) for i in deployment.instances)])
            self.add_column("Instance", key="target", width=width)
            self.add_column("Status", key="status", width=STATUS_WIDTH)
            for name in names:
                self.add_column(SHORT_NAMES.get(name, name), key=name, width=CELL_WIDTH)
            now = self.clock()
            for inst in deployment.instances:
                cells = (cell_text(inst.cell(n), now) for n in names)
                self.add_row(Text(inst.target_id), status_text(inst), *cells, key=inst.target_id)
                self._track(inst)

        def patch(self, old: DeploymentView, new: DeploymentView) -> None:
            now = self.clock()
            written = 0
            for inst in new.instances:
                before = old.instance(inst.target_id)
                if before is inst:
                    continue
                if before is None or before.status != inst.status:
                    self.update_cell(inst.target_id, "status", status_text(inst))
                    written += 1
                for cell in inst.events:
                    if before is not None and before.cell(cell.name) == cell:
                        continue
                    self.update_cell(inst.target_id, cell.name, cell_text(cell, now))
                    written += 1
                self._track(inst)
            self.cells_written = written

        def _track(self, inst: InstanceView) -> None:
            for cell in inst.events:
                key = (inst.target_id, cell.name)
                if cell.status is LifecycleStatus.IN_PROGRESS:
                    self._running_cells[key] = cell
                else:
                    self._running_cells.pop(key, None)

        def tick(self) -> None:
            now = self.clock()
            for (target, name), cell in self._running_cells.items():
                self.update_cell(target, name, cell_text(cell, now))

    return TableGrid


def _bench_app(table_class: Any, clock: Callable[[], datetime]) -> Any:
    """An app holding one of each, full height (only one is shown at a time)."""
    from textual.app import App, ComposeResult

    from wizard.tui.widgets.monitor_grid import LifecycleGrid

    class Bench(App[None]):
        CSS = "LifecycleGrid, TableGrid { height: 1fr; }"

        def compose(self) -> ComposeResult:
            yield LifecycleGrid(clock=clock)
            yield table_class(clock=clock)

    return Bench()


async def measure() -> dict[str, dict[str, float]]:
    from textual import events
    from textual.geometry import Region
    from textual.widget import Widget

    from tests.tui.monitor_frames import NOW, fleet
    from wizard.tui.widgets.monitor_grid import LifecycleGrid

    table_class = _table_class()
    clock_now = [NOW]
    base = fleet(1000)
    moved = fleet(1000, changed=10, base=base)
    samples: dict[str, dict[str, list[float]]] = {
        op: {"grid": [], "table": []} for op in ("build", "patch", "tick")
    }

    async def settle(widget: Widget) -> None:
        if isinstance(widget, table_class):  # what DataTable defers to idle: measuring rows
            await widget._on_idle(events.Idle())
        widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))

    async def timed(widget: Any, kind: str, op: str, action: Callable[[], None]) -> None:
        started = time.perf_counter()
        action()
        await settle(widget)
        samples[op][kind].append(time.perf_counter() - started)

    async def one_round(widget: Any, kind: str, n: int) -> None:
        """Build from empty, patch 10 rows, tick every running cell: one widget, one round."""
        widget.deployment = None
        if kind == "table":
            widget.clear()
        else:
            widget.show(None)
        await settle(widget)
        start, target = (base, moved) if n % 2 == 0 else (moved, base)
        await timed(widget, kind, "build", lambda: widget.show(start))
        await timed(widget, kind, "patch", lambda: widget.show(target))
        assert widget.cells_written == 20, widget.cells_written
        clock_now[0] = NOW + timedelta(seconds=n + 1)
        await timed(widget, kind, "tick", widget.tick)

    app = _bench_app(table_class, lambda: clock_now[0])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        widgets: dict[str, Any] = {
            "grid": app.query_one(LifecycleGrid),
            "table": app.query_one(table_class),
        }
        for widget in widgets.values():  # one at a time on screen, at the same size
            widget.display = False
        for n in range(ROUNDS):
            for kind in ("grid", "table") if n % 2 else ("table", "grid"):
                widget = widgets[kind]
                widget.display = True
                await pilot.pause()
                await one_round(widget, kind, n)
                widget.display = False
                await pilot.pause()
        grid, table = widgets["grid"], widgets["table"]
        assert table.row_count == grid.row_count == 1000
        row = base.instances[500].target_id
        shown = (str(w.get_cell(row, "BeforeInstall")) for w in (grid, table))
        assert len(set(shown)) == 1, "both show the same cell"
    return {op: {k: statistics.median(v) for k, v in by.items()} for op, by in samples.items()}


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    r = asyncio.run(measure())
    print("   1,000 instances x 7 events; each time includes painting the visible rows")
    print("   operation                 custom grid    DataTable   DataTable/grid")
    labels = {
        "build": "build (empty -> 1,000 rows)",
        "patch": "patch (10 rows moved)     ",
        "tick": "tick (1,000 running cells)",
    }
    for op, label in labels.items():
        g, t = r[op]["grid"] * 1000, r[op]["table"] * 1000
        print(f"   {label} {g:9.2f} ms {t:9.2f} ms   {t / g:6.2f}x")
    ratio = r["patch"]["table"] / r["patch"]["grid"]
    keep = "keep the custom grid" if ratio >= 3 else "DataTable is enough: replace the grid"
    print(f"   what matters, a poll's patch: {ratio:.1f}x (the custom grid must be >= 3x): {keep}")


if __name__ == "__main__":
    main()
