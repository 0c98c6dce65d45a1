"""SSM `DescribeInstanceInformation` for the sandbox: which EC2 instances have an SSM agent
that checks in.

moto 5.2.5 has no SSM managed-instance inventory. This extension derives one from moto's EC2 and
IAM state, the way a real instance registers:

- the instance is not terminated (or shutting down) and has an instance profile (`RunInstances`
  with `IamInstanceProfile`, or `AssociateIamInstanceProfile`);
- a role of that profile lets the agent call `ssm:UpdateInstanceInformation`: it has
  AmazonSSMManagedInstanceCore attached (the AWS managed policy the docs prescribe), or any
  attached or inline policy whose Allow statements cover that action (`ssm:*`, `*`, ...).
  Deny statements and conditions are not evaluated.

Such an instance is reported as `Online` while `running` or `pending`, and as `ConnectionLost`
when `stopping`/`stopped` (the agent stopped pinging). Everything else is absent from the list,
as an instance whose agent never registered is. `PlatformType` is `Linux`, the agent version a
fixed recent one, `IsLatestVersion` true; `LastPingDateTime` is the time of the call.

Filters: `InstanceInformationFilterList` (`InstanceIds`, `PingStatus`, `PlatformTypes`,
`ResourceType`, `IamRole`, `AgentVersion`) and `Filters` (the same keys plus `tag-key` and
`tag:<key>`), with pagination (`MaxResults` 5–50, `NextToken`).
"""

from __future__ import annotations

import fnmatch
import json
import re
import time
from collections.abc import Iterable
from typing import Any

from wizard.services.sandbox.extensions._paging import page

#: The action the SSM agent calls to register and ping.
AGENT_ACTION = "ssm:UpdateInstanceInformation"
MANAGED_POLICY_NAME = "AmazonSSMManagedInstanceCore"
#: What the emulated agent reports.
AGENT_VERSION = "3.3.1142.0"
DEFAULT_PAGE = 50

_INSTANCE_ID = re.compile(r"(i|mi)-[0-9a-f]{8,17}")
_LIST_KEYS = frozenset(
    {"InstanceIds", "PingStatus", "PlatformTypes", "ResourceType", "IamRole", "AgentVersion"}
)
_UNSUPPORTED_KEYS = frozenset({"ActivationIds", "AssociationStatus"})


def _error(code: str, message: str) -> Exception:
    # moto finds the service model to serialise an error with from the exception's module
    from moto.ssm.exceptions import SSMException

    return SSMException(code, message)


def _statements(document: Any) -> Iterable[dict[str, Any]]:
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return []
    if not isinstance(document, dict):
        return []
    found = document.get("Statement", [])
    return [found] if isinstance(found, dict) else [s for s in found if isinstance(s, dict)]


def _allows_agent(document: Any) -> bool:
    for statement in _statements(document):
        if statement.get("Effect") != "Allow":
            continue
        actions = statement.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        if any(fnmatch.fnmatchcase(AGENT_ACTION.lower(), str(a).lower()) for a in actions):
            return True
    return False


def _default_document(policy: Any) -> Any:
    for version in getattr(policy, "versions", []):
        if getattr(version, "is_default", False):
            return version.document
    return None


def role_lets_agent_register(role: Any) -> bool:
    """True when `role` has AmazonSSMManagedInstanceCore or a policy allowing the agent."""
    for arn, policy in role.managed_policies.items():
        if arn.endswith(f":policy/{MANAGED_POLICY_NAME}") and ":iam::aws:" in arn:
            return True
        if _allows_agent(_default_document(policy)):
            return True
    return any(_allows_agent(doc) for doc in role.policies.values())


def _agent_role(ec2_backend: Any, instance: Any) -> str | None:
    """Name of the profile role that lets this instance's agent register, if any."""
    association = ec2_backend.iam_instance_profile_associations.get(instance.id)
    if association is None:
        return None
    for role in association.iam_instance_profile.roles:
        if role_lets_agent_register(role):
            return role.name
    return None


def _ping_status(state: str) -> str | None:
    if state in ("running", "pending"):
        return "Online"
    if state in ("stopping", "stopped"):
        return "ConnectionLost"
    return None


def _information(instance: Any, role: str, region: str, now: float) -> dict[str, Any]:
    ip = instance.private_ip or "10.0.0.1"
    host = f"ip-{ip.replace('.', '-')}.{region}.compute.internal"
    return {
        "InstanceId": instance.id,
        "PingStatus": _ping_status(instance.state),
        "LastPingDateTime": now,
        "AgentVersion": AGENT_VERSION,
        "IsLatestVersion": True,
        "PlatformType": "Linux",
        "PlatformName": "Ubuntu",
        "PlatformVersion": "22.04",
        "IamRole": role,
        "ResourceType": "EC2Instance",
        "IPAddress": ip,
        "ComputerName": host,
        "SourceId": instance.id,
        "SourceType": "AWS::EC2::Instance",
    }


def _filters(self: Any) -> list[tuple[str, list[str]]]:
    """Both filter styles as (key, values); the two may not be combined."""
    listed = self._get_param("InstanceInformationFilterList") or []
    generic = self._get_param("Filters") or []
    if listed and generic:
        raise _error(
            "InvalidFilterKey",
            "InstanceInformationFilterList and Filters cannot be used in the same request.",
        )
    out: list[tuple[str, list[str]]] = []
    for f in listed:
        out.append((f.get("key", ""), list(f.get("valueSet") or [])))
    for f in generic:
        out.append((f.get("Key", ""), list(f.get("Values") or [])))
    for key, values in out:
        if key in _UNSUPPORTED_KEYS:
            raise _error("InvalidFilterKey", f"The sandbox does not emulate the {key} filter.")
        if key not in _LIST_KEYS and key != "tag-key" and not key.startswith("tag:"):
            raise _error("InvalidFilterKey", f"The filter key {key} is not valid.")
        if key == "InstanceIds":
            bad = [v for v in values if not _INSTANCE_ID.fullmatch(v)]
            if bad:
                raise _error(
                    "InvalidInstanceInformationFilterValue",
                    f"The instance ID(s) {', '.join(bad)} are not valid.",
                )
    return out


def _matches(info: dict[str, Any], tags: dict[str, str], key: str, values: list[str]) -> bool:
    if key == "InstanceIds":
        return info["InstanceId"] in values
    if key == "PlatformTypes":
        return info["PlatformType"] in values
    if key == "tag-key":
        return any(k in values for k in tags)
    if key.startswith("tag:"):
        return tags.get(key[4:]) in values
    return str(info[key]) in values


def _invalid_token() -> Exception:
    return _error("InvalidNextToken", "The specified token is not valid.")


def describe_instance_information(self: Any) -> str:
    from moto.ec2.models import ec2_backends

    filters = _filters(self)
    ec2 = ec2_backends[self.current_account][self.region]
    now = time.time()
    found: list[dict[str, Any]] = []
    for instance in ec2.all_instances():
        if _ping_status(instance.state) is None:
            continue
        role = _agent_role(ec2, instance)
        if role is None:
            continue
        info = _information(instance, role, self.region, now)
        tags = {t["key"]: t["value"] for t in instance.get_tags()}
        if all(_matches(info, tags, key, values) for key, values in filters):
            found.append(info)
    found.sort(key=lambda i: i["InstanceId"])
    size = self._get_param("MaxResults") or DEFAULT_PAGE
    if not isinstance(size, int) or not 5 <= size <= 50:
        raise _error("ValidationException", f"MaxResults must be between 5 and 50, not {size}.")
    chunk, token = page(found, self._get_param("NextToken"), size, _invalid_token)
    out: dict[str, Any] = {"InstanceInformationList": chunk}
    if token:
        out["NextToken"] = token
    return json.dumps(out)


def install() -> None:
    """Add `DescribeInstanceInformation` to moto's SSM response class (idempotent)."""
    from moto.ssm.responses import SimpleSystemManagerResponse

    # moto's response class lacks this action: a deliberate monkeypatch
    SimpleSystemManagerResponse.describe_instance_information = describe_instance_information  # type: ignore[attr-defined]
