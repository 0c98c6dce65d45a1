"""Around `destroy`: what the state holds, emptying versioned buckets, and what is left after.

Terraform cannot delete a non-empty bucket (unless `force_destroy`), and a versioned artifact
bucket keeps every old version and delete marker; so before destroying, each bucket in the state
is emptied. Likewise an EventBridge rule cannot be deleted while it has targets, and a target
terraform's state no longer holds (a killed run whose emulator state came back older) would keep
it; such targets are removed first. Afterwards every named resource from the state and the
answers is looked up again through the API: anything that still answers is reported as left
behind.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from wizard.core.answers import Answers
from wizard.services.aws.session import AwsClients


@dataclass(frozen=True)
class Named:
    """A resource we can look up by name: `kind` is the AWS noun, `key` its identifier."""

    kind: str
    key: str
    extra: str = ""

    def label(self) -> str:
        return f"{self.kind} {self.key}" + (f"/{self.extra}" if self.extra else "")


def state_resources(state: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Every resource in `terraform show -json` state output, all modules."""

    def walk(module: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        yield from module.get("resources") or []
        for child in module.get("child_modules") or []:
            yield from walk(child)

    yield from walk((state.get("values") or {}).get("root_module") or {})


def inventory(state: Mapping[str, Any], answers: Answers) -> list[Named]:
    """The named things this stack owns: from the state, plus the answers' names."""
    found: dict[tuple[str, str, str], Named] = {}

    def add(kind: str, key: Any, extra: Any = "") -> None:
        if key:
            item = Named(kind, str(key), str(extra or ""))
            found[(item.kind, item.key, item.extra)] = item

    for res in state_resources(state):
        if res.get("mode") != "managed":
            continue
        v = res.get("values") or {}
        t = res.get("type")
        if t == "aws_codepipeline":
            add("pipeline", v.get("name"))
        elif t == "aws_codedeploy_app":
            add("CodeDeploy application", v.get("name"))
        elif t == "aws_codedeploy_deployment_group":
            add("deployment group", v.get("app_name"), v.get("deployment_group_name"))
        elif t == "aws_iam_role":
            add("IAM role", v.get("name"))
        elif t == "aws_iam_instance_profile":
            add("instance profile", v.get("name"))
        elif t == "aws_s3_bucket":
            add("bucket", v.get("bucket"))
        elif t == "aws_instance":
            add("EC2 instance", v.get("id"))
        elif t == "aws_codecommit_repository":
            add("repository", v.get("repository_name"))
        elif t == "aws_cloudwatch_event_rule":
            add("EventBridge rule", v.get("name"))
        elif t == "aws_ssm_association":
            add("SSM association", v.get("association_id") or v.get("id"))
        elif t == "aws_codestarconnections_connection":
            add("connection", v.get("arn") or v.get("id"))
        elif t == "aws_lb":
            add("load balancer", v.get("arn"))
        elif t == "aws_lb_target_group":
            add("target group", v.get("arn"))
        elif t == "aws_security_group":
            add("security group", v.get("id"))
    add("pipeline", answers.pipeline.name)
    add("CodeDeploy application", answers.deployment.application)
    add("deployment group", answers.deployment.application, answers.deployment.group)
    add("IAM role", answers.deployment.service_role)
    add("instance profile", answers.deployment.instance_profile)
    if answers.pipeline.artifact_bucket:
        add("bucket", answers.pipeline.artifact_bucket)
    if answers.source.create_repository:
        add("repository", answers.source.repository)
    return list(found.values())


def buckets(state: Mapping[str, Any]) -> list[str]:
    return [
        str((r.get("values") or {}).get("bucket"))
        for r in state_resources(state)
        if r.get("mode") == "managed"
        and r.get("type") == "aws_s3_bucket"
        and (r.get("values") or {}).get("bucket")
    ]


@dataclass(frozen=True)
class Rule:
    """An EventBridge rule in the state and the target ids the state holds for it."""

    name: str
    bus: str
    targets: frozenset[str]


def rules(state: Mapping[str, Any]) -> list[Rule]:
    managed = [r for r in state_resources(state) if r.get("mode") == "managed"]
    known: dict[str, set[str]] = {}
    for r in managed:
        if r.get("type") == "aws_cloudwatch_event_target":
            values = r.get("values") or {}
            known.setdefault(str(values.get("rule")), set()).add(str(values.get("target_id")))
    return [
        Rule(
            name=str(values["name"]),
            bus=str(values.get("event_bus_name") or "default"),
            targets=frozenset(known.get(str(values["name"]), ())),
        )
        for r in managed
        if r.get("type") == "aws_cloudwatch_event_rule" and (values := r.get("values") or {})
        if values.get("name")
    ]


def remove_stray_targets(clients: AwsClients, rule: Rule) -> list[str]:
    """Remove the rule's targets that terraform's state does not hold (it would delete the
    others itself); returns their ids."""
    events = clients.client("events")
    found = events.list_targets_by_rule(Rule=rule.name, EventBusName=rule.bus).get("Targets") or []
    stray = [str(t["Id"]) for t in found if str(t["Id"]) not in rule.targets]
    if stray:
        events.remove_targets(Rule=rule.name, EventBusName=rule.bus, Ids=stray, Force=True)
    return stray


def empty_bucket(clients: AwsClients, bucket: str) -> int:
    """Delete every object version and delete marker; returns how many were deleted."""
    s3 = clients.client("s3")
    deleted = 0
    try:
        pages = s3.get_paginator("list_object_versions").paginate(Bucket=bucket)
        for page in pages:
            keys = [
                {"Key": item["Key"], "VersionId": item["VersionId"]}
                for item in (page.get("Versions") or []) + (page.get("DeleteMarkers") or [])
            ]
            for start in range(0, len(keys), 1000):
                chunk = keys[start : start + 1000]
                s3.delete_objects(Bucket=bucket, Delete={"Objects": chunk, "Quiet": True})
                deleted += len(chunk)
    except s3.exceptions.NoSuchBucket:
        return deleted
    return deleted


def still_exists(clients: AwsClients, item: Named) -> bool:
    """True when the API still returns `item` (live instances only)."""

    try:
        if item.kind == "pipeline":
            clients.client("codepipeline").get_pipeline(name=item.key)
        elif item.kind == "CodeDeploy application":
            clients.client("codedeploy").get_application(applicationName=item.key)
        elif item.kind == "deployment group":
            clients.client("codedeploy").get_deployment_group(
                applicationName=item.key, deploymentGroupName=item.extra
            )
        elif item.kind == "IAM role":
            clients.client("iam").get_role(RoleName=item.key)
        elif item.kind == "instance profile":
            clients.client("iam").get_instance_profile(InstanceProfileName=item.key)
        elif item.kind == "bucket":
            clients.client("s3").head_bucket(Bucket=item.key)
        elif item.kind == "repository":
            clients.client("codecommit").get_repository(repositoryName=item.key)
        elif item.kind == "EventBridge rule":
            clients.client("events").describe_rule(Name=item.key)
        elif item.kind == "connection":
            from wizard.services.aws.connections import get_connection

            return get_connection(clients, item.key) is not None
        elif item.kind == "SSM association":
            clients.client("ssm").describe_association(AssociationId=item.key)
        elif item.kind == "load balancer":
            clients.client("elbv2").describe_load_balancers(LoadBalancerArns=[item.key])
        elif item.kind == "target group":
            clients.client("elbv2").describe_target_groups(TargetGroupArns=[item.key])
        elif item.kind == "security group":
            clients.client("ec2").describe_security_groups(GroupIds=[item.key])
        elif item.kind == "EC2 instance":
            reservations = clients.client("ec2").describe_instances(InstanceIds=[item.key])
            states = [
                i["State"]["Name"]
                for r in reservations.get("Reservations", [])
                for i in r.get("Instances", [])
            ]
            return any(s not in ("terminated", "shutting-down") for s in states)
        else:
            return False
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if status == 404 or "NotFound" in code or "NoSuch" in code or "DoesNotExist" in code:
            return False
        if code in ("InvalidInstanceID.NotFound", "PipelineNotFoundException"):
            return False
        raise
    return True


def left_behind(clients: AwsClients, items: list[Named]) -> list[str]:
    return [item.label() for item in items if still_exists(clients, item)]
