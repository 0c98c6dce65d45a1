"""Does a set of IAM identity policies allow one action on one resource? (pure: no AWS calls)

The fallback of `cdwizard doctor`'s instance-role check when `iam:SimulatePrincipalPolicy` is not
available (an emulator without it, or a caller without that permission): the role's inline and
attached policies are read, then evaluated here the way IAM evaluates identity policies:

- an explicit `Deny` whose statement applies wins; otherwise an applying `Allow` allows;
  otherwise the action is implicitly denied;
- a statement applies when `Action` matches (or `NotAction` does not) and `Resource` matches (or
  `NotResource` does not): `*` and `?` are wildcards, actions compare case-insensitively and
  resources case-sensitively;
- a statement with a `Condition` is not counted (as the simulator does when it is given no
  context values); the evaluation lists such allows in `conditional`, so the caller can say
  "allowed only under conditions";
- a permissions boundary, when given, must allow the action as well.

Resource-based policies (a bucket policy), SCPs and session policies are not considered.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

#: The simulator's `EvalDecision` values, which this module uses too.
Decision = Literal["allowed", "explicitDeny", "implicitDeny"]


@dataclass(frozen=True)
class Policy:
    """One identity policy: a name to report (`inline policy X`, a managed policy's ARN) and its
    document (JSON text or the parsed mapping)."""

    name: str
    document: Mapping[str, Any] | str


@dataclass(frozen=True)
class Evaluation:
    action: str
    resource: str
    decision: Decision
    #: the policy whose statement decided (the denying one, or the first allowing one)
    decided_by: str | None = None
    #: policies that would allow it only under a condition (not counted)
    conditional: tuple[str, ...] = ()

    @property
    def allowed(self) -> bool:
        return self.decision == "allowed"


def _document(policy: Policy) -> Mapping[str, Any]:
    document = policy.document
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return {}
    return document if isinstance(document, Mapping) else {}


def _statements(policy: Policy) -> list[Mapping[str, Any]]:
    found = _document(policy).get("Statement", [])
    if isinstance(found, Mapping):
        return [found]
    return [s for s in found if isinstance(s, Mapping)] if isinstance(found, list) else []


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value] if isinstance(value, list) else []


def _matches(patterns: Iterable[str], value: str, *, ignore_case: bool) -> bool:
    if ignore_case:
        return any(fnmatch.fnmatchcase(value.lower(), p.lower()) for p in patterns)
    return any(fnmatch.fnmatchcase(value, p) for p in patterns)


def statement_applies(statement: Mapping[str, Any], action: str, resource: str) -> bool:
    """Whether a statement's action and resource elements cover `action` on `resource`
    (its effect and conditions aside)."""
    if "NotAction" in statement:
        if _matches(_as_list(statement["NotAction"]), action, ignore_case=True):
            return False
    elif not _matches(_as_list(statement.get("Action")), action, ignore_case=True):
        return False
    if "NotResource" in statement:
        return not _matches(_as_list(statement["NotResource"]), resource, ignore_case=False)
    return _matches(_as_list(statement.get("Resource")), resource, ignore_case=False)


def _decide(policies: Sequence[Policy], action: str, resource: str) -> Evaluation:
    allowed_by: str | None = None
    conditional: list[str] = []
    for policy in policies:
        for statement in _statements(policy):
            if not statement_applies(statement, action, resource):
                continue
            effect = statement.get("Effect")
            if statement.get("Condition"):
                if effect == "Allow" and policy.name not in conditional:
                    conditional.append(policy.name)
                continue
            if effect == "Deny":
                return Evaluation(action, resource, "explicitDeny", policy.name)
            if effect == "Allow" and allowed_by is None:
                allowed_by = policy.name
    if allowed_by is not None:
        return Evaluation(action, resource, "allowed", allowed_by)
    return Evaluation(action, resource, "implicitDeny", None, tuple(conditional))


def evaluate(
    policies: Sequence[Policy],
    action: str,
    resource: str,
    *,
    boundary: Policy | None = None,
) -> Evaluation:
    """How IAM decides `action` on `resource` for a principal with these identity policies."""
    found = _decide(policies, action, resource)
    if boundary is None or found.decision != "allowed":
        return found
    limit = _decide([boundary], action, resource)
    if limit.decision == "allowed":
        return found
    return Evaluation(action, resource, limit.decision, boundary.name, limit.conditional)


def read_only_policy(actions: Sequence[str], resource: str) -> str:
    """The smallest policy document granting `actions` on `resource` (compact JSON)."""
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": resource}],
    }
    return json.dumps(document, separators=(",", ":"))
