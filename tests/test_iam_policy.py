"""The identity-policy evaluator behind doctor's instance-role check when the IAM policy simulator
is not available; and the emulator's simulator, which must agree with it (two independent
evaluators: moto's own for the simulator, `wizard.core.iam_policy` for the fallback)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from wizard.core.iam_policy import Policy, evaluate, read_only_policy
from wizard.services.aws.access import READ_ACTIONS, RoleRef, role_access
from wizard.services.aws.session import AwsClients

OBJECT = "arn:aws:s3:::shop-artifacts-123456789012/shop/SourceArti/abc.zip"


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


#: (policies, boundary or None, expected decision of s3:GetObject on OBJECT, decided by)
CASES: dict[str, tuple[list[dict[str, Any]], dict[str, Any] | None, str, str | None]] = {
    "no policy": ([], None, "implicitDeny", None),
    "bucket objects": (
        [doc(allow("s3:GetObject", "arn:aws:s3:::shop-artifacts-123456789012/*"))],
        None,
        "allowed",
        "p0",
    ),
    "another bucket": (
        [doc(allow("s3:GetObject", "arn:aws:s3:::other-bucket/*"))],
        None,
        "implicitDeny",
        None,
    ),
    "the bucket, not its objects": (
        [doc(allow("s3:*", "arn:aws:s3:::shop-artifacts-123456789012"))],
        None,
        "implicitDeny",
        None,
    ),
    "wildcards": ([doc(allow("s3:Get*", "arn:aws:s3:::shop-*/*"))], None, "allowed", "p0"),
    "question mark": ([doc(allow("s3:GetObjec?", "*"))], None, "allowed", "p0"),
    "action case": ([doc(allow("S3:GETOBJECT", "*"))], None, "allowed", "p0"),
    "resource case": (
        [doc(allow("s3:GetObject", "arn:aws:s3:::SHOP-artifacts-123456789012/*"))],
        None,
        "implicitDeny",
        None,
    ),
    "explicit deny wins": (
        [doc(allow("*", "*")), doc(deny("s3:GetObject", "arn:aws:s3:::shop-*/*"))],
        None,
        "explicitDeny",
        "p1",
    ),
    "NotAction": (
        [doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})],
        None,
        "allowed",
        "p0",
    ),
    "NotAction excludes": (
        [doc({"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"})],
        None,
        "implicitDeny",
        None,
    ),
    "NotResource": (
        [doc({"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::other/*"})],
        None,
        "allowed",
        "p0",
    ),
    "deny with NotResource": (
        [
            doc(allow("s3:*", "*")),
            doc({"Effect": "Deny", "Action": "s3:*", "NotResource": "arn:aws:s3:::only-this/*"}),
        ],
        None,
        "explicitDeny",
        "p1",
    ),
    "conditional allow does not count": (
        [doc(allow("s3:GetObject", "*", Condition={"Bool": {"aws:SecureTransport": "true"}}))],
        None,
        "implicitDeny",
        None,
    ),
    "a list of statements and actions": (
        [doc(allow(["ec2:*", "s3:ListBucket"]), allow(["s3:GetObject", "s3:GetObjectVersion"]))],
        None,
        "allowed",
        "p0",
    ),
    "boundary allows": ([doc(allow("s3:*"))], doc(allow("s3:Get*")), "allowed", "p0"),
    "boundary limits": ([doc(allow("s3:*"))], doc(allow("ec2:*")), "implicitDeny", "boundary"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_identity_policies_are_evaluated_like_iam(case: str) -> None:
    documents, boundary, decision, decided_by = CASES[case]
    policies = [Policy(f"p{n}", d) for n, d in enumerate(documents)]
    limit = Policy("boundary", json.dumps(boundary)) if boundary else None
    found = evaluate(policies, "s3:GetObject", OBJECT, boundary=limit)
    assert (found.decision, found.decided_by) == (decision, decided_by)


def test_a_conditional_allow_is_reported_as_such() -> None:
    conditional = doc(
        allow("s3:GetObject", "*", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})
    )
    found = evaluate([Policy("vpn-only", conditional)], "s3:GetObject", OBJECT)
    assert found.decision == "implicitDeny" and found.conditional == ("vpn-only",)


def test_read_only_policy_is_the_smallest_grant() -> None:
    text = read_only_policy(READ_ACTIONS, "arn:aws:s3:::b/*")
    assert json.loads(text) == doc(
        allow(["s3:GetObject", "s3:GetObjectVersion"], "arn:aws:s3:::b/*")
    )
    assert " " not in text  # fits a shell command line as one word


# --- the emulator's SimulatePrincipalPolicy agrees -----------------------------------------------

#: moto's evaluator matches actions case-sensitively and knows neither `?` nor NotResource
EMULATED = [
    c for c in sorted(CASES) if c not in ("action case", "question mark", "deny with NotResource")
]


@pytest.mark.parametrize("case", EMULATED)
def test_the_emulators_simulator_and_the_fallback_agree(aws_target: Any, case: str) -> None:
    """Both paths of `role_access` against the moto server: SimulatePrincipalPolicy (moto's own
    evaluator, added by the sandbox extension) and reading the role's policies (ours)."""
    documents, boundary, decision, _ = CASES[case]
    iam = AwsClients(aws_target).client("iam")
    extra: dict[str, Any] = {}
    if boundary:
        arn = iam.create_policy(PolicyName="limit", PolicyDocument=json.dumps(boundary))
        extra["PermissionsBoundary"] = arn["Policy"]["Arn"]
    role = iam.create_role(RoleName="app", AssumeRolePolicyDocument="{}", **extra)["Role"]
    for n, document in enumerate(documents):
        if n % 2:  # attached managed policies and inline ones
            made = iam.create_policy(PolicyName=f"p{n}", PolicyDocument=json.dumps(document))
            iam.attach_role_policy(RoleName="app", PolicyArn=made["Policy"]["Arn"])
        else:
            iam.put_role_policy(
                RoleName="app", PolicyName=f"p{n}", PolicyDocument=json.dumps(document)
            )
    ref = RoleRef("app", role["Arn"])
    clients = AwsClients(aws_target)
    simulated = role_access(clients, ref, OBJECT, ("s3:GetObject",))
    assert simulated.method == "simulation"

    from tests._moto_auth import restricted_target

    with restricted_target(aws_target, ["iam:Get*", "iam:List*"]) as reader:
        read = role_access(AwsClients(reader), ref, OBJECT, ("s3:GetObject",))
    assert read.method == "policies"  # iam:SimulatePrincipalPolicy was denied: read them
    assert simulated.evaluations[0].decision == read.evaluations[0].decision == decision
