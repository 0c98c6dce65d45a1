"""Elastic Load Balancing requests the delivery simulation answers: target health as a
deployment's traffic events leave it (`traffic`), and registrations that first catch up with
the clock (what is due by now happens before a caller changes or reads a target group)."""

from __future__ import annotations

from typing import Any

from wizard.services.sandbox.extensions._delivery import traffic
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


def _changing(action: str) -> Any:
    def handler(response: Any, world: World, now: float) -> Any:
        from moto.core.responses import EmptyResult

        arn = response._get_param("TargetGroupArn")
        targets = response._get_param("Targets", [])
        tg = _target_group(world, arn)
        getattr(world.elbv2, action)(arn, targets)
        for target in targets:  # the caller's registration replaces a deployment's
            traffic.marks(tg).pop(str(target.get("Id")), None)
        return EmptyResult()

    return handler


HANDLERS = {
    "describe_target_health": describe_target_health,
    "register_targets": _changing("register_targets"),
    "deregister_targets": _changing("deregister_targets"),
}
