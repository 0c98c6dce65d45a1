"""Warn before clobbering: which of the resources terraform will create already exist.

`planned_resources(answers, account)` lists what the rendered root module creates under a name
the user chose; `find_existing` looks each one up. A resource that exists but is not in this
workspace's terraform state is a clash: `terraform apply` would try to create it and fail
("already exists"), or, for a bucket, collide with someone else's global name.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from botocore.exceptions import ClientError

from wizard.services.aws.errors import DiscoveryError, guarded

if TYPE_CHECKING:
    from wizard.core.answers import Answers
    from wizard.services.aws.session import AwsClients

ResourceKind = Literal[
    "iam_role",
    "iam_instance_profile",
    "codedeploy_app",
    "codedeploy_group",
    "codepipeline",
    "s3_bucket",
    "codecommit_repository",
    "events_rule",
]

#: How each kind reads in messages.
KIND_LABELS: dict[str, str] = {
    "iam_role": "IAM role",
    "iam_instance_profile": "instance profile",
    "codedeploy_app": "CodeDeploy application",
    "codedeploy_group": "deployment group",
    "codepipeline": "pipeline",
    "s3_bucket": "S3 bucket",
    "codecommit_repository": "CodeCommit repository",
    "events_rule": "EventBridge rule",
}

#: terraform resource type -> (kind, how to read its name from the state attributes)
_STATE_NAMES: dict[str, tuple[str, Callable[[Mapping[str, Any]], str | None]]] = {
    "aws_iam_role": ("iam_role", lambda a: a.get("name")),
    "aws_iam_instance_profile": ("iam_instance_profile", lambda a: a.get("name")),
    "aws_codedeploy_app": ("codedeploy_app", lambda a: a.get("name")),
    "aws_codedeploy_deployment_group": (
        "codedeploy_group",
        lambda a: f"{a.get('app_name')}/{a.get('deployment_group_name')}",
    ),
    "aws_codepipeline": ("codepipeline", lambda a: a.get("name")),
    "aws_s3_bucket": ("s3_bucket", lambda a: a.get("bucket")),
    "aws_codecommit_repository": ("codecommit_repository", lambda a: a.get("repository_name")),
    "aws_cloudwatch_event_rule": ("events_rule", lambda a: a.get("name")),
}


@dataclass(frozen=True)
class PlannedResource:
    kind: ResourceKind
    #: the name; a deployment group is `application/group`
    name: str
    #: the answers key that chose the name (to point the fix at)
    field: str

    @property
    def label(self) -> str:
        return f"{KIND_LABELS[self.kind]} {self.name}"


def artifact_bucket_name(answers: Answers, account: str | None) -> str | None:
    """The artifact bucket's name: the answer, else `<project>-artifacts-<account id>`."""
    if answers.pipeline.artifact_bucket:
        return answers.pipeline.artifact_bucket
    return f"{answers.project}-artifacts-{account}" if account else None


def planned_resources(answers: Answers, account: str | None = None) -> tuple[PlannedResource, ...]:
    """The named resources the rendered terraform creates (the bucket only when its name is
    known: give `account` for the default name)."""
    d = answers.deployment
    planned = [
        PlannedResource("iam_role", d.service_role, "deployment.service_role"),
        PlannedResource("iam_role", d.instance_profile, "deployment.instance_profile"),
        PlannedResource("iam_instance_profile", d.instance_profile, "deployment.instance_profile"),
        PlannedResource("codedeploy_app", d.application, "deployment.application"),
        PlannedResource("codedeploy_group", f"{d.application}/{d.group}", "deployment.group"),
        PlannedResource("codepipeline", answers.pipeline.name, "pipeline.name"),
        # the root module names these after the project (templates/terraform/main.tf.j2)
        PlannedResource("iam_role", f"{answers.project}-codepipeline", "project"),
    ]
    source = answers.source
    if source.provider in ("codecommit", "s3") and source.change_detection == "eventbridge":
        planned += [
            PlannedResource("iam_role", f"{answers.project}-events", "project"),
            PlannedResource("events_rule", f"{answers.project}-source-change", "project"),
        ]
    bucket = artifact_bucket_name(answers, account)
    if bucket:
        planned.append(PlannedResource("s3_bucket", bucket, "pipeline.artifact_bucket"))
    if source.provider == "codecommit" and source.create_repository:
        planned.append(
            PlannedResource("codecommit_repository", source.repository, "source.repository")
        )
    if source.provider == "s3" and source.create_bucket:
        name = source.bucket or (f"{answers.project}-source-{account}" if account else None)
        if name:
            planned.append(PlannedResource("s3_bucket", name, "source.bucket"))
    return tuple(planned)


@dataclass(frozen=True)
class ExistingResource:
    """One planned resource, looked up."""

    planned: PlannedResource
    exists: bool
    #: it is in this workspace's terraform state: terraform manages it, no clash
    managed: bool
    detail: str

    @property
    def terraform_creates(self) -> bool:
        """`terraform apply` will try to create it (it is not in this workspace's state)."""
        return not self.managed

    @property
    def clash(self) -> bool:
        """terraform would try to create something that is already there."""
        return self.exists and self.terraform_creates


def managed_names(state: Mapping[str, Any]) -> frozenset[tuple[str, str]]:
    """`(kind, name)` of every resource a terraform state (format 4) manages."""
    found: set[tuple[str, str]] = set()
    for resource in state.get("resources", []):
        if resource.get("mode") != "managed" or resource.get("type") not in _STATE_NAMES:
            continue
        kind, name_of = _STATE_NAMES[resource["type"]]
        for instance in resource.get("instances", []):
            name = name_of(instance.get("attributes") or {})
            if name:
                found.add((kind, name))
    return frozenset(found)


def managed_names_in(path: Path) -> frozenset[tuple[str, str]]:
    """`managed_names` of a local state file; empty when there is none or it is unreadable."""
    try:
        return managed_names(json.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return frozenset()


#: kind -> (the IAM action the look-up needs, the error codes meaning "absent", the look-up).
_LOOKUPS: dict[str, tuple[str, tuple[str, ...], Callable[[AwsClients, str], Any]]] = {
    "iam_role": (
        "iam:GetRole",
        ("NoSuchEntity",),
        lambda c, name: c.client("iam").get_role(RoleName=name),
    ),
    "iam_instance_profile": (
        "iam:GetInstanceProfile",
        ("NoSuchEntity",),
        lambda c, name: c.client("iam").get_instance_profile(InstanceProfileName=name),
    ),
    "codedeploy_app": (
        "codedeploy:GetApplication",
        ("ApplicationDoesNotExistException",),
        lambda c, name: c.client("codedeploy").get_application(applicationName=name),
    ),
    "codedeploy_group": (
        "codedeploy:GetDeploymentGroup",
        ("ApplicationDoesNotExistException", "DeploymentGroupDoesNotExistException"),
        lambda c, name: c.client("codedeploy").get_deployment_group(
            applicationName=name.split("/", 1)[0], deploymentGroupName=name.split("/", 1)[1]
        ),
    ),
    "codepipeline": (
        "codepipeline:GetPipeline",
        ("PipelineNotFoundException",),
        lambda c, name: c.client("codepipeline").get_pipeline(name=name),
    ),
    "codecommit_repository": (
        "codecommit:GetRepository",
        ("RepositoryDoesNotExistException",),
        lambda c, name: c.client("codecommit").get_repository(repositoryName=name),
    ),
    "events_rule": (
        "events:DescribeRule",
        ("ResourceNotFoundException",),
        lambda c, name: c.client("events").describe_rule(Name=name),
    ),
}


def _exists(clients: AwsClients, planned: PlannedResource) -> tuple[bool, str]:
    """Look one resource up: (exists, what was found)."""
    name = planned.name
    if planned.kind == "s3_bucket":
        return _bucket_exists(clients, name)
    permission, not_found, look_up = _LOOKUPS[planned.kind]
    try:
        with guarded(
            permission, fallback="check the name in the console", profile=clients.target.profile
        ):
            look_up(clients, name)
    except DiscoveryError as exc:
        if exc.code in not_found:
            return False, "does not exist yet"
        raise
    where = "" if planned.kind.startswith("iam_") else f" ({clients.target.region})"
    return True, f"already exists in this account{where}"


BucketStatus = Literal["yours", "missing", "forbidden", "elsewhere"]


def bucket_status(clients: AwsClients, name: str) -> BucketStatus:
    """HeadBucket: `yours` (200), `missing` (404: the global name is free), `forbidden` (403:
    someone else's, or no s3:ListBucket), `elsewhere` (301: it lives in another region)."""

    with guarded("s3:ListBucket", profile=clients.target.profile):
        try:
            clients.client("s3").head_bucket(Bucket=name)
        except ClientError as exc:
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            found: dict[int, BucketStatus] = {404: "missing", 403: "forbidden", 301: "elsewhere"}
            if status in found:
                return found[status]
            raise
    return "yours"


_BUCKET_DETAILS: dict[str, tuple[bool, str]] = {
    "missing": (False, "the name is free"),
    "forbidden": (
        True,
        "the name is taken: the bucket exists but you cannot read it (another account owns "
        "it, or you lack s3:ListBucket)",
    ),
    "elsewhere": (True, "the bucket already exists in another region"),
    "yours": (True, "a bucket of this name already exists in your account"),
}


def _bucket_exists(clients: AwsClients, name: str) -> tuple[bool, str]:
    """Bucket names are global: a name someone else holds clashes too."""
    return _BUCKET_DETAILS[bucket_status(clients, name)]


def find_existing(
    clients: AwsClients,
    planned: Collection[PlannedResource],
    *,
    managed: Collection[tuple[str, str]] = (),
) -> tuple[ExistingResource, ...]:
    """Look up each planned resource; `managed` are `(kind, name)` pairs in the state."""
    owned = set(managed)
    out: list[ExistingResource] = []
    for item in planned:
        exists, detail = _exists(clients, item)
        is_managed = (item.kind, item.name) in owned
        if exists and is_managed:
            detail = "exists and is managed by this workspace's terraform state"
        out.append(ExistingResource(item, exists, is_managed, detail))
    return tuple(out)
