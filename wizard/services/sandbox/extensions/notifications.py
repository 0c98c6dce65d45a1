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
import secrets
import time
from typing import Any
from urllib.parse import unquote

from wizard.services.sandbox.extensions import _notification_rules as rules

SIGNING_NAME = "codestar-notifications"
_RULES = "cdwizard_notification_rules"
_TARGETS = "cdwizard_notification_targets"
_TOKENS = "cdwizard_notification_tokens"
_MARK = "_cdwizard_notifications"


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
            return rules.store(rules.backend(self.current_account, self.region), _RULES)

        @property
        def _targets(self) -> dict[str, dict[str, str]]:
            return rules.store(rules.backend(self.current_account, self.region), _TARGETS)

        def _caller(self) -> str:
            return f"arn:{self.partition}:iam::{self.current_account}:root"

        def _rule(self, arn: Any) -> dict[str, Any]:
            found = self._rules.get(str(arn or ""))
            if found is None:
                raise rules.error(
                    "ResourceNotFoundException", f"Notification rule {arn} does not exist."
                )
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
                        "ServiceName": rules.EVENTS[event][0],
                        "EventTypeName": rules.EVENTS[event][1],
                        "ResourceType": rules.EVENTS[event][2],
                    }
                    for event in rule["EventTypeIds"]
                ],
                "Resource": rule["Resource"],
                "Targets": [rules.target_summary(t) for t in rule["Targets"]],
                "DetailType": rule["DetailType"],
                "CreatedBy": rule["CreatedBy"],
                "Status": rule["Status"],
                "CreatedTimestamp": rule["CreatedTimestamp"],
                "LastModifiedTimestamp": rule["LastModifiedTimestamp"],
                "Tags": dict(rule["Tags"]),
            }

        def create_notification_rule(self) -> str:
            token = self._param("ClientRequestToken")
            tokens = rules.store(rules.backend(self.current_account, self.region), _TOKENS)
            if token and tokens.get(str(token)) in self._rules:
                return json.dumps({"Arn": tokens[str(token)]})
            name = rules.check_name(self._param("Name"))
            resource = str(self._param("Resource") or "")
            if not rules.RESOURCE_PATTERN.match(resource):
                raise rules.invalid(
                    "1 validation error detected: Value at 'resource' failed to satisfy "
                    "constraint: Member must satisfy regular expression pattern: "
                    "^arn:aws[^:\\s]*:[^:\\s]*:[^:\\s]*:[0-9]{12}:[^\\s]+$"
                )
            events = rules.check_events(self._param("EventTypeIds"), resource)
            targets = rules.check_targets(self._param("Targets"))
            detail = rules.check_enum(self._param("DetailType"), "detailType", ("BASIC", "FULL"))
            status = rules.check_enum(
                self._param("Status") or "ENABLED", "status", ("ENABLED", "DISABLED")
            )
            tags = rules.check_tags(self._param("Tags"))
            if any(r["Name"] == name for r in self._rules.values()):
                raise rules.error(
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
                name = rules.check_name(self._param("Name"))
                if any(r["Name"] == name and r is not rule for r in self._rules.values()):
                    raise rules.error(
                        "ResourceAlreadyExistsException",
                        f"A notification rule named {name} already exists in this account.",
                    )
                changes["Name"] = name
            if self._param("EventTypeIds") is not None:
                changes["EventTypeIds"] = rules.check_events(
                    self._param("EventTypeIds"), rule["Resource"]
                )
            if self._param("Targets") is not None:
                changes["Targets"] = rules.check_targets(self._param("Targets"))
                self._remember_targets(changes["Targets"])
            if self._param("DetailType") is not None:
                changes["DetailType"] = rules.check_enum(
                    self._param("DetailType"), "detailType", ("BASIC", "FULL")
                )
            if self._param("Status") is not None:
                changes["Status"] = rules.check_enum(
                    self._param("Status"), "status", ("ENABLED", "DISABLED")
                )
            rule.update(changes, LastModifiedTimestamp=round(time.time(), 3))
            return "{}"

        def delete_notification_rule(self) -> str:
            arn = str(self._param("Arn") or "")
            self._rules.pop(arn, None)  # AWS answers the same whether it existed or not
            return json.dumps({"Arn": arn})

        def list_notification_rules(self) -> str:
            wanted = rules.filters(
                self._param("Filters"),
                ("EVENT_TYPE_ID", "CREATED_BY", "RESOURCE", "TARGET_ADDRESS"),
            )
            size = rules.max_results(self._param("MaxResults"))

            def keeps(rule: dict[str, Any]) -> bool:
                values = {
                    "EVENT_TYPE_ID": set(rule["EventTypeIds"]),
                    "CREATED_BY": {rule["CreatedBy"]},
                    "RESOURCE": {rule["Resource"]},
                    "TARGET_ADDRESS": {t["TargetAddress"] for t in rule["Targets"]},
                }
                return all(values[name] & options for name, options in wanted.items())

            found = sorted((r for r in self._rules.values() if keeps(r)), key=lambda r: r["Arn"])
            chunk, token = rules.page(found, self._param("NextToken"), size)
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
            [target] = rules.check_targets([self._param("Target") or {}])
            if not any(t["TargetAddress"] == target["TargetAddress"] for t in rule["Targets"]):
                if len(rule["Targets"]) >= rules.MAX_TARGETS:
                    raise rules.invalid(
                        f"A notification rule can have at most {rules.MAX_TARGETS} targets."
                    )
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
            wanted = rules.filters(
                self._param("Filters"), ("TARGET_TYPE", "TARGET_ADDRESS", "TARGET_STATUS")
            )
            size = rules.max_results(self._param("MaxResults"))
            summaries = [rules.target_summary(t) for t in self._targets.values()]
            keys = {
                "TARGET_TYPE": "TargetType",
                "TARGET_ADDRESS": "TargetAddress",
                "TARGET_STATUS": "TargetStatus",
            }
            kept = [s for s in summaries if all(s[keys[n]] in opts for n, opts in wanted.items())]
            kept.sort(key=lambda s: s["TargetAddress"])
            chunk, token = rules.page(kept, self._param("NextToken"), size)
            out: dict[str, Any] = {"Targets": chunk}
            if token:
                out["NextToken"] = token
            return json.dumps(out)

        def delete_target(self) -> str:
            address = str(self._param("TargetAddress") or "")
            users = [r for r in self._rules.values() if address in _addresses(r)]
            if users and not self._param("ForceUnsubscribeAll"):
                raise rules.invalid(
                    "The target cannot be deleted because it is subscribed to one or more "
                    "notification rules."
                )
            for rule in users:
                rule["Targets"] = [t for t in rule["Targets"] if t["TargetAddress"] != address]
            self._targets.pop(address, None)
            return "{}"

        def list_event_types(self) -> str:
            wanted = rules.filters(self._param("Filters"), ("RESOURCE_TYPE", "SERVICE_NAME"))
            size = rules.max_results(self._param("MaxResults"))
            events = [
                {
                    "EventTypeId": event,
                    "ServiceName": service,
                    "EventTypeName": name,
                    "ResourceType": kind,
                }
                for event, (service, name, kind) in sorted(rules.EVENTS.items())
                if all(
                    {"RESOURCE_TYPE": kind, "SERVICE_NAME": service}[n] in opts
                    for n, opts in wanted.items()
                )
            ]
            chunk, token = rules.page(events, self._param("NextToken"), size)
            out: dict[str, Any] = {"EventTypes": chunk}
            if token:
                out["NextToken"] = token
            return json.dumps(out)

        def tag_resource(self) -> str:
            rule = self._rule(self._param("Arn"))
            merged = {**rule["Tags"], **rules.check_tags(self._param("Tags") or {})}
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
