"""Is the CodeDeploy agent running on these instances yet? (read-only; nothing runs on them)

Per instance, cheapest sign first (`wizard.core.agent_health` has the rules):

1. ec2:GetConsoleOutput: the progress markers cdwizard's first-boot user_data writes to the
   serial console (one call per instance, `Latest` where the instance supports it);
2. ssm:DescribeInstanceAssociationsStatus: the agent's SSM association (AWS-ConfigureAWSPackage
   installing AWSCodeDeployAgent) on the instance, when there was no marker;
3. otherwise only the launch time is known: "unknown" since launch.

A look-up that is denied or that an emulator lacks just leaves that sign out (the state then
says less); it never fails the caller.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from wizard.core.agent_health import AgentView, from_association, from_console
from wizard.services.aws.errors import DiscoveryError, guarded

if TYPE_CHECKING:
    from wizard.services.aws.session import AwsClients

#: The SSM document the `agent_install: ssm` association runs.
PACKAGE_DOCUMENT = "AWS-ConfigureAWSPackage"


def launch_times(clients: AwsClients, instance_ids: Sequence[str]) -> dict[str, datetime]:
    """When each instance was launched (one DescribeInstances call per 1,000 ids)."""
    found: dict[str, datetime] = {}
    ec2 = clients.client("ec2")
    with guarded("ec2:DescribeInstances", profile=clients.target.profile):
        for start in range(0, len(instance_ids), 1000):
            page = ec2.describe_instances(InstanceIds=list(instance_ids[start : start + 1000]))
            for reservation in page["Reservations"]:
                for raw in reservation["Instances"]:
                    if raw.get("LaunchTime"):
                        found[raw["InstanceId"]] = raw["LaunchTime"]
    return found


def _console(clients: AwsClients, instance_id: str) -> str | None:
    ec2 = clients.client("ec2")
    try:
        with guarded("ec2:GetConsoleOutput", profile=clients.target.profile):
            try:
                out = ec2.get_console_output(InstanceId=instance_id, Latest=True)
            except Exception as exc:  # `Latest` is for Nitro instances only: ask without it
                if "Latest" not in str(exc) and "UnsupportedOperation" not in str(exc):
                    raise
                out = ec2.get_console_output(InstanceId=instance_id)
    except DiscoveryError:
        return None
    return str(out.get("Output") or "")


def _association(clients: AwsClients, instance_id: str) -> Mapping[str, Any] | None:
    try:
        with guarded("ssm:DescribeInstanceAssociationsStatus", profile=clients.target.profile):
            out = clients.client("ssm").describe_instance_associations_status(
                InstanceId=instance_id
            )
    except DiscoveryError:
        return None
    infos = [i for i in out.get("InstanceAssociationStatusInfos", []) if _installs_agent(i)]
    return max(infos, key=lambda i: i.get("ExecutionDate") or datetime.min, default=None)


def _installs_agent(info: Mapping[str, Any]) -> bool:
    return str(info.get("Name", "")).endswith(PACKAGE_DOCUMENT)


def agent_health(clients: AwsClients, instance_ids: Sequence[str]) -> tuple[AgentView, ...]:
    """Each instance's agent as far as it can be told (see the module docstring)."""
    ids = sorted(set(instance_ids))
    try:
        launched = launch_times(clients, ids)
    except DiscoveryError:
        launched = {}
    out = []
    for instance_id in ids:
        console = _console(clients, instance_id)
        seen = from_console(instance_id, console) if console else None
        if seen is None:
            info = _association(clients, instance_id)
            if info is not None:
                detail = info.get("ExecutionSummary") or info.get("ErrorCode")
                status = str(info.get("Status", ""))
                when = info.get("ExecutionDate") if status != "Pending" else None
                seen = from_association(
                    instance_id, status, when or launched.get(instance_id), detail
                )
        out.append(seen or AgentView(instance_id, "unknown", launched.get(instance_id)))
    return tuple(out)
