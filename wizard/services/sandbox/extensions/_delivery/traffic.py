"""BlockTraffic and AllowTraffic against moto's Elastic Load Balancing: the target groups of a
deployment group with traffic control, what each instance's health becomes, and when.

A deployment's schedule (`deploy.create`) asks `plan_for` how long its traffic events take and
whether an instance can turn healthy; it then stores `TrafficStep`s on the run. `advance`
performs the steps due by now on moto's target groups, so every ELB API (and terraform's reads)
sees the same registrations:

- BlockTraffic starts: a registered instance turns `draining` (Target.DeregistrationInProgress);
  the event lasts the target group's deregistration delay, then the instance is deregistered
  (`unused`, Target.NotRegistered, and no longer listed without an explicit target);
- AllowTraffic starts: the instance is registered and `initial` (Elb.RegistrationInProgress)
  until it has passed the health check threshold: interval x healthy threshold later it is
  `healthy` and the event succeeds. An instance registered where it cannot turn healthy (the
  target group serves no load balancer, or the instance's security groups do not let the load
  balancer reach the port) stays `unused`/`unhealthy` with AWS's reason, and AllowTraffic fails
  when the sandbox gives up waiting.

The health of a target at any moment is the registration moto holds plus the mark a step left on
the target group (`HEALTH_ATTR`), read by `describe_target_health`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from wizard.services.sandbox.extensions._delivery.model import DeploymentRun, TrafficStep
from wizard.services.sandbox.extensions._delivery.world import World

#: {instance id: (state, reason, description)} on moto's FakeTargetGroup: a passing state.
HEALTH_ATTR = "_cdwizard_health"

DRAINING = ("draining", "Target.DeregistrationInProgress", "Target deregistration is in progress")
INITIAL = ("initial", "Elb.RegistrationInProgress", "Target registration is in progress")
NOT_IN_USE = (
    "unused",
    "Target.NotInUse",
    "Target group is not configured to receive traffic from the load balancer",
)
TIMED_OUT = ("unhealthy", "Target.Timeout", "Request timed out")

#: Seconds (at pace 1) the sandbox waits for a target that cannot turn healthy before
#: AllowTraffic fails (not AWS's documented figure: CodeDeploy publishes none).
GIVE_UP_SECONDS = 300.0


@dataclass(frozen=True)
class TrafficPlan:
    """What a deployment group's traffic events take: seconds (at pace 1) of BlockTraffic and
    AllowTraffic, and why an instance cannot turn healthy (None: it can)."""

    target_groups: tuple[str, ...]
    block_seconds: float
    allow_seconds: float
    unhealthy: Mapping[str, tuple[str, str, str]]


def target_groups_of(world: World, group: Any) -> list[Any]:
    """moto's target groups a deployment group names in its `loadBalancerInfo`."""
    info = group.load_balancer_info or {}
    names = [t.get("name") for t in info.get("targetGroupInfoList") or [] if t.get("name")]
    found = [tg for tg in world.elbv2.target_groups.values() if tg.name in names]
    return sorted(found, key=lambda tg: names.index(tg.name))


def _number(value: Any, default: float) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def plan_for(world: World, group: Any, instances: Iterable[Any]) -> TrafficPlan:
    """The traffic events' timing for a deployment of `group` to `instances`."""
    groups = target_groups_of(world, group)
    block = max(
        (_number(tg.attributes.get("deregistration_delay.timeout_seconds"), 300) for tg in groups),
        default=0.0,
    )
    allow = max(
        (
            _number(tg.health_check_interval_seconds, 30) * _number(tg.healthy_threshold_count, 5)
            for tg in groups
        ),
        default=0.0,
    )
    unhealthy: dict[str, tuple[str, str, str]] = {}
    for instance in instances:
        for tg in groups:
            why = _why_unhealthy(world, tg, instance)
            if why is not None:
                unhealthy[instance.id] = why
                break
    return TrafficPlan(tuple(tg.arn for tg in groups), block, allow, unhealthy)


def _why_unhealthy(world: World, tg: Any, instance: Any) -> tuple[str, str, str] | None:
    balancers = [world.elbv2.load_balancers.get(arn) for arn in tg.load_balancer_arns]
    balancers = [lb for lb in balancers if lb is not None]
    if not balancers:
        return NOT_IN_USE
    port = int(_number(tg.port, 80))
    if tg.health_check_port not in (None, "traffic-port"):
        port = int(_number(tg.health_check_port, port))
    if any(_reaches(world, lb, instance, port) for lb in balancers):
        return None
    return TIMED_OUT


def _groups_of(world: World, instance: Any) -> list[Any]:
    """The instance's security groups; moto leaves an instance launched without any in none,
    where EC2 puts it in its VPC's default group."""
    groups = list(getattr(instance, "security_groups", None) or [])
    if groups:
        return groups
    vpc = getattr(instance, "vpc_id", None)
    default = world.ec2.get_security_group_from_name("default", vpc_id=vpc) if vpc else None
    return [default] if default is not None else []


def _reaches(world: World, lb: Any, instance: Any, port: int) -> bool:
    """Whether one of the instance's security groups admits `port` from the load balancer (its
    security groups, or an address range covering its subnets). A VPC's default group admits
    its own members, as EC2 creates it (moto's has no rules at all)."""
    sources = set(lb.security_groups or [])
    networks: list[ipaddress.IPv4Network] = []
    for subnet in lb.subnets or []:
        block = getattr(subnet, "cidr_block", None)
        if block:
            networks.append(ipaddress.IPv4Network(block, strict=False))
    for group in _groups_of(world, instance):
        if group.name == "default" and group.id in sources:
            return True
        for rule in group.ingress_rules:
            if rule.ip_protocol not in ("-1", "tcp"):
                continue
            if rule.ip_protocol == "tcp" and not (
                (rule.from_port or 0) <= port <= (rule.to_port or 65535)
            ):
                continue
            if (rule.source_group or {}).get("GroupId") in sources:
                return True
            cidr = (rule.ip_range or {}).get("CidrIp")
            if cidr and any(net.subnet_of(ipaddress.IPv4Network(cidr)) for net in networks):
                return True
    return False


# --- performing the steps -----------------------------------------------------------------------


def marks(tg: Any) -> dict[str, tuple[str, str, str]]:
    found = getattr(tg, HEALTH_ATTR, None)
    if found is None:
        found = {}
        setattr(tg, HEALTH_ATTR, found)
    return found


def apply(world: World, step: TrafficStep) -> None:
    """Perform one step on every target group it names (still existing)."""
    for arn in step.target_groups:
        tg = world.elbv2.target_groups.get(arn)
        if tg is None:
            continue
        mark = marks(tg)
        iid = step.instance_id
        if step.action == "drain":
            if iid in tg.targets:
                mark[iid] = DRAINING
        elif step.action == "deregister":
            if mark.get(iid) == DRAINING:
                tg.deregistered_targets[iid] = tg.targets.pop(iid)
                del mark[iid]
        elif step.action == "register":
            tg.targets[iid] = {"Id": iid, "Port": tg.port}
            tg.deregistered_targets.pop(iid, None)
            mark[iid] = step.passing or INITIAL
        elif step.action == "healthy" and mark.get(iid) == INITIAL:
            del mark[iid]


def health(tg: Any, target: Mapping[str, Any], ec2_backend: Any) -> dict[str, Any]:
    """`TargetHealthDescription` of one target: moto's own, with a step's passing state."""
    found = tg.health_for(dict(target), ec2_backend)
    state, reason, description = found.status, found.reason, found.description
    mark = marks(tg).get(str(target["Id"]))
    if mark is not None and str(target["Id"]) in tg.targets:
        state, reason, description = mark
    out: dict[str, Any] = {
        "Target": {"Id": found.instance_id, "Port": int(_number(found.port, 80))},
        "HealthCheckPort": str(found.health_check_port or found.port),
        "TargetHealth": {"State": state},
    }
    if reason:
        out["TargetHealth"]["Reason"] = reason
    if description:
        out["TargetHealth"]["Description"] = description
    return out


def steps_for(run: DeploymentRun, plan: TrafficPlan) -> list[TrafficStep]:
    """The registration changes a scheduled run's traffic events make, in time order."""
    steps: list[TrafficStep] = []
    groups = plan.target_groups
    for target in run.targets:
        iid = target.instance_id
        for event in target.events:
            if event.start is None:
                continue
            if event.name == "BlockTraffic":
                steps.append(TrafficStep(event.start, iid, "drain", groups))
                if event.status == "Succeeded":
                    steps.append(TrafficStep(event.end, iid, "deregister", groups))
            elif event.name == "AllowTraffic":
                passing = plan.unhealthy.get(iid)
                steps.append(TrafficStep(event.start, iid, "register", groups, passing))
                if event.status == "Succeeded":
                    steps.append(TrafficStep(event.end, iid, "healthy", groups))
    return sorted(steps, key=lambda s: (s.at, s.instance_id))


def cut(run: DeploymentRun, at: float) -> None:
    """StopDeployment at `at`: nothing registers any more; a deregistration already begun still
    completes (the load balancer finishes draining whatever CodeDeploy does next)."""
    if not getattr(run, "traffic", None):
        return
    begun = {s.instance_id for s in run.traffic if s.action == "drain" and s.at <= at}
    run.traffic = [
        s
        for s in run.traffic
        if s.at <= at or (s.action == "deregister" and s.instance_id in begun)
    ]


def advance(runs: Iterable[DeploymentRun], world: World, now: float) -> None:
    """Perform every step due by `now` (all runs together, oldest first)."""
    due: list[tuple[float, int, DeploymentRun, TrafficStep]] = []
    for order, run in enumerate(runs):
        for step in getattr(run, "traffic", ())[run.traffic_done :]:  # older saved runs: none
            if step.at > now:
                break
            due.append((step.at, order, run, step))
    for _, _, run, step in sorted(due, key=lambda item: (item[0], item[1])):
        apply(world, step)
        run.traffic_done += 1
