"""Instances × lifecycle events: one row per instance, one cell per event (status + duration).

A new snapshot is applied by patching: rows the poller reused (the same `InstanceView` object)
are skipped by identity, and in the rows that changed only the cells that differ are updated —
the same test `wizard.core.timeline.diff` uses, so 10 moving instances out of 1,000 cost about
10 row updates, not a rebuild. The grid is rebuilt only for another deployment or another set
of targets. Cells that run show their elapsed time; `tick()` refreshes just those.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rich.text import Text
from textual.widgets import DataTable

from wizard.core.events.base import format_duration
from wizard.core.events.lifecycle import IN_PLACE_EVENTS, LifecycleStatus
from wizard.core.timeline import DeploymentView, InstanceView, LifecycleCell, exit_detail
from wizard.tui.theme import THEME

CELL_WIDTH = 9
STATUS_WIDTH = 10

#: Column headings short enough for a 10-cell column; the full name is the column key.
SHORT_NAMES: dict[str, str] = {
    "ApplicationStop": "AppStop",
    "DownloadBundle": "Download",
    "BeforeInstall": "BeforeIns",
    "Install": "Install",
    "AfterInstall": "AfterIns",
    "ApplicationStart": "AppStart",
    "ValidateService": "Validate",
    "BeforeBlockTraffic": "BfBlockTr",
    "BlockTraffic": "BlockTraf",
    "AfterBlockTraffic": "AfBlockTr",
    "BeforeAllowTraffic": "BfAllowTr",
    "AllowTraffic": "AllowTraf",
    "AfterAllowTraffic": "AfAllowTr",
}

MUTED = "#7F8A99"
FAILED_CELL = f"bold {THEME.background} on {THEME.error}"


def elapsed(cell: LifecycleCell, now: datetime) -> float | None:
    """Seconds a cell took, or has been running for."""
    if cell.duration is not None:
        return cell.duration
    if cell.status is LifecycleStatus.IN_PROGRESS and cell.started_at is not None:
        return max(0.0, (now - cell.started_at).total_seconds())
    return None


def cell_text(cell: LifecycleCell | None, now: datetime) -> Text:
    """`✓ 3s`, `▶ 12s`, `✗ exit 2` (highlighted), `–` skipped, `·` pending."""
    if cell is None:
        return Text("")
    status = cell.status
    took = elapsed(cell, now)
    shown = f" {format_duration(took)}" if took is not None else ""
    if status is LifecycleStatus.SUCCEEDED:
        return Text(f"✓{shown}", style=THEME.success or "green")
    if status is LifecycleStatus.IN_PROGRESS:
        return Text(f"▶{shown}", style=f"bold {THEME.secondary}")
    if status is LifecycleStatus.FAILED:
        return Text(f"✗ {exit_detail(cell.diagnostics)}"[:CELL_WIDTH], style=FAILED_CELL)
    if status is LifecycleStatus.SKIPPED:
        return Text("– skip", style=MUTED)
    if status is LifecycleStatus.PENDING:
        return Text("·", style=MUTED)
    return Text("?", style=THEME.warning or "yellow")


_TARGET_STATUS = {
    "Pending": ("· pending", MUTED),
    "InProgress": ("▶ running", f"bold {THEME.secondary}"),
    "Succeeded": ("✓ done", THEME.success),
    "Failed": ("✗ failed", f"bold {THEME.error}"),
    "Skipped": ("– skipped", MUTED),
    "Ready": ("● ready", THEME.secondary),
}


def status_text(instance: InstanceView) -> Text:
    label, style = _TARGET_STATUS.get(instance.status, (instance.status.lower(), MUTED))
    return Text(label, style=style or "")


def event_names(deployment: DeploymentView) -> tuple[str, ...]:
    """The grid's columns: the lifecycle events in the order the instances report them."""
    names: list[str] = []
    for inst in deployment.instances:
        for cell in inst.events:
            if cell.name not in names:
                names.append(cell.name)
    return tuple(names) or IN_PLACE_EVENTS


def _same_targets(old: DeploymentView, new: DeploymentView) -> bool:
    if old.instances is new.instances:
        return True
    if len(old.instances) != len(new.instances):
        return False
    pairs = zip(old.instances, new.instances, strict=True)
    return all(a.target_id == b.target_id for a, b in pairs)


class LifecycleGrid(DataTable[Text]):
    """The grid; `show(deployment)` applies a new view (patching when it can)."""

    def __init__(self, *, clock: Callable[[], datetime], **kwargs: object) -> None:
        super().__init__(
            cursor_type="row",
            zebra_stripes=True,
            cursor_foreground_priority="renderable",
            cursor_background_priority="renderable",
            **kwargs,  # type: ignore[arg-type]
        )
        self.clock = clock
        self.deployment: DeploymentView | None = None
        self.columns_shown: tuple[str, ...] = ()
        #: cells written by the last `show()` (a rebuild writes them all)
        self.cells_written = 0
        self.rebuilds = 0
        self._running_cells: dict[tuple[str, str], LifecycleCell] = {}

    # --- applying views -----------------------------------------------------------------------

    def show(self, deployment: DeploymentView | None) -> None:
        old = self.deployment
        self.deployment = deployment
        if deployment is None:
            if old is not None:
                self.clear(columns=True)
                self.columns_shown = ()
                self._running_cells = {}
            self.cells_written = 0
            return
        same = (
            old is not None
            and old.deployment_id == deployment.deployment_id
            and _same_targets(old, deployment)
        )
        if not same or not self.patch(old, deployment):  # type: ignore[arg-type]
            self.rebuild(deployment)

    def rebuild(self, deployment: DeploymentView) -> None:
        """Every row and column from scratch (another deployment, or new targets)."""
        names = event_names(deployment)
        now = self.clock()
        self.clear(columns=True)
        width = max([12, *(len(i.target_id) for i in deployment.instances)])
        self.add_column("Instance", key="target", width=width)
        self.add_column("Status", key="status", width=STATUS_WIDTH)
        for name in names:
            self.add_column(SHORT_NAMES.get(name, name[:CELL_WIDTH]), key=name, width=CELL_WIDTH)
        self._running_cells = {}
        for inst in deployment.instances:
            cells = [cell_text(inst.cell(name), now) for name in names]
            self.add_row(Text(inst.target_id), status_text(inst), *cells, key=inst.target_id)
            self._track(inst)
        self.columns_shown = names
        self.cells_written = len(deployment.instances) * (len(names) + 2)
        self.rebuilds += 1

    def patch(self, old: DeploymentView, new: DeploymentView) -> bool:
        """Update only what changed; False when a column is missing (the caller rebuilds)."""
        now = self.clock()
        written = 0
        known = self.columns_shown
        for inst in new.instances:
            before = old.instance(inst.target_id)
            if before is inst:
                continue  # reused by the poller: unchanged
            if before is None or before.status != inst.status:
                self.update_cell(inst.target_id, "status", status_text(inst))
                written += 1
            for cell in inst.events:
                prior = before.cell(cell.name) if before is not None else None
                if prior == cell:
                    continue
                if cell.name not in known:
                    return False
                self.update_cell(inst.target_id, cell.name, cell_text(cell, now))
                written += 1
            self._track(inst)
        self.cells_written = written
        return True

    def _track(self, inst: InstanceView) -> None:
        for cell in inst.events:
            key = (inst.target_id, cell.name)
            if cell.status is LifecycleStatus.IN_PROGRESS:
                self._running_cells[key] = cell
            else:
                self._running_cells.pop(key, None)

    def tick(self) -> None:
        """Refresh the elapsed time of running cells (only those)."""
        if not self._running_cells:
            return
        now = self.clock()
        for (target, name), cell in self._running_cells.items():
            self.update_cell(target, name, cell_text(cell, now))

    # --- selection ----------------------------------------------------------------------------

    def selected_instance(self) -> str | None:
        if self.deployment is None or not self.row_count:
            return None
        try:
            row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        except Exception:
            return None
        return str(row_key.value) if row_key.value is not None else None

    def select_instance(self, target_id: str) -> None:
        try:
            index = self.get_row_index(target_id)
        except Exception:
            return
        self.move_cursor(row=index, animate=False)
