"""May an instance's role read the artifact bucket? (the CodeDeploy agent downloads each revision
with the instance's credentials)

`role_access` asks IAM's policy simulator (`iam:SimulatePrincipalPolicy`). Where that is not
available (a caller without the permission, an emulator without the API) it reads the role's
inline and attached policies and its permissions boundary, and evaluates them with
`wizard.core.iam_policy`. Either way the answer says which policy decided.

Resource-based policies are not part of it: the artifact bucket cdwizard creates has no bucket
policy, and its objects are encrypted with the AWS managed aws/s3 key, which any principal of the
account may use through S3.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from wizard.core.iam_policy import Evaluation, Policy, evaluate
from wizard.services.aws.errors import DiscoveryError, guarded

if TYPE_CHECKING:
    from wizard.services.aws.session import AwsClients

#: What the agent needs on the artifact bucket's objects (GetObjectVersion: versioned bucket).
READ_ACTIONS = ("s3:GetObject", "s3:GetObjectVersion")
#: Permissions the fallback reads the role's policies with.
READ_POLICY_PERMISSIONS = (
    "iam:GetRole",
    "iam:ListRolePolicies",
    "iam:GetRolePolicy",
    "iam:ListAttachedRolePolicies",
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
)
#: Error codes of an endpoint that lacks the simulator (an emulator).
_UNSUPPORTED = frozenset({"InvalidAction", "NotImplemented", "NotImplementedError", "501"})

Method = Literal["simulation", "policies"]


@dataclass(frozen=True)
class RoleRef:
    name: str
    arn: str


@dataclass(frozen=True)
class RoleAccess:
    """How IAM decides each of `actions` on one resource for one role."""

    role: RoleRef
    evaluations: tuple[Evaluation, ...]
    #: "simulation" (iam:SimulatePrincipalPolicy) or "policies" (read and evaluated here)
    method: Method

    @property
    def allowed(self) -> bool:
        return all(e.allowed for e in self.evaluations)

    @property
    def refused(self) -> tuple[Evaluation, ...]:
        return tuple(e for e in self.evaluations if not e.allowed)

    @property
    def explicitly_denied(self) -> bool:
        return any(e.decision == "explicitDeny" for e in self.evaluations)


def artifact_object_arn(partition: str, bucket: str, pipeline: str) -> str:
    """An object the agent would download: CodePipeline keys artifacts
    `<pipeline name, first 20 characters>/<artifact name, first 10>/<random id>`."""
    return f"arn:{partition}:s3:::{bucket}/{pipeline[:20]}/SourceArti/cdwizard-check.zip"


def profile_roles(clients: AwsClients, profile_arn: str) -> tuple[RoleRef, ...]:
    """The role(s) of an instance profile, from its ARN (`.../instance-profile/[path/]name`)."""
    name = profile_arn.rsplit("/", 1)[-1]
    with guarded("iam:GetInstanceProfile", profile=clients.target.profile):
        found = clients.client("iam").get_instance_profile(InstanceProfileName=name)
    return tuple(RoleRef(r["RoleName"], r["Arn"]) for r in found["InstanceProfile"]["Roles"])


def role_by_name(clients: AwsClients, name: str) -> RoleRef | None:
    """The role called `name`, or None when it does not exist."""
    try:
        with guarded("iam:GetRole", profile=clients.target.profile):
            role = clients.client("iam").get_role(RoleName=name)["Role"]
    except DiscoveryError as exc:
        if exc.code == "NoSuchEntity":
            return None
        raise
    return RoleRef(role["RoleName"], role["Arn"])


def _simulate(
    clients: AwsClients, role: RoleRef, actions: Sequence[str], resource: str
) -> tuple[Evaluation, ...]:
    iam = clients.client("iam")
    out: list[Evaluation] = []
    marker: str | None = None
    with guarded("iam:SimulatePrincipalPolicy", profile=clients.target.profile):
        while True:
            kwargs: dict[str, Any] = {
                "PolicySourceArn": role.arn,
                "ActionNames": list(actions),
                "ResourceArns": [resource],
            }
            if marker:
                kwargs["Marker"] = marker
            page = iam.simulate_principal_policy(**kwargs)
            for result in page["EvaluationResults"]:
                matched = result.get("MatchedStatements") or []
                out.append(
                    Evaluation(
                        action=result["EvalActionName"],
                        resource=result.get("EvalResourceName") or resource,
                        decision=result["EvalDecision"],
                        decided_by=matched[0].get("SourcePolicyId") if matched else None,
                    )
                )
            marker = page.get("Marker") if page.get("IsTruncated") else None
            if not marker:
                return tuple(out)


def role_policies(clients: AwsClients, role: RoleRef) -> tuple[list[Policy], Policy | None]:
    """The role's identity policies (inline, then attached) and its permissions boundary."""
    iam = clients.client("iam")
    profile = clients.target.profile
    policies: list[Policy] = []
    with guarded("iam:GetRole", profile=profile):
        meta = iam.get_role(RoleName=role.name)["Role"]
    with guarded("iam:ListRolePolicies", profile=profile):
        names = [
            n
            for page in iam.get_paginator("list_role_policies").paginate(RoleName=role.name)
            for n in page["PolicyNames"]
        ]
    for name in names:
        with guarded("iam:GetRolePolicy", profile=profile):
            doc = iam.get_role_policy(RoleName=role.name, PolicyName=name)["PolicyDocument"]
        policies.append(Policy(name, doc))
    with guarded("iam:ListAttachedRolePolicies", profile=profile):
        attached = [
            p["PolicyArn"]
            for page in iam.get_paginator("list_attached_role_policies").paginate(
                RoleName=role.name
            )
            for p in page["AttachedPolicies"]
        ]
    for arn in attached:
        policies.append(_managed(clients, arn))
    boundary_arn = (meta.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
    return policies, (_managed(clients, boundary_arn) if boundary_arn else None)


def _managed(clients: AwsClients, arn: str) -> Policy:
    iam = clients.client("iam")
    with guarded("iam:GetPolicy", profile=clients.target.profile):
        version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    with guarded("iam:GetPolicyVersion", profile=clients.target.profile):
        found = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]
    return Policy(arn, found["Document"])


def _simulator_missing(exc: DiscoveryError, clients: AwsClients) -> bool:
    if exc.kind == "permission":
        return True
    return clients.target.is_emulator and (exc.code or "") in _UNSUPPORTED | {"", "500"}


def role_access(
    clients: AwsClients,
    role: RoleRef,
    resource: str,
    actions: Sequence[str] = READ_ACTIONS,
) -> RoleAccess:
    """How IAM decides `actions` on `resource` for `role` (see the module docstring)."""
    try:
        return RoleAccess(role, _simulate(clients, role, actions, resource), "simulation")
    except DiscoveryError as exc:
        if not _simulator_missing(exc, clients):
            raise
        denied_simulation = exc.kind == "permission"
    try:
        policies, boundary = role_policies(clients, role)
    except DiscoveryError as exc:
        if exc.kind == "permission" and denied_simulation:
            raise DiscoveryError(
                "missing permission iam:SimulatePrincipalPolicy (or "
                f"{exc.permission or 'iam:GetRolePolicy'} to read the role's policies)",
                "permission",
                "ask for iam:SimulatePrincipalPolicy on the instances' roles, or for read access "
                "to their policies (" + ", ".join(READ_POLICY_PERMISSIONS) + ")",
                "iam:SimulatePrincipalPolicy",
                exc.code,
            ) from exc
        raise
    found = tuple(evaluate(policies, a, resource, boundary=boundary) for a in actions)
    return RoleAccess(role, found, "policies")
