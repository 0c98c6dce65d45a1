"""Absent, adoptable or conflicting: what to do about each resource the answers name.

The clash check (`clashes`) says *that* a name is taken; this module says whether cdwizard can
take the existing thing over. Someone who followed the seed procedure by hand has the same roles,
instance profile, application, group and repository cdwizard would create: those are
*adoptable* (terraform ≥ 1.5 `import` blocks bring them under management, see
`wizard.services.terraform.imports`). A same-named thing that cannot be taken over safely -- a
role trusted by another service, a profile holding another role, a Lambda application, a bucket in
another account -- is *conflicting*: the answers key naming it must change.

Each verdict carries its evidence (what was read, in words) and, for adoptable resources, the
terraform resources to import with the provider's import id for each type.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import unquote

from wizard.services.aws.clashes import (
    KIND_LABELS,
    PlannedResource,
    bucket_status,
    planned_resources,
)
from wizard.services.aws.errors import DiscoveryError, guarded

if TYPE_CHECKING:
    from wizard.core.answers import Answers
    from wizard.services.aws.session import AwsClients

Verdict = Literal["absent", "managed", "adoptable", "conflicting"]

#: the kind of a tagged EC2 instance (`leftovers.INSTANCE`), and the answers key that selects it
INSTANCE_KIND = "ec2_instance"
INSTANCE_FIELD = "targets.tag_value"
_LIVE = ["pending", "running", "stopping", "stopped"]


@dataclass(frozen=True)
class ImportTarget:
    """One terraform resource to import: its type, the values a planned resource of that type
    has when it is this one, and the id the provider's importer takes."""

    type: str
    match: tuple[tuple[str, str], ...]
    id: str
    label: str

    def matches(self, after: Mapping[str, Any], unknown: Mapping[str, Any]) -> bool:
        """A planned resource (its `after` values, and which of them are not known yet) is this
        one: every known value agrees, and at least one is known."""
        known = 0
        for key, value in self.match:
            if unknown.get(key) is True:
                continue
            if after.get(key) != value:
                return False
            known += 1
        return known > 0


@dataclass(frozen=True)
class Classified:
    """One resource the answers create, looked up: what it is, what to do, and why."""

    kind: str
    name: str
    #: the answers key that names it (the one to change for a conflict)
    field: str
    verdict: Verdict
    evidence: str
    imports: tuple[ImportTarget, ...] = ()

    @property
    def label(self) -> str:

        return f"{KIND_LABELS.get(self.kind, 'EC2 instance')} {self.name}"

    def line(self) -> str:
        return f"{self.label}: {self.evidence}"


@dataclass(frozen=True)
class Classification:
    items: tuple[Classified, ...] = ()
    notes: tuple[str, ...] = field(default=())

    def of(self, verdict: Verdict) -> list[Classified]:
        return [item for item in self.items if item.verdict == verdict]

    @property
    def adoptable(self) -> list[Classified]:
        return self.of("adoptable")

    @property
    def conflicting(self) -> list[Classified]:
        return self.of("conflicting")

    def conflict_text(self) -> str:
        return "; ".join(item.line() for item in self.conflicting)

    def conflict_fix(self) -> str:
        keys = ", ".join(dict.fromkeys(item.field for item in self.conflicting))
        return (
            f"choose other names in the answers ({keys}), or delete the existing resources; "
            "cdwizard cannot adopt them safely"
        )


# --- what each kind needs -----------------------------------------------------------------------

#: the service principal each role's trust policy names (by answers key)
_ROLE_SERVICES = {
    "deployment.service_role": "codedeploy.amazonaws.com",
    "deployment.instance_profile": "ec2.amazonaws.com",
    "project:codepipeline": "codepipeline.amazonaws.com",
    "project:events": "events.amazonaws.com",
}


def _role_service(planned: PlannedResource) -> str:
    if planned.field == "project":
        return _ROLE_SERVICES["project:" + planned.name.rsplit("-", 1)[-1]]
    return _ROLE_SERVICES[planned.field]


def trusted_services(document: Any) -> list[str]:
    """The service principals an IAM trust policy lets assume the role (the document as
    boto3 returns it: a dict, or URL-encoded JSON)."""

    if isinstance(document, str):
        try:
            document = json.loads(unquote(document))
        except ValueError:
            return []
    statements = document.get("Statement", []) if isinstance(document, dict) else []
    if isinstance(statements, dict):
        statements = [statements]
    found: list[str] = []
    for statement in statements:
        if statement.get("Effect", "Allow") != "Allow":
            continue
        principal = statement.get("Principal") or {}
        services = principal.get("Service", []) if isinstance(principal, dict) else []
        found += [services] if isinstance(services, str) else list(services)
    return found


def _role(clients: AwsClients, planned: PlannedResource) -> Classified:
    iam = clients.client("iam")
    name = planned.name
    role = iam.get_role(RoleName=name)["Role"]
    services = trusted_services(role.get("AssumeRolePolicyDocument"))
    wanted = _role_service(planned)
    shown = ", ".join(services) or "no service"
    if wanted not in services:
        return _item(
            planned,
            "conflicting",
            f"its trust policy lets {shown} assume it; cdwizard needs it trusted by {wanted}",
        )
    imports = [ImportTarget("aws_iam_role", (("name", name),), name, f"IAM role {name}")]
    attached = [
        p["PolicyArn"]
        for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=name)
        for p in page.get("AttachedPolicies", [])
    ]
    imports += [
        ImportTarget(
            "aws_iam_role_policy_attachment",
            (("role", name), ("policy_arn", arn)),
            f"{name}/{arn}",
            f"IAM policy {arn.rsplit('/', 1)[-1]} for role {name}",
        )
        for arn in attached
    ]
    inline = [
        policy
        for page in iam.get_paginator("list_role_policies").paginate(RoleName=name)
        for policy in page.get("PolicyNames", [])
    ]
    imports += [
        ImportTarget(
            "aws_iam_role_policy",
            (("role", name), ("name", policy)),
            f"{name}:{policy}",
            f"IAM policy {policy} for role {name}",
        )
        for policy in inline
    ]
    policies = [arn.rsplit("/", 1)[-1] for arn in attached] + [f"inline {p}" for p in inline]
    held = f"; policies: {', '.join(policies)}" if policies else ""
    return _item(planned, "adoptable", f"trusted by {shown} as cdwizard's is{held}", imports)


def _instance_profile(clients: AwsClients, planned: PlannedResource) -> Classified:
    name = planned.name
    profile = clients.client("iam").get_instance_profile(InstanceProfileName=name)
    roles = [r["RoleName"] for r in profile["InstanceProfile"].get("Roles", [])]
    if roles and roles != [name]:
        return _item(
            planned,
            "conflicting",
            f"it holds the role {', '.join(roles)}; cdwizard puts the role {name} in it (the "
            "instances using it would lose their permissions)",
        )
    holds = f"holds the role {name}" if roles else "holds no role yet"
    target = ImportTarget("aws_iam_instance_profile", (("name", name),), name, f"profile {name}")
    return _item(planned, "adoptable", holds, [target])


def _application(clients: AwsClients, planned: PlannedResource) -> Classified:
    name = planned.name
    app = clients.client("codedeploy").get_application(applicationName=name)["application"]
    platform = app.get("computePlatform", "Server")
    if platform != "Server":
        return _item(
            planned,
            "conflicting",
            f"its compute platform is {platform}; cdwizard deploys to EC2 (Server)",
        )
    target = ImportTarget("aws_codedeploy_app", (("name", name),), name, f"application {name}")
    return _item(planned, "adoptable", "compute platform Server (EC2/on-premises)", [target])


def _group(clients: AwsClients, planned: PlannedResource) -> Classified:
    app, _, group = planned.name.partition("/")
    info = clients.client("codedeploy").get_deployment_group(
        applicationName=app, deploymentGroupName=group
    )["deploymentGroupInfo"]
    platform = info.get("computePlatform", "Server")
    if info.get("applicationName", app) != app or platform != "Server":
        return _item(
            planned,
            "conflicting",
            f"it belongs to application {info.get('applicationName')} ({platform})",
        )
    tags = [
        f"{f.get('Key')}={f.get('Value')}"
        for tag_set in (info.get("ec2TagSet") or {}).get("ec2TagSetList", [])
        for f in tag_set
    ] + [f"{f.get('Key')}={f.get('Value')}" for f in info.get("ec2TagFilters") or []]
    parts = [f"belongs to application {app}"]
    if tags:
        parts.append(f"targets tag {', '.join(tags)}")
    if info.get("deploymentConfigName"):
        parts.append(str(info["deploymentConfigName"]))
    target = ImportTarget(
        "aws_codedeploy_deployment_group",
        (("app_name", app), ("deployment_group_name", group)),
        f"{app}:{group}",
        f"deployment group {group}",
    )
    return _item(planned, "adoptable", ", ".join(parts), [target])


def _pipeline(clients: AwsClients, planned: PlannedResource) -> Classified:
    name = planned.name
    pipeline = clients.client("codepipeline").get_pipeline(name=name)["pipeline"]
    stages = ", ".join(s["name"] for s in pipeline.get("stages", []))
    target = ImportTarget("aws_codepipeline", (("name", name),), name, f"pipeline {name}")
    return _item(planned, "adoptable", f"stages {stages}", [target])


def _repository(clients: AwsClients, planned: PlannedResource) -> Classified:
    name = planned.name
    meta = clients.client("codecommit").get_repository(repositoryName=name)
    account = meta["repositoryMetadata"].get("accountId")
    target = ImportTarget(
        "aws_codecommit_repository", (("repository_name", name),), name, f"repository {name}"
    )
    where = f"in account {account}" if account else "in this account"
    return _item(planned, "adoptable", f"{where}; its history is kept", [target])


def _rule(clients: AwsClients, planned: PlannedResource) -> Classified:
    name = planned.name
    rule = clients.client("events").describe_rule(Name=name)
    bus = rule.get("EventBusName", "default")
    if bus != "default":
        return _item(planned, "conflicting", f"it is on the event bus {bus}, not default")
    target = ImportTarget("aws_cloudwatch_event_rule", (("name", name),), name, f"rule {name}")
    return _item(planned, "adoptable", "on the default event bus", [target])


def _bucket(clients: AwsClients, planned: PlannedResource) -> Classified:
    name = planned.name
    status = bucket_status(clients, name)
    if status == "missing":
        return _item(planned, "absent", "the name is free")
    if status == "forbidden":
        return _item(
            planned,
            "conflicting",
            "the name is taken by a bucket you cannot read (another account owns it, or you "
            "lack s3:ListBucket)",
        )
    if status == "elsewhere":
        return _item(
            planned, "conflicting", "the bucket is in another region than the answers' aws.region"
        )
    target = ImportTarget("aws_s3_bucket", (("bucket", name),), name, f"bucket {name}")
    return _item(planned, "adoptable", f"owned by this account ({clients.target.region})", [target])


def _item(
    planned: PlannedResource,
    verdict: Verdict,
    evidence: str,
    imports: Iterable[ImportTarget] = (),
) -> Classified:
    return Classified(planned.kind, planned.name, planned.field, verdict, evidence, tuple(imports))


_CLASSIFIERS = {
    "iam_role": ("iam:GetRole", ("NoSuchEntity",), _role),
    "iam_instance_profile": ("iam:GetInstanceProfile", ("NoSuchEntity",), _instance_profile),
    "codedeploy_app": (
        "codedeploy:GetApplication",
        ("ApplicationDoesNotExistException",),
        _application,
    ),
    "codedeploy_group": (
        "codedeploy:GetDeploymentGroup",
        ("ApplicationDoesNotExistException", "DeploymentGroupDoesNotExistException"),
        _group,
    ),
    "codepipeline": ("codepipeline:GetPipeline", ("PipelineNotFoundException",), _pipeline),
    "codecommit_repository": (
        "codecommit:GetRepository",
        ("RepositoryDoesNotExistException",),
        _repository,
    ),
    "events_rule": ("events:DescribeRule", ("ResourceNotFoundException",), _rule),
}


def classify_one(clients: AwsClients, planned: PlannedResource) -> Classified:
    """Look one planned resource up and judge it. AWS errors become `DiscoveryError`."""
    if planned.kind == "s3_bucket":
        return _bucket(clients, planned)
    permission, absent_codes, judge = _CLASSIFIERS[planned.kind]
    try:
        with guarded(
            permission, fallback="check the name in the console", profile=clients.target.profile
        ):
            return judge(clients, planned)
    except DiscoveryError as exc:
        if exc.code in absent_codes:
            return _item(planned, "absent", "does not exist yet")
        raise


def tagged_instances(
    clients: AwsClients, answers: Answers, managed: Collection[str]
) -> list[Classified]:
    """Instances carrying the deployment tag that terraform's state does not hold: adoptable as
    the instances cdwizard would create (when it creates any)."""
    key, value = answers.targets.tag_key, answers.targets.tag_value
    filters = [
        {"Name": f"tag:{key}", "Values": [value]},
        {"Name": "instance-state-name", "Values": _LIVE},
    ]
    found = []
    with guarded("ec2:DescribeInstances", profile=clients.target.profile):
        pages = clients.client("ec2").get_paginator("describe_instances").paginate(Filters=filters)
        for page in pages:
            for reservation in page.get("Reservations", []):
                for instance in reservation.get("Instances", []):
                    ident = instance["InstanceId"]
                    if ident in managed:
                        continue
                    profile = (instance.get("IamInstanceProfile") or {}).get("Arn", "")
                    state = instance.get("State", {}).get("Name", "")
                    evidence = f"{state}, tagged {key}={value}"
                    if profile:
                        evidence += f", instance profile {profile.rsplit('/', 1)[-1]}"
                    target = ImportTarget("aws_instance", (), ident, f"EC2 instance {ident}")
                    found.append(
                        Classified(
                            INSTANCE_KIND, ident, INSTANCE_FIELD, "adoptable", evidence, (target,)
                        )
                    )
    return found


def classify(
    clients: AwsClients,
    answers: Answers,
    *,
    account: str | None,
    managed: Collection[tuple[str, str]] = (),
) -> Classification:
    """Every resource the answers create: managed (in the state), absent, adoptable or
    conflicting. `managed` are `(kind, name)` pairs of the state (instances: `ec2_instance`)."""
    owned = set(managed)
    items: list[Classified] = []
    for planned in planned_resources(answers, account):
        if (planned.kind, planned.name) in owned:
            items.append(_item(planned, "managed", "managed by this workspace's terraform state"))
            continue
        items.append(classify_one(clients, planned))
    if answers.targets.create_instance:
        ours = {name for kind, name in owned if kind == INSTANCE_KIND}
        room = max(0, answers.targets.instance_count - len(ours))
        items += tagged_instances(clients, answers, ours)[:room]
    return Classification(tuple(items))
