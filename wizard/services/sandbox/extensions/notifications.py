"""CodeStar Notifications for the sandbox (moto has no such service): the REST-JSON API
(`codestar-notifications`) that boto3 and the terraform provider's
`aws_codestarnotifications_notification_rule` speak: Create/Describe/Update/Delete/
ListNotificationRules, Subscribe, Unsubscribe, ListTargets, DeleteTarget, ListEventTypes and
Tag/Untag/ListTagsForResource on notification rules.

Routing: moto picks an app from a request's signing name; `codestar-notifications` is routed to
its CodePipeline app (an entry in moto's alias table, as the connections extension does), whose
URL map gains this API's paths (`/createNotificationRule`, ..., `/untagResource/{arn}`), served
by `NotificationsResponse`. Rules and targets are kept on the CodePipeline backend of their
account and region, so the saved state keeps them.

What the sandbox checks: the fields' lengths, patterns and enums, unique rule names per account
and region, that every event type exists and belongs to the rule's resource type (a pipeline's
rule takes `codepipeline-pipeline-*` events; CodeDeploy's `codedeploy-application-*` events need
a rule on the CodeDeploy application), at most 10 targets. A target's status is read when asked:
ACTIVE when its SNS topic exists and its access policy lets `codestar-notifications.amazonaws.com`
publish, UNREACHABLE otherwise. No notification is ever sent.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from typing import Any
from urllib.parse import unquote

SIGNING_NAME = "codestar-notifications"
SERVICE_PRINCIPAL = "codestar-notifications.amazonaws.com"

_RULES = "cdwizard_notification_rules"
_TARGETS = "cdwizard_notification_targets"
_TOKENS = "cdwizard_notification_tokens"
_MARK = "_cdwizard_notifications"

NAME_PATTERN = re.compile(r"^[A-Za-z0-9\-_ ]+$")
RESOURCE_PATTERN = re.compile(r"^arn:aws[^:\s]*:[^:\s]*:[^:\s]*:[0-9]{12}:[^\s]+$")
TAG_PATTERN = re.compile(r"^[\w\s.:/=+\-@]*$")
MAX_TARGETS = 10

#: Event types: id -> (service name, event type name, resource type), as ListEventTypes shows them.
_PIPELINE = ("CodePipeline", "Pipeline")
_EVENTS: dict[str, tuple[str, str, str]] = {}
for _what, _states in (
    ("action-execution", ("succeeded", "failed", "canceled", "started")),
    ("stage-execution", ("started", "succeeded", "resumed", "canceled", "failed")),
    ("pipeline-execution", ("failed", "canceled", "started", "resumed", "succeeded", "superseded")),
    ("manual-approval", ("failed", "needed", "succeeded")),
):
    for _state in _states:
        _label = _what.replace("-", " ").capitalize()
        _EVENTS[f"codepipeline-pipeline-{_what}-{_state}"] = (
            _PIPELINE[0],
            f"{_label}: {_state.capitalize()}",
            _PIPELINE[1],
        )
for _state in ("succeeded", "failed", "started"):
    _EVENTS[f"codedeploy-application-deployment-{_state}"] = (
        "CodeDeploy",
        f"Deployment: {_state.capitalize()}",
        "Application",
    )
for _state in ("failed", "succeeded", "in-progress", "stopped"):
    _EVENTS[f"codebuild-project-build-state-{_state}"] = (
        "CodeBuild",
        f"Build state: {_state.replace('-', ' ').capitalize()}",
        "Project",
    )
for _state in ("failure", "success"):
    _EVENTS[f"codebuild-project-build-phase-{_state}"] = (
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
    _EVENTS[f"codecommit-repository-{_what}"] = (
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


def _invalid(message: str) -> Exception:
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


def _backend(account: str, region: str) -> Any:
    from moto.codepipeline.models import codepipeline_backends

    return codepipeline_backends[account][region]


def _store(backend: Any, name: str) -> dict[str, Any]:
    found = getattr(backend, name, None)
    if found is None:
        found = {}
        setattr(backend, name, found)
    return found


def _target_status(address: str, target_type: str) -> str:
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


def _target_summary(target: dict[str, str]) -> dict[str, str]:
    return {
        "TargetAddress": target["TargetAddress"],
        "TargetType": target["TargetType"],
        "TargetStatus": _target_status(target["TargetAddress"], target["TargetType"]),
    }


# --- validation -----------------------------------------------------------------------------


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not 1 <= len(name) <= 64 or not NAME_PATTERN.match(name):
        raise _invalid(
            "1 validation error detected: Value at 'name' failed to satisfy constraint: Member "
            "must have length between 1 and 64 and match [A-Za-z0-9\\-_ ]+$"
        )
    return name


def _check_enum(value: Any, field: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise _invalid(
            f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy "
            f"constraint: Member must satisfy enum value set: [{', '.join(allowed)}]"
        )
    return str(value)


def _check_events(ids: Any, resource: str) -> list[str]:
    if not isinstance(ids, list) or not ids:
        raise _invalid("EventTypeIds must list at least one event type.")
    kind = resource_type(resource)
    for event in ids:
        found = _EVENTS.get(str(event))
        if found is None:
            raise _invalid(f"Event type {event} does not exist (see ListEventTypes).")
        if kind is None or (found[0], found[2]) != kind:
            raise _invalid(
                f"Event type {event} does not apply to resource {resource}: it is an event of "
                f"{found[0]} {found[2].lower()}s."
            )
    return list(dict.fromkeys(str(e) for e in ids))


def _check_targets(targets: Any) -> list[dict[str, str]]:
    if not isinstance(targets, list):
        raise _invalid("Targets must be a list.")
    if len(targets) > MAX_TARGETS:
        raise _invalid(
            "1 validation error detected: Value at 'targets' failed to satisfy constraint: "
            f"Member must have length less than or equal to {MAX_TARGETS}"
        )
    out = []
    for target in targets:
        address = str((target or {}).get("TargetAddress") or "")
        kind = str((target or {}).get("TargetType") or "")
        if not 1 <= len(address) <= 320 or not re.match(r"^[A-Za-z]+$", kind):
            raise _invalid("Each target needs a TargetAddress (1-320 characters) and a TargetType.")
        out.append({"TargetAddress": address, "TargetType": kind})
    return out


def _check_tags(tags: Any) -> dict[str, str]:
    if tags is None:
        return {}
    if not isinstance(tags, dict):
        raise _invalid("Tags must be a map of keys to values.")
    for key, value in tags.items():
        if not 1 <= len(str(key)) <= 128 or len(str(value)) > 256:
            raise _invalid("Tag keys must be 1-128 characters and values at most 256 characters.")
        if str(key).lower().startswith("aws"):
            raise _invalid(f"Tag key {key} is not valid: keys cannot start with 'aws'.")
        if not TAG_PATTERN.match(str(key)) or not TAG_PATTERN.match(str(value)):
            raise _invalid(f"Tag {key} has characters a tag cannot hold.")
    return {str(k): str(v) for k, v in tags.items()}


def _filters(raw: Any, names: tuple[str, ...]) -> dict[str, set[str]]:
    """Filters by name (values of one name: OR; names: AND)."""
    out: dict[str, set[str]] = {}
    for item in raw or []:
        name = _check_enum((item or {}).get("Name"), "filters.member.name", names)
        out.setdefault(name, set()).add(str(item.get("Value") or ""))
    return out


def _max_results(value: Any) -> int:
    size = 100 if value is None else int(value)
    if not 1 <= size <= 100:
        raise _invalid(
            "1 validation error detected: Value at 'maxResults' failed to satisfy constraint: "
            "Member must have value between 1 and 100"
        )
    return size


def _page(items: list[Any], token: Any, size: int) -> tuple[list[Any], str | None]:
    from wizard.services.sandbox.extensions import _paging

    def invalid() -> Exception:
        return error("InvalidNextTokenException", "The specified nextToken is not valid.")

    return _paging.page(items, token, size, invalid)


# --- the API --------------------------------------------------------------------------------


def _response_class() -> Any:
    from moto.core.responses import BaseResponse

    class NotificationsResponse(BaseResponse):
        """The CodeStar Notifications operations (action from the request path)."""

        def __init__(self) -> None:
            super().__init__(service_name=SIGNING_NAME)

        def _get_action(self) -> str:
            path = unquote(self.parsed_url.path)
            head, _, rest = path.lstrip("/").partition("/")
            if head == "untagResource":
                self.uri_match = {"resourceArn": rest}
            return head[:1].upper() + head[1:]

        # the body is the operation's JSON object as sent
        def _body(self) -> dict[str, Any]:
            try:
                found = json.loads(self.body or b"{}")
            except ValueError:
                found = {}
            return found if isinstance(found, dict) else {}

        def _param(self, name: str) -> Any:
            return self._body().get(name)

        @property
        def _rules(self) -> dict[str, dict[str, Any]]:
            return _store(_backend(self.current_account, self.region), _RULES)

        @property
        def _targets(self) -> dict[str, dict[str, str]]:
            return _store(_backend(self.current_account, self.region), _TARGETS)

        def _caller(self) -> str:
            return f"arn:{self.partition}:iam::{self.current_account}:root"

        def _rule(self, arn: Any) -> dict[str, Any]:
            found = self._rules.get(str(arn or ""))
            if found is None:
                raise error("ResourceNotFoundException", f"Notification rule {arn} does not exist.")
            return found

        def _remember_targets(self, targets: list[dict[str, str]]) -> None:
            for target in targets:
                self._targets.setdefault(target["TargetAddress"], dict(target))

        def _describe(self, rule: dict[str, Any]) -> dict[str, Any]:
            return {
                "Arn": rule["Arn"],
                "Name": rule["Name"],
                "EventTypes": [
                    {
                        "EventTypeId": event,
                        "ServiceName": _EVENTS[event][0],
                        "EventTypeName": _EVENTS[event][1],
                        "ResourceType": _EVENTS[event][2],
                    }
                    for event in rule["EventTypeIds"]
                ],
                "Resource": rule["Resource"],
                "Targets": [_target_summary(t) for t in rule["Targets"]],
                "DetailType": rule["DetailType"],
                "CreatedBy": rule["CreatedBy"],
                "Status": rule["Status"],
                "CreatedTimestamp": rule["CreatedTimestamp"],
                "LastModifiedTimestamp": rule["LastModifiedTimestamp"],
                "Tags": dict(rule["Tags"]),
            }

        def create_notification_rule(self) -> str:
            token = self._param("ClientRequestToken")
            tokens = _store(_backend(self.current_account, self.region), _TOKENS)
            if token and tokens.get(str(token)) in self._rules:
                return json.dumps({"Arn": tokens[str(token)]})
            name = _check_name(self._param("Name"))
            resource = str(self._param("Resource") or "")
            if not RESOURCE_PATTERN.match(resource):
                raise _invalid(
                    "1 validation error detected: Value at 'resource' failed to satisfy "
                    "constraint: Member must satisfy regular expression pattern: "
                    "^arn:aws[^:\\s]*:[^:\\s]*:[^:\\s]*:[0-9]{12}:[^\\s]+$"
                )
            events = _check_events(self._param("EventTypeIds"), resource)
            targets = _check_targets(self._param("Targets"))
            detail = _check_enum(self._param("DetailType"), "detailType", ("BASIC", "FULL"))
            status = _check_enum(
                self._param("Status") or "ENABLED", "status", ("ENABLED", "DISABLED")
            )
            tags = _check_tags(self._param("Tags"))
            if any(r["Name"] == name for r in self._rules.values()):
                raise error(
                    "ResourceAlreadyExistsException",
                    f"A notification rule named {name} already exists in this account.",
                )
            arn = (
                f"arn:{self.partition}:{SIGNING_NAME}:{self.region}:{self.current_account}:"
                f"notificationrule/{secrets.token_hex(20)}"
            )
            now = round(time.time(), 3)
            self._rules[arn] = {
                "Arn": arn,
                "Name": name,
                "EventTypeIds": events,
                "Resource": resource,
                "Targets": targets,
                "DetailType": detail,
                "Status": status,
                "Tags": tags,
                "CreatedBy": self._caller(),
                "CreatedTimestamp": now,
                "LastModifiedTimestamp": now,
            }
            self._remember_targets(targets)
            if token:
                tokens[str(token)] = arn
            return json.dumps({"Arn": arn})

        def describe_notification_rule(self) -> str:
            return json.dumps(self._describe(self._rule(self._param("Arn"))))

        def update_notification_rule(self) -> str:
            rule = self._rule(self._param("Arn"))
            changes: dict[str, Any] = {}
            if self._param("Name") is not None:
                name = _check_name(self._param("Name"))
                if any(r["Name"] == name and r is not rule for r in self._rules.values()):
                    raise error(
                        "ResourceAlreadyExistsException",
                        f"A notification rule named {name} already exists in this account.",
                    )
                changes["Name"] = name
            if self._param("EventTypeIds") is not None:
                changes["EventTypeIds"] = _check_events(
                    self._param("EventTypeIds"), rule["Resource"]
                )
            if self._param("Targets") is not None:
                changes["Targets"] = _check_targets(self._param("Targets"))
                self._remember_targets(changes["Targets"])
            if self._param("DetailType") is not None:
                changes["DetailType"] = _check_enum(
                    self._param("DetailType"), "detailType", ("BASIC", "FULL")
                )
            if self._param("Status") is not None:
                changes["Status"] = _check_enum(
                    self._param("Status"), "status", ("ENABLED", "DISABLED")
                )
            rule.update(changes, LastModifiedTimestamp=round(time.time(), 3))
            return "{}"

        def delete_notification_rule(self) -> str:
            arn = str(self._param("Arn") or "")
            self._rules.pop(arn, None)  # AWS answers the same whether it existed or not
            return json.dumps({"Arn": arn})

        def list_notification_rules(self) -> str:
            wanted = _filters(
                self._param("Filters"),
                ("EVENT_TYPE_ID", "CREATED_BY", "RESOURCE", "TARGET_ADDRESS"),
            )
            size = _max_results(self._param("MaxResults"))

            def keeps(rule: dict[str, Any]) -> bool:
                values = {
                    "EVENT_TYPE_ID": set(rule["EventTypeIds"]),
                    "CREATED_BY": {rule["CreatedBy"]},
                    "RESOURCE": {rule["Resource"]},
                    "TARGET_ADDRESS": {t["TargetAddress"] for t in rule["Targets"]},
                }
                return all(values[name] & options for name, options in wanted.items())

            rules = sorted((r for r in self._rules.values() if keeps(r)), key=lambda r: r["Arn"])
            chunk, token = _page(rules, self._param("NextToken"), size)
            out: dict[str, Any] = {
                "NotificationRules": [
                    {"Id": r["Arn"].rsplit("/", 1)[-1], "Arn": r["Arn"]} for r in chunk
                ]
            }
            if token:
                out["NextToken"] = token
            return json.dumps(out)

        def subscribe(self) -> str:
            rule = self._rule(self._param("Arn"))
            [target] = _check_targets([self._param("Target") or {}])
            if not any(t["TargetAddress"] == target["TargetAddress"] for t in rule["Targets"]):
                if len(rule["Targets"]) >= MAX_TARGETS:
                    raise _invalid(f"A notification rule can have at most {MAX_TARGETS} targets.")
                rule["Targets"].append(target)
            self._remember_targets([target])
            return json.dumps({"Arn": rule["Arn"]})

        def unsubscribe(self) -> str:
            arn = str(self._param("Arn") or "")
            address = str(self._param("TargetAddress") or "")
            rule = self._rules.get(arn)
            if rule is not None:
                rule["Targets"] = [t for t in rule["Targets"] if t["TargetAddress"] != address]
            return json.dumps({"Arn": arn})

        def list_targets(self) -> str:
            wanted = _filters(
                self._param("Filters"), ("TARGET_TYPE", "TARGET_ADDRESS", "TARGET_STATUS")
            )
            size = _max_results(self._param("MaxResults"))
            summaries = [_target_summary(t) for t in self._targets.values()]
            keys = {
                "TARGET_TYPE": "TargetType",
                "TARGET_ADDRESS": "TargetAddress",
                "TARGET_STATUS": "TargetStatus",
            }
            kept = [s for s in summaries if all(s[keys[n]] in opts for n, opts in wanted.items())]
            kept.sort(key=lambda s: s["TargetAddress"])
            chunk, token = _page(kept, self._param("NextToken"), size)
            out: dict[str, Any] = {"Targets": chunk}
            if token:
                out["NextToken"] = token
            return json.dumps(out)

        def delete_target(self) -> str:
            address = str(self._param("TargetAddress") or "")
            users = [r for r in self._rules.values() if address in _addresses(r)]
            if users and not self._param("ForceUnsubscribeAll"):
                raise _invalid(
                    "The target cannot be deleted because it is subscribed to one or more "
                    "notification rules."
                )
            for rule in users:
                rule["Targets"] = [t for t in rule["Targets"] if t["TargetAddress"] != address]
            self._targets.pop(address, None)
            return "{}"

        def list_event_types(self) -> str:
            wanted = _filters(self._param("Filters"), ("RESOURCE_TYPE", "SERVICE_NAME"))
            size = _max_results(self._param("MaxResults"))
            events = [
                {
                    "EventTypeId": event,
                    "ServiceName": service,
                    "EventTypeName": name,
                    "ResourceType": kind,
                }
                for event, (service, name, kind) in sorted(_EVENTS.items())
                if all(
                    {"RESOURCE_TYPE": kind, "SERVICE_NAME": service}[n] in opts
                    for n, opts in wanted.items()
                )
            ]
            chunk, token = _page(events, self._param("NextToken"), size)
            out: dict[str, Any] = {"EventTypes": chunk}
            if token:
                out["NextToken"] = token
            return json.dumps(out)

        def tag_resource(self) -> str:
            rule = self._rule(self._param("Arn"))
            merged = {**rule["Tags"], **_check_tags(self._param("Tags") or {})}
            rule["Tags"] = merged
            return json.dumps({"Tags": merged})

        def untag_resource(self) -> str:
            rule = self._rule(self.uri_match.get("resourceArn"))
            drop = set(self.querystring.get("tagKeys") or [])
            rule["Tags"] = {k: v for k, v in rule["Tags"].items() if k not in drop}
            return "{}"

        def list_tags_for_resource(self) -> str:
            return json.dumps({"Tags": dict(self._rule(self._param("Arn"))["Tags"])})

    return NotificationsResponse


def _addresses(rule: dict[str, Any]) -> set[str]:
    return {t["TargetAddress"] for t in rule["Targets"]}


PATHS = (
    "createNotificationRule",
    "describeNotificationRule",
    "updateNotificationRule",
    "deleteNotificationRule",
    "listNotificationRules",
    "subscribe",
    "unsubscribe",
    "listTargets",
    "deleteTarget",
    "listEventTypes",
    "tagResource",
    "listTagsForResource",
)


def install() -> None:
    """Route `codestar-notifications` to CodePipeline's app and add this API's paths to it
    (idempotent; before the server creates its apps)."""
    from moto.codepipeline import urls
    from moto.moto_server import werkzeug_app

    from wizard.services.sandbox.extensions.connections import check_routing

    check_routing()
    werkzeug_app.SIGNING_ALIASES[SIGNING_NAME] = "codepipeline"
    if any(getattr(h, _MARK, False) for h in urls.url_paths.values()):
        return
    response = _response_class()

    def handler(request: Any, full_url: str, headers: Any) -> Any:
        return response.dispatch(request, full_url, headers)

    setattr(handler, _MARK, True)
    for path in PATHS:
        urls.url_paths[f"{{0}}/{path}$"] = handler
    urls.url_paths["{0}/untagResource/(?P<resourceArn>.+)$"] = handler
