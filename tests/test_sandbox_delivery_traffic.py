"""The sandbox delivery engine with a load balancer: BlockTraffic and AllowTraffic move each
instance out of and back into the deployment group's target group, as DescribeTargetHealth
shows at every moment (boto3 over HTTP, on the fake clock: no test waits)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.sandbox_delivery_support import FakeClock, Stack, events_of, payload, run_until
from wizard.core.events.base import Event
from wizard.core.events.lifecycle import IN_PLACE_EVENTS_WITH_TRAFFIC
from wizard.core.events.traffic import TargetGroupObserved, TargetHealthChanged
from wizard.core.timeline import Snapshot, explain_deployment
from wizard.services.aws.monitor import ExecutionSelector, FollowSpec, Monitor, monitor_clients
from wizard.services.aws.session import AwsClients

FINAL = ("Succeeded", "Failed", "Stopped")


def _deployment(stack: Stack, clock: FakeClock) -> str:
    """Push a payload and return the deployment its execution creates."""
    clock.advance(5)
    stack.push(payload(marker="1"), "with a load balancer")
    execution = stack.executions()[0]["pipelineExecutionId"]
    return str(run_until(clock, lambda: stack.deployment_of(execution), step=0.5))


def _watch(stack: Stack, clock: FakeClock, deployment_id: str) -> list[dict[str, Any]]:
    """Target health every simulated second until the deployment ends."""
    seen = []
    while stack.deployment(deployment_id)["status"] not in FINAL:
        seen.append(stack.target_health())
        clock.advance(1)
    seen.append(stack.target_health())
    return seen


def test_one_at_a_time_takes_each_instance_out_and_back(stack: Stack, sim_clock: FakeClock) -> None:
    stack.create(instances=3, load_balancer=True)
    first, second, third = sorted(stack.instance_ids)
    assert stack.target_health() == dict.fromkeys(stack.instance_ids, ("healthy", None))
    deployment_id = _deployment(stack, sim_clock)
    seen = _watch(stack, sim_clock, deployment_id)

    assert stack.deployment(deployment_id)["status"] == "Succeeded"
    # never more than one instance out of service, so 2 of 3 serve at every moment
    assert all(sum(s == ("healthy", None) for s in snap.values()) >= 2 for snap in seen)

    def states(instance: str) -> list[str]:
        out: list[str] = []
        for snap in seen:
            state = snap.get(instance, ("gone", None))[0]
            if not out or out[-1] != state:
                out.append(state)
        return out

    for instance in (first, second, third):
        assert states(instance) == ["healthy", "draining", "gone", "initial", "healthy"]
    # in order: an instance is back before the next one leaves
    left = {i: next(n for n, s in enumerate(seen) if s[i][0] == "draining") for i in seen[0]}
    back = {i: max(n for n, s in enumerate(seen) if s.get(i, ("",))[0] != "healthy") for i in left}
    assert back[first] < left[second] and back[second] < left[third]
    # draining and registration carry AWS's reasons
    draining = next(s[first] for s in seen if s[first][0] == "draining")
    assert draining == ("draining", "Target.DeregistrationInProgress")
    initial = next(s[first] for s in seen if s.get(first, ("",))[0] == "initial")
    assert initial == ("initial", "Elb.RegistrationInProgress")
    # explicitly asked for while deregistered: unused, not registered
    assert stack.target_health() == dict.fromkeys(stack.instance_ids, ("healthy", None))

    targets = stack.targets(deployment_id)
    for instance in (first, second, third):
        events = events_of(targets[instance])
        assert list(events) == list(IN_PLACE_EVENTS_WITH_TRAFFIC)
        for name in ("BlockTraffic", "AllowTraffic"):
            assert events[name]["status"] == "Succeeded"
            assert "diagnostics" not in events[name]  # the service's own events
        block = (events["BlockTraffic"]["endTime"] - events["BlockTraffic"]["startTime"]).seconds
        allow = (events["AllowTraffic"]["endTime"] - events["AllowTraffic"]["startTime"]).seconds
        assert 24 <= block <= 36  # the target group's 30 s deregistration delay (jittered)
        assert 16 <= allow <= 24  # 2 health checks 10 s apart


def test_deregistered_instance_reads_as_unused_when_asked_for(
    stack: Stack, sim_clock: FakeClock
) -> None:
    stack.create(instances=2, config="CodeDeployDefault.AllAtOnce", load_balancer=True)
    deployment_id = _deployment(stack, sim_clock)
    elb = stack.client("elbv2")

    def out_of_service() -> bool:
        return not stack.target_health()

    run_until(sim_clock, out_of_service, step=0.5)
    asked = elb.describe_target_health(
        TargetGroupArn=stack.target_group_arn, Targets=[{"Id": stack.instance_ids[0]}]
    )["TargetHealthDescriptions"][0]["TargetHealth"]
    assert asked == {
        "State": "unused",
        "Reason": "Target.NotRegistered",
        "Description": "Target is not registered to the target group",
    }
    run_until(sim_clock, lambda: stack.deployment(deployment_id)["status"] in FINAL)
    assert stack.deployment(deployment_id)["status"] == "Succeeded"


def _failed_allow_traffic(
    stack: Stack, clock: FakeClock, deployment_id: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    run_until(clock, lambda: stack.deployment(deployment_id)["status"] in FINAL, step=5)
    info = stack.deployment(deployment_id)
    first = sorted(stack.instance_ids)[0]
    events = events_of(stack.targets(deployment_id)[first])
    health = stack.client("elbv2").describe_target_health(
        TargetGroupArn=stack.target_group_arn, Targets=[{"Id": first}]
    )["TargetHealthDescriptions"][0]["TargetHealth"]
    return info, {"events": events, "health": health}


def test_a_load_balancer_that_cannot_reach_the_instances_fails_allow_traffic(
    stack: Stack, sim_clock: FakeClock
) -> None:
    ec2 = stack.client("ec2")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]
    alone = ec2.create_security_group(GroupName="alb", Description="alb", VpcId=vpc["VpcId"])
    # the instances' (default) security group admits only itself, not the load balancer's
    stack.create(instances=3, load_balancer={"security_group": alone["GroupId"]})
    deployment_id = _deployment(stack, sim_clock)
    info, first = _failed_allow_traffic(stack, sim_clock, deployment_id)
    assert info["status"] == "Failed"
    assert info["errorInformation"]["code"] == "HEALTH_CONSTRAINTS"
    events = first["events"]
    assert events["ValidateService"]["status"] == "Succeeded"
    assert events["AllowTraffic"]["status"] == "Failed"
    assert "diagnostics" not in events["AllowTraffic"]  # the service reports none
    assert events["AfterAllowTraffic"]["status"] == "Skipped"
    waited = (events["AllowTraffic"]["endTime"] - events["AllowTraffic"]["startTime"]).seconds
    assert 240 <= waited <= 360  # the sandbox gives up after about 5 minutes
    assert first["health"] == {
        "State": "unhealthy",
        "Reason": "Target.Timeout",
        "Description": "Request timed out",
    }


def test_a_target_group_without_a_load_balancer_never_turns_healthy(
    stack: Stack, sim_clock: FakeClock
) -> None:
    stack.create(instances=2, load_balancer={"listener": False})
    deployment_id = _deployment(stack, sim_clock)
    info, first = _failed_allow_traffic(stack, sim_clock, deployment_id)
    assert info["status"] == "Failed"
    assert first["health"]["Reason"] == "Target.NotInUse"


def test_stopping_during_block_traffic_leaves_the_instance_deregistered(
    stack: Stack, sim_clock: FakeClock
) -> None:
    stack.create(instances=3, load_balancer=True)
    deployment_id = _deployment(stack, sim_clock)
    first = sorted(stack.instance_ids)[0]
    run_until(sim_clock, lambda: stack.target_health()[first][0] == "draining", step=0.5)
    stack.client("codedeploy").stop_deployment(deploymentId=deployment_id)
    assert stack.deployment(deployment_id)["status"] == "Stopped"
    sim_clock.advance(60)  # the deregistration delay passes; nothing registers it again
    health = stack.target_health()
    assert first not in health and len(health) == 2


# --- the monitor watching it ----------------------------------------------------------------------


@pytest.fixture
def clients(sandbox_endpoint: str, aws_target: Any) -> AwsClients:
    return monitor_clients(aws_target, max_attempts=2)


def _follow(
    clients: AwsClients, clock: FakeClock, commit: str, cycles: list[list[str]] | None = None
) -> tuple[Snapshot, list[Event]]:
    """Runs the monitor to the outcome; `cycles` gets the ELB operations of each poll cycle."""
    spec = FollowSpec(pipeline="demo-pipeline", execution=ExecutionSelector("commit", commit))
    monitor = Monitor(clients, spec, sleeper=lambda _: None)
    events: list[Event] = []
    calls: list[str] = []
    if cycles is not None:
        clients.client("elbv2").meta.events.register(
            "before-call", lambda model, **_: calls.append(model.name)
        )
    for _ in range(600):
        update = monitor.cycle()
        if cycles is not None:
            cycles.append(calls[:])
            calls.clear()
        events += update.events
        if update.snapshot.outcome is not None:
            return update.snapshot, events
        clock.advance(max(update.snapshot.next_poll_seconds, 1.0))
    raise AssertionError("the monitor never saw an outcome")


def test_the_monitor_shows_each_instance_leave_and_rejoin_the_target_group(
    clients: AwsClients, sim_clock: FakeClock
) -> None:
    stack = Stack(clients).create(instances=3, load_balancer=True)
    sim_clock.advance(5)
    commit = stack.push(payload(marker="2"), "behind the load balancer")
    cycles: list[list[str]] = []
    snapshot, events = _follow(clients, sim_clock, commit, cycles)
    assert snapshot.outcome is not None and snapshot.outcome.result == "succeeded"
    # the cost: one DescribeTargetHealth per poll cycle at most; what does not change, once
    assert max(cycle.count("DescribeTargetHealth") for cycle in cycles) == 1
    assert sum(cycle.count("DescribeTargetHealth") for cycle in cycles) >= 12
    everything = [name for cycle in cycles for name in cycle]
    assert {n: everything.count(n) for n in set(everything) - {"DescribeTargetHealth"}} == {
        "DescribeTargetGroups": 1,
        "DescribeLoadBalancers": 1,
        "DescribeListeners": 1,
    }
    deployment = snapshot.deployment
    assert deployment is not None and deployment.target_groups == ("demo-tg",)
    traffic = deployment.traffic
    assert traffic is not None and traffic.healthy == 3
    assert traffic.load_balancer_url == "http://demo-tg-lb-1.eu-west-1.elb.amazonaws.com"
    assert traffic.health_check == "GET /health on the traffic port"
    [observed] = [e for e in events if isinstance(e, TargetGroupObserved)]
    assert "target group demo-tg (http://demo-tg-lb-1.eu-west-1.elb.amazonaws.com)" in (
        observed.summary()
    )
    changes = [e for e in events if isinstance(e, TargetHealthChanged)]
    order = [(e.target_id, e.state) for e in changes]
    expected = [
        (instance, state)
        for instance in sorted(stack.instance_ids)
        for state in ("draining", "out", "initial", "healthy")
    ]
    assert order == expected  # one instance at a time, out and back in
    assert all(e.healthy >= 2 and e.total == 3 for e in changes)
    assert (
        changes[0]
        .summary()
        .endswith(
            "leaves target group demo-tg: draining (its in-flight requests finish) (2 of 3 healthy)"
        )
    )
    # the grid has the traffic columns, from the events the instances report
    assert [c.name for c in deployment.instances[0].events][:3] == [
        "BeforeBlockTraffic",
        "BlockTraffic",
        "AfterBlockTraffic",
    ]


def test_the_monitor_explains_targets_that_never_become_healthy(
    clients: AwsClients, sim_clock: FakeClock
) -> None:
    ec2 = clients.client("ec2")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]
    alone = ec2.create_security_group(GroupName="alb", Description="alb", VpcId=vpc["VpcId"])
    stack = Stack(clients).create(
        instances=3, load_balancer={"security_group": alone["GroupId"]}, rollback=False
    )
    sim_clock.advance(5)
    commit = stack.push(payload(marker="3"), "unreachable")
    snapshot, events = _follow(clients, sim_clock, commit)
    assert snapshot.outcome is not None and snapshot.outcome.result == "failed"
    assert snapshot.deployment is not None
    report = explain_deployment(snapshot.deployment)
    assert report is not None
    assert report.headline == (
        "1 of 3 instances never became healthy in target group demo-tg (AllowTraffic failed)"
    )
    assert report.explanation is not None
    assert "health checks (GET /health on the traffic port, expecting 200)" in report.explanation
    assert "Target.Timeout: Request timed out" in report.explanation
    assert report.remedy is not None and "security group" in report.remedy
    finished = [e for e in events if e.kind == "deployment.finished"]
    assert finished[-1].summary().endswith(report.headline)
    unhealthy = [e for e in events if isinstance(e, TargetHealthChanged) and e.state == "unhealthy"]
    assert unhealthy and unhealthy[0].level == "warn"
