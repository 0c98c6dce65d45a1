"""Instances × lifecycle events: one row per instance, one cell per event (status + duration).

A line-API widget (textual's `ScrollView`): each row is rendered once into a cached strip and
only the rows on screen are ever rendered. A new snapshot is applied by patching: rows the poller
reused (the same `InstanceView` object) are skipped by identity, and in a row that changed only
the cells that differ are rewritten, that row's strip is dropped and that one line is refreshed
— the same test `wizard.core.timeline.diff` uses. So 10 moving instances out of 1,000 cost 10
row updates and at most 10 repainted lines, never a rebuild. The grid is rebuilt only for
another deployment or another set of targets. Running cells show their elapsed time; `tick()`
refreshes just those. The header row stays on top while the rows scroll; ↑/↓/PgUp/PgDn/Home/End
and the mouse move the row cursor (the instance `l` fetches the log of).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.reactive import reactive, var
from textual.scroll_view import ScrollView
from textual.strip import Strip

from wizard.core.events.base import format_duration, seconds_between
from wizard.core.events.lifecycle import (
    IN_PLACE_EVENTS,
    IN_PLACE_EVENTS_WITH_TRAFFIC,
    LifecycleStatus,
)
from wizard.core.timeline import DeploymentView, InstanceView, LifecycleCell, Snapshot, exit_detail
from wizard.tui.theme import THEME

CELL_WIDTH = 9
STATUS_WIDTH = 10

#: Column headings short enough for a 9-cell column; the full name is the column key.
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
    if cell.status is LifecycleStatus.IN_PROGRESS:
        return seconds_between(cell.started_at, now)
    return None


def cell_text(cell: LifecycleCell | None, now: datetime) -> Text:
    """`✓ 3s`, `▶ 12s`, `✗ exit 2` (highlighted), `– skip`, `·` pending."""
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
    if names:
        return tuple(names)
    return IN_PLACE_EVENTS_WITH_TRAFFIC if deployment.with_traffic else IN_PLACE_EVENTS


def _same_targets(old: DeploymentView, new: DeploymentView) -> bool:
    if old.instances is new.instances:
        return True
    if len(old.instances) != len(new.instances):
        return False
    pairs = zip(old.instances, new.instances, strict=True)
    return all(a.target_id == b.target_id for a, b in pairs)


class LifecycleGrid(ScrollView, can_focus=True):
    """The grid; `show(deployment)` applies a new view (patching when it can). Bound to a screen's
    `snapshot` it shows that snapshot's deployment (hidden without one); bound to `now`, running
    cells count up."""

    DEFAULT_CSS = """
    LifecycleGrid {
        display: none;
        & > .lifecycle-grid--header { background: $panel; text-style: bold; }
        & > .lifecycle-grid--even { background: $surface; }
        & > .lifecycle-grid--cursor-blurred { background: $secondary 20%; }
        & > .lifecycle-grid--cursor { background: $secondary 35%; }
    }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "lifecycle-grid--header",
        "lifecycle-grid--even",
        "lifecycle-grid--cursor",
        "lifecycle-grid--cursor-blurred",
    }
    BINDINGS: ClassVar = [
        Binding("up", "cursor_move(-1)", "Up", show=False),
        Binding("down", "cursor_move(1)", "Down", show=False),
        Binding("pageup", "cursor_page(-1)", "Page up", show=False),
        Binding("pagedown", "cursor_page(1)", "Page down", show=False),
        Binding("home", "cursor_to(0)", "First", show=False),
        Binding("end", "cursor_to(-1)", "Last", show=False),
    ]

    cursor_row: reactive[int] = reactive(0)
    snapshot: var[Snapshot | None] = var(None, always_update=True, init=False)
    now: var[datetime | None] = var(None, always_update=True, init=False)

    def __init__(
        self,
        *,
        clock: Callable[[], datetime],
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.clock = clock
        self.deployment: DeploymentView | None = None
        self.columns_shown: tuple[str, ...] = ()
        #: cells written by the last `show()` (a rebuild writes them all)
        self.cells_written = 0
        self.rebuilds = 0
        self._keys: tuple[str, ...] = ()
        #: column key -> its index in a row's cells
        self._columns: dict[str, int] = {}
        self._widths: tuple[int, ...] = ()
        self._order: list[str] = []
        self._index: dict[str, int] = {}
        self._cells: dict[str, list[Text]] = {}
        self._strips: dict[str, Strip] = {}
        self._header: Strip | None = None
        self._running_cells: dict[tuple[str, str], LifecycleCell] = {}

    # --- applying views -----------------------------------------------------------------------

    def watch_snapshot(self, snapshot: Snapshot | None) -> None:
        if snapshot is not None:
            self.display = snapshot.deployment is not None
            self.show(snapshot.deployment)

    def watch_now(self, now: datetime | None) -> None:
        if now is not None:
            self.tick()

    @property
    def row_count(self) -> int:
        return len(self._order)

    def show(self, deployment: DeploymentView | None) -> None:
        old = self.deployment
        self.deployment = deployment
        if deployment is None:
            if old is not None:
                self._reset(())
                self.virtual_size = Size(0, 0)
                self.refresh()
            self.cells_written = 0
            return
        same = (
            old is not None
            and old.deployment_id == deployment.deployment_id
            and _same_targets(old, deployment)
        )
        if old is None or not same or not self.patch(old, deployment):
            self.rebuild(deployment)

    def _reset(self, names: tuple[str, ...]) -> None:
        self.columns_shown = names
        self._keys = ("target", "status", *names)
        self._columns = {key: k for k, key in enumerate(self._keys)}
        self._order = []
        self._index = {}
        self._cells = {}
        self._strips = {}
        self._header = None
        self._running_cells = {}

    def rebuild(self, deployment: DeploymentView) -> None:
        """Every row from scratch (another deployment, or new targets). Rows are rendered only
        when they come on screen."""
        names = event_names(deployment)
        now = self.clock()
        self._reset(names)
        target_width = max([12, *(len(i.target_id) for i in deployment.instances)])
        self._widths = (target_width, STATUS_WIDTH, *([CELL_WIDTH] * len(names)))
        for index, inst in enumerate(deployment.instances):
            self._order.append(inst.target_id)
            self._index[inst.target_id] = index
            self._cells[inst.target_id] = [
                Text(inst.target_id),
                status_text(inst),
                *(cell_text(inst.cell(name), now) for name in names),
            ]
            self._track(inst)
        width = sum(w + 2 for w in self._widths)
        self.virtual_size = Size(width, len(self._order) + 1)
        if self.cursor_row >= len(self._order):
            self.cursor_row = max(0, len(self._order) - 1)
        self.cells_written = len(deployment.instances) * len(self._keys)
        self.rebuilds += 1
        self.refresh()

    def patch(self, old: DeploymentView, new: DeploymentView) -> bool:
        """Rewrite only the cells that changed; False when a column is missing (rebuild)."""
        now = self.clock()
        written = 0
        for inst in new.instances:
            before = old.instance(inst.target_id)
            if before is inst:
                continue  # reused by the poller: unchanged
            row = self._cells[inst.target_id]
            changed = 0
            if before is None or before.status != inst.status:
                row[1] = status_text(inst)
                changed += 1
            for cell in inst.events:
                prior = before.cell(cell.name) if before is not None else None
                if prior == cell:
                    continue
                column = self._columns.get(cell.name)
                if column is None:
                    return False
                row[column] = cell_text(cell, now)
                changed += 1
            self._track(inst)
            if changed:
                self._dirty(inst.target_id)
                written += changed
        self.cells_written = written
        return True

    def _dirty(self, target: str) -> None:
        self._strips.pop(target, None)
        self.refresh_line(self._index[target] + 1)

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
            self._cells[target][self._columns[name]] = cell_text(cell, now)
            self._dirty(target)

    def get_cell(self, target: str, column: str) -> Text:
        """The text shown for `target` in `column` ("target", "status" or an event name)."""
        return self._cells[target][self._keys.index(column)]

    # --- rendering ----------------------------------------------------------------------------

    def _line_of(self, cells: list[Text]) -> Strip:
        line = Text(no_wrap=True, end="")
        for text, width in zip(cells, self._widths, strict=False):
            cell = text.copy()
            cell.truncate(width, overflow="ellipsis", pad=True)
            line.append(" ")
            line.append_text(cell)
            line.append(" ")
        segments = list(line.render(self.app.console))
        return Strip(segments, line.cell_len)

    def _header_strip(self) -> Strip:
        if self._header is None:
            names = [SHORT_NAMES.get(n, n[:CELL_WIDTH]) for n in self.columns_shown]
            self._header = self._line_of([Text(t) for t in ("Instance", "Status", *names)])
        return self._header

    def _row_strip(self, target: str) -> Strip:
        cached = self._strips.get(target)
        if cached is None:
            cached = self._line_of(self._cells[target])
            self._strips[target] = cached
        return cached

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        base = self.rich_style
        if y == 0:
            if not self._keys:
                return Strip.blank(width, base)
            style = base + self.get_component_rich_style("lifecycle-grid--header")
            return (
                self._header_strip()
                .apply_style(style)
                .crop_extend(scroll_x, scroll_x + width, style)
            )
        index = scroll_y + y - 1
        if index >= len(self._order):
            return Strip.blank(width, base)
        style = base
        if index % 2:
            style += self.get_component_rich_style("lifecycle-grid--even")
        if index == self.cursor_row:
            which = "cursor" if self.has_focus else "cursor-blurred"
            style += self.get_component_rich_style(f"lifecycle-grid--{which}")
        strip = self._row_strip(self._order[index]).apply_style(style)
        return strip.crop_extend(scroll_x, scroll_x + width, style)

    # --- the row cursor -----------------------------------------------------------------------

    def watch_cursor_row(self, old: int, new: int) -> None:
        self.refresh_line(old + 1)
        self.refresh_line(new + 1)
        visible = max(1, self.size.height - 1)
        top = int(self.scroll_offset.y)
        if new < top:
            self.scroll_to(y=new, animate=False)
        elif new >= top + visible:
            self.scroll_to(y=new - visible + 1, animate=False)

    def _on_focus(self, event: events.Focus) -> None:
        self.refresh_line(self.cursor_row + 1)

    def _on_blur(self, event: events.Blur) -> None:
        self.refresh_line(self.cursor_row + 1)

    def _clamp(self, row: int) -> int:
        return max(0, min(row, len(self._order) - 1))

    def action_cursor_move(self, step: int) -> None:
        self.cursor_row = self._clamp(self.cursor_row + step)

    def action_cursor_page(self, direction: int) -> None:
        self.cursor_row = self._clamp(self.cursor_row + direction * max(1, self.size.height - 1))

    def action_cursor_to(self, row: int) -> None:
        self.cursor_row = self._clamp(row if row >= 0 else len(self._order) - 1)

    def on_click(self, event: events.Click) -> None:
        if event.y >= 1 and self._order:
            self.cursor_row = self._clamp(int(self.scroll_offset.y) + event.y - 1)

    def selected_instance(self) -> str | None:
        if not self._order:
            return None
        return self._order[self._clamp(self.cursor_row)]

    def select_instance(self, target_id: str) -> None:
        index = self._index.get(target_id)
        if index is not None:
            self.cursor_row = index


__all__ = [
    "CELL_WIDTH",
    "MUTED",
    "SHORT_NAMES",
    "LifecycleGrid",
    "cell_text",
    "event_names",
    "status_text",
]
