"""What a user can do from the monitor. Each function returns a `PlannedAction`: a description of
exactly what will happen (the API call and its parameters, in words) that a screen shows for
confirmation, and `execute()` to do it. Planning may read AWS (e.g. find the last successful
revision); it never changes anything.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from wizard.core.agent_log import DEPLOYMENT_ROOT, scripts_log_path
from wizard.core.timeline import ActionView, DeploymentView, PipelineView, RevisionRef
from wizard.core.timeline.failures import FETCH_LOG, REDEPLOY_IGNORE_STOP, RETRY_FAILED
from wizard.core.timeline.offers import (
    APPROVE,
    REDEPLOY_LAST_SUCCESS,
    REJECT,
    RELEASE,
    STOP,
    STOP_ROLLBACK,
)
from wizard.services.aws.monitor.deployment_poller import chunks, revision_from, utc
from wizard.services.aws.monitor.full_log import FullLog, fetch_scripts_log

if TYPE_CHECKING:
    from wizard.services.aws.session import AwsClients


class ActionUnavailable(Exception):
    """The action cannot be planned (e.g. no successful deployment to go back to)."""


@dataclass(frozen=True)
class ActionResult:
    """What an executed action did; `ids` holds what it created (execution or deployment id)."""

    message: str
    ids: Mapping[str, str] = field(default_factory=dict)
    detail: Any = None


@dataclass(frozen=True)
class PlannedAction:
    """An action described before it runs. Show `title` + `description`; call `execute()`."""

    key: str
    title: str
    description: str
    api: str
    params: Mapping[str, Any]
    _run: Callable[[], ActionResult] = field(repr=False, compare=False)

    def execute(self) -> ActionResult:
        return self._run()


def release_change(clients: AwsClients, pipeline: str) -> PlannedAction:
    """Run the pipeline again on the latest commit of its source branch."""
    params = {"name": pipeline}

    def run() -> ActionResult:
        out = clients.client("codepipeline").start_pipeline_execution(**params)
        execution = out["pipelineExecutionId"]
        return ActionResult(
            f"started execution {execution} of pipeline {pipeline}",
            {"pipelineExecutionId": execution},
        )

    return PlannedAction(
        key=RELEASE,
        title="Release change",
        description=(
            f"Start a new execution of pipeline {pipeline} on the latest commit of its source "
            "branch (codepipeline:StartPipelineExecution). Running executions are not stopped."
        ),
        api="codepipeline:StartPipelineExecution",
        params=params,
        _run=run,
    )


def retry_failed_actions(
    clients: AwsClients, pipeline: str, stage: str, execution_id: str
) -> PlannedAction:
    """Re-run only the failed actions of a failed stage, in the same execution."""
    params = {
        "pipelineName": pipeline,
        "stageName": stage,
        "pipelineExecutionId": execution_id,
        "retryMode": "FAILED_ACTIONS",
    }

    def run() -> ActionResult:
        out = clients.client("codepipeline").retry_stage_execution(**params)
        execution = out["pipelineExecutionId"]
        return ActionResult(
            f"retrying the failed actions of stage {stage}", {"pipelineExecutionId": execution}
        )

    return PlannedAction(
        key=RETRY_FAILED,
        title="Retry failed actions",
        description=(
            f"Retry the failed actions of stage {stage} in execution {execution_id[:8]} of "
            f"{pipeline}, with the same source revision "
            "(codepipeline:RetryStageExecution retryMode=FAILED_ACTIONS)."
        ),
        api="codepipeline:RetryStageExecution",
        params=params,
        _run=run,
    )


#: PutApprovalResult's limit on `result.summary` (the comment).
COMMENT_LIMIT = 512


def waiting_approval(pipeline: PipelineView | None) -> ActionView:
    """The followed execution's approval that waits for an answer, with its token."""
    if pipeline is None:
        raise ActionUnavailable("no pipeline is watched: give --pipeline NAME or --answers FILE")
    action = pipeline.waiting_approval
    if action is None:
        raise ActionUnavailable(
            f"no approval of pipeline {pipeline.name} is waiting: an Approve-<env> stage must be "
            "running (watch with `cdwizard monitor` until it waits, then approve)"
        )
    if not action.token:
        raise ActionUnavailable(
            f"stage {action.stage} waits, but its approval token could not be read "
            "(codepipeline:GetPipelineState): check the permission, then try again"
        )
    return action


def answer_approval(
    clients: AwsClients,
    pipeline: str,
    approval: ActionView,
    *,
    approve: bool,
    comment: str | None = None,
) -> PlannedAction:
    """Approve or reject the waiting manual approval `approval` (its token came with it)."""
    text = (comment or "").strip()
    if not approve and not text:
        raise ActionUnavailable("a rejection needs a comment (--comment TEXT): say what to fix")
    if len(text) > COMMENT_LIMIT:
        raise ActionUnavailable(
            f"the comment is {len(text)} characters; AWS takes at most {COMMENT_LIMIT}: shorten it"
        )
    status = "Approved" if approve else "Rejected"
    params = {
        "pipelineName": pipeline,
        "stageName": approval.stage,
        "actionName": approval.name,
        "result": {"summary": text or status, "status": status},
        "token": approval.token,
    }

    def run() -> ActionResult:
        clients.client("codepipeline").put_approval_result(**params)
        said = f': "{text}"' if text else ""
        return ActionResult(f"{status.lower()} stage {approval.stage}{said}", {})

    then = (
        "the stages after it run"
        if approve
        else "the stage and this execution fail; nothing after it runs"
    )
    message = f' ("{approval.approval_message}")' if approval.approval_message else ""
    return PlannedAction(
        key=APPROVE if approve else REJECT,
        title="Approve" if approve else "Reject",
        description=(
            f"{'Approve' if approve else 'Reject'} stage {approval.stage} of pipeline "
            f"{pipeline}{message}: {then} (codepipeline:PutApprovalResult status={status})."
        ),
        api="codepipeline:PutApprovalResult",
        params=params,
        _run=run,
    )


def stop_deployment(
    clients: AwsClients, deployment: DeploymentView | str, *, rollback: bool
) -> PlannedAction:
    """Stop a running deployment, optionally rolling back to the last successful revision."""
    deployment_id = deployment if isinstance(deployment, str) else deployment.deployment_id
    params = {"deploymentId": deployment_id, "autoRollbackEnabled": rollback}
    scope = ""
    if isinstance(deployment, DeploymentView):
        o = deployment.overview
        scope = (
            f" ({o.succeeded} of {deployment.total_instances} instances done, "
            f"{o.in_progress} in progress)"
        )

    def run() -> ActionResult:
        out = clients.client("codedeploy").stop_deployment(**params)
        return ActionResult(
            f"stop requested: {out.get('status', '')} {out.get('statusMessage', '')}".strip(),
            {"deploymentId": deployment_id},
        )

    then = (
        "CodeDeploy then redeploys the last successful revision to the instances it touched"
        if rollback
        else "instances already updated keep the new revision; the rest keep the old one"
    )
    return PlannedAction(
        key=STOP_ROLLBACK if rollback else STOP,
        title="Stop and roll back" if rollback else "Stop deployment",
        description=(
            f"Stop deployment {deployment_id}{scope}; {then} "
            f"(codedeploy:StopDeployment autoRollbackEnabled={str(rollback).lower()})."
        ),
        api="codedeploy:StopDeployment",
        params=params,
        _run=run,
    )


def redeploy(
    clients: AwsClients,
    application: str,
    group: str,
    revision: RevisionRef,
    *,
    ignore_application_stop_failures: bool = False,
    reason: str = "",
    key: str = REDEPLOY_LAST_SUCCESS,
) -> PlannedAction:
    """Create a deployment of `revision` to the group."""
    params: dict[str, Any] = {
        "applicationName": application,
        "deploymentGroupName": group,
        "revision": revision.to_api(),
        "ignoreApplicationStopFailures": ignore_application_stop_failures,
        "description": f"cdwizard: {reason or 'redeploy'}"[:100],
    }

    def run() -> ActionResult:
        out = clients.client("codedeploy").create_deployment(**params)
        return ActionResult(
            f"created deployment {out['deploymentId']} of {revision.describe()}",
            {"deploymentId": out["deploymentId"]},
        )

    ignore = (
        "; ApplicationStop failures are ignored (the old stop script may fail without "
        "failing the deployment)"
        if ignore_application_stop_failures
        else ""
    )
    return PlannedAction(
        key=key,
        title=(
            "Redeploy ignoring ApplicationStop failures"
            if ignore_application_stop_failures
            else "Redeploy"
        ),
        description=(
            f"Deploy {revision.describe()} to {application}/{group}{ignore} "
            f"(codedeploy:CreateDeployment"
            f"{' ignoreApplicationStopFailures=true' if ignore_application_stop_failures else ''})."
            + (f" {reason}." if reason else "")
        ),
        api="codedeploy:CreateDeployment",
        params=params,
        _run=run,
    )


def redeploy_ignoring_stop_failures(
    clients: AwsClients, deployment: DeploymentView
) -> PlannedAction:
    """Deploy the failed deployment's revision again, skipping the broken ApplicationStop."""
    if deployment.revision is None:
        raise ActionUnavailable(f"deployment {deployment.deployment_id} has no revision")
    return redeploy(
        clients,
        deployment.application,
        deployment.group,
        deployment.revision,
        ignore_application_stop_failures=True,
        reason=f"the revision of {deployment.deployment_id}, past its failing ApplicationStop",
        key=REDEPLOY_IGNORE_STOP,
    )


def last_successful_revision(
    clients: AwsClients, application: str, group: str
) -> tuple[str, RevisionRef]:
    """(deployment id, revision) of the group's newest successful deployment."""
    codedeploy = clients.client("codedeploy")
    ids: list[str] = []
    for page in codedeploy.get_paginator("list_deployments").paginate(
        applicationName=application,
        deploymentGroupName=group,
        includeOnlyStatuses=["Succeeded"],
    ):
        ids += page.get("deployments", [])
    best: tuple[Any, str, RevisionRef] | None = None
    for batch in chunks(ids):
        infos = codedeploy.batch_get_deployments(deploymentIds=batch)
        for info in infos.get("deploymentsInfo", []):
            revision = revision_from(info.get("revision"))
            when = utc(info.get("completeTime") or info.get("createTime"))
            if info.get("status") != "Succeeded" or revision is None or when is None:
                continue
            if best is None or when > best[0]:
                best = (when, info["deploymentId"], revision)
    if best is None:
        raise ActionUnavailable(f"{application}/{group} has no successful deployment to go back to")
    return best[1], best[2]


def redeploy_last_successful(
    clients: AwsClients,
    application: str,
    group: str,
    *,
    ignore_application_stop_failures: bool = False,
) -> PlannedAction:
    """Deploy again the revision of the group's last successful deployment."""
    deployment_id, revision = last_successful_revision(clients, application, group)
    return redeploy(
        clients,
        application,
        group,
        revision,
        ignore_application_stop_failures=ignore_application_stop_failures,
        reason=f"the revision of the last successful deployment {deployment_id}",
    )


def deployment_group_id(clients: AwsClients, application: str, group: str) -> str:
    info = clients.client("codedeploy").get_deployment_group(
        applicationName=application, deploymentGroupName=group
    )["deploymentGroupInfo"]
    return str(info["deploymentGroupId"])


def fetch_full_log(
    clients: AwsClients,
    deployment: DeploymentView,
    instance_id: str,
    *,
    group_id: str | None = None,
    root: str = DEPLOYMENT_ROOT,
) -> PlannedAction:
    """Read the whole scripts.log of `deployment` on `instance_id` over SSM."""
    gid = group_id or deployment_group_id(clients, deployment.application, deployment.group)
    path = scripts_log_path(gid, deployment.deployment_id, root)
    params = {"InstanceIds": [instance_id], "DocumentName": "AWS-RunShellScript", "path": path}

    def run() -> ActionResult:
        log: FullLog = fetch_scripts_log(clients, instance_id, path)
        cut = " (last part only)" if log.truncated else ""
        return ActionResult(
            f"read {len(log.text)} characters of {path} from {instance_id}{cut}",
            {"instanceId": instance_id},
            detail=log,
        )

    return PlannedAction(
        key=FETCH_LOG,
        title="Fetch full log",
        description=(
            f"Run a read-only shell command on {instance_id} through SSM "
            f"(ssm:SendCommand AWS-RunShellScript, then ssm:GetCommandInvocation) that prints "
            f"{path}. Needs the instance to be SSM-managed; nothing is changed on it."
        ),
        api="ssm:SendCommand",
        params=params,
        _run=run,
    )
