"""CodePipeline: recent executions, the followed execution's stages and actions, and the link
from its CodeDeploy action (`externalExecutionId`) to the deployment.

Per poll: `list_pipeline_executions` (1 call); while the followed execution runs (and once more
when it has just finished) `get_pipeline_state` and `list_action_executions` (2 calls). The
pipeline's structure (`get_pipeline`) is read once, and again only when its version changes.
An idle pipeline costs one call per poll.

Manual approvals (provider `Manual`) carry their token from `get_pipeline_state` (needed by
PutApprovalResult). With a stage per environment the deployment shown is the running deploy
stage's (else the last one that ran), and each execution's progress ("staging ✓ · approval ✗
rejected") is kept; an ended one not followed is read once (`list_action_executions`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Literal

from wizard.core.caveats import polling_disabled
from wizard.core.events.approval import APPROVAL_PROVIDER
from wizard.core.timeline import (
    ActionView,
    EnvironmentStages,
    ExecutionView,
    PipelineView,
    StageView,
    progress_line,
)
from wizard.services.aws.monitor.calls import ApiCaller
from wizard.services.aws.monitor.deployment_poller import utc
from wizard.services.aws.monitor.errors import Problem, classify

_EPOCH = datetime.min.replace(tzinfo=UTC)
#: Ended executions whose progress is read per poll (each once, one call each).
PROGRESS_READS_PER_POLL = 3
CONNECTION_PROVIDER = "CodeStarSourceConnection"


@dataclass(frozen=True)
class ExecutionSelector:
    """Which execution to follow.

    - `latest`: the newest execution when we attach (or the first one to appear), until it ends
    - `newest`: always the newest one (keep following new executions)
    - `id`: that execution
    - `commit`: the newest execution of that source revision (after `cdwizard ship`)
    """

    kind: Literal["latest", "newest", "id", "commit"] = "latest"
    value: str | None = None


@dataclass(frozen=True)
class _ActionDef:
    name: str
    provider: str | None
    configuration: tuple[tuple[str, str], ...]


def commit_message_from(summary: str | None) -> str | None:
    """`revisionSummary`: the commit message for CodeCommit; JSON for CodeConnections sources."""
    if not summary:
        return None
    if summary.startswith("{"):
        try:
            data = json.loads(summary)
        except ValueError:
            return summary
        if isinstance(data, dict):
            return data.get("CommitMessage") or summary
    return summary


def execution_from(summary: Mapping[str, Any]) -> ExecutionView:
    """A `PipelineExecutionSummary` (or `PipelineExecution`) -> `ExecutionView`."""
    revisions = summary.get("sourceRevisions") or []
    artifacts = summary.get("artifactRevisions") or []
    source = revisions[0] if revisions else (artifacts[0] if artifacts else {})
    trigger = summary.get("trigger") or {}
    return ExecutionView(
        execution_id=summary["pipelineExecutionId"],
        status=summary.get("status", "InProgress"),
        status_summary=summary.get("statusSummary") or None,
        started_at=utc(summary.get("startTime")),
        updated_at=utc(summary.get("lastUpdateTime")),
        commit_id=source.get("revisionId") or None,
        commit_message=commit_message_from(source.get("revisionSummary")),
        trigger_type=trigger.get("triggerType") or None,
        trigger_detail=trigger.get("triggerDetail") or None,
    )


class PipelinePoller:
    """Follows one pipeline. `poll(selector)` returns a fresh `PipelineView`."""

    def __init__(
        self,
        client: Any,
        name: str,
        *,
        history: int = 10,
        emulator: bool = False,
        connection_status: Callable[[str], tuple[str, str] | None] | None = None,
        environments: tuple[EnvironmentStages, ...] = (),
    ) -> None:
        self.api = ApiCaller(client)
        #: the terraform output `environments` when the workspace has it (stage -> environment)
        self.environments = environments
        #: (status, name) of a connection by ARN, looked up when a connection source fails
        self.connection_status = connection_status
        self._connections: dict[tuple[str, str], tuple[str, str] | None] = {}
        self.name = name
        self.history = max(1, min(history, 100))
        self.emulator = emulator
        self.view: PipelineView | None = None
        self.state_supported = True
        self.actions_supported = True
        self.notes: list[str] = []
        self._structure: tuple[tuple[str, tuple[_ActionDef, ...]], ...] | None = None
        self._blank: tuple[StageView, ...] = ()
        self._version: int | None = None
        self._followed_id: str | None = None
        self._detail_final_for: str | None = None
        self._stages: tuple[StageView, ...] = ()
        self._deployment_id: str | None = None
        #: how far each execution got (pipelines with environments only); final ones never change
        self._progress: dict[str, str | None] = {}
        self._progress_final: set[str] = set()

    # -- structure ---------------------------------------------------------------------------

    def _load_structure(self) -> None:
        found = self.api.call("get_pipeline", name=self.name)
        pipeline = found["pipeline"]
        self._version = pipeline.get("version")
        self._note_polling(pipeline, found.get("metadata") or {})
        stages = []
        for stage in pipeline.get("stages", []):
            actions = tuple(
                _ActionDef(
                    name=a["name"],
                    provider=(a.get("actionTypeId") or {}).get("provider"),
                    configuration=tuple(sorted((a.get("configuration") or {}).items())),
                )
                for a in stage.get("actions", [])
            )
            stages.append((stage["name"], actions))
        self._structure = tuple(stages)
        #: the stages with no run yet (built once per structure, not on every poll)
        self._blank = tuple(
            StageView(
                name=stage,
                actions=tuple(
                    ActionView(
                        stage=stage, name=a.name, provider=a.provider, configuration=a.configuration
                    )
                    for a in actions
                ),
            )
            for stage, actions in self._structure
        )

    def _note_polling(self, pipeline: Mapping[str, Any], metadata: Mapping[str, Any]) -> None:
        """A note when AWS disabled polling on a polling pipeline (no run for 30 days)."""
        disabled = utc(metadata.get("pollingDisabledAt"))
        polls = any(
            str((a.get("configuration") or {}).get("PollForSourceChanges", "")).lower() == "true"
            for stage in (pipeline.get("stages") or [])[:1]
            for a in stage.get("actions", [])
        )
        if disabled is None or not polls:
            return
        what, fix = polling_disabled(self.name, disabled)
        note = f"{what}; {fix}"
        if note not in self.notes:
            self.notes.append(note)

    # -- one poll ----------------------------------------------------------------------------

    def poll(self, selector: ExecutionSelector) -> PipelineView:
        if self._structure is None:
            self._load_structure()
        summaries = self.api.call(
            "list_pipeline_executions", pipelineName=self.name, maxResults=self.history
        ).get("pipelineExecutionSummaries", [])
        executions = [execution_from(s) for s in summaries]
        executions.sort(key=lambda e: e.started_at or _EPOCH, reverse=True)
        followed_id = self._choose(selector, executions)
        if followed_id and all(e.execution_id != followed_id for e in executions):
            found = self.api.call(
                "get_pipeline_execution", pipelineName=self.name, pipelineExecutionId=followed_id
            )["pipelineExecution"]
            executions.append(execution_from(found))
        if followed_id != self._followed_id:
            self._followed_id = followed_id
            self._detail_final_for = None
            self._deployment_id = None
            self._stages = self._blank
        followed = next((e for e in executions if e.execution_id == followed_id), None)
        if followed is not None and self._detail_final_for != followed.execution_id:
            self._poll_detail(followed)
            if followed.final:
                self._detail_final_for = followed.execution_id
        if self._multi_stage():
            executions = self._with_progress(executions)
        view = PipelineView(
            name=self.name,
            stages=self._stages or self._blank,
            executions=tuple(executions),
            followed_id=followed_id,
            deployment_id=self._deployment_id,
            emulator=self.emulator,
            environments=self.environments,
        )
        self.view = view
        return view

    def _multi_stage(self) -> bool:
        """The pipeline deploys per environment (or waits for approvals): its history says how
        far each run got."""
        actions = [a for _, defs in self._structure or () for a in defs]
        deploys = sum(1 for a in actions if a.provider == "CodeDeploy")
        approvals = any(a.provider == APPROVAL_PROVIDER for a in actions)
        return bool(self.environments) or deploys > 1 or approvals

    def _with_progress(self, executions: list[ExecutionView]) -> list[ExecutionView]:
        """Each execution with how far it got: the followed one from its detail; ended ones
        read once each (one ListActionExecutions, at most `PROGRESS_READS_PER_POLL` per poll)."""
        reads = 0
        for e in executions:
            if (
                not e.final
                or e.execution_id in self._progress_final
                or not self.actions_supported
                or reads >= PROGRESS_READS_PER_POLL
            ):
                continue
            reads += 1
            runs = self._action_runs(e.execution_id)
            stages = self._merge(e.execution_id, None, runs)
            self._progress[e.execution_id] = progress_line(stages, self.environments)
            self._progress_final.add(e.execution_id)
        return [replace(e, progress=self._progress.get(e.execution_id)) for e in executions]

    def _choose(self, selector: ExecutionSelector, executions: list[ExecutionView]) -> str | None:
        if selector.kind == "id":
            return selector.value
        if selector.kind == "commit":
            match = next((e for e in executions if e.commit_id == selector.value), None)
            return match.execution_id if match else None
        if selector.kind == "newest" or self._followed_id is None:
            return executions[0].execution_id if executions else None
        return self._followed_id

    # -- the followed execution's stages and actions ------------------------------------------

    def _optional(self, method: str, **kwargs: Any) -> dict[str, Any] | None:
        """Call an API an emulator may lack; None (and a note) when it does."""
        try:
            return self.api.call(method, **kwargs)
        except Exception as exc:
            found = classify(exc, operation=self.api.last_operation, emulator=self.emulator)
            if found.problem is not Problem.UNSUPPORTED:
                raise
            if method == "get_pipeline_state":
                self.state_supported = False
            else:
                self.actions_supported = False
            self.notes.append(f"{found.message}: stage details are limited")
            return None

    def _poll_detail(self, followed: ExecutionView) -> None:
        state = (
            self._optional("get_pipeline_state", name=self.name) if self.state_supported else None
        )
        if state and state.get("pipelineVersion") not in (None, self._version):
            self._load_structure()
        runs: dict[tuple[str, str], Mapping[str, Any]] = {}
        if self.actions_supported:
            runs = self._action_runs(followed.execution_id)
        self._stages = self._with_connections(
            followed.execution_id, self._merge(followed.execution_id, state, runs)
        )
        deploy = running_deploy(self._stages)
        if deploy is not None and deploy.external_execution_id:
            self._deployment_id = deploy.external_execution_id
        if self._multi_stage():
            self._progress[followed.execution_id] = progress_line(self._stages, self.environments)
            if followed.final:
                self._progress_final.add(followed.execution_id)

    def _with_connections(
        self, execution_id: str, stages: tuple[StageView, ...]
    ) -> tuple[StageView, ...]:
        """A failed connection source gets its connection's status (once per execution): the
        error text alone cannot tell a PENDING or revoked connection from a role without
        UseConnection."""
        if self.connection_status is None:
            return stages
        out = []
        for stage in stages:
            actions = []
            for action in stage.actions:
                a = action
                arn = a.config("ConnectionArn")
                if a.provider == CONNECTION_PROVIDER and a.status == "Failed" and arn:
                    key = (execution_id, arn)
                    if key not in self._connections:
                        try:
                            self._connections[key] = self.connection_status(arn)
                        except Exception as exc:  # an optional detail: never stop the monitor
                            self.notes.append(f"could not read connection {arn}: {exc}")
                            self._connections[key] = None
                    found = self._connections[key]
                    if found is not None:
                        a = replace(a, connection_status=found[0], connection_name=found[1])
                actions.append(a)
            out.append(replace(stage, actions=tuple(actions)))
        return tuple(out)

    def _action_runs(self, execution_id: str) -> dict[tuple[str, str], Mapping[str, Any]]:
        """The latest attempt of each action in the execution (retries add attempts)."""
        runs: dict[tuple[str, str], Mapping[str, Any]] = {}
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {
                "pipelineName": self.name,
                "filter": {"pipelineExecutionId": execution_id},
            }
            if token:
                kwargs["nextToken"] = token
            page = self._optional("list_action_executions", **kwargs)
            if page is None:
                return runs
            for detail in page.get("actionExecutionDetails", []):
                key = (detail.get("stageName", ""), detail.get("actionName", ""))
                prior = runs.get(key)
                if prior is None or (utc(detail.get("startTime")) or _EPOCH) >= (
                    utc(prior.get("startTime")) or _EPOCH
                ):
                    runs[key] = detail
            token = page.get("nextToken")
            if not token:
                return runs

    def _merge(
        self,
        execution_id: str,
        state: Mapping[str, Any] | None,
        runs: Mapping[tuple[str, str], Mapping[str, Any]],
    ) -> tuple[StageView, ...]:
        states = {s["stageName"]: s for s in (state or {}).get("stageStates", [])}
        stages = []
        for stage_name, defs in self._structure or ():
            stage_state = states.get(stage_name, {})
            latest = stage_state.get("latestExecution") or {}
            ours = latest.get("pipelineExecutionId") == execution_id
            action_states = {a["actionName"]: a for a in stage_state.get("actionStates", [])}
            actions = []
            for d in defs:
                run = runs.get((stage_name, d.name))
                if run is not None:
                    action = _action_from_run(stage_name, d, run)
                    if ours and d.name in action_states:
                        action = _with_state_token(action, action_states[d.name])
                    actions.append(action)
                elif ours and d.name in action_states:
                    actions.append(_action_from_state(stage_name, d, action_states[d.name]))
                else:
                    actions.append(
                        ActionView(
                            stage=stage_name,
                            name=d.name,
                            provider=d.provider,
                            configuration=d.configuration,
                        )
                    )
            status = latest.get("status") if ours else _derived_status(actions)
            stages.append(StageView(name=stage_name, status=status, actions=tuple(actions)))
        return tuple(stages)


def running_deploy(stages: tuple[StageView, ...]) -> ActionView | None:
    """The deploy action whose deployment the monitor shows: the running one, else the last
    one (in stage order) that started a deployment — with a Deploy-<env> stage per environment,
    the panel moves on with the pipeline."""
    deploys = [
        a
        for s in stages
        for a in s.actions
        if a.provider == "CodeDeploy" and a.external_execution_id
    ]
    running = next((a for a in deploys if a.status == "InProgress"), None)
    return running or (deploys[-1] if deploys else None)


def _derived_status(actions: list[ActionView]) -> str | None:
    statuses = [a.status for a in actions if a.status]
    if not statuses:
        return None
    for wanted in ("Failed", "InProgress", "Abandoned"):
        if wanted in statuses:
            return wanted
    return "Succeeded" if len(statuses) == len(actions) else "InProgress"


def _action_from_run(stage: str, d: _ActionDef, run: Mapping[str, Any]) -> ActionView:
    output = run.get("output") or {}
    result = output.get("executionResult") or {}
    variables = output.get("outputVariables") or {}
    error = result.get("errorDetails") or {}
    provider = ((run.get("input") or {}).get("actionTypeId") or {}).get("provider") or d.provider
    return ActionView(
        stage=stage,
        name=d.name,
        provider=provider,
        status=run.get("status"),
        summary=result.get("externalExecutionSummary") or None,
        error_code=error.get("code") or None,
        error_message=error.get("message") or None,
        external_execution_id=result.get("externalExecutionId") or None,
        external_url=result.get("externalExecutionUrl") or None,
        started_at=utc(run.get("startTime")),
        updated_at=utc(run.get("lastUpdateTime")),
        configuration=d.configuration,
        output_variables=tuple(sorted((str(k), str(v)) for k, v in variables.items())),
        updated_by=run.get("updatedBy") or None,
    )


def _with_state_token(action: ActionView, state: Mapping[str, Any]) -> ActionView:
    """A waiting approval's token (and its approver) live only in `get_pipeline_state`."""
    latest = state.get("latestExecution") or {}
    token = latest.get("token") if action.status == "InProgress" else None
    by = action.updated_by or latest.get("lastUpdatedBy") or None
    if token == action.token and by == action.updated_by:
        return action
    return replace(action, token=token or None, updated_by=by)


def _action_from_state(stage: str, d: _ActionDef, state: Mapping[str, Any]) -> ActionView:
    latest = state.get("latestExecution") or {}
    error = latest.get("errorDetails") or {}
    return ActionView(
        stage=stage,
        name=d.name,
        provider=d.provider,
        status=latest.get("status"),
        summary=latest.get("summary") or None,
        error_code=error.get("code") or None,
        error_message=error.get("message") or None,
        external_execution_id=latest.get("externalExecutionId") or None,
        external_url=latest.get("externalExecutionUrl") or None,
        updated_at=utc(latest.get("lastStatusChange")),
        configuration=d.configuration,
        token=(latest.get("token") or None) if latest.get("status") == "InProgress" else None,
        updated_by=latest.get("lastUpdatedBy") or None,
    )
