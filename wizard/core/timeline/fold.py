"""Build snapshots from a lifecycle event stream (a local rehearsal), so the monitor screen shows
`cdwizard rehearse --watch` with the same model as a real deployment.

    fold = EventFold()
    for event in rehearsal_events:
        snapshot = fold.apply(event)   # None when the event does not change the grid
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import datetime

from wizard.core.events.base import Event
from wizard.core.events.lifecycle import (
    DeploymentFinished,
    DeploymentStarted,
    DeploymentStatus,
    DeploymentStatusChanged,
    LifecycleEventChanged,
    LifecycleStatus,
)
from wizard.core.timeline.views import (
    DeploymentView,
    InstanceView,
    LifecycleCell,
    Overview,
    RevisionRef,
    Snapshot,
)


def _target_status(cells: tuple[LifecycleCell, ...]) -> str:
    statuses = {c.status for c in cells}
    if LifecycleStatus.FAILED in statuses:
        return "Failed"
    if statuses <= {LifecycleStatus.PENDING}:
        return "Pending"
    if statuses <= {LifecycleStatus.SUCCEEDED, LifecycleStatus.SKIPPED}:
        return "Succeeded"
    return "InProgress"


class EventFold:
    """Folds `deployment.*` / `lifecycle.event` events into successive snapshots."""

    def __init__(self) -> None:
        self._sequence = 0
        self.deployment: DeploymentView | None = None

    def _snapshot(self, at: datetime) -> Snapshot:
        self._sequence += 1
        return Snapshot(sequence=self._sequence, taken_at=at, deployment=self.deployment)

    def apply(self, event: Event) -> Snapshot | None:
        dep = self.deployment
        if isinstance(event, DeploymentStarted):
            names = event.events
            self.deployment = DeploymentView(
                deployment_id=event.deployment_id,
                application=event.application,
                group=event.group,
                status=DeploymentStatus.IN_PROGRESS,
                creator=event.creator or event.origin,
                created_at=event.at,
                started_at=event.at,
                revision=RevisionRef("String", content=event.revision) if event.revision else None,
                instances=tuple(
                    InstanceView(
                        target_id=t,
                        status="Pending",
                        events=tuple(LifecycleCell(n, LifecycleStatus.PENDING) for n in names),
                    )
                    for t in sorted(event.targets)
                ),
                overview=Overview(pending=len(event.targets)),
            )
            return self._snapshot(event.at)
        if dep is None or getattr(event, "deployment_id", None) != dep.deployment_id:
            return None
        if isinstance(event, LifecycleEventChanged):
            self.deployment = self._cell(dep, event)
        elif isinstance(event, DeploymentStatusChanged):
            self.deployment = replace(
                dep, status=event.status, overview=Overview.from_dict(event.overview)
            )
        elif isinstance(event, DeploymentFinished):
            self.deployment = replace(
                dep,
                status=event.status,
                error_code=event.error_code,
                error_message=event.error_message,
                overview=Overview.from_dict(event.overview) if event.overview else dep.overview,
                completed_at=event.at,
                rollback_deployment_id=event.rollback_deployment_id,
            )
        else:
            return None
        return self._snapshot(event.at)

    def _cell(self, dep: DeploymentView, event: LifecycleEventChanged) -> DeploymentView:
        fresh = LifecycleCell(
            name=event.event,
            status=event.status,
            started_at=event.started_at,
            ended_at=event.ended_at,
            diagnostics=event.diagnostics,
        )
        inst = dep.instance(event.target_id) or InstanceView(event.target_id, "Pending")
        names = [c.name for c in inst.events]
        if event.event in names:
            cells = tuple(fresh if c.name == event.event else c for c in inst.events)
        else:
            cells = (*inst.events, fresh)
        row = replace(inst, status=_target_status(cells), events=cells, updated_at=event.at)
        rows = {i.target_id: i for i in dep.instances}
        rows[row.target_id] = row
        instances = tuple(rows[t] for t in sorted(rows))
        counts = Counter(i.status for i in instances)
        return replace(dep, instances=instances, overview=Overview.from_dict(counts))
