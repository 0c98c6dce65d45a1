"""End to end behind a load balancer, as a user runs it in the sandbox: `apply` three created
instances behind a created Application Load Balancer (OneAtATime) -> a second `plan` changes
nothing -> `ship` follows the deployment while each instance leaves and rejoins the target group,
two of three healthy at every poll -> `destroy` leaves nothing. And with a target group that
exists before (made by the test in the sandbox): the same deployment works, and destroy leaves
that target group exactly as it was. And subnets of one Availability Zone, which only the plan
can see, are refused there with the answer to change.

Real terraform and provider (offline mirror), the sandbox in each command's process, its state
in the workspace. One applied stack per story (the two stories need different stacks; the
plan-only test applies nothing).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from tests.test_tf_integration import cli, of
from wizard.core import resources
from wizard.services.sandbox import STATE_FILE
from wizard.services.sandbox.launcher import Sandbox

pytestmark = [
    pytest.mark.slow,
    pytest.mark.terraform,
    pytest.mark.mirror,
    pytest.mark.skipif(
        not (resources.templates_dir() / "terraform").is_dir(),
        reason="the terraform templates are not in this checkout",
    ),
]

#: Simulated durations at a quarter: a target drains for 2.5 s (deregistration delay 10 s) and
#: turns healthy in 5 s (two health checks 10 s apart); the monitor polls every second.
PACE = "0.25"

CREATED = """\
version: 1
project: lb-demo
targets: {instance_count: 3}
deployment: {config: CodeDeployDefault.OneAtATime}
load_balancer: {mode: create, deregistration_delay: 10}
"""


def _common(tmp_path: Path, answers_text: str) -> tuple[str, ...]:
    answers = tmp_path / "answers.yml"
    answers.write_text(answers_text)
    return ("--answers", str(answers), "--out", "ws", "--sandbox")


def _ok(result: tuple[int, list[dict[str, Any]], str]) -> list[dict[str, Any]]:
    code, events, err = result
    errors = [
        (e.get("summary") or e.get("text"), e.get("address"), str(e.get("detail", ""))[:600])
        for e in events
        if e["level"] == "error"
    ]
    assert code == 0, (errors, err[-2000:])
    return events


def _apply_and_replan(tmp_path: Path, common: tuple[str, ...], mirror: Path) -> None:
    _ok(cli("apply", *common, "--yes", cwd=tmp_path, mirror=mirror))
    events = _ok(cli("plan", *common, cwd=tmp_path, mirror=mirror))
    last = of(events, "change_summary")[-1]
    assert (last["add"], last["change"], last["remove"]) == (0, 0, 0)


def _ship(tmp_path: Path, common: tuple[str, ...]) -> list[dict[str, Any]]:
    """`cdwizard ship --json`, the simulation at a quarter of its durations."""
    proc = subprocess.run(
        [sys.executable, "-m", "wizard", "ship", *common, "--json", "--poll-interval", "1"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO), "CDWIZARD_SANDBOX_PACE": PACE},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=600,
    )
    events = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    return _ok((proc.returncode, events, proc.stderr))


def _traffic(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] in ("traffic.target_group", "traffic.target")]


def _inventory(workspace: Path) -> dict[str, Any]:
    """Load balancers, target groups (with targets) and security groups the emulator holds; the
    test process's emulator is left empty again and the state file as it was."""
    with Sandbox(state_file=workspace / STATE_FILE) as box:
        elb, ec2 = box.clients.client("elbv2"), box.clients.client("ec2")
        groups = elb.describe_target_groups()["TargetGroups"]
        found = {
            "balancers": elb.describe_load_balancers()["LoadBalancers"],
            "target_groups": groups,
            "attributes": {
                g["TargetGroupName"]: elb.describe_target_group_attributes(
                    TargetGroupArn=g["TargetGroupArn"]
                )["Attributes"]
                for g in groups
            },
            "targets": {
                g["TargetGroupName"]: sorted(
                    (d["Target"]["Id"], d["TargetHealth"]["State"])
                    for d in elb.describe_target_health(TargetGroupArn=g["TargetGroupArn"])[
                        "TargetHealthDescriptions"
                    ]
                )
                for g in groups
            },
            "security_groups": sorted(
                g["GroupName"] for g in ec2.describe_security_groups()["SecurityGroups"]
            ),
        }
        box.reset()
        box.stop(save=False)
    return found


def test_created_load_balancer_apply_replan_ship_destroy(
    tmp_path: Path, provider_mirror: Path
) -> None:
    common = _common(tmp_path, CREATED)
    _apply_and_replan(tmp_path, common, provider_mirror)
    created = _inventory(tmp_path / "ws")
    [balancer] = created["balancers"]
    assert balancer["LoadBalancerName"] == "lb-demo"
    [group] = created["target_groups"]
    assert group["HealthCheckPath"] == "/health" and group["Port"] == 8000
    assert {state for _, state in created["targets"]["lb-demo"]} == {"healthy"}
    assert len(created["targets"]["lb-demo"]) == 3  # registered before the first deployment
    assert {"lb-demo-alb", "lb-demo-instances"} <= set(created["security_groups"])

    events = _ship(tmp_path, common)
    finished = [e for e in events if e["type"] == "deployment.finished"]
    assert finished and finished[-1]["status"] == "Succeeded"
    traffic = _traffic(events)
    observed = traffic[0]
    assert observed["type"] == "traffic.target_group" and observed["target_group"] == "lb-demo"
    assert observed["url"] == "http://lb-demo-1.eu-west-1.elb.amazonaws.com"
    changes = [e for e in traffic if e["type"] == "traffic.target"]
    instances = sorted({e["target_id"] for e in changes})
    assert len(instances) == 3
    # each instance leaves and rejoins, one after the other
    assert [(e["target_id"], e["state"]) for e in changes] == [
        (i, s) for i in instances for s in ("draining", "out", "initial", "healthy")
    ]
    # at least 2 of 3 healthy at every poll (the counts only move with these events)
    assert observed["counts"]["healthy"] >= 2
    assert all(e["healthy"] >= 2 and e["total"] == 3 for e in changes)
    lifecycle = [e for e in events if e["type"] == "lifecycle.event" and e["status"] != "Pending"]
    assert {e["event"] for e in lifecycle} >= {"BlockTraffic", "AllowTraffic", "AfterAllowTraffic"}

    events = _ok(cli("destroy", *common, "--yes", cwd=tmp_path, mirror=provider_mirror))
    report = of(events, "report")[-1]
    assert report["ok"] and report["left_behind"] == []
    gone = _inventory(tmp_path / "ws")
    assert gone["balancers"] == [] and gone["target_groups"] == []
    assert not {"lb-demo-alb", "lb-demo-instances"} & set(gone["security_groups"])


EXISTING = """\
version: 1
project: lb-existing
targets: {{instance_count: 2}}
load_balancer: {{mode: existing, target_group_arn: "{arn}"}}
"""


def _existing_target_group(workspace: Path) -> tuple[str, str]:
    """Before cdwizard: an ALB with a target group and a listener, and one instance of someone
    else registered (saved in the workspace's sandbox state). (target group ARN, instance)"""
    with Sandbox(state_file=workspace / STATE_FILE) as box:
        ec2, elb = box.clients.client("ec2"), box.clients.client("elbv2")
        vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]
        subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])
        default_sg = ec2.describe_security_groups(
            Filters=[
                {"Name": "vpc-id", "Values": [vpc["VpcId"]]},
                {"Name": "group-name", "Values": ["default"]},
            ]
        )["SecurityGroups"][0]["GroupId"]
        group = elb.create_target_group(
            Name="theirs",
            Protocol="HTTP",
            Port=8000,
            VpcId=vpc["VpcId"],
            HealthCheckPath="/health",
            HealthCheckIntervalSeconds=10,
            HealthyThresholdCount=2,
        )["TargetGroups"][0]
        arn = group["TargetGroupArn"]
        elb.modify_target_group_attributes(
            TargetGroupArn=arn,
            Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "10"}],
        )
        lb = elb.create_load_balancer(
            Name="theirs",
            Subnets=[s["SubnetId"] for s in subnets["Subnets"][:2]],
            SecurityGroups=[default_sg],
        )["LoadBalancers"][0]
        elb.create_listener(
            LoadBalancerArn=lb["LoadBalancerArn"],
            Protocol="HTTP",
            Port=80,
            DefaultActions=[{"Type": "forward", "TargetGroupArn": arn}],
        )
        other = ec2.run_instances(
            ImageId="ami-12c6146b",
            MinCount=1,
            MaxCount=1,
            BlockDeviceMappings=[{"DeviceName": "/dev/sda1", "Ebs": {"VolumeSize": 8}}],
        )["Instances"][0]["InstanceId"]
        elb.register_targets(TargetGroupArn=arn, Targets=[{"Id": other}])
        box.stop(save=True)
    return arn, other


def test_existing_target_group_is_used_and_left_as_it_was(
    tmp_path: Path, provider_mirror: Path
) -> None:
    arn, other = _existing_target_group(tmp_path / "ws")
    before = _inventory(tmp_path / "ws")
    common = _common(tmp_path, EXISTING.format(arn=arn))
    _apply_and_replan(tmp_path, common, provider_mirror)
    applied = _inventory(tmp_path / "ws")
    ours = [i for i, _ in applied["targets"]["theirs"] if i != other]
    assert len(ours) == 2  # the created instances, registered before their first deployment

    events = _ship(tmp_path, common)
    assert [e for e in events if e["type"] == "deployment.finished"][-1]["status"] == "Succeeded"
    changes = [e for e in _traffic(events) if e["type"] == "traffic.target"]
    assert [(e["target_id"], e["state"]) for e in changes] == [
        (i, s) for i in sorted(ours) for s in ("draining", "out", "initial", "healthy")
    ]
    assert other not in {e["target_id"] for e in changes}  # not in the deployment group

    events = _ok(cli("destroy", *common, "--yes", cwd=tmp_path, mirror=provider_mirror))
    assert of(events, "report")[-1]["left_behind"] == []
    after = _inventory(tmp_path / "ws")
    # the target group, its attributes, its load balancer and the other instance: as before
    assert after["target_groups"] == before["target_groups"]
    assert after["attributes"] == before["attributes"]
    assert after["balancers"] == before["balancers"]
    assert after["targets"]["theirs"] == [(other, "healthy")] == before["targets"]["theirs"]


def _subnets_in_one_zone(workspace: Path) -> list[str]:
    """Two subnets of the default VPC, both in its first Availability Zone (saved in the
    workspace's sandbox state)."""
    with Sandbox(state_file=workspace / STATE_FILE) as box:
        ec2 = box.clients.client("ec2")
        vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]
        zone = ec2.describe_availability_zones()["AvailabilityZones"][0]["ZoneName"]
        made = [
            ec2.create_subnet(VpcId=vpc["VpcId"], CidrBlock=cidr, AvailabilityZone=zone)
            for cidr in ("172.31.200.0/24", "172.31.201.0/24")
        ]
        box.stop(save=True)
    return [m["Subnet"]["SubnetId"] for m in made]


def test_subnets_of_one_zone_are_refused_by_the_plan(tmp_path: Path, provider_mirror: Path) -> None:
    """Only AWS knows a subnet's zone: the plan refuses, naming the answer and the fix, and
    nothing is created."""
    subnets = _subnets_in_one_zone(tmp_path / "ws")
    common = _common(
        tmp_path,
        "version: 1\nproject: lb-zones\n"
        f"load_balancer: {{mode: create, subnet_ids: [{subnets[0]}, {subnets[1]}]}}\n",
    )
    code, events, err = cli("plan", *common, cwd=tmp_path, mirror=provider_mirror)
    assert code != 0
    shown = json.dumps(events) + err
    assert "at least two Availability Zones" in shown and "load_balancer.subnet_ids" in shown
    assert _inventory(tmp_path / "ws")["balancers"] == []
