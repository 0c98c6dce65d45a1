"""Test support for the monitor: moto setup, a Stubber for the APIs moto lacks, scenario frames.

`GapStubber` is botocore's `Stubber` (responses and request parameters validated against the
real service model) restricted to named operations: every other call on the same client goes
over HTTP to the moto server. So a poll cycle mixes real moto calls (pipelines, executions,
get/list deployments) with stubbed ones (`GetPipelineState`, `ListActionExecutions`,
`ListDeploymentTargets`, `BatchGetDeploymentTargets`), as the acceptance criteria ask.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from botocore.stub import Stubber

from tests.moto_stack import create_application_and_group, create_role, pipeline_declaration
from wizard.core.agent_log import DEPLOYMENT_ROOT
from wizard.core.events.lifecycle import IN_PLACE_EVENTS
from wizard.core.output import CollectingSink
from wizard.services.aws.monitor import Monitor, MonitorUpdate

ACCOUNT = "123456789012"
REGION = "eu-west-1"
T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


class GapStubber(Stubber):
    """A Stubber that answers only `operations` (API names); other calls reach the endpoint."""

    def __init__(self, client: Any, operations: Iterable[str]) -> None:
        super().__init__(client)
        self.operations = frozenset(operations)

    def _assert_expected_params(self, model, params, context, **kwargs):
        if model.name in self.operations:
            return super()._assert_expected_params(model, params, context, **kwargs)
        return None

    def _get_response_handler(self, model, params, context, **kwargs):
        if model.name in self.operations:
            return super()._get_response_handler(model, params, context, **kwargs)
        return None


# --- moto setup -------------------------------------------------------------------------------


def moto_backend(service: str) -> Any:
    from moto.backends import get_backend

    return get_backend(service)[ACCOUNT][REGION]


def create_pipeline(clients: Any, name: str = "demo", repository: str = "demo") -> None:
    """A two-stage pipeline (CodeCommit source, CodeDeploy deploy) in moto."""
    role = create_role(clients.client("iam"), f"{name}-pipeline")
    clients.client("codepipeline").create_pipeline(
        pipeline=pipeline_declaration(
            name,
            role,
            bucket=f"{name}-artifacts",
            repository=repository,
            branch="master",
            application="demo",
            group="demo-dg",
        )
    )


def start_execution(clients: Any, pipeline: str = "demo", status: str = "InProgress") -> str:
    execution = clients.client("codepipeline").start_pipeline_execution(name=pipeline)
    execution_id = execution["pipelineExecutionId"]
    set_execution(pipeline, execution_id, status)
    return execution_id


def set_execution(pipeline: str, execution_id: str, status: str) -> None:
    moto_backend("codepipeline").pipelines[pipeline].executions[execution_id].status = status


def create_deployment(clients: Any, application: str = "demo", group: str = "demo-dg") -> str:
    """An application, group and deployment in moto; returns the deployment id."""
    codedeploy = clients.client("codedeploy")
    role = clients.client("iam").create_role(
        RoleName=f"{group}-role", AssumeRolePolicyDocument="{}"
    )
    create_application_and_group(
        codedeploy,
        application,
        group,
        role["Role"]["Arn"],
        deploymentConfigName="CodeDeployDefault.AllAtOnce",
    )
    out = codedeploy.create_deployment(
        applicationName=application,
        deploymentGroupName=group,
        revision={
            "revisionType": "S3",
            "s3Location": {"bucket": "demo-artifacts", "key": "demo/rev1.zip", "bundleType": "zip"},
        },
    )
    return str(out["deploymentId"])


def set_deployment(deployment_id: str, status: str, overview: dict[str, int] | None = None) -> None:
    dep = moto_backend("codedeploy").deployments[deployment_id]
    dep.status = status
    if overview is not None:
        dep.deployment_overview = {
            k: overview.get(k, 0)
            for k in ("Pending", "InProgress", "Succeeded", "Failed", "Skipped", "Ready")
        }
    if status in ("InProgress", "Succeeded", "Failed", "Stopped") and dep.start_time is None:
        dep.start_time = datetime.now(UTC)
    if status in ("Succeeded", "Failed", "Stopped"):
        dep.complete_time = datetime.now(UTC)


def fake_instance_agent(ssm: Any, root: Path) -> None:
    """Plays the instance's SSM agent for `ssm`: runs each command moto accepted with /bin/sh in
    `root` (the CodeDeploy agent's deployment root moved there too) and stores the output where
    moto's GetCommandInvocation reads it."""

    def run(parsed: dict[str, Any], **_: Any) -> None:
        command = parsed["Command"]
        script = command["Parameters"]["commands"][0].replace(DEPLOYMENT_ROOT, str(root))
        done = subprocess.run(["/bin/sh", "-c", script], cwd=root, capture_output=True, text=True)
        stored = moto_backend("ssm").get_command_by_id(command["CommandId"])
        for invocation in stored.invocations:
            invocation["StandardOutputContent"] = done.stdout[:24000]
            invocation["StandardErrorContent"] = done.stderr[:8000]
            invocation["ResponseCode"] = done.returncode
            invocation["Status"] = "Success" if done.returncode == 0 else "Failed"
            invocation["StatusDetails"] = invocation["Status"]

    ssm.meta.events.register("after-call.ssm.SendCommand", run)


def collect_events(monitor: Monitor) -> CollectingSink:
    """A sink that receives every event `monitor` emits (on the monitor's thread)."""
    sink = CollectingSink()

    def on_update(update: MonitorUpdate) -> None:
        for event in update.events:
            sink.emit(event)

    monitor.subscribe(on_update)
    return sink


# --- the fleet: per-instance lifecycle state, rendered as API responses ------------------------


@dataclass
class Cell:
    status: str = "Pending"
    start: datetime | None = None
    end: datetime | None = None
    diagnostics: dict[str, str] | None = None


def script_failed(script: str, code: int, tail: str) -> dict[str, str]:
    return {
        "errorCode": "ScriptFailed",
        "scriptName": script,
        "message": f"Script at specified location: {script} failed with exit code {code}",
        "logTail": tail,
    }


@dataclass
class Fleet:
    """A deployment's instances × lifecycle events, advanced step by step by a test."""

    deployment_id: str
    instances: Sequence[str]
    events: Sequence[str] = IN_PLACE_EVENTS
    cells: dict[str, dict[str, Cell]] = field(default_factory=dict)
    clock: datetime = T0

    def __post_init__(self) -> None:
        self.cells = {i: {e: Cell() for e in self.events} for i in self.instances}

    def tick(self) -> datetime:
        self.clock += timedelta(seconds=3)
        return self.clock

    def start(self, instance: str, event: str) -> None:
        self.cells[instance][event] = Cell("InProgress", self.tick())

    def finish(
        self, instance: str, event: str, status: str = "Succeeded", diagnostics: Any = None
    ) -> None:
        cell = self.cells[instance][event]
        self.cells[instance][event] = Cell(
            status, cell.start or self.tick(), self.tick(), diagnostics
        )

    def skip_rest(self, instance: str) -> None:
        for event, cell in self.cells[instance].items():
            if cell.status == "Pending":
                self.cells[instance][event] = Cell("Skipped")

    def target_status(self, instance: str) -> str:
        statuses = [c.status for c in self.cells[instance].values()]
        if "Failed" in statuses:
            return "Failed"
        if all(s == "Succeeded" for s in statuses):
            return "Succeeded"
        if all(s == "Pending" for s in statuses):
            return "Pending"
        if all(s in ("Succeeded", "Skipped") for s in statuses):
            return "Succeeded"
        return "InProgress"

    def overview(self) -> dict[str, int]:
        out = {"Pending": 0, "InProgress": 0, "Succeeded": 0, "Failed": 0, "Skipped": 0}
        for i in self.instances:
            out[self.target_status(i)] += 1
        return out

    def target(self, instance: str) -> dict[str, Any]:
        events = []
        for name, cell in self.cells[instance].items():
            ev: dict[str, Any] = {"lifecycleEventName": name, "status": cell.status}
            if cell.start:
                ev["startTime"] = cell.start
            if cell.end:
                ev["endTime"] = cell.end
            if cell.diagnostics:
                ev["diagnostics"] = cell.diagnostics
            events.append(ev)
        return {
            "deploymentTargetType": "InstanceTarget",
            "instanceTarget": {
                "deploymentId": self.deployment_id,
                "targetId": instance,
                "targetArn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/{instance}",
                "status": self.target_status(instance),
                "lastUpdatedAt": self.clock,
                "lifecycleEvents": events,
            },
        }


class DeploymentScript:
    """Queues, cycle by cycle, what the deployment poller should ask the stubbed target APIs.

    It mirrors the documented policy independently of the poller (list targets once; fetch all
    unfinished when the counts moved, else only in-progress ones; nothing once finished), and
    passes the exact target ids as `expected_params` — so the Stubber fails the test if the
    poller asks for anything else (e.g. a finished instance).
    """

    def __init__(self, stubber: Stubber, fleet: Fleet) -> None:
        self.stubber = stubber
        self.fleet = fleet
        self.listed = False
        self.known: dict[str, str] = {}
        self.last_overview: dict[str, int] | None = None
        self.done = False

    def queue(self, *, deployment_status: str, throttle: bool = False) -> None:
        """Queue the stubbed target calls of the next poll cycle."""
        if self.done or deployment_status in ("Created", "Queued"):
            return
        f = self.fleet
        if not self.listed:
            self.stubber.add_response(
                "list_deployment_targets",
                {"targetIds": list(f.instances)},
                {"deploymentId": f.deployment_id},
            )
            self.listed = True
        final = deployment_status in ("Succeeded", "Failed", "Stopped")
        overview = f.overview()
        unfinished = [
            i
            for i in sorted(f.instances)
            if self.known.get(i) not in ("Succeeded", "Failed", "Skipped")
        ]
        moved = self.last_overview is None or overview != self.last_overview
        if moved or final or any(i not in self.known for i in unfinished):
            wanted = unfinished
        else:
            wanted = [i for i in unfinished if self.known.get(i) == "InProgress"]
        for start in range(0, len(wanted), 25):
            ids = wanted[start : start + 25]
            expected = {"deploymentId": f.deployment_id, "targetIds": ids}
            if throttle:
                self.stubber.add_client_error(
                    "batch_get_deployment_targets",
                    service_error_code="ThrottlingException",
                    service_message="Rate exceeded",
                    http_status_code=400,
                    expected_params=expected,
                )
                return  # the cycle stops at the throttled call
            self.stubber.add_response(
                "batch_get_deployment_targets",
                {"deploymentTargets": [f.target(i) for i in ids]},
                expected,
            )
            for i in ids:
                self.known[i] = f.target_status(i)
        self.last_overview = overview
        if final:
            self.done = True


def queue_application_stop_failure(stubber: Stubber, deployment_id: str, log_tail: str) -> None:
    """Queue the targets of a deployment whose one instance, i-0a, failed at ApplicationStop
    (scripts/stop.sh, exit 1) and skipped the events after it."""
    stubber.add_response("list_deployment_targets", {"targetIds": ["i-0a"]})
    stop: dict[str, Any] = {
        "lifecycleEventName": "ApplicationStop",
        "status": "Failed",
        "startTime": T0,
        "endTime": T0 + timedelta(seconds=2),
        "diagnostics": script_failed("scripts/stop.sh", 1, log_tail),
    }
    skipped = [
        {"lifecycleEventName": e, "status": "Skipped"}
        for e in ("DownloadBundle", "BeforeInstall", "Install")
    ]
    target = {
        "deploymentTargetType": "InstanceTarget",
        "instanceTarget": {
            "deploymentId": deployment_id,
            "targetId": "i-0a",
            "status": "Failed",
            "lifecycleEvents": [stop, *skipped],
        },
    }
    stubber.add_response(
        "batch_get_deployment_targets",
        {"deploymentTargets": [target]},
        {"deploymentId": deployment_id, "targetIds": ["i-0a"]},
    )


# --- pipeline stubs ---------------------------------------------------------------------------


def action_run(
    execution_id: str,
    stage: str,
    action: str,
    provider: str,
    status: str,
    *,
    external_id: str | None = None,
    error: str | None = None,
    start: datetime = T0,
) -> dict[str, Any]:
    category = "Source" if provider == "CodeCommit" else "Deploy"
    result: dict[str, Any] = {}
    if external_id:
        result["externalExecutionId"] = external_id
    if error:
        result["errorDetails"] = {"code": "JobFailed", "message": error}
    run: dict[str, Any] = {
        "pipelineExecutionId": execution_id,
        "actionExecutionId": f"{stage}-{action}-{execution_id[:6]}",
        "pipelineVersion": 1,
        "stageName": stage,
        "actionName": action,
        "startTime": start,
        "lastUpdateTime": start + timedelta(seconds=5),
        "status": status,
        "input": {
            "actionTypeId": {
                "category": category,
                "owner": "AWS",
                "provider": provider,
                "version": "1",
            }
        },
    }
    if result:
        run["output"] = {"executionResult": result}
    return run


def pipeline_state(
    pipeline: str, execution_id: str, stages: dict[str, tuple[str, str | None]]
) -> dict[str, Any]:
    """`get_pipeline_state` with each stage's status for the execution (and its action's)."""
    return {
        "pipelineName": pipeline,
        "pipelineVersion": 1,
        "stageStates": [
            {
                "stageName": name,
                "latestExecution": {"pipelineExecutionId": execution_id, "status": status},
                "actionStates": [
                    {
                        "actionName": name,
                        "latestExecution": {
                            "status": action_status or status,
                            "lastStatusChange": T0,
                        },
                    }
                ],
            }
            for name, (status, action_status) in stages.items()
        ],
    }


def queue_pipeline_detail(
    stubber: Stubber,
    pipeline: str,
    execution_id: str,
    *,
    source: str,
    deploy: str | None,
    deployment_id: str | None = None,
    source_error: str | None = None,
) -> None:
    """Queue one cycle's `get_pipeline_state` + `list_action_executions` for the execution."""
    stages: dict[str, tuple[str, str | None]] = {"Source": (source, None)}
    runs = [action_run(execution_id, "Source", "Source", "CodeCommit", source, error=source_error)]
    if deploy is not None:
        stages["Deploy"] = (deploy, None)
        runs.append(
            action_run(
                execution_id,
                "Deploy",
                "Deploy",
                "CodeDeploy",
                deploy,
                external_id=deployment_id,
                start=T0 + timedelta(seconds=10),
            )
        )
    stubber.add_response(
        "get_pipeline_state", pipeline_state(pipeline, execution_id, stages), {"name": pipeline}
    )
    stubber.add_response(
        "list_action_executions",
        {"actionExecutionDetails": runs},
        {"pipelineName": pipeline, "filter": {"pipelineExecutionId": execution_id}},
    )


def queue_cycle(stubber: Stubber, script: DeploymentScript, execution_id: str, status: str) -> None:
    """Set the deployment and pipeline `demo`'s execution to `status` in moto and queue the
    stubbed calls of the next poll cycle: the pipeline detail (Deploy linked to the deployment)
    and the deployment's targets."""
    deployment = script.fleet.deployment_id
    set_deployment(deployment, status, script.fleet.overview())
    set_execution("demo", execution_id, status)
    queue_pipeline_detail(
        stubber,
        "demo",
        execution_id,
        source="Succeeded",
        deploy=status,
        deployment_id=deployment,
    )
    script.queue(deployment_status=status)
