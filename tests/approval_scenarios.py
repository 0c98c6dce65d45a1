"""Test support for manual approvals: a pipeline with a stage per environment in moto (Source,
Deploy-staging, Approve-production, Deploy-production) and the stubbed `GetPipelineState` +
`ListActionExecutions` answers of one poll, shapes checked by botocore's Stubber."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from botocore.stub import Stubber

from tests.monitor_scenarios import T0
from tests.moto_stack import create_role, pipeline_declaration

MESSAGE = "Approve deployment to production?"
URL = "https://example.com/release-notes"
TOKEN = "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"
STAGES = ("Source", "Deploy-staging", "Approve-production", "Deploy-production")
PROVIDERS = {
    "Source": ("Source", "CodeCommit"),
    "Deploy-staging": ("Deploy", "CodeDeploy"),
    "Approve-production": ("Approval", "Manual"),
    "Deploy-production": ("Deploy", "CodeDeploy"),
}


def create_env_pipeline(clients: Any, name: str = "shop") -> None:
    """Source, Deploy-staging, Approve-production (message + link), Deploy-production."""
    role = create_role(clients.client("iam"), f"{name}-pipeline")
    declaration = pipeline_declaration(
        name,
        role,
        bucket=f"{name}-artifacts",
        repository=name,
        branch="main",
        application=name,
        group=f"{name}-staging-dg",
    )
    source, deploy = declaration["stages"]
    staging = {"name": "Deploy-staging", "actions": deploy["actions"]}
    approve = {
        "name": "Approve-production",
        "actions": [
            {
                "name": "Approve",
                "actionTypeId": {
                    "category": "Approval",
                    "owner": "AWS",
                    "provider": "Manual",
                    "version": "1",
                },
                "configuration": {"CustomData": MESSAGE, "ExternalEntityLink": URL},
            }
        ],
    }
    production_action = dict(deploy["actions"][0])
    production_action["configuration"] = {
        "ApplicationName": name,
        "DeploymentGroupName": f"{name}-production-dg",
    }
    production = {"name": "Deploy-production", "actions": [production_action]}
    declaration["stages"] = [source, staging, approve, production]
    clients.client("codepipeline").create_pipeline(pipeline=declaration)


@dataclass(frozen=True)
class Step:
    """One stage's run in a poll: its status, and for the approval who answered and how."""

    status: str
    deployment_id: str | None = None
    by: str | None = None
    comment: str | None = None


def _action_name(stage: str) -> str:
    return "Approve" if stage.startswith("Approve-") else stage.split("-", maxsplit=1)[0]


def queue_poll(stub: Stubber, pipeline: str, execution_id: str, steps: dict[str, Step]) -> None:
    """Queue one poll's `get_pipeline_state` and `list_action_executions` for the execution."""
    state, runs = poll_answers(pipeline, execution_id, steps)
    stub.add_response("get_pipeline_state", state, {"name": pipeline})
    queue_runs(stub, pipeline, execution_id, runs)


def poll_answers(
    pipeline: str, execution_id: str, steps: dict[str, Step]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(`get_pipeline_state`, `list_action_executions`' details) for the execution at `steps`."""
    states = []
    runs = []
    for k, stage in enumerate(STAGES):
        step = steps.get(stage)
        action = "Source" if stage == "Source" else _action_name(stage)
        if step is None:
            states.append({"stageName": stage, "actionStates": [{"actionName": action}]})
            continue
        latest: dict[str, Any] = {"status": step.status, "lastStatusChange": T0}
        if stage.startswith("Approve-"):
            if step.status == "InProgress":
                latest["token"] = TOKEN
            if step.by:
                latest["lastUpdatedBy"] = step.by
            if step.comment:
                latest["summary"] = step.comment
        states.append(
            {
                "stageName": stage,
                "latestExecution": {"pipelineExecutionId": execution_id, "status": step.status},
                "actionStates": [{"actionName": action, "latestExecution": latest}],
            }
        )
        category, provider = PROVIDERS[stage]
        start = T0 + timedelta(seconds=10 * k)
        run: dict[str, Any] = {
            "pipelineExecutionId": execution_id,
            "actionExecutionId": f"{stage}-{execution_id[:6]}",
            "pipelineVersion": 1,
            "stageName": stage,
            "actionName": action,
            "startTime": start,
            "lastUpdateTime": start + timedelta(seconds=5),
            "status": step.status,
            "input": {
                "actionTypeId": {
                    "category": category,
                    "owner": "AWS",
                    "provider": provider,
                    "version": "1",
                }
            },
        }
        result: dict[str, Any] = {}
        if step.deployment_id:
            result["externalExecutionId"] = step.deployment_id
        if step.comment:
            result["externalExecutionSummary"] = step.comment
        if step.status == "Failed" and stage.startswith("Approve-"):
            result["errorDetails"] = {"code": "JobFailed", "message": "Rejected"}
        if step.by:
            run["updatedBy"] = step.by
        if result:
            run["output"] = {"executionResult": result}
        runs.append(run)
    return {"pipelineName": pipeline, "pipelineVersion": 1, "stageStates": states}, runs


def queue_runs(stub: Stubber, pipeline: str, execution_id: str, runs: list[dict[str, Any]]) -> None:
    stub.add_response(
        "list_action_executions",
        {"actionExecutionDetails": runs},
        {"pipelineName": pipeline, "filter": {"pipelineExecutionId": execution_id}},
    )
