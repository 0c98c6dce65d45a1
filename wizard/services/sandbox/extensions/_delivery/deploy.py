"""CodeDeploy deployments that run: created with their whole schedule, read at any time.

`create` picks the targets (running instances the group's tags select), asks the simulated agent
(`agent`) what each instance's lifecycle events do with the revision's content, paces the
instances under the deployment config (`fleet`) and stores the result as a `DeploymentRun` on
moto's `DeploymentInfo`. `render_*` turn a run and a time into the API's shapes. `advance`
performs what is due: the automatic rollback deployment of a failed (or stopped) deployment.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from wizard.core.agent_log import scripts_log_entry
from wizard.core.deployment_config import DEFAULT_CONFIG, rule_for
from wizard.core.events.lifecycle import IN_PLACE_EVENTS, IN_PLACE_EVENTS_WITH_TRAFFIC
from wizard.services.sandbox.extensions._delivery import clock, traffic
from wizard.services.sandbox.extensions._delivery.agent import (
    InstanceInput,
    Previous,
    TrafficTiming,
    script_paths,
    shift,
    simulate_instance,
)
from wizard.services.sandbox.extensions._delivery.agent_install import ready_at
from wizard.services.sandbox.extensions._delivery.bundle import keep_for_hooks, read_bundle
from wizard.services.sandbox.extensions._delivery.fleet import pace_fleet, target_instances
from wizard.services.sandbox.extensions._delivery.model import (
    DEPLOYMENT_ATTR,
    Bundle,
    DeploymentRun,
    EventRun,
    TargetRun,
)
from wizard.services.sandbox.extensions._delivery.world import World

#: Seconds (pace 1) from CreateDeployment to InProgress, and from the last instance to the end.
QUEUE_SECONDS = 1.5
SETTLE_SECONDS = 0.5
OVERVIEW_KEYS = ("Pending", "InProgress", "Succeeded", "Failed", "Skipped", "Ready")
#: Not AWS's verbatim texts (unverified); worded after the API's descriptions.
STOPPED_MESSAGE = "The deployment was stopped manually (StopDeployment)."
NO_ROLLBACK_TARGET = (
    "Automatic rollback was not performed: the deployment group has no earlier successful "
    "deployment to roll back to."
)


def error(code: str, message: str) -> Exception:
    """A CodeDeploy API error botocore parses into `ClientError` with this code."""
    from moto.codedeploy.exceptions import CodeDeployException

    return CodeDeployException(code, message)


def run_of(deployment: Any) -> DeploymentRun | None:
    return getattr(deployment, DEPLOYMENT_ATTR, None)


def runs(world: World) -> Iterator[tuple[Any, DeploymentRun]]:
    for deployment in list(world.codedeploy.deployments.values()):
        found = run_of(deployment)
        if found is not None:
            yield deployment, found


def _new_id(existing: Any) -> str:
    alphabet = string.ascii_uppercase + string.digits
    while True:
        candidate = "d-" + "".join(secrets.choice(alphabet) for _ in range(9))
        if candidate not in existing:
            return candidate


def _utc(t: float | None) -> datetime | None:
    return None if t is None else datetime.fromtimestamp(t, UTC)


# --- creating ---------------------------------------------------------------------------------


def active_deployment(world: World, application: str, group: str, t: float) -> str | None:
    for _, run in runs(world):
        if run.application == application and run.group == group and run.created <= t < run.end:
            return run.deployment_id
    return None


def last_success(world: World, group_id: str, before: float) -> DeploymentRun | None:
    """The group's latest deployment that succeeded by `before`."""
    done = [
        run
        for _, run in runs(world)
        if run.group_id == group_id and run.status == "Succeeded" and run.end <= before
    ]
    return max(done, key=lambda r: r.end, default=None)


def _last_installs(world: World, group_id: str, before: float) -> dict[str, Previous]:
    """The agent's last-successful-install pointer for this group, per instance: the latest
    deployment whose Install succeeded there by `before` (one pass over the group's runs)."""
    best: dict[str, tuple[float, DeploymentRun]] = {}
    for _, run in runs(world):
        if run.group_id != group_id:
            continue
        for target in run.targets:
            installed = target.install_end()
            if installed is None or installed > before:
                continue
            known = best.get(target.instance_id)
            if known is None or installed > known[0]:
                best[target.instance_id] = (installed, run)
    return {i: Previous(r.deployment_id, r.bundle) for i, (_, r) in best.items()}


def _download(world: World, revision: dict[str, Any]) -> tuple[dict[str, bytes] | None, str | None]:
    """The revision's files as DownloadBundle gets them, or (None, the agent's error)."""
    kind = revision.get("revisionType")
    if kind != "S3":
        return None, f"The sandbox cannot download {kind} revisions; deploy an S3 bundle."
    location = revision.get("s3Location") or {}
    from moto.s3.exceptions import MissingBucket

    try:
        key = world.s3.get_object(location.get("bucket", ""), location.get("key", ""))
    except MissingBucket:
        return None, "The specified bucket does not exist"
    if key is None:
        return None, "The specified key does not exist."
    try:
        return read_bundle(key.value, location.get("bundleType") or "zip"), None
    except ValueError as exc:
        return None, str(exc)


def _events_for(group: Any) -> tuple[str, ...]:
    style = group.deployment_style or {}
    with_lb = bool(group.load_balancer_info) and style.get("deploymentOption") == (
        "WITH_TRAFFIC_CONTROL"
    )
    return IN_PLACE_EVENTS_WITH_TRAFFIC if with_lb else IN_PLACE_EVENTS


def _rollback_enabled(config: dict[str, Any] | None, event: str) -> bool:
    return bool(config and config.get("enabled") and event in (config.get("events") or []))


def create(
    world: World,
    *,
    application: str,
    group_name: str,
    revision: dict[str, Any],
    at: float,
    config_name: str | None = None,
    description: str | None = None,
    ignore_stop_failures: bool = False,
    auto_rollback: dict[str, Any] | None = None,
    file_exists_behavior: str | None = None,
    creator: str = "user",
    link: tuple[str, str, str] | None = None,
) -> DeploymentRun:
    """Create a deployment at time `at` with its complete schedule (raises the API's errors)."""
    backend = world.codedeploy
    group = backend.get_deployment_group(application, group_name)
    config = config_name or group.deployment_config_name or DEFAULT_CONFIG
    if rule_for(config) is None:
        raise error(
            "DeploymentConfigDoesNotExistException",
            f"No deployment configuration found for name: {config}",
        )
    if not revision or not revision.get("revisionType"):
        raise error("RevisionRequiredException", "The revision ID was not specified.")
    active = active_deployment(world, application, group_name, at)
    if active is not None:
        raise error(
            "DeploymentLimitExceededException",
            f"The Deployment Group '{group_name}' already has an active Deployment '{active}'",
        )
    moto_id = backend.create_deployment(
        application_name=application,
        deployment_group_name=group_name,
        revision=revision,
        deployment_config_name=config,
        description=description,
        ignore_application_stop_failures=ignore_stop_failures,
        auto_rollback_configuration=auto_rollback,
        file_exists_behavior=file_exists_behavior,
    )
    deployment = backend.deployments.pop(moto_id)
    deployment.deployment_id = _new_id(backend.deployments)
    deployment.creator = creator
    backend.deployments[deployment.deployment_id] = deployment
    previous = last_success(world, group.deployment_group_id, at)
    files, problem = _download(world, revision)
    start = round(at + clock.duration(QUEUE_SECONDS, deployment.deployment_id, "queue"), 3)
    run = DeploymentRun(
        deployment_id=deployment.deployment_id,
        group_id=group.deployment_group_id,
        application=application,
        group=group_name,
        config_name=config,
        created=round(at, 3),
        start=start,
        end=start,
        status="Failed",
        revision=revision,
        previous_revision=previous.revision if previous else None,
        creator=creator,
        ignore_stop_failures=bool(ignore_stop_failures),
        targets=[],
        bundle=keep_for_hooks(files, script_paths(files)) if files else Bundle(problem=problem),
        description=description,
        file_exists_behavior=file_exists_behavior,
        auto_rollback=auto_rollback or group.auto_rollback_configuration or None,
        link=link,
    )
    _schedule(world, run, group, files=files, problem=problem, at=at)
    if run.status == "Failed" and _rollback_enabled(run.auto_rollback, "DEPLOYMENT_FAILURE"):
        run.rollback_due = creator != "codeDeployRollback"
    setattr(deployment, DEPLOYMENT_ATTR, run)
    sync(deployment, run, at)
    return run


def _schedule(
    world: World,
    run: DeploymentRun,
    group: Any,
    *,
    files: dict[str, bytes] | None,
    problem: str | None,
    at: float,
) -> None:
    instances = target_instances(world.ec2, group)
    events = _events_for(group)
    installed = _last_installs(world, run.group_id, at)
    lb = traffic.plan_for(world, group, instances) if "BlockTraffic" in events else None

    def timing(instance_id: str) -> TrafficTiming | None:
        if lb is None:
            return None
        return TrafficTiming(
            lb.block_seconds,
            lb.allow_seconds,
            turns_healthy=instance_id not in lb.unhealthy,
            give_up_seconds=traffic.GIVE_UP_SECONDS,
        )

    results = [
        simulate_instance(
            InstanceInput(
                deployment_id=run.deployment_id,
                group_id=run.group_id,
                instance_id=instance.id,
                events=events,
                files=files,
                problem=problem,
                previous=installed.get(instance.id),
                ignore_stop_failures=run.ignore_stop_failures,
                traffic=timing(instance.id),
            )
        )
        for instance in instances
    ]
    ready = [ready_at(instance) for instance in instances]
    plan = pace_fleet(
        run.config_name,
        [r.duration for r in results],
        [r.status == "Succeeded" for r in results],
        run.start,
        ready,
    )
    partition, region, account = world.partition, world.region, world.account
    for instance, result, begun, agent in zip(instances, results, plan.starts, ready, strict=True):
        arn = f"arn:{partition}:ec2:{region}:{account}:instance/{instance.id}"
        if begun is None:
            skipped = [EventRun(name=e, status="Skipped", start=None, end=plan.end) for e in events]
            run.targets.append(TargetRun(instance.id, arn, skipped, "Skipped", None, plan.end))
            continue
        # its turn at `begun`; its events once its agent runs (they stay Pending until then)
        first = max(begun, agent)
        run.targets.append(
            TargetRun(
                instance.id,
                arn,
                shift(result.events, first),
                result.status,
                begun,
                round(first + result.duration, 3),
            )
        )
    if lb is not None:
        run.traffic = traffic.steps_for(run, lb)
    settle = clock.duration(SETTLE_SECONDS, run.deployment_id, "settle") if instances else 0.0
    run.end = round(plan.end + settle, 3)
    run.status = plan.status
    run.error_code = plan.error_code
    run.error_message = plan.error_message


# --- changing ---------------------------------------------------------------------------------


def stop(deployment: Any, run: DeploymentRun, at: float, rollback: bool | None) -> None:
    """StopDeployment at `at`: what had not finished is skipped; roll back when asked."""
    if at >= run.end:
        raise error(
            "DeploymentAlreadyCompletedException",
            f"The deployment {run.deployment_id} has already completed.",
        )
    for target in run.targets:
        if target.end <= at:
            continue
        for event in target.events:
            if event.end > at:
                event.status, event.end = "Skipped", at
                event.error_code, event.message, event.log_tail = "Success", "Succeeded", ""
                if event.start is not None and event.start > at:
                    event.start = None
                event.log = [entry for entry in event.log if entry[0] <= at]
        if target.start is not None and target.start > at:
            target.start = None
        target.status, target.end = "Skipped", at
    traffic.cut(run, at)
    run.end, run.status, run.stopped_at = at, "Stopped", at
    run.error_code, run.error_message = "MANUAL_STOP", STOPPED_MESSAGE
    wanted = (
        rollback
        if rollback is not None
        else _rollback_enabled(run.auto_rollback, "DEPLOYMENT_STOP_ON_REQUEST")
    )
    run.rollback_due = bool(wanted) and run.creator != "codeDeployRollback"
    sync(deployment, run, at)


def advance(world: World, now: float) -> bool:
    """Create every rollback deployment that is due by `now`; True if any was."""
    due = sorted(
        ((d, r) for d, r in runs(world) if r.rollback_due and r.end <= now),
        key=lambda pair: pair[1].end,
    )
    for deployment, run in due:
        run.rollback_due = False
        _roll_back(world, run)
        sync(deployment, run, now)
    return bool(due)


def advance_traffic(world: World, now: float) -> None:
    """Perform the load balancer registration changes due by `now`."""
    traffic.advance((r for _, r in runs(world)), world, now)


def next_due(world: World) -> float | None:
    """When the next rollback is due (None: none pending)."""
    times = [r.end for _, r in runs(world) if r.rollback_due]
    return min(times, default=None)


def _roll_back(world: World, run: DeploymentRun) -> None:
    if run.previous_revision is None:
        run.rollback["rollbackMessage"] = NO_ROLLBACK_TARGET
        return
    try:
        rolled = create(
            world,
            application=run.application,
            group_name=run.group,
            revision=run.previous_revision,
            at=run.end,
            config_name=run.config_name,
            creator="codeDeployRollback",
        )
    except Exception as exc:  # the group or application is gone: say why there is no rollback
        run.rollback["rollbackMessage"] = f"Automatic rollback could not start: {exc}"
        return
    message = (
        f"Deployment {rolled.deployment_id} is triggered to roll back deployment "
        f"{run.deployment_id}."
    )
    run.rollback.update(rollbackDeploymentId=rolled.deployment_id, rollbackMessage=message)
    rolled.rollback.update(
        rollbackTriggeringDeploymentId=run.deployment_id, rollbackMessage=message
    )


def sync(deployment: Any, run: DeploymentRun, t: float) -> None:
    """Mirror the state at `t` onto moto's own fields (its ListDeployments filters read them)."""
    deployment.status = run.status_at(t)
    deployment.start_time = _utc(run.start) if t >= run.start else None
    deployment.complete_time = _utc(run.end) if t >= run.end else None
    deployment.deployment_overview = overview(run, t)
    deployment.create_time = _utc(run.created)


# --- reading ----------------------------------------------------------------------------------


def overview(run: DeploymentRun, t: float) -> dict[str, int]:
    counts = dict.fromkeys(OVERVIEW_KEYS, 0)
    for target in run.targets:
        counts[target.status_at(t)] += 1
    return counts


def render_info(deployment: Any, run: DeploymentRun, t: float) -> dict[str, Any]:
    """`DeploymentInfo` at time `t`."""
    group = deployment.deployment_group
    status = run.status_at(t)
    info: dict[str, Any] = {
        "applicationName": run.application,
        "deploymentGroupName": run.group,
        "deploymentConfigName": run.config_name,
        "deploymentId": run.deployment_id,
        "revision": run.revision,
        "status": status,
        "createTime": run.created,
        "deploymentOverview": overview(run, t),
        "creator": run.creator,
        "ignoreApplicationStopFailures": run.ignore_stop_failures,
        "updateOutdatedInstancesOnly": False,
        "deploymentStyle": group.deployment_style
        or {"deploymentType": "IN_PLACE", "deploymentOption": "WITHOUT_TRAFFIC_CONTROL"},
        "instanceTerminationWaitTimeStarted": False,
        "fileExistsBehavior": run.file_exists_behavior or "DISALLOW",
        "deploymentStatusMessages": [],
        "computePlatform": "Server",
    }
    if run.previous_revision:
        info["previousRevision"] = run.previous_revision
    if run.description:
        info["description"] = run.description
    if run.auto_rollback:
        info["autoRollbackConfiguration"] = run.auto_rollback
    if group.load_balancer_info:
        info["loadBalancerInfo"] = group.load_balancer_info
    if t >= run.start:
        info["startTime"] = run.start
    if t >= run.end:
        info["completeTime"] = run.end
        if run.error_code:
            info["errorInformation"] = {"code": run.error_code, "message": run.error_message or ""}
    if run.rollback:
        info["rollbackInfo"] = dict(run.rollback)
    return info


def _event(event: EventRun, t: float) -> dict[str, Any]:
    status = event.status_at(t)
    out: dict[str, Any] = {"lifecycleEventName": event.name, "status": status}
    if event.start is not None and t >= event.start:
        out["startTime"] = event.start
        if t >= event.end:
            out["endTime"] = event.end
        if status in ("Succeeded", "Failed") and event.diagnostics:
            out["diagnostics"] = {
                "errorCode": event.error_code,
                "scriptName": event.script_name,
                "message": event.message,
                "logTail": event.log_tail,
            }
    return out


def render_target(run: DeploymentRun, target: TargetRun, t: float) -> dict[str, Any]:
    """A `DeploymentTarget` (InstanceTarget) at time `t`."""
    return {
        "deploymentTargetType": "InstanceTarget",
        "instanceTarget": {
            "deploymentId": run.deployment_id,
            "targetId": target.instance_id,
            "targetArn": target.arn,
            "status": target.status_at(t),
            "lastUpdatedAt": target.updated_at(t, run.created),
            "lifecycleEvents": [_event(e, t) for e in target.events],
        },
    }


def scripts_log(run: DeploymentRun, instance_id: str, t: float) -> str | None:
    """The instance's `scripts.log` for this deployment at `t` (None: not written yet)."""
    target = run.target(instance_id)
    if target is None:
        return None
    lines = [
        scripts_log_entry(datetime.fromtimestamp(at, UTC), message)
        for event in target.events
        for at, message in event.log
        if at <= t
    ]
    return "".join(lines) if lines else None
