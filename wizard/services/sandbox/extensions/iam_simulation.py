"""IAM `SimulatePrincipalPolicy` for the emulator (moto 5.2.5 has no policy simulator).

`cdwizard doctor` asks it whether the role of an instance you already run may read the artifact
bucket. The answer is computed from moto's own IAM state with moto's own policy evaluator
(`moto.iam.access_control.IAMPolicy`, the one its authorization mode uses), not with cdwizard's
fallback evaluator, so the two stay independent checks of each other.

Principals: a role, a user or a group ARN. Policies: the principal's inline and attached managed
policies (a user's groups' too), and its permissions boundary, which must allow as well. Like the
simulator without `ContextEntries`, a statement with a `Condition` does not apply. moto's evaluator
matches actions case-sensitively and knows neither the `?` wildcard nor `NotResource`. Not emulated:
`PolicyInputList`, `ResourcePolicy`, `ResourceHandlingOption` and paging (every result is
returned at once: `IsTruncated` false).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

#: Which backend method lists a principal's policies, by the ARN's resource type.
_KINDS = ("role", "user", "group")


def _error(code: str, message: str) -> Exception:
    from moto.iam.exceptions import InvalidInput, NoSuchEntity

    if code == "NoSuchEntity":
        return NoSuchEntity(message)
    return InvalidInput(message)


def _without_conditions(document: str) -> str:
    """The document minus conditional statements (they do not apply without context)."""
    try:
        parsed = json.loads(document)
    except ValueError:
        return json.dumps({"Statement": []})
    statements = parsed.get("Statement", [])
    statements = [statements] if isinstance(statements, dict) else statements
    kept = [s for s in statements if isinstance(s, dict) and not s.get("Condition")]
    return json.dumps({"Version": "2012-10-17", "Statement": kept})


def _default_document(policy: Any) -> str:
    version = next(v for v in policy.versions if v.is_default)
    document = version.document
    return document if isinstance(document, str) else json.dumps(document)


def _principal_policies(backend: Any, arn: str) -> tuple[list[tuple[str, str, str]], Any]:
    """[(policy id, policy type, document)] of the principal, and its boundary ARN (or None)."""
    resource = arn.split(":", 5)[-1] if arn.count(":") >= 5 else ""
    kind, _, path_name = resource.partition("/")
    if kind not in _KINDS or not path_name:
        raise _error("InvalidInput", f"Invalid ARN: {arn}")
    name = path_name.rsplit("/", 1)[-1]
    found: list[tuple[str, str, str]] = []
    if kind == "role":
        role = backend.get_role(name)
        principals = [(role.policies, role.managed_policies)]
        owners = ["role"]
        boundary = role.permissions_boundary_arn
    elif kind == "user":
        user = backend.get_user(name)
        groups = backend.get_groups_for_user(name)
        principals = [(user.policies, user.managed_policies)]
        principals += [(g.policies, g.managed_policies) for g in groups]
        owners = ["user"] + ["group"] * len(groups)
        boundary = getattr(user, "permissions_boundary_arn", None)
    else:
        group = backend.get_group(name)
        principals = [(group.policies, group.managed_policies)]
        owners = ["group"]
        boundary = None
    for owner, (inline, managed) in zip(owners, principals, strict=True):
        found += [(pname, owner, doc) for pname, doc in inline.items()]
        found += [
            (parn, _managed_type(parn), _default_document(policy))
            for parn, policy in managed.items()
        ]
    return found, boundary


def _managed_type(arn: str) -> str:
    return "aws-managed" if ":iam::aws:policy/" in arn else "user-managed"


def _evaluate(
    policies: Iterable[tuple[str, str, str]], action: str, resource: str
) -> tuple[str, list[dict[str, Any]]]:
    from moto.iam.access_control import IAMPolicy, PermissionResult

    allowed: list[dict[str, Any]] = []
    for policy_id, policy_type, document in policies:
        result = IAMPolicy(_without_conditions(document)).is_action_permitted(action, resource)
        matched = {"SourcePolicyId": policy_id, "SourcePolicyType": policy_type}
        if result == PermissionResult.DENIED:
            return "explicitDeny", [matched]
        if result == PermissionResult.PERMITTED:
            allowed.append(matched)
    return ("allowed", allowed) if allowed else ("implicitDeny", [])


def simulate_principal_policy(self: Any) -> Any:
    from moto.core.responses import ActionResult

    backend = self.backend
    source = str(self._get_param("PolicySourceArn") or "")
    actions = list(self._get_param("ActionNames") or [])
    resources = list(self._get_param("ResourceArns") or []) or ["*"]
    if not actions:
        raise _error("InvalidInput", "ActionNames must name at least one action.")
    policies, boundary_arn = _principal_policies(backend, source)
    boundary = None
    if boundary_arn:
        managed = backend.get_policy(boundary_arn)
        boundary = [(boundary_arn, _managed_type(boundary_arn), _default_document(managed))]
    results = []
    for action in actions:
        for resource in resources:
            decision, matched = _evaluate(policies, action, resource)
            if decision == "allowed" and boundary is not None:
                limit, limited = _evaluate(boundary, action, resource)
                if limit != "allowed":
                    decision, matched = limit, limited
            results.append(
                {
                    "EvalActionName": action,
                    "EvalResourceName": resource,
                    "EvalDecision": decision,
                    "MatchedStatements": matched,
                    "MissingContextValues": [],
                }
            )
    return ActionResult({"EvaluationResults": results, "IsTruncated": False})


def install() -> None:
    """Add `SimulatePrincipalPolicy` to moto's IAM response class (idempotent)."""
    from moto.iam.responses import IamResponse

    # moto's response class lacks this action: a deliberate monkeypatch
    IamResponse.simulate_principal_policy = simulate_principal_policy  # type: ignore[attr-defined]
