"""Elastic Load Balancing: the target group a deployment with traffic control steers traffic
through, at one `DescribeTargetHealth` per poll.

The first poll also reads what does not change during a deployment, once: the target group
(`DescribeTargetGroups`: its ARN, health check and load balancers), and its load balancer's DNS
name and listeners (`DescribeLoadBalancers`, `DescribeListeners`) for the URL. A target group the
caller may not read (permissions) or that is gone does not stop the monitor: the view says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from wizard.core.timeline import TargetHealthView, TrafficView
from wizard.services.aws.monitor.calls import ApiCaller
from wizard.services.aws.monitor.errors import Problem, classify


def _url(balancer: Mapping[str, Any], listeners: Sequence[Mapping[str, Any]]) -> str | None:
    """`https://DNS` when the load balancer has an HTTPS listener, else `http://DNS[:port]`."""
    dns = balancer.get("DNSName")
    if not dns:
        return None
    by_protocol = {str(lst.get("Protocol")): int(lst.get("Port") or 0) for lst in listeners}
    for protocol, default in (("HTTPS", 443), ("HTTP", 80)):
        if protocol in by_protocol:
            port = by_protocol[protocol]
            shown = "" if port == default else f":{port}"
            return f"{protocol.lower()}://{dns}{shown}"
    return f"http://{dns}"


def target_health(description: Mapping[str, Any]) -> TargetHealthView:
    """A `TargetHealthDescription` -> `TargetHealthView`."""
    health = description.get("TargetHealth") or {}
    return TargetHealthView(
        target_id=str((description.get("Target") or {}).get("Id", "")),
        state=str(health.get("State", "unavailable")),
        reason=health.get("Reason") or None,
        description=health.get("Description") or None,
    )


class TrafficPoller:
    """Follows the first of a deployment group's target groups (cdwizard configures one)."""

    def __init__(self, client: Any, target_groups: Sequence[str], *, emulator: bool = False):
        self.api = ApiCaller(client)
        self.target_groups = tuple(target_groups)
        self.emulator = emulator
        self.view: TrafficView | None = None
        self.notes: list[str] = []
        self._problems: dict[str, TargetHealthView] = {}

    @property
    def name(self) -> str:
        return self.target_groups[0]

    def poll(self) -> TrafficView:
        """One `DescribeTargetHealth` (plus the one-time reads on the first poll)."""
        if self.view is not None and not self.view.available:
            return self.view
        try:
            view = self.view or self._describe()
            if not view.available:
                self.view = view
                return view
            answer = self.api.call("describe_target_health", TargetGroupArn=view.target_group_arn)
        except Exception as exc:
            found = classify(exc, operation=self.api.last_operation, emulator=self.emulator)
            if found.problem in (Problem.THROTTLED, Problem.CONNECTION):
                raise  # the monitor's banner and back-off handle these
            note = f"target group {self.name}: {found.text}; its health is not shown"
            self.notes.append(note)
            self.view = TrafficView(target_group=self.name, available=False, note=note)
            return self.view
        targets = tuple(
            sorted(
                (target_health(d) for d in answer.get("TargetHealthDescriptions", [])),
                key=lambda t: t.target_id,
            )
        )
        for target in targets:
            if target.state not in ("healthy", "draining", "initial") and target.reason:
                self._problems[target.target_id] = target
        self.view = replace(
            view,
            targets=targets,
            last_problems=tuple(self._problems[k] for k in sorted(self._problems)),
        )
        return self.view

    def _describe(self) -> TrafficView:
        found = self.api.call("describe_target_groups", Names=[self.name]).get("TargetGroups", [])
        if not found:
            note = f"target group {self.name} was not found; its health is not shown"
            self.notes.append(note)
            return TrafficView(target_group=self.name, available=False, note=note)
        group = found[0]
        if len(self.target_groups) > 1:
            others = ", ".join(self.target_groups[1:])
            self.notes.append(
                f"the group also uses target groups {others}; only {self.name} is shown"
            )
        url = None
        balancers = list(group.get("LoadBalancerArns") or [])
        if balancers:
            described = self.api.call("describe_load_balancers", LoadBalancerArns=balancers[:1])
            lb = (described.get("LoadBalancers") or [{}])[0]
            listeners = self.api.call("describe_listeners", LoadBalancerArn=balancers[0])
            url = _url(lb, listeners.get("Listeners", []))
        return TrafficView(
            target_group=self.name,
            target_group_arn=group.get("TargetGroupArn"),
            load_balancer_url=url,
            health_check_path=group.get("HealthCheckPath"),
            health_check_port=group.get("HealthCheckPort"),
        )
