"""Leftovers: what cdwizard created that terraform's state does not know (any more).

A run interrupted at the wrong instant (the create call reached AWS, its answer never reached
terraform), a lost state, or a destroy that could not finish leaves resources behind that no later
`apply` or `destroy` will touch: an EC2 instance that keeps running and, since it carries the
deployment tag, keeps receiving deployments; a role or pipeline whose name makes the next apply
fail with "already exists".

Every resource cdwizard's terraform creates carries `cdwizard:project = <project>` (the provider's
default tags), so a leftover is found by that tag and checked against terraform's state:

- EC2 instances (not terminated) tagged `cdwizard:project = <project>`, and instances created by
  cdwizard (any `cdwizard:project`) that carry this deployment group's tag;
- the named resources the answers create (roles, instance profile, CodeDeploy application and
  group, pipeline, bucket, EventBridge rule, repository) when they exist *and* carry the tag.

A resource without the tag is never a leftover: it is yours (the `clashes` check reports it).
`remove()` deletes one leftover with the calls AWS needs (instance profiles emptied, role
policies detached, buckets emptied, rule targets removed first).
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from wizard.core.events.preflight import CheckStatus
from wizard.services.aws.clashes import KIND_LABELS, managed_names, planned_resources
from wizard.services.aws.errors import guarded

if TYPE_CHECKING:
    from wizard.core.answers import Answers
    from wizard.core.events.preflight import CheckStatus
    from wizard.services.aws.session import AwsClients

PROJECT_TAG = "cdwizard:project"
INSTANCE = "ec2_instance"
_LABELS = {**KIND_LABELS, INSTANCE: "EC2 instance"}
_LIVE_STATES = ["pending", "running", "stopping", "stopped"]

#: terraform resource type of each kind (to find where a leftover belongs when adopting it)
RESOURCE_TYPES: dict[str, str] = {
    INSTANCE: "aws_instance",
    "iam_role": "aws_iam_role",
    "iam_instance_profile": "aws_iam_instance_profile",
    "codedeploy_app": "aws_codedeploy_app",
    "codedeploy_group": "aws_codedeploy_deployment_group",
    "codepipeline": "aws_codepipeline",
    "s3_bucket": "aws_s3_bucket",
    "codecommit_repository": "aws_codecommit_repository",
    "events_rule": "aws_cloudwatch_event_rule",
}


@dataclass(frozen=True)
class Leftover:
    """One resource that exists, carries this project's tag, and is not in terraform's state."""

    kind: str
    #: what identifies it: the instance id, the name, `application/group` for a group
    id: str
    detail: str = ""

    @property
    def label(self) -> str:
        return f"{_LABELS.get(self.kind, self.kind)} {self.id}" + (
            f" ({self.detail})" if self.detail else ""
        )

    @property
    def import_id(self) -> str:
        """The id `terraform import` takes for it."""
        return self.id.replace("/", ":") if self.kind == "codedeploy_group" else self.id

    def attribute_matches(self, values: Mapping[str, Any]) -> bool:
        """Whether a planned resource of its type (its `after` values) is this one."""
        if self.kind == INSTANCE:
            return True  # instances have no name: any planned instance can take it
        if self.kind == "codedeploy_group":
            app, _, group = self.id.partition("/")
            return values.get("app_name") == app and values.get("deployment_group_name") == group
        key = {"s3_bucket": "bucket", "codecommit_repository": "repository_name"}.get(
            self.kind, "name"
        )
        return values.get(key) == self.id


# --- what terraform's state holds -----------------------------------------------------------


def managed_in_raw_state(state: Mapping[str, Any]) -> frozenset[tuple[str, str]]:
    """`(kind, id)` of what a raw terraform state (format 4, e.g. terraform.tfstate) manages."""
    found = set(managed_names(state))
    for resource in state.get("resources", []) or []:
        if resource.get("mode") == "managed" and resource.get("type") == "aws_instance":
            for instance in resource.get("instances", []) or []:
                ident = (instance.get("attributes") or {}).get("id")
                if ident:
                    found.add((INSTANCE, str(ident)))
    return frozenset(found)


# --- looking ------------------------------------------------------------------------------------


def find(
    clients: AwsClients,
    answers: Answers,
    managed: Iterable[tuple[str, str]],
    *,
    account: str | None,
) -> list[Leftover]:
    """Every leftover of this project (see the module docstring). AWS errors propagate."""
    owned = set(managed)
    found = _instances(clients, answers, owned)
    project = answers.project
    for planned in planned_resources(answers, account):
        if (planned.kind, planned.name) in owned:
            continue
        tags = _tags(clients, planned.kind, planned.name, account)
        if tags is not None and tags.get(PROJECT_TAG) == project:
            found.append(Leftover(planned.kind, planned.name))
    return found


def _instances(
    clients: AwsClients, answers: Answers, owned: set[tuple[str, str]]
) -> list[Leftover]:
    ec2 = clients.client("ec2")
    key, value = answers.targets.tag_key, answers.targets.tag_value
    searches = [
        [{"Name": f"tag:{PROJECT_TAG}", "Values": [answers.project]}],
        [{"Name": f"tag:{key}", "Values": [value]}, {"Name": "tag-key", "Values": [PROJECT_TAG]}],
    ]
    seen: dict[str, Leftover] = {}
    for search in searches:
        filters = [*search, {"Name": "instance-state-name", "Values": _LIVE_STATES}]
        for page in ec2.get_paginator("describe_instances").paginate(Filters=filters):
            for reservation in page.get("Reservations", []):
                for instance in reservation.get("Instances", []):
                    ident = instance["InstanceId"]
                    if (INSTANCE, ident) in owned or ident in seen:
                        continue
                    tags = {t["Key"]: t["Value"] for t in instance.get("Tags", [])}
                    detail = instance.get("State", {}).get("Name", "")
                    if tags.get(key) == value:
                        detail += f"; tagged {key}={value}, so deployments reach it"
                    if tags.get(PROJECT_TAG) != answers.project:
                        detail += f"; made for project {tags.get(PROJECT_TAG)}"
                    seen[ident] = Leftover(INSTANCE, ident, detail)
    return list(seen.values())


def _tags(clients: AwsClients, kind: str, name: str, account: str | None) -> dict[str, str] | None:
    """The tags of the named resource; None when it does not exist (or its tags cannot be
    read: then it is not known to be ours)."""

    region = clients.target.region
    try:
        if kind == "iam_role":
            tags = clients.client("iam").get_role(RoleName=name)["Role"].get("Tags", [])
        elif kind == "iam_instance_profile":
            # GetInstanceProfile carries the tags (moto lacks ListInstanceProfileTags, so an
            # untagged profile -- one made by hand -- must not send us there)
            iam = clients.client("iam")
            profile = iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]
            tags = profile.get("Tags") or []
        elif kind == "s3_bucket":
            tags = clients.client("s3").get_bucket_tagging(Bucket=name).get("TagSet", [])
        elif kind == "codepipeline":
            cp = clients.client("codepipeline")
            arn = cp.get_pipeline(name=name)["metadata"]["pipelineArn"]
            tags = cp.list_tags_for_resource(resourceArn=arn).get("tags", [])
        elif kind in ("codedeploy_app", "codedeploy_group"):
            cd = clients.client("codedeploy")
            if kind == "codedeploy_app":
                cd.get_application(applicationName=name)
                arn = f"arn:aws:codedeploy:{region}:{account}:application:{name}"
            else:
                app, _, group = name.partition("/")
                cd.get_deployment_group(applicationName=app, deploymentGroupName=group)
                arn = f"arn:aws:codedeploy:{region}:{account}:deploymentgroup:{app}/{group}"
            tags = cd.list_tags_for_resource(ResourceArn=arn).get("Tags", [])
        elif kind == "codecommit_repository":
            cc = clients.client("codecommit")
            arn = cc.get_repository(repositoryName=name)["repositoryMetadata"]["Arn"]
            return dict(cc.list_tags_for_resource(resourceArn=arn).get("tags", {}))
        elif kind == "events_rule":
            events = clients.client("events")
            arn = events.describe_rule(Name=name)["Arn"]
            tags = events.list_tags_for_resource(ResourceARN=arn).get("Tags", [])
        else:
            return None
    except ClientError as exc:
        if _absent(exc):
            return None
        raise
    return {str(t.get("Key") or t.get("key")): str(t.get("Value") or t.get("value")) for t in tags}


def _absent(exc: Any) -> bool:
    """A ClientError meaning "no such resource" (or no tags at all, for S3)."""
    error = exc.response.get("Error", {})
    code = str(error.get("Code", ""))
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return (
        status == 404
        or code in ("NoSuchEntity", "NoSuchTagSet", "NoSuchTagSetError")
        or "NotFound" in code
        or "DoesNotExist" in code
        or "NoSuch" in code
    )


# --- doctor -----------------------------------------------------------------------------------


def preflight_verdict(
    clients: AwsClients,
    answers: Answers,
    *,
    account: str | None,
    state_file: Path | None,
    command: str,
) -> tuple[CheckStatus, str, str | None]:
    """The `leftovers` check of `cdwizard doctor`: (status, detail, fix). The state is the
    workspace's local file, or the s3 backend's object; AWS errors become `DiscoveryError`."""

    state, where = _preflight_state(clients, answers, state_file)
    if state is None:
        return CheckStatus.WARN, f"could not read terraform's state ({where})", None
    with guarded("ec2:DescribeInstances", profile=clients.target.profile):
        found = find(clients, answers, managed_in_raw_state(state), account=account)
    if not found:
        return (
            CheckStatus.OK,
            f"nothing tagged {PROJECT_TAG}={answers.project} exists outside {where}",
            None,
        )

    listed = "; ".join(item.label for item in found)
    each = "; ".join(
        f"`{command} --adopt {shlex.quote(item.id)}` or `--remove {shlex.quote(item.id)}`"
        for item in found
    )
    return (
        CheckStatus.FAIL,
        f"{len(found)} resource(s) tagged {PROJECT_TAG}={answers.project} are not in {where}: "
        f"{listed}",
        f"adopt or remove each: {each}",
    )


def _preflight_state(
    clients: AwsClients, answers: Answers, state_file: Path | None
) -> tuple[dict[str, Any] | None, str]:
    """terraform's raw state for the check, and how to name where it came from."""

    tf = answers.terraform
    if tf.backend == "s3" and tf.state_bucket:
        where = f"the state s3://{tf.state_bucket}/{tf.state_key}"
        try:
            body = clients.client("s3").get_object(Bucket=tf.state_bucket, Key=tf.state_key)
            data = json.loads(body["Body"].read())
        except Exception as exc:
            if "NoSuchKey" in str(exc):
                return {}, where
            return None, f"{where}: {exc}"
        return (data if isinstance(data, dict) else {}), where
    if state_file is None:
        return {}, "terraform's state (this workspace has none yet)"
    where = f"terraform's state {state_file}"
    try:
        data = json.loads(Path(state_file).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return None, f"{state_file}: {exc}"
    return (data if isinstance(data, dict) else {}), where


# --- removing -----------------------------------------------------------------------------------


def remove(clients: AwsClients, leftover: Leftover) -> str:
    """Delete one leftover (and what AWS requires to go first); returns what was done."""
    kind, name = leftover.kind, leftover.id
    if kind == INSTANCE:
        clients.client("ec2").terminate_instances(InstanceIds=[name])
        return f"terminated EC2 instance {name}"
    if kind == "iam_role":
        _delete_role(clients, name)
    elif kind == "iam_instance_profile":
        iam = clients.client("iam")
        profile = iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]
        for role in profile.get("Roles", []):
            iam.remove_role_from_instance_profile(
                InstanceProfileName=name, RoleName=role["RoleName"]
            )
        iam.delete_instance_profile(InstanceProfileName=name)
    elif kind == "codedeploy_app":
        clients.client("codedeploy").delete_application(applicationName=name)
    elif kind == "codedeploy_group":
        app, _, group = name.partition("/")
        clients.client("codedeploy").delete_deployment_group(
            applicationName=app, deploymentGroupName=group
        )
    elif kind == "codepipeline":
        clients.client("codepipeline").delete_pipeline(name=name)
    elif kind == "s3_bucket":
        from wizard.services.terraform.cleanup import empty_bucket

        empty_bucket(clients, name)
        clients.client("s3").delete_bucket(Bucket=name)
    elif kind == "codecommit_repository":
        clients.client("codecommit").delete_repository(repositoryName=name)
    elif kind == "events_rule":
        events = clients.client("events")
        targets = events.list_targets_by_rule(Rule=name).get("Targets", [])
        if targets:
            events.remove_targets(Rule=name, Ids=[t["Id"] for t in targets])
        events.delete_rule(Name=name)
    else:
        raise ValueError(f"cannot remove a {kind}")
    return f"deleted {_LABELS.get(kind, kind)} {name}"


def _delete_role(clients: AwsClients, name: str) -> None:
    iam = clients.client("iam")
    for page in iam.get_paginator("list_instance_profiles_for_role").paginate(RoleName=name):
        for profile in page.get("InstanceProfiles", []):
            iam.remove_role_from_instance_profile(
                InstanceProfileName=profile["InstanceProfileName"], RoleName=name
            )
    for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=name):
        for policy in page.get("AttachedPolicies", []):
            iam.detach_role_policy(RoleName=name, PolicyArn=policy["PolicyArn"])
    for page in iam.get_paginator("list_role_policies").paginate(RoleName=name):
        for policy_name in page.get("PolicyNames", []):
            iam.delete_role_policy(RoleName=name, PolicyName=policy_name)
    iam.delete_role(RoleName=name)
