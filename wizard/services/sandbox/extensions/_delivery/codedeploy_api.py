"""CodeDeploy request handlers (methods of moto's `CodeDeployResponse`).

CreateDeployment schedules a run; GetDeployment, BatchGetDeployments and ListDeployments show it
as it is now; ListDeploymentTargets, BatchGetDeploymentTargets and GetDeploymentTarget (which
moto lacks) show each instance's lifecycle events; StopDeployment stops it.
"""

from __future__ import annotations

from typing import Any

from wizard.services.sandbox.extensions._delivery import deploy, pipeline
from wizard.services.sandbox.extensions._delivery.api import Handler, page
from wizard.services.sandbox.extensions._delivery.deploy import error, render_info, run_of
from wizard.services.sandbox.extensions._delivery.model import DeploymentRun
from wizard.services.sandbox.extensions._delivery.world import World

BATCH_LIMIT = 25
TARGET_PAGE = 100


def _deployment(world: World, deployment_id: Any) -> Any:
    if not deployment_id:
        raise error(
            "DeploymentIdRequiredException", "At least one deployment ID must be specified."
        )
    return world.codedeploy.get_deployment(str(deployment_id))


def _simulated(world: World, deployment_id: Any, operation: str) -> tuple[Any, DeploymentRun]:
    deployment = _deployment(world, deployment_id)
    found = run_of(deployment)
    if found is None:  # made outside the simulation (e.g. straight into moto's backend)
        raise NotImplementedError(f"The {operation} action has not been implemented")
    return deployment, found


def _info(deployment: Any, t: float) -> dict[str, Any]:
    found = run_of(deployment)
    if found is not None:
        deploy.sync(deployment, found, t)
        return render_info(deployment, found, t)
    from moto.codedeploy.responses import _deployment_info

    return dict(_deployment_info(deployment))


def create_deployment(self: Any, world: World, now: float) -> dict[str, Any]:
    application = self._get_param("applicationName")
    group = self._get_param("deploymentGroupName")
    if not application:
        raise error("ApplicationNameRequiredException", "The application name was not specified.")
    if not group:
        raise error(
            "DeploymentGroupNameRequiredException", "The deployment group name was not specified."
        )
    run = deploy.create(
        world,
        application=application,
        group_name=group,
        revision=self._get_param("revision") or {},
        at=now,
        config_name=self._get_param("deploymentConfigName"),
        description=self._get_param("description"),
        ignore_stop_failures=bool(self._get_param("ignoreApplicationStopFailures")),
        auto_rollback=self._get_param("autoRollbackConfiguration"),
        file_exists_behavior=self._get_param("fileExistsBehavior"),
    )
    return {"deploymentId": run.deployment_id}


def get_deployment(self: Any, world: World, now: float) -> dict[str, Any]:
    deployment = _deployment(world, self._get_param("deploymentId"))
    return {"deploymentInfo": _info(deployment, now)}


def batch_get_deployments(self: Any, world: World, now: float) -> dict[str, Any]:
    ids = self._get_param("deploymentIds") or []
    if len(ids) > BATCH_LIMIT:
        raise error(
            "BatchLimitExceededException",
            f"The maximum number of deployment IDs that can be specified is {BATCH_LIMIT}.",
        )
    found = [world.codedeploy.deployments[i] for i in ids if i in world.codedeploy.deployments]
    return {"deploymentsInfo": [_info(d, now) for d in found]}


def list_deployments(self: Any, world: World, now: float) -> dict[str, Any]:
    backend = world.codedeploy
    for deployment in list(backend.deployments.values()):
        found = run_of(deployment)
        if found is not None:
            deploy.sync(deployment, found, now)
    ids = backend.list_deployments(
        application_name=self._get_param("applicationName"),
        deployment_group_name=self._get_param("deploymentGroupName"),
        external_id=self._get_param("externalId"),
        include_only_statuses=self._get_param("includeOnlyStatuses"),
        create_time_range=self._get_param("createTimeRange", {}),
    )
    newest_first = sorted(ids, key=lambda i: (backend.deployments[i].create_time, i), reverse=True)
    chunk, token = page(newest_first, self._get_param("nextToken"), 100)
    return {"deployments": chunk, "nextToken": token}


def list_deployment_targets(self: Any, world: World, now: float) -> dict[str, Any]:
    _, run = _simulated(world, self._get_param("deploymentId"), "list_deployment_targets")
    if now < run.start:
        raise error("DeploymentNotStartedException", "The specified deployment has not started.")
    filters = self._get_param("targetFilters") or {}
    statuses = set(filters.get("TargetStatus") or [])
    labels = filters.get("ServerInstanceLabel") or []
    ids = [
        t.instance_id
        for t in run.targets
        if (not statuses or t.status_at(now) in statuses) and not labels
    ]
    chunk, token = page(ids, self._get_param("nextToken"), TARGET_PAGE)
    return {"targetIds": chunk, "nextToken": token}


def _targets(run: DeploymentRun, target_ids: list[str], now: float) -> list[dict[str, Any]]:
    by_id = {t.instance_id: t for t in run.targets}
    out = []
    for target_id in target_ids:
        target = by_id.get(target_id)
        if target is None:
            raise error(
                "DeploymentTargetDoesNotExistException",
                f"The target {target_id} does not belong to deployment {run.deployment_id}.",
            )
        out.append(deploy.render_target(run, target, now))
    return out


def batch_get_deployment_targets(self: Any, world: World, now: float) -> dict[str, Any]:
    _, run = _simulated(world, self._get_param("deploymentId"), "batch_get_deployment_targets")
    ids = self._get_param("targetIds") or []
    if not ids:
        raise error("DeploymentTargetIdRequiredException", "A target ID must be specified.")
    if len(ids) > BATCH_LIMIT:
        raise error(
            "DeploymentTargetListSizeExceededException",
            f"The maximum number of targets that can be requested is {BATCH_LIMIT}.",
        )
    return {"deploymentTargets": _targets(run, ids, now)}


def get_deployment_target(self: Any, world: World, now: float) -> dict[str, Any]:
    _, run = _simulated(world, self._get_param("deploymentId"), "get_deployment_target")
    target_id = self._get_param("targetId")
    if not target_id:
        raise error("DeploymentTargetIdRequiredException", "A target ID must be specified.")
    return {"deploymentTarget": _targets(run, [target_id], now)[0]}


def stop_deployment(self: Any, world: World, now: float) -> dict[str, Any]:
    deployment, run = _simulated(world, self._get_param("deploymentId"), "stop_deployment")
    rollback = self._get_param("autoRollbackEnabled")
    deploy.stop(deployment, run, now, None if rollback is None else bool(rollback))
    pipeline.deployment_changed(world, run)
    pipeline.advance(world, now)
    return {"status": "Pending", "statusMessage": "Stopping Active deployment"}


HANDLERS: dict[str, Handler] = {
    "create_deployment": create_deployment,
    "get_deployment": get_deployment,
    "batch_get_deployments": batch_get_deployments,
    "list_deployments": list_deployments,
    "list_deployment_targets": list_deployment_targets,
    "batch_get_deployment_targets": batch_get_deployment_targets,
    "get_deployment_target": get_deployment_target,
    "stop_deployment": stop_deployment,
}
