"""CodePipeline request handlers (methods of moto's `CodePipelineResponse`) and the
CreatePipeline trigger.

StartPipelineExecution starts a scheduled execution; GetPipelineExecution,
ListPipelineExecutions, GetPipelineState and ListActionExecutions (the last two missing in moto)
show the executions as they are now; StopPipelineExecution, RetryStageExecution and
PutApprovalResult (a waiting manual approval's token, from GetPipelineState) change them.
"""

from __future__ import annotations

from typing import Any

from wizard.services.sandbox.extensions._delivery import approval, clock
from wizard.services.sandbox.extensions._delivery import pipeline as engine
from wizard.services.sandbox.extensions._delivery.api import MARK, Handler, dumps, page, result_of
from wizard.services.sandbox.extensions._delivery.model import ActionRun, ExecutionRun, StageRun
from wizard.services.sandbox.extensions._delivery.world import LOCK, World, enabled, world_of

PAGE = 100


def _pipeline(world: World, name: Any) -> Any:
    world.codepipeline.get_pipeline(str(name or ""))  # the API's PipelineNotFoundException
    return world.codepipeline.pipelines[str(name)]


def _execution(world: World, pipeline: Any, execution_id: Any) -> ExecutionRun:
    found = engine.runs_of(pipeline).execution(str(execution_id or ""))
    if found is None:
        from moto.codepipeline.exceptions import PipelineExecutionNotFoundException

        raise PipelineExecutionNotFoundException(
            f"Account '{world.account}' does not have an execution with id '{execution_id}' "
            f"for pipeline '{pipeline.pipeline['name']}'"
        )
    return found


def _visible(pipeline: Any, t: float) -> list[ExecutionRun]:
    """Executions started by `t`, newest first."""
    executions = engine.runs_of(pipeline).executions
    started = [(e.start, i, e) for i, e in enumerate(executions) if e.start <= t]
    return [e for _, _, e in sorted(started, key=lambda x: x[:2], reverse=True)]


def _times(ex: ExecutionRun, t: float) -> list[float]:
    times = [ex.start]
    for stage in ex.stages:
        times.append(stage.enter)
        times += [x for x in (stage.end,) if x is not None]
        for run in stage.actions:
            times += [run.start, run.end]
    if ex.end is not None:
        times.append(ex.end)
    if ex.stop is not None:
        times.append(ex.stop["at"])
    return [x for x in times if x <= t]


def _source_actions(ex: ExecutionRun, t: float) -> list[ActionRun]:
    """Source actions that hold a revision by `t` (from when they start: the commit is known)."""
    return [
        run
        for stage in ex.stages
        for run in stage.actions
        if run.revision is not None and run.start <= t
    ]


def _trigger(ex: ExecutionRun) -> dict[str, str]:
    out = {"triggerType": ex.trigger_type}
    if ex.trigger_detail:
        out["triggerDetail"] = ex.trigger_detail
    return out


def _status_summary(ex: ExecutionRun, t: float) -> str | None:
    if ex.stop is not None and t >= ex.stop["at"]:
        return str(ex.stop.get("reason") or "") or None
    return None


def _summary(ex: ExecutionRun, t: float) -> dict[str, Any]:
    out: dict[str, Any] = {
        "pipelineExecutionId": ex.execution_id,
        "status": ex.status_at(t),
        "startTime": ex.start,
        "lastUpdateTime": max(_times(ex, t)),
        "sourceRevisions": [
            {
                "actionName": run.action,
                "revisionId": run.revision["revisionId"],
                "revisionSummary": run.revision["revisionSummary"],
                "revisionUrl": run.revision.get("revisionUrl"),
            }
            for run in _source_actions(ex, t)
            if run.revision is not None
        ],
        "trigger": _trigger(ex),
        "executionMode": "SUPERSEDED",  # the only mode emulated
        "executionType": "STANDARD",
    }
    summary = _status_summary(ex, t)
    if summary:
        out["statusSummary"] = summary
    if ex.stop is not None and t >= ex.stop["at"]:
        out["stopTrigger"] = {"reason": ex.stop.get("reason") or ""}
    return out


def start_pipeline_execution(self: Any, world: World, now: float) -> dict[str, Any]:
    pipeline = _pipeline(world, self._get_param("name"))
    overrides: dict[str, str] = {}
    for item in self._get_param("sourceRevisions") or []:
        kind = item.get("revisionType")
        if kind == "COMMIT_ID":
            overrides[item["actionName"]] = item["revisionValue"]
        elif kind in ("S3_OBJECT_VERSION_ID", "S3_OBJECT_KEY"):
            overrides[kind] = item["revisionValue"]
    ex = engine.start_execution(
        world,
        pipeline,
        "StartPipelineExecution",
        engine.caller_arn(world),
        now,
        variables=self._get_param("variables"),
        overrides=overrides,
    )
    return {"pipelineExecutionId": ex.execution_id}


def get_pipeline_execution(self: Any, world: World, now: float) -> dict[str, Any]:
    pipeline = _pipeline(world, self._get_param("pipelineName"))
    ex = _execution(world, pipeline, self._get_param("pipelineExecutionId"))
    out: dict[str, Any] = {
        "pipelineName": pipeline.pipeline["name"],
        "pipelineVersion": ex.pipeline_version,
        "pipelineExecutionId": ex.execution_id,
        "status": ex.status_at(now),
        "artifactRevisions": [
            {
                "name": artifact["name"],
                "revisionId": run.revision["revisionId"],
                "revisionChangeIdentifier": run.revision["revisionId"],
                "revisionSummary": run.revision["revisionSummary"],
                "revisionUrl": run.revision.get("revisionUrl"),
                "created": run.revision["created"],
            }
            for run in _source_actions(ex, now)
            if run.revision is not None
            for artifact in run.output_artifacts
        ],
        "variables": [
            {"name": v.get("name"), "resolvedValue": v.get("value")} for v in ex.variables
        ],
        "trigger": _trigger(ex),
        "executionMode": "SUPERSEDED",  # the only mode emulated
        "executionType": "STANDARD",
    }
    summary = _status_summary(ex, now)
    if summary:
        out["statusSummary"] = summary
    return {"pipelineExecution": out}


def list_pipeline_executions(self: Any, world: World, now: float) -> dict[str, Any]:
    pipeline = _pipeline(world, self._get_param("pipelineName"))
    executions = _visible(pipeline, now)
    wanted = ((self._get_param("filter") or {}).get("succeededInStage") or {}).get("stageName")
    if wanted:
        executions = [
            e
            for e in executions
            if (s := e.stage_run(wanted)) is not None and s.status_at(now) == "Succeeded"
        ]
    size = int(self._get_param("maxResults") or PAGE)
    chunk, token = page(executions, self._get_param("nextToken"), max(1, min(size, 100)))
    return {"pipelineExecutionSummaries": [_summary(e, now) for e in chunk], "nextToken": token}


# --- GetPipelineState -------------------------------------------------------------------------


def _stage_status(ex: ExecutionRun, stage: StageRun, t: float) -> str:
    status = stage.status_at(t)
    if status == "InProgress" and ex.stop is not None and t >= ex.stop["at"]:
        return "Stopping"
    return status


def _action_execution(run: ActionRun, t: float) -> dict[str, Any]:
    status = run.status_at(t)
    out: dict[str, Any] = {
        "actionExecutionId": run.action_execution_id,
        "status": status,
        "lastStatusChange": run.start if status == "InProgress" else run.end,
    }
    if run.external_id:
        out["externalExecutionId"] = run.external_id
    waits = status == "InProgress" and run.token is not None
    if run.summary and (status != "InProgress" or waits):
        out["summary"] = run.summary  # a waiting approval shows its CustomData
    if waits:
        out["token"] = run.token
    if run.updated_by and status != "InProgress":
        out["lastUpdatedBy"] = run.updated_by
    if status == "Failed" and run.error:
        out["errorDetails"] = {"code": run.error[0], "message": run.error[1]}
    return out


def _latest_stage(pipeline: Any, name: str, t: float) -> tuple[ExecutionRun, StageRun] | None:
    best: tuple[ExecutionRun, StageRun] | None = None
    for ex in engine.runs_of(pipeline).executions:
        for stage in ex.stages:
            later = best is None or stage.enter >= best[1].enter
            if stage.name == name and stage.enter <= t and later:
                best = (ex, stage)
    return best


def _latest_action(pipeline: Any, stage: str, action: str, t: float) -> ActionRun | None:
    found = [
        run
        for ex in engine.runs_of(pipeline).executions
        for s in ex.stages
        if s.name == stage
        for run in s.actions
        if run.action == action and run.start <= t
    ]
    return max(found, key=lambda r: r.start, default=None)


def get_pipeline_state(self: Any, world: World, now: float) -> dict[str, Any]:
    pipeline = _pipeline(world, self._get_param("name"))
    runs = engine.runs_of(pipeline)
    states = []
    for declared in pipeline.pipeline.get("stages") or []:
        name = declared["name"]
        state: dict[str, Any] = {"stageName": name, "inboundTransitionState": {"enabled": True}}
        waiting = [
            w
            for w in (runs.execution(i) for i in runs.waiting.get(name, []))
            if w is not None and not w.done
        ]
        if waiting:
            inbound = [
                {"pipelineExecutionId": w.execution_id, "status": "InProgress", "type": "STANDARD"}
                for w in waiting
            ]
            state["inboundExecution"] = inbound[-1]
            state["inboundExecutions"] = inbound
        latest = _latest_stage(pipeline, name, now)
        if latest is not None:
            ex, stage = latest
            state["latestExecution"] = {
                "pipelineExecutionId": ex.execution_id,
                "status": _stage_status(ex, stage, now),
                "type": "STANDARD",
            }
        actions = []
        for action in declared.get("actions") or []:
            item: dict[str, Any] = {"actionName": action["name"]}
            run = _latest_action(pipeline, name, action["name"], now)
            if run is not None:
                item["latestExecution"] = _action_execution(run, now)
                link = approval.external_link(run)
                if link:
                    item["entityUrl"] = link  # the approval's ExternalEntityLink
                if run.revision is not None and run.status_at(now) == "Succeeded":
                    item["currentRevision"] = {
                        "revisionId": run.revision["revisionId"],
                        "revisionChangeId": run.revision["revisionId"],
                        "created": run.revision["created"],
                    }
            actions.append(item)
        state["actionStates"] = actions
        states.append(state)
    return {
        "pipelineName": pipeline.pipeline["name"],
        "pipelineVersion": pipeline.pipeline.get("version", 1),
        "stageStates": states,
        "created": _timestamp(pipeline, "created"),
        "updated": _timestamp(pipeline, "updated"),
    }


def _timestamp(pipeline: Any, name: str) -> Any:
    """moto's pipeline `created`/`updated` (named `_created`/`_updated` before moto 5.2.6)."""
    for attr in (name, f"_{name}"):
        value = getattr(pipeline, attr, None)
        if value is not None:
            return value
    raise AttributeError(f"moto's CodePipeline has neither {name} nor _{name}")


# --- ListActionExecutions ---------------------------------------------------------------------


def _detail(world: World, ex: ExecutionRun, run: ActionRun, t: float) -> dict[str, Any]:
    status = run.status_at(t)
    declared = run.declaration
    config = {str(k): str(v) for k, v in (declared.get("configuration") or {}).items()}
    action_input: dict[str, Any] = {
        "actionTypeId": declared.get("actionTypeId"),
        "configuration": config,
        "resolvedConfiguration": config,
        "region": declared.get("region") or world.region,
        "inputArtifacts": run.input_artifacts,
    }
    if declared.get("roleArn"):
        action_input["roleArn"] = declared["roleArn"]
    if declared.get("namespace"):
        action_input["namespace"] = declared["namespace"]
    result: dict[str, Any] = {}
    if run.external_id:
        result["externalExecutionId"] = run.external_id
    if run.summary and status != "InProgress":
        result["externalExecutionSummary"] = run.summary
    if status == "Failed" and run.error:
        result["errorDetails"] = {"code": run.error[0], "message": run.error[1]}
    produced = run.output_artifacts if status == "Succeeded" else []
    output: dict[str, Any] = {"outputArtifacts": produced}
    if result:
        output["executionResult"] = result
    if status == "Succeeded" and run.output_variables:
        output["outputVariables"] = run.output_variables
    out = {
        "pipelineExecutionId": ex.execution_id,
        "actionExecutionId": run.action_execution_id,
        "pipelineVersion": ex.pipeline_version,
        "stageName": run.stage,
        "actionName": run.action,
        "startTime": run.start,
        "lastUpdateTime": run.start if status == "InProgress" else run.end,
        "status": status,
        "input": action_input,
        "output": output,
    }
    if run.updated_by and status != "InProgress":
        out["updatedBy"] = run.updated_by
    return out


def list_action_executions(self: Any, world: World, now: float) -> dict[str, Any]:
    pipeline = _pipeline(world, self._get_param("pipelineName"))
    flt = self._get_param("filter") or {}
    wanted = flt.get("pipelineExecutionId") or (flt.get("latestInPipelineExecution") or {}).get(
        "pipelineExecutionId"
    )
    executions = engine.runs_of(pipeline).executions
    if wanted:
        executions = [_execution(world, pipeline, wanted)]
    details = [
        (run, ex)
        for ex in executions
        for stage in ex.stages
        for run in stage.actions
        if run.start <= now
    ]
    details.sort(key=lambda pair: pair[0].start, reverse=True)
    size = int(self._get_param("maxResults") or PAGE)
    chunk, token = page(details, self._get_param("nextToken"), max(1, min(size, 100)))
    return {
        "actionExecutionDetails": [_detail(world, ex, run, now) for run, ex in chunk],
        "nextToken": token,
    }


# --- changing executions ----------------------------------------------------------------------


def stop_pipeline_execution(self: Any, world: World, now: float) -> dict[str, Any]:
    pipeline = _pipeline(world, self._get_param("pipelineName"))
    ex = _execution(world, pipeline, self._get_param("pipelineExecutionId"))
    engine.stop_execution(
        pipeline,
        ex,
        now,
        abandon=bool(self._get_param("abandon")),
        reason=str(self._get_param("reason") or ""),
    )
    engine.advance(world, now)
    return {"pipelineExecutionId": ex.execution_id}


def retry_stage_execution(self: Any, world: World, now: float) -> dict[str, Any]:
    pipeline = _pipeline(world, self._get_param("pipelineName"))
    ex = _execution(world, pipeline, self._get_param("pipelineExecutionId"))
    stage = self._get_param("stageName")
    if not any(s["name"] == stage for s in pipeline.pipeline.get("stages") or []):
        raise engine.error(
            "StageNotFoundException", f"Stage {stage} does not exist in the pipeline."
        )
    mode = self._get_param("retryMode") or "FAILED_ACTIONS"
    if mode != "FAILED_ACTIONS":  # ALL_ACTIONS: cdwizard only ever retries the failed ones
        raise engine.error(
            "ValidationException", f"The cdwizard sandbox does not emulate retryMode {mode}."
        )
    engine.retry_stage(pipeline, ex, stage, at=now)
    engine.advance(world, now)
    return {"pipelineExecutionId": ex.execution_id}


def _declared_action(pipeline: Any, stage_name: str, action_name: str) -> dict[str, Any]:
    stage = next(
        (s for s in pipeline.pipeline.get("stages") or [] if s.get("name") == stage_name), None
    )
    if stage is None:
        raise engine.error(
            "StageNotFoundException",
            f"Stage {stage_name} not found in pipeline {pipeline.pipeline['name']}.",
        )
    action = next((a for a in stage.get("actions") or [] if a.get("name") == action_name), None)
    if action is None:
        raise engine.error(
            "ActionNotFoundException",
            f"Action {action_name} not found in stage {stage_name} of pipeline "
            f"{pipeline.pipeline['name']}.",
        )
    return dict(action)


def put_approval_result(self: Any, world: World, now: float) -> dict[str, Any]:
    pipeline = _pipeline(world, self._get_param("pipelineName"))
    stage_name = str(self._get_param("stageName") or "")
    action_name = str(self._get_param("actionName") or "")
    _declared_action(pipeline, stage_name, action_name)
    result = self._get_param("result") or {}
    status, summary = result.get("status"), str(result.get("summary") or "")
    if status not in (approval.APPROVED, approval.REJECTED):
        raise engine.error(
            "ValidationException",
            f"1 validation error detected: Value '{status}' at 'result.status' failed to satisfy "
            "constraint: Member must satisfy enum value set: [Approved, Rejected]",
        )
    if len(summary) > 512:
        raise engine.error(
            "ValidationException",
            "1 validation error detected: Value at 'result.summary' failed to satisfy "
            "constraint: Member must have length less than or equal to 512",
        )
    token = str(self._get_param("token") or "")
    found = [
        (ex, run)
        for ex in engine.runs_of(pipeline).executions
        for stage in ex.stages
        if stage.name == stage_name
        for run in stage.actions
        if run.action == action_name and run.token is not None and run.token == token
    ]
    if not found:
        raise engine.error(
            "InvalidApprovalTokenException",
            f"The token {token} is not valid for action {action_name} in stage {stage_name} "
            f"of pipeline {pipeline.pipeline['name']}.",
        )
    ex, run = found[0]
    if not approval.waiting(run):
        raise engine.error(
            "ApprovalAlreadyCompletedException",
            f"The approval request for action {action_name} in stage {stage_name} of pipeline "
            f"{pipeline.pipeline['name']} has already been completed.",
        )
    approval.decide(run, status=status, summary=summary, by=engine.caller_arn(world), at=now)
    engine.approval_decided(ex, run)
    engine.advance(world, now)
    return {"approvedAt": now}


HANDLERS: dict[str, Handler] = {
    "put_approval_result": put_approval_result,
    "start_pipeline_execution": start_pipeline_execution,
    "get_pipeline_execution": get_pipeline_execution,
    "list_pipeline_executions": list_pipeline_executions,
    "get_pipeline_state": get_pipeline_state,
    "list_action_executions": list_action_executions,
    "stop_pipeline_execution": stop_pipeline_execution,
    "retry_stage_execution": retry_stage_execution,
}


# --- CreatePipeline starts the first execution --------------------------------------------------


def install_create_trigger() -> None:
    """Wrap the backend's `create_pipeline`: a new pipeline starts running at once, as on AWS
    (trigger CreatePipeline). Backend-level, so it composes with response-level shims."""
    from moto.codepipeline.models import CodePipelineBackend

    current = CodePipelineBackend.__dict__["create_pipeline"]
    if getattr(current, MARK, False):
        return

    def create_pipeline(
        self: CodePipelineBackend, pipeline: dict[str, Any], tags: list[dict[str, str]]
    ) -> tuple[dict[str, Any], list[dict[str, str]]]:
        out: tuple[dict[str, Any], list[dict[str, str]]] = current(self, pipeline, tags)
        if enabled():
            world = World(str(self.account_id), str(self.region_name))
            with LOCK:
                created = self.pipelines[pipeline["name"]]
                now = clock.now()
                engine.advance(world, now)
                engine.remember_heads(world, created)
                engine.start_execution(
                    world, created, "CreatePipeline", engine.caller_arn(world), now
                )
        return out

    setattr(create_pipeline, MARK, True)
    # a deliberate monkeypatch of moto's backend method (same signature)
    CodePipelineBackend.create_pipeline = create_pipeline  # type: ignore[method-assign]


# --- GetPipeline tells when polling was disabled ------------------------------------------------


def install_polling_metadata() -> None:
    """Wrap the GetPipeline handler: its metadata gains `pollingDisabledAt` (epoch seconds) once
    the pipeline has polled for `POLLING_IDLE_SECONDS` without a run (as AWS reports it). At the
    response, not the backend: moto's backend `get_pipeline` changed its return shape in 5.2.6,
    its handler's answer is read whatever its shape (`result_of`)."""
    from moto.codepipeline.responses import CodePipelineResponse

    current = CodePipelineResponse.__dict__["get_pipeline"]
    if getattr(current, MARK, False):
        return

    def get_pipeline(self: CodePipelineResponse) -> Any:
        out = current(self)
        if not enabled():
            return out
        name = self._get_param("name")
        with LOCK:
            found = self.codepipeline_backend.pipelines.get(name)
            disabled = (
                None
                if found is None
                else engine.polling_disabled_at(world_of(self), found, clock.now())
            )
        if disabled is None:
            return out
        body = dict(result_of(out))
        body["metadata"] = {**(body.get("metadata") or {}), "pollingDisabledAt": disabled}
        return dumps(body)

    setattr(get_pipeline, MARK, True)
    # a deliberate monkeypatch of moto's response method (same signature)
    CodePipelineResponse.get_pipeline = get_pipeline  # type: ignore[method-assign]
