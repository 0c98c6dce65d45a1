"""A saved plan (`terraform show -json tfplan`) in pipeline terms, with destructive changes flagged.

"creates pipeline X, deployment group Y targeting tag K=V, 3 IAM roles (…)" reads better than 21
resource addresses, and the things whose loss breaks the delivery path -- the pipeline, the
deployment group, the artifact bucket, the IAM roles, the repository -- are called out when the
plan replaces or deletes them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from wizard.core.events.terraform import PlanItem, PlanSummary

#: Resource types whose replacement or deletion is destructive for the pipeline.
DESTRUCTIVE_TYPES: dict[str, str] = {
    "aws_codepipeline": "pipeline",
    "aws_codedeploy_deployment_group": "deployment group",
    "aws_codedeploy_app": "CodeDeploy application",
    "aws_s3_bucket": "artifact bucket",
    "aws_iam_role": "IAM role",
    "aws_codecommit_repository": "repository (its history is lost)",
    "aws_codestarconnections_connection": "connection (a new one is PENDING until authorised)",
    "aws_lb": "load balancer (its DNS name changes)",
    "aws_lb_target_group": "target group",
}

_VERB = {"create": "creates", "update": "updates", "replace": "replaces", "delete": "deletes"}


@dataclass
class _Change:
    address: str
    type: str
    action: str
    after: Mapping[str, Any]
    before: Mapping[str, Any]

    @property
    def values(self) -> Mapping[str, Any]:
        return self.after or self.before


@dataclass
class _Group:
    action: str
    noun: str
    plural: str
    names: list[str] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    detail: str = ""
    destructive: bool = False


def action_of(actions: Iterable[str]) -> str:
    """`["delete", "create"]` -> "replace", `["no-op"]` -> "noop", …"""
    acts = list(actions)
    if "delete" in acts and "create" in acts:
        return "replace"
    if acts == ["no-op"]:
        return "noop"
    return acts[0] if acts else "noop"


def _changes(plan: Mapping[str, Any]) -> list[_Change]:
    out = []
    for rc in plan.get("resource_changes") or []:
        if rc.get("mode") != "managed":
            continue
        change = rc.get("change") or {}
        action = action_of(change.get("actions") or [])
        if action in ("noop", "read"):
            continue
        out.append(
            _Change(
                address=rc.get("address", ""),
                type=rc.get("type", ""),
                action=action,
                after=change.get("after") or {},
                before=change.get("before") or {},
            )
        )
    return out


def _tag_target(values: Mapping[str, Any]) -> str:
    filters: list[Mapping[str, Any]] = []
    for tag_set in values.get("ec2_tag_set") or []:
        filters.extend(tag_set.get("ec2_tag_filter") or [])
    filters.extend(values.get("ec2_tag_filter") or [])
    shown = []
    for f in filters:
        key, value = f.get("key"), f.get("value")
        shown.append(f"{key}={value}" if key and value else str(key or value))
    target = f" targeting tag {', '.join(shown)}" if shown else ""
    groups = [
        str(tg.get("name"))
        for info in values.get("load_balancer_info") or []
        for tg in info.get("target_group_info") or []
        if tg.get("name")
    ]
    behind = f" behind target group {', '.join(groups)}" if groups else ""
    return target + behind


def _describe(ch: _Change) -> tuple[str, str, str, str]:
    """(noun, plural, name, detail) of one change."""
    v = ch.values
    t = ch.type
    if t == "aws_codepipeline":
        return "pipeline", "pipelines", str(v.get("name", "")), ""
    if t == "aws_codedeploy_deployment_group":
        return (
            "deployment group",
            "deployment groups",
            str(v.get("deployment_group_name", "")),
            _tag_target(v),
        )
    if t == "aws_codedeploy_app":
        return "CodeDeploy application", "CodeDeploy applications", str(v.get("name", "")), ""
    if t == "aws_s3_bucket":
        noun = (
            "source bucket" if ch.address.startswith("module.source_bucket.") else "artifact bucket"
        )
        return noun, "buckets", str(v.get("bucket", "") or ""), ""
    if t.startswith("aws_s3_bucket_"):
        return "bucket setting", "bucket settings", t.removeprefix("aws_s3_bucket_"), ""
    if t == "aws_iam_role":
        return "IAM role", "IAM roles", str(v.get("name", "") or ""), ""
    if t == "aws_iam_instance_profile":
        return "instance profile", "instance profiles", str(v.get("name", "") or ""), ""
    if t in ("aws_iam_role_policy", "aws_iam_role_policy_attachment", "aws_iam_policy"):
        return "IAM policy", "IAM policies", "", ""
    if t == "aws_instance":
        kind = v.get("instance_type")
        return "EC2 instance", "EC2 instances", "", f" ({kind})" if kind else ""
    if t == "aws_codecommit_repository":
        return "repository", "repositories", str(v.get("repository_name", "")), ""
    if t == "aws_cloudwatch_event_rule":
        return "EventBridge rule", "EventBridge rules", str(v.get("name", "") or ""), ""
    if t == "aws_cloudwatch_event_target":
        return "EventBridge target", "EventBridge targets", "", ""
    if t == "aws_ssm_association":
        return "SSM association (agent install)", "SSM associations", "", ""
    if t == "aws_codestarconnections_connection":
        kind = v.get("provider_type")
        detail = f" ({kind}; starts PENDING until authorised in the console)" if kind else ""
        return "connection", "connections", str(v.get("name", "") or ""), detail
    if t == "aws_lb":
        scheme = "internal" if v.get("internal") else "internet-facing"
        return "load balancer", "load balancers", str(v.get("name", "") or ""), f" ({scheme})"
    if t == "aws_lb_target_group":
        return "target group", "target groups", str(v.get("name", "") or ""), ""
    if t == "aws_lb_listener":
        return "listener", "listeners", f"{v.get('protocol') or ''} {v.get('port') or ''}", ""
    if t == "aws_lb_target_group_attachment":
        return "target registration", "target registrations", "", ""
    if t == "aws_security_group":
        return "security group", "security groups", str(v.get("name", "") or ""), ""
    if t in ("aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule"):
        return "security group rule", "security group rules", "", ""
    noun = t.removeprefix("aws_").replace("_", " ")
    return noun, noun + "s", "", ""


def summarize(
    plan: Mapping[str, Any], *, operation: Literal["apply", "destroy"] = "apply"
) -> PlanSummary:
    """The plan document of `terraform show -json` -> `PlanSummary`."""
    changes = _changes(plan)
    groups: dict[tuple[str, str], _Group] = {}
    destructive: list[str] = []
    for ch in changes:
        noun, plural, name, detail = _describe(ch)
        if ch.action == "replace" and ch.before:
            old = _describe(_Change(ch.address, ch.type, ch.action, ch.before, ch.before))[2]
            if old and name and old != name:
                name = f"{old} -> {name}"
        key = (ch.action, noun)
        group = groups.get(key)
        if group is None:
            group = groups[key] = _Group(ch.action, noun, plural, detail=detail)
        if name:
            group.names.append(name)
        group.addresses.append(ch.address)
        group.labels.append(_label(ch, noun, name, detail))
        if ch.action in ("replace", "delete") and ch.type in DESTRUCTIVE_TYPES:
            group.destructive = True
            label = DESTRUCTIVE_TYPES[ch.type]
            why = _replace_reason(plan, ch.address) if ch.action == "replace" else ""
            destructive.append(
                f"{_VERB[ch.action]} {label} {name or ch.address}{why}".replace("  ", " ")
            )
    order = {"delete": 0, "replace": 1, "create": 2, "update": 3}
    items = []
    for group in sorted(groups.values(), key=lambda g: (order.get(g.action, 9), _rank(g.noun))):
        items.append(
            PlanItem(
                action=_VERB.get(group.action, group.action),
                what=_phrase(group),
                addresses=tuple(group.addresses),
                destructive=group.destructive,
                labels=tuple(group.labels),
            )
        )
    counts = {"create": 0, "update": 0, "delete": 0}
    for ch in changes:
        if ch.action == "replace":
            counts["create"] += 1
            counts["delete"] += 1
        elif ch.action in counts:
            counts[ch.action] += 1
    return PlanSummary(
        items=tuple(items),
        add=counts["create"],
        change=counts["update"],
        remove=counts["delete"],
        destructive=tuple(destructive),
        operation=operation,
    )


def _label(ch: _Change, noun: str, name: str, detail: str) -> str:
    """What one resource is: "IAM role shop-pipeline", "IAM policy AWSCodeDeployRole for role
    shop-codedeploy", "bucket setting versioning"."""
    v = ch.values
    if ch.type in ("aws_iam_role_policy_attachment", "aws_iam_role_policy"):
        # an attachment names a managed policy by ARN, an inline policy has its own name
        policy = str(v.get("policy_arn") or "").rsplit("/", 1)[-1] or str(v.get("name") or "")
        role = f"for role {v['role']}" if v.get("role") else ""
        return " ".join(part for part in (noun, policy, role) if part)
    if ch.type == "aws_cloudwatch_event_target" and v.get("rule"):
        return f"{noun} for rule {v['rule']}"
    if ch.type.startswith("aws_s3_bucket_"):
        return f"{noun} {name.replace('_', ' ')}"
    if ch.type.startswith("aws_vpc_security_group_") and v.get("description"):
        return f"{noun}: {v['description']}"
    return f"{noun}{' ' + name if name else ''}{detail}"


def _phrase(group: _Group) -> str:
    n = len(group.addresses)
    if n == 1:
        name = f" {group.names[0]}" if group.names else ""
        return f"{group.noun}{name}{group.detail}"
    names = f" ({', '.join(group.names)})" if group.names else ""
    return f"{n} {group.plural}{names}{group.detail}"


_RANK = [
    "pipeline",
    "deployment group",
    "CodeDeploy application",
    "EC2 instance",
    "SSM association (agent install)",
    "load balancer",
    "target group",
    "listener",
    "target registration",
    "repository",
    "artifact bucket",
    "bucket setting",
    "IAM role",
    "instance profile",
    "IAM policy",
    "EventBridge rule",
    "EventBridge target",
    "security group",
    "security group rule",
]


def _rank(noun: str) -> int:
    return _RANK.index(noun) if noun in _RANK else len(_RANK)


def _replace_reason(plan: Mapping[str, Any], address: str) -> str:
    for rc in plan.get("resource_changes") or []:
        if rc.get("address") != address:
            continue
        paths = (rc.get("change") or {}).get("replace_paths") or []
        if paths and paths[0]:
            attr = ".".join(str(p) for p in paths[0])
            return f" (changing {attr} forces a new one)"
        reason = rc.get("action_reason")
        if reason:
            return f" ({reason.replace('_', ' ')})"
    return ""
