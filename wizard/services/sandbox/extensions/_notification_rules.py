"""The model behind the CodeStar Notifications extension (`notifications`): event types as
ListEventTypes shows them, request validation, target status, and where rules are kept (on
the CodePipeline backend of their account and region, so the saved state keeps them)."""

from __future__ import annotations

import json
import re
from typing import Any

SERVICE_PRINCIPAL = "codestar-notifications.amazonaws.com"


NAME_PATTERN = re.compile(r"^[A-Za-z0-9\-_ ]+$")
RESOURCE_PATTERN = re.compile(r"^arn:aws[^:\s]*:[^:\s]*:[^:\s]*:[0-9]{12}:[^\s]+$")
TAG_PATTERN = re.compile(r"^[\w\s.:/=+\-@]*$")
MAX_TARGETS = 10

#: Event types: id -> (service name, event type name, resource type), as ListEventTypes shows them.
_PIPELINE = ("CodePipeline", "Pipeline")
EVENTS: dict[str, tuple[str, str, str]] = {}
for _what, _states in (
    ("action-execution", ("succeeded", "failed", "canceled", "started")),
    ("stage-execution", ("started", "succeeded", "resumed", "canceled", "failed")),
    ("pipeline-execution", ("failed", "canceled", "started", "resumed", "succeeded", "superseded")),
    ("manual-approval", ("failed", "needed", "succeeded")),
):
    for _state in _states:
        _label = _what.replace("-", " ").capitalize()
        EVENTS[f"codepipeline-pipeline-{_what}-{_state}"] = (
            _PIPELINE[0],
            f"{_label}: {_state.capitalize()}",
            _PIPELINE[1],
        )
for _state in ("succeeded", "failed", "started"):
    EVENTS[f"codedeploy-application-deployment-{_state}"] = (
        "CodeDeploy",
        f"Deployment: {_state.capitalize()}",
        "Application",
    )
for _state in ("failed", "succeeded", "in-progress", "stopped"):
    EVENTS[f"codebuild-project-build-state-{_state}"] = (
        "CodeBuild",
        f"Build state: {_state.replace('-', ' ').capitalize()}",
        "Project",
    )
for _state in ("failure", "success"):
    EVENTS[f"codebuild-project-build-phase-{_state}"] = (
        "CodeBuild",
        f"Build phase: {_state.capitalize()}",
        "Project",
    )
for _what in (
    "comments-on-commits",
    "comments-on-pull-requests",
    "approvals-status-changed",
    "approvals-rule-override",
    "pull-request-created",
    "pull-request-source-updated",
    "pull-request-status-changed",
    "pull-request-merged",
    "branches-and-tags-created",
    "branches-and-tags-deleted",
    "branches-and-tags-updated",
):
    EVENTS[f"codecommit-repository-{_what}"] = (
        "CodeCommit",
        _what.replace("-", " ").capitalize(),
        "Repository",
    )


def error(code: str, message: str) -> Exception:
    """An API error as the REST-JSON protocol carries it (status from the service model)."""
    from moto.core.exceptions import JsonRESTError

    found = JsonRESTError(code, message)
    statuses = {"ResourceNotFoundException": 404, "ResourceAlreadyExistsException": 409}
    found.code = statuses.get(code, 400)
    return found


def invalid(message: str) -> Exception:
    return error("ValidationException", message)


def resource_type(arn: str) -> tuple[str, str] | None:
    """(service name, resource type) a rule on `arn` notifies about (None: not supported)."""
    parts = arn.split(":", 5)
    if len(parts) < 6:
        return None
    service, resource = parts[2], parts[5]
    if service == "codepipeline" and "/" not in resource:
        return _PIPELINE
    if service == "codedeploy" and resource.startswith("application:"):
        return ("CodeDeploy", "Application")
    if service == "codebuild" and resource.startswith("project/"):
        return ("CodeBuild", "Project")
    if service == "codecommit":
        return ("CodeCommit", "Repository")
    return None


# --- the state ------------------------------------------------------------------------------


def backend(account: str, region: str) -> Any:
    from moto.codepipeline.models import codepipeline_backends

    return codepipeline_backends[account][region]


def store(backend: Any, name: str) -> dict[str, Any]:
    found = getattr(backend, name, None)
    if found is None:
        found = {}
        setattr(backend, name, found)
    return found


def target_status(address: str, target_type: str) -> str:
    """ACTIVE when the SNS topic exists and lets CodeStar Notifications publish."""
    if target_type != "SNS":
        return "ACTIVE"
    parts = address.split(":")
    if len(parts) < 6:
        return "UNREACHABLE"
    from moto.sns.models import sns_backends

    topic = sns_backends[parts[4]][parts[3]].topics.get(address)
    if topic is None:
        return "UNREACHABLE"
    try:
        policy = json.loads(topic.policy) if isinstance(topic.policy, str) else topic.policy
    except ValueError:
        return "UNREACHABLE"
    for statement in (policy or {}).get("Statement") or []:
        principal = (statement.get("Principal") or {}) if isinstance(statement, dict) else {}
        services = principal.get("Service") if isinstance(principal, dict) else None
        services = [services] if isinstance(services, str) else list(services or [])
        actions = statement.get("Action")
        actions = [actions] if isinstance(actions, str) else list(actions or [])
        publishes = any(a.lower() in ("sns:publish", "sns:*", "*") for a in actions)
        if statement.get("Effect") == "Allow" and SERVICE_PRINCIPAL in services and publishes:
            return "ACTIVE"
    return "UNREACHABLE"


def target_summary(target: dict[str, str]) -> dict[str, str]:
    return {
        "TargetAddress": target["TargetAddress"],
        "TargetType": target["TargetType"],
        "TargetStatus": target_status(target["TargetAddress"], target["TargetType"]),
    }


# --- validation -----------------------------------------------------------------------------


def check_name(name: Any) -> str:
    if not isinstance(name, str) or not 1 <= len(name) <= 64 or not NAME_PATTERN.match(name):
        raise invalid(
            "1 validation error detected: Value at 'name' failed to satisfy constraint: Member "
            "must have length between 1 and 64 and match [A-Za-z0-9\\-_ ]+$"
        )
    return name


def check_enum(value: Any, field: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise invalid(
            f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy "
            f"constraint: Member must satisfy enum value set: [{', '.join(allowed)}]"
        )
    return str(value)


def check_events(ids: Any, resource: str) -> list[str]:
    if not isinstance(ids, list) or not ids:
        raise invalid("EventTypeIds must list at least one event type.")
    kind = resource_type(resource)
    for event in ids:
        found = EVENTS.get(str(event))
        if found is None:
            raise invalid(f"Event type {event} does not exist (see ListEventTypes).")
        if kind is None or (found[0], found[2]) != kind:
            raise invalid(
                f"Event type {event} does not apply to resource {resource}: it is an event of "
                f"{found[0]} {found[2].lower()}s."
            )
    return list(dict.fromkeys(str(e) for e in ids))


def check_targets(targets: Any) -> list[dict[str, str]]:
    if not isinstance(targets, list):
        raise invalid("Targets must be a list.")
    if len(targets) > MAX_TARGETS:
        raise invalid(
            "1 validation error detected: Value at 'targets' failed to satisfy constraint: "
            f"Member must have length less than or equal to {MAX_TARGETS}"
        )
    out = []
    for target in targets:
        address = str((target or {}).get("TargetAddress") or "")
        kind = str((target or {}).get("TargetType") or "")
        if not 1 <= len(address) <= 320 or not re.match(r"^[A-Za-z]+$", kind):
            raise invalid("Each target needs a TargetAddress (1-320 characters) and a TargetType.")
        out.append({"TargetAddress": address, "TargetType": kind})
    return out


def check_tags(tags: Any) -> dict[str, str]:
    if tags is None:
        return {}
    if not isinstance(tags, dict):
        raise invalid("Tags must be a map of keys to values.")
    for key, value in tags.items():
        if not 1 <= len(str(key)) <= 128 or len(str(value)) > 256:
            raise invalid("Tag keys must be 1-128 characters and values at most 256 characters.")
        if str(key).lower().startswith("aws"):
            raise invalid(f"Tag key {key} is not valid: keys cannot start with 'aws'.")
        if not TAG_PATTERN.match(str(key)) or not TAG_PATTERN.match(str(value)):
            raise invalid(f"Tag {key} has characters a tag cannot hold.")
    return {str(k): str(v) for k, v in tags.items()}


def filters(raw: Any, names: tuple[str, ...]) -> dict[str, set[str]]:
    """Filters by name (values of one name: OR; names: AND)."""
    out: dict[str, set[str]] = {}
    for item in raw or []:
        name = check_enum((item or {}).get("Name"), "filters.member.name", names)
        out.setdefault(name, set()).add(str(item.get("Value") or ""))
    return out


def max_results(value: Any) -> int:
    size = 100 if value is None else int(value)
    if not 1 <= size <= 100:
        raise invalid(
            "1 validation error detected: Value at 'maxResults' failed to satisfy constraint: "
            "Member must have value between 1 and 100"
        )
    return size


def page(items: list[Any], token: Any, size: int) -> tuple[list[Any], str | None]:
    from wizard.services.sandbox.extensions import _paging

    def invalid() -> Exception:
        return error("InvalidNextTokenException", "The specified nextToken is not valid.")

    return _paging.page(items, token, size, invalid)
