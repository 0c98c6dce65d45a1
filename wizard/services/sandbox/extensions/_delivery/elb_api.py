"""Elastic Load Balancing requests the delivery simulation answers: target health as a
deployment's traffic events leave it (`traffic`), and registrations that first catch up with
the clock (what is due by now happens before a caller changes or reads a target group)."""

from __future__ import annotations

from typing import Any

from wizard.services.sandbox.extensions._delivery import traffic
from wizard.services.sandbox.extensions._delivery.api import Handler
from wizard.services.sandbox.extensions._delivery.world import World


def _target_group(world: World, arn: str) -> Any:
    from moto.elbv2.exceptions import TargetGroupNotFoundError

    found = world.elbv2.target_groups.get(arn)
    if found is None:
        raise TargetGroupNotFoundError()
    return found


def describe_target_health(response: Any, world: World, now: float) -> Any:
    """Every registered target (draining ones included), or the targets asked for."""
    from moto.core.responses import ActionResult

    tg = _target_group(world, response._get_param("TargetGroupArn"))
    asked = response._get_param("Targets", []) or list(tg.targets.values())
    descriptions = [traffic.health(tg, target, world.ec2) for target in asked]
    return ActionResult({"TargetHealthDescriptions": descriptions})


def register_targets(response: Any, world: World, now: float) -> Any:
    """moto's registration; the caller's registration replaces a deployment's state."""
    from moto.core.responses import EmptyResult

    arn = response._get_param("TargetGroupArn")
    targets = response._get_param("Targets", [])
    tg = _target_group(world, arn)
    world.elbv2.register_targets(arn, targets)
    for target in targets:
        traffic.marks(tg).pop(str(target.get("Id")), None)
    return EmptyResult()


def deregister_targets(response: Any, world: World, now: float) -> Any:
    """Deregisters what is registered; like AWS ("if the specified target does not exist, the
    action returns successfully"), a target that is not (CodeDeploy took it out) is no error,
    where moto answers InvalidTarget."""
    from moto.core.responses import EmptyResult

    arn = response._get_param("TargetGroupArn")
    tg = _target_group(world, arn)
    targets = [t for t in response._get_param("Targets", []) if str(t.get("Id")) in tg.targets]
    if targets:
        world.elbv2.deregister_targets(arn, targets)
    for target in targets:
        traffic.marks(tg).pop(str(target.get("Id")), None)
    return EmptyResult()


HANDLERS: dict[str, Handler] = {
    "describe_target_health": describe_target_health,
    "register_targets": register_targets,
    "deregister_targets": deregister_targets,
}
