"""snapshot -> snapshot: the typed change events between two polls.

`diff(None, first)` describes the first snapshot (what was already there when we attached);
later calls emit only what changed. Order: connection, pipeline head (execution, stages, actions,
deployment link), deployment (start, status, each changed cell, finish, explanation), then the
pipeline execution's end — so plain output reads top to bottom like the run happened.
"""

from __future__ import annotations

from wizard.core.agent_log import parse_scripts_log
from wizard.core.events.approval import ApprovalApproved, ApprovalRejected, ApprovalWaiting
from wizard.core.events.base import Event, Level, Notice
from wizard.core.events.lifecycle import (
    AgentStatusChanged,
    DeploymentFinished,
    DeploymentStarted,
    DeploymentStatusChanged,
    HookOutput,
    LifecycleEventChanged,
    LifecycleStatus,
)
from wizard.core.events.pipeline import (
    ActionChanged,
    ConnectionProblem,
    ConnectionRestored,
    DeploymentLinked,
    FailureExplained,
    PipelineExecutionChanged,
    PipelineExecutionFinished,
    PipelineExecutionStarted,
    PollingThrottled,
    SourceRead,
    StageChanged,
)
from wizard.core.events.traffic import TargetGroupObserved, TargetHealthChanged
from wizard.core.timeline.failures import (
    FailureReport,
    explain_deployment,
    explain_pipeline,
    ignored_failures_note,
)
from wizard.core.timeline.views import (
    TARGET_STATES,
    ActionView,
    DeploymentView,
    ExecutionView,
    InstanceView,
    LifecycleCell,
    PipelineView,
    Snapshot,
    TrafficView,
)


def diff(old: Snapshot | None, new: Snapshot) -> list[Event]:
    """Typed events for how `new` differs from `old` (everything notable if `old` is None)."""
    events: list[Event] = []
    events += _connection(old, new)
    old_pipeline = old.pipeline if old else None
    deferred: list[Event] = []
    if new.pipeline is not None:
        head, deferred = _pipeline_head(old_pipeline, new.pipeline)
        events += head
    if new.deployment is not None:
        events += _deployment(old.deployment if old else None, new.deployment)
    events += _agents(old, new)
    events += deferred  # the deploy action's end reads best after the deployment's
    if new.pipeline is not None:
        events += _pipeline_tail(old_pipeline, new.pipeline, new.deployment)
    return events


# --- connection -------------------------------------------------------------------------------


def _connection(old: Snapshot | None, new: Snapshot) -> list[Event]:
    events: list[Event] = []
    was = old.connection if old else None
    now = new.connection
    if not now.ok and (was is None or was.ok or was.problem != now.problem):
        events.append(
            ConnectionProblem(
                service=now.service or "aws",
                operation=now.operation or "",
                message=now.problem or "unreachable",
                retry_in_seconds=new.next_poll_seconds,
            )
        )
    elif now.ok and was is not None and not was.ok:
        down = (new.taken_at - was.since).total_seconds() if was.since else 0.0
        events.append(ConnectionRestored(down_seconds=down))
    if new.throttled_operation and (old is None or old.throttled_operation is None):
        events.append(
            PollingThrottled(
                operation=new.throttled_operation, interval_seconds=new.next_poll_seconds
            )
        )
    return events


# --- agents the deployment waits for -------------------------------------------------------------


def _agents(old: Snapshot | None, new: Snapshot) -> list[Event]:
    """One line when an awaited agent's state changes (not every poll while it installs)."""
    before = {a.instance_id: a.state for a in old.agents} if old else {}
    events: list[Event] = []
    for agent in new.agents:
        if before.get(agent.instance_id) == agent.state:
            continue
        text = agent.describe(new.taken_at)
        if agent.state in ("installing", "unknown"):
            text += "; CodeDeploy holds the deployment for it (up to an hour)"
        events.append(
            AgentStatusChanged(
                instance_id=agent.instance_id,
                state=agent.state,
                since=agent.since,
                detail=agent.detail,
                text=text,
            )
        )
    return events


# --- pipeline ---------------------------------------------------------------------------------


def _started(pipeline: str, e: ExecutionView) -> PipelineExecutionStarted:
    return PipelineExecutionStarted(
        pipeline=pipeline,
        execution_id=e.execution_id,
        status=e.status,
        commit_id=e.commit_id,
        commit_message=e.commit_message,
        trigger_type=e.trigger_type,
        trigger_detail=e.trigger_detail,
        started_at=e.started_at,
    )


def _pipeline_head(old: PipelineView | None, new: PipelineView) -> tuple[list[Event], list[Event]]:
    """(events now, events to emit after the deployment's)."""
    events: list[Event] = []
    deferred: list[Event] = []
    seen = {e.execution_id for e in old.executions} if old else set()
    followed = new.followed
    if old is not None:
        # Executions that appeared since the last poll, oldest first (not the followed one yet).
        for e in reversed(new.executions):
            if e.execution_id not in seen and e.execution_id != new.followed_id:
                events.append(_started(new.name, e))
    if followed is None:
        if old is None and not new.executions:
            events.append(
                Notice(text=f"pipeline {new.name} has no executions yet; waiting for one")
            )
        return events, deferred
    same = old is not None and old.followed_id == new.followed_id
    before = old.followed if same and old is not None else None
    if before is None:
        events.append(_started(new.name, followed))
    elif before.status != followed.status and not followed.final:
        events.append(
            PipelineExecutionChanged(
                pipeline=new.name,
                execution_id=followed.execution_id,
                status=followed.status,
                previous_status=before.status,
                status_summary=followed.status_summary,
            )
        )
    old_stages = {s.name: s for s in old.stages} if same and old is not None else {}
    for stage in new.stages:
        prior = old_stages.get(stage.name)
        prior_actions = {a.name: a for a in prior.actions} if prior else {}
        if stage.status is not None and (prior is None or prior.status != stage.status):
            quiet = len(stage.actions) == 1 and stage.actions[0].status == stage.status
            events.append(
                StageChanged(
                    level="debug" if quiet else "info",
                    pipeline=new.name,
                    execution_id=followed.execution_id,
                    stage=stage.name,
                    status=stage.status,
                    previous_status=prior.status if prior else None,
                )
            )
        for action in stage.actions:
            was = prior_actions.get(action.name)
            if action.status is not None and (was is None or was.status != action.status):
                linked_end = (
                    action.status != "InProgress"
                    and action.external_execution_id is not None
                    and action.external_execution_id == new.deployment_id
                )
                (deferred if linked_end else events).append(
                    ActionChanged(
                        pipeline=new.name,
                        execution_id=followed.execution_id,
                        stage=stage.name,
                        action=action.name,
                        status=action.status,
                        previous_status=was.status if was else None,
                        summary_text=action.summary,
                        error_code=action.error_code,
                        error_message=action.error_message,
                        external_execution_id=action.external_execution_id,
                        external_url=action.external_url,
                        started_at=action.started_at,
                        updated_at=action.updated_at,
                    )
                )
                if action.is_approval:
                    events += _approval(new.name, followed.execution_id, action)
    revision = new.source_revision
    if revision is not None and not (same and old is not None and old.source_revision):
        events.append(
            SourceRead(
                pipeline=new.name,
                execution_id=followed.execution_id,
                provider=revision.provider,
                revision_id=revision.revision_id,
                description=revision.describe(),
            )
        )
    if new.deployment_id and not (
        same and old is not None and old.deployment_id == new.deployment_id
    ):
        deploy = next(
            (a for a in new.actions if a.external_execution_id == new.deployment_id), None
        )
        events.append(
            DeploymentLinked(
                pipeline=new.name,
                execution_id=followed.execution_id,
                stage=deploy.stage if deploy else "",
                action=deploy.name if deploy else "",
                deployment_id=new.deployment_id,
            )
        )
    return events, deferred


def _approval(pipeline: str, execution_id: str, action: ActionView) -> list[Event]:
    """A manual approval that started waiting, or was answered (once per status change)."""
    stage, name = action.stage, action.name
    if action.status == "InProgress":
        return [
            ApprovalWaiting(
                pipeline=pipeline,
                stage=stage,
                action=name,
                execution_id=execution_id,
                message=action.approval_message,
                url=action.approval_url,
                token_present=action.token is not None,
            )
        ]
    answered = {"Succeeded": ApprovalApproved, "Failed": ApprovalRejected}.get(action.status or "")
    if answered is None:
        return []
    return [
        answered(
            pipeline=pipeline,
            stage=stage,
            action=name,
            execution_id=execution_id,
            by=action.updated_by,
            comment=action.summary,
        )
    ]


def _pipeline_tail(
    old: PipelineView | None, new: PipelineView, deployment: DeploymentView | None
) -> list[Event]:
    followed = new.followed
    if followed is None or not followed.final:
        return []
    if old is not None and old.followed_id == new.followed_id:
        before = old.followed
        if before is not None and before.final:
            return []
    events: list[Event] = []
    report = explain_pipeline(new) if followed.status == "Failed" else None
    # A failed deployment already explained itself; do not repeat it for the pipeline.
    deployment_failed = deployment is not None and explain_deployment(deployment) is not None
    explanation = None
    if report is not None and not (deployment_failed and report.action != "ship"):
        explanation = report.headline
    events.append(
        PipelineExecutionFinished(
            pipeline=new.name,
            execution_id=followed.execution_id,
            status=followed.status,
            status_summary=followed.status_summary,
            duration_seconds=followed.duration,
            explanation=explanation,
        )
    )
    if report is not None and explanation is not None:
        events += _explained(report)
    return events


def _explained(report: FailureReport) -> list[Event]:
    """The report as a `FailureExplained` event, when it has more to say than its headline."""
    if not (report.explanation or report.remedy):
        return []
    return [
        FailureExplained(
            subject=report.subject,
            subject_id=report.subject_id,
            headline=report.headline,
            explanation=report.explanation,
            remedy=report.remedy,
            action=report.action,
        )
    ]


# --- deployment -------------------------------------------------------------------------------


def _cell_event(
    deployment: DeploymentView, inst: InstanceView, cell: LifecycleCell
) -> LifecycleEventChanged:
    ran = None
    if cell.runs_previous_revision and deployment.previous_revision is not None:
        ran = deployment.previous_revision.describe()
    return LifecycleEventChanged(
        level="warn" if deployment.ignores(cell) else "info",
        deployment_id=deployment.deployment_id,
        target_id=inst.target_id,
        event=cell.name,
        status=cell.status,
        started_at=cell.started_at,
        ended_at=cell.ended_at,
        diagnostics=cell.diagnostics,
        ran_revision=ran,
    )


#: Failed cells per poll whose log tail is spelled out line by line (the rest: in diagnostics).
TAILS_PER_POLL = 3


def _tail(deployment: DeploymentView, inst: InstanceView, cell: LifecycleCell) -> list[Event]:
    tail = cell.diagnostics.log_tail if cell.diagnostics else ""
    stderr_level: Level = "warn" if deployment.ignores(cell) else "error"
    return [
        HookOutput(
            level=stderr_level if line.stream == "stderr" else "info",
            deployment_id=deployment.deployment_id,
            target_id=inst.target_id,
            event=line.event,
            stream=line.stream,
            text=line.text,
        )
        for line in parse_scripts_log(tail, cell.name)
    ]


def _cells(old: DeploymentView | None, new: DeploymentView) -> list[Event]:
    events: list[Event] = []
    tails = 0
    for inst in new.instances:
        before = old.instance(inst.target_id) if old is not None else None
        if before is inst:
            continue  # the poller reuses unchanged rows: nothing to compare
        for cell in inst.events:
            prior = before.cell(cell.name) if before is not None else None
            if prior is None:
                changed = cell.status is not LifecycleStatus.PENDING
            else:
                changed = prior.status != cell.status or (
                    cell.status is LifecycleStatus.FAILED and prior.diagnostics != cell.diagnostics
                )
            if changed:
                events.append(_cell_event(new, inst, cell))
                if cell.status is LifecycleStatus.FAILED and tails < TAILS_PER_POLL:
                    events += _tail(new, inst, cell)
                    tails += 1
    return events


def _deployment(old: DeploymentView | None, new: DeploymentView) -> list[Event]:
    events: list[Event] = []
    if old is not None and old.deployment_id != new.deployment_id:
        old = None
    if old is None:
        events.append(
            DeploymentStarted(
                deployment_id=new.deployment_id,
                application=new.application,
                group=new.group,
                targets=tuple(i.target_id for i in new.instances),
                events=tuple(c.name for c in new.instances[0].events) if new.instances else (),
                revision=new.revision.describe() if new.revision else None,
                creator=new.creator,
            )
        )
        if not new.final and new.status.value != "Created":
            events.append(
                DeploymentStatusChanged(
                    deployment_id=new.deployment_id,
                    status=new.status,
                    overview=new.overview.as_dict(),
                )
            )
    elif not new.final and (old.status != new.status or old.overview != new.overview):
        events.append(
            DeploymentStatusChanged(
                deployment_id=new.deployment_id,
                status=new.status,
                previous_status=old.status,
                overview=new.overview.as_dict(),
            )
        )
    events += _cells(old, new)
    events += _traffic(old, new)
    if new.final and (old is None or not old.final):
        report = explain_deployment(new)
        events.append(
            DeploymentFinished(
                deployment_id=new.deployment_id,
                status=new.status,
                error_code=new.error_code,
                error_message=new.error_message,
                explanation=report.headline if report and report.headline else None,
                overview=new.overview.as_dict(),
                duration_seconds=new.duration,
                rollback_deployment_id=new.rollback_deployment_id,
            )
        )
        if new.rollback_deployment_id:
            events.append(
                Notice(
                    level="warn",
                    text=f"CodeDeploy is rolling back with deployment {new.rollback_deployment_id}",
                    hint=f"cdwizard monitor --deployment {new.rollback_deployment_id}",
                )
            )
        note = ignored_failures_note(new)
        if note is not None:
            events.append(Notice(text=note))
        if report is not None:
            events += _explained(report)
    return events


# --- the load balancer ----------------------------------------------------------------------


def _traffic(old: DeploymentView | None, new: DeploymentView) -> list[Event]:
    """The target group when first read (and every instance not in service then), then each
    instance leaving and rejoining it."""
    now = new.traffic
    if now is None or not now.available:
        return []
    before: TrafficView | None = old.traffic if old is not None else None
    events: list[Event] = []
    first = before is None or not before.available or before.target_group != now.target_group
    if first:
        events.append(
            TargetGroupObserved(
                deployment_id=new.deployment_id,
                target_group=now.target_group,
                url=now.load_balancer_url,
                health_check=now.health_check,
                counts={state: now.count(state) for state in TARGET_STATES if now.count(state)},
            )
        )
    elif before is not None and before.targets == now.targets:
        return events
    ids = {t.target_id for t in now.targets} | {i.target_id for i in new.instances}
    if before is not None and not first:
        ids |= {t.target_id for t in before.targets}
    total = max(new.total_instances, len(now.targets))
    for target_id in sorted(ids):
        state = now.state_of(target_id)
        was = None if first or before is None else before.state_of(target_id)
        if was == state or (first and state == "healthy"):
            continue
        found = now.target(target_id)
        events.append(
            TargetHealthChanged(
                deployment_id=new.deployment_id,
                target_group=now.target_group,
                target_id=target_id,
                state=state,
                previous_state=was,
                reason=found.reason if found else None,
                description=found.description if found else None,
                healthy=now.healthy,
                total=total,
            )
        )
    return events
