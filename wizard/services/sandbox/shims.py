"""Small, reversible patches that add what moto lacks for the real terraform AWS provider.

Each shim fills one observed gap between moto (5.2.x) and what hashicorp/aws (5.x/6.x) needs by
adding a missing API to moto's response classes before the server starts. Answers moto gives in
the wrong shape are not shims: they are adapted on the wire (`wire.py`), which does not depend on
moto's internals. The internals the shims do use are listed in `compat.REQUIREMENTS` and checked
before the emulator starts. None changes anything
cdwizard renders for real AWS. `tests/test_sandbox_shims.py` checks each one both ways: the gap
still exists in plain moto (so a moto upgrade that fixes it makes the test fail and the shim can go)
and the shim's behaviour is what the provider needs.

Not shims, but requirements met elsewhere (and tested too):
- RunInstances without a root `VolumeSize` fails in moto ("MissingParameter"); the instance module
  always sets `root_block_device.volume_size` (a good practice on real AWS too).
- `skip_requesting_account_id` must stay off: with it the provider cannot build CodeDeploy ARNs and
  `tags_all` drifts; moto's STS answers GetCallerIdentity, so the sandbox provider asks it.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any, cast

Undo = Callable[[], None]


@dataclass(frozen=True)
class Shim:
    name: str
    why: str
    install: Callable[[], Undo]


_installed: dict[str, Undo] = {}


def _patch(owner: type | ModuleType, attr: str, value: Any) -> Undo:
    """Set `owner.attr = value` (a class or a module); the returned function restores the
    original (or removes it)."""
    missing = object()
    original = owner.__dict__.get(attr, missing)
    setattr(owner, attr, value)

    def undo() -> None:
        if original is missing:
            delattr(owner, attr)
        else:
            setattr(owner, attr, original)

    return undo


def _chain(*undos: Undo) -> Undo:
    def undo() -> None:
        for fn in reversed(undos):
            fn()

    return undo


# --- IAM: AWS managed policies ----------------------------------------------------------------


def _iam_managed_policies() -> Undo:
    # moto only knows AWS managed policies (service-role/AWSCodeDeployRole,
    # AmazonSSMManagedInstanceCore, …) when this is set before the IAM backend is created;
    # without them every aws_iam_role_policy_attachment fails with NoSuchEntity.
    key = "MOTO_IAM_LOAD_MANAGED_POLICIES"
    previous = os.environ.get(key)
    os.environ[key] = "true"

    def undo() -> None:
        if previous is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = previous

    return undo


# --- CodeDeploy: the update/delete calls terraform makes --------------------------------------


def _codedeploy_update_and_delete() -> Undo:
    # moto has no UpdateDeploymentGroup, DeleteDeploymentGroup or DeleteApplication: any change to
    # a group makes terraform retry a 500 until it times out, and destroy fails. These follow the
    # API: deletes are idempotent and return hooksNotCleanedUp; update changes only what is sent.
    from moto.codedeploy.responses import CodeDeployResponse
    from moto.core.responses import ActionResult, EmptyResult

    def delete_application(self: Any) -> Any:
        backend = self.codedeploy_backend
        name = self._get_param("applicationName")
        for group in list(backend.deployment_groups.get(name, {})):
            backend.tagger.delete_all_tags_for_resource(backend._deployment_group_arn(name, group))
        backend.deployment_groups.pop(name, None)
        if backend.applications.pop(name, None) is not None:
            backend.tagger.delete_all_tags_for_resource(backend._application_arn(name))
        return EmptyResult()

    def delete_deployment_group(self: Any) -> Any:
        backend = self.codedeploy_backend
        app = self._get_param("applicationName")
        name = self._get_param("deploymentGroupName")
        if backend.deployment_groups.get(app, {}).pop(name, None) is not None:
            backend.tagger.delete_all_tags_for_resource(backend._deployment_group_arn(app, name))
        return ActionResult({"hooksNotCleanedUp": []})

    fields = {  # API parameter -> DeploymentGroup attribute
        "deploymentConfigName": "deployment_config_name",
        "ec2TagFilters": "ec2_tag_filters",
        "onPremisesInstanceTagFilters": "on_premises_instance_tag_filters",
        "autoScalingGroups": "auto_scaling_groups",
        "serviceRoleArn": "service_role_arn",
        "triggerConfigurations": "trigger_configurations",
        "alarmConfiguration": "alarm_configuration",
        "autoRollbackConfiguration": "auto_rollback_configuration",
        "outdatedInstancesStrategy": "outdated_instances_strategy",
        "deploymentStyle": "deployment_style",
        "blueGreenDeploymentConfiguration": "blue_green_deployment_configuration",
        "loadBalancerInfo": "load_balancer_info",
        "ec2TagSet": "ec2_tag_set",
        "ecsServices": "ecs_services",
        "onPremisesTagSet": "on_premises_tag_set",
        "terminationHookEnabled": "termination_hook_enabled",
    }

    def update_deployment_group(self: Any) -> Any:
        backend = self.codedeploy_backend
        app = self._get_param("applicationName")
        current = self._get_param("currentDeploymentGroupName")
        group = backend.get_deployment_group(app, current)  # raises the API's not-found errors
        for param, attr in fields.items():
            value = self._get_param(param)
            if value is not None:
                setattr(group, attr, value)
        new_name = self._get_param("newDeploymentGroupName")
        if new_name and new_name != current:
            groups = backend.deployment_groups[app]
            groups[new_name] = groups.pop(current)
            group.deployment_group_name = new_name
            old_arn = backend._deployment_group_arn(app, current)
            tags = backend.tagger.list_tags_for_resource(old_arn).get("Tags", [])
            backend.tagger.delete_all_tags_for_resource(old_arn)
            if tags:
                backend.tagger.tag_resource(backend._deployment_group_arn(app, new_name), tags)
        return ActionResult({"hooksNotCleanedUp": []})

    return _chain(
        _patch(CodeDeployResponse, "delete_application", delete_application),
        _patch(CodeDeployResponse, "delete_deployment_group", delete_deployment_group),
        _patch(CodeDeployResponse, "update_deployment_group", update_deployment_group),
    )


# --- CodeCommit: tags -----------------------------------------------------------------------


def _codecommit_tags() -> Undo:
    # moto has no TagResource/UntagResource/ListTagsForResource for CodeCommit, which the provider
    # calls for tags (provider default_tags make every repository tagged); CreateRepository's own
    # `tags` are ignored too. (The repository dates are adapted on the wire: see wire.py.)
    from moto.codecommit.responses import CodeCommitResponse
    from moto.utilities.tagging_service import TaggingService

    def tagger(backend: Any) -> TaggingService:
        if not hasattr(backend, "cdwizard_tags"):
            backend.cdwizard_tags = TaggingService(key_name="key", value_name="value")
        return backend.cdwizard_tags

    def arn_of(backend: Any, name: str) -> str | None:
        repo = backend.repositories.get(name)
        return None if repo is None else str(repo.repository_metadata["Arn"])

    create_original = CodeCommitResponse.create_repository
    delete_original = CodeCommitResponse.delete_repository

    def create_repository(self: Any) -> Any:
        out = create_original(self)  # passed on as moto made it, whatever its type
        tags = self._get_param("tags") or {}
        arn = arn_of(self.codecommit_backend, self._get_param("repositoryName"))
        if tags and arn:
            tagger(self.codecommit_backend).tag_resource(
                arn, [{"key": k, "value": v} for k, v in tags.items()]
            )
        return out

    def delete_repository(self: Any) -> Any:
        arn = arn_of(self.codecommit_backend, self._get_param("repositoryName"))
        if arn is not None:
            tagger(self.codecommit_backend).delete_all_tags_for_resource(arn)
        return delete_original(self)

    def tag_resource(self: Any) -> str:
        tags = self._get_param("tags") or {}
        tagger(self.codecommit_backend).tag_resource(
            self._get_param("resourceArn"), [{"key": k, "value": v} for k, v in tags.items()]
        )
        return "{}"

    def untag_resource(self: Any) -> str:
        tagger(self.codecommit_backend).untag_resource_using_names(
            self._get_param("resourceArn"), self._get_param("tagKeys") or []
        )
        return "{}"

    def list_tags_for_resource(self: Any) -> str:
        tags = tagger(self.codecommit_backend).get_tag_dict_for_resource(
            self._get_param("resourceArn")
        )
        return json.dumps({"tags": tags})

    return _chain(
        _patch(CodeCommitResponse, "create_repository", create_repository),
        _patch(CodeCommitResponse, "delete_repository", delete_repository),
        _patch(CodeCommitResponse, "tag_resource", tag_resource),
        _patch(CodeCommitResponse, "untag_resource", untag_resource),
        _patch(CodeCommitResponse, "list_tags_for_resource", list_tags_for_resource),
    )


# --- EC2: detailed monitoring -----------------------------------------------------------------


def _ec2_monitor_instances() -> Undo:
    # MonitorInstances/UnmonitorInstances raise NotImplementedError (HTTP 500), and the provider
    # calls them for `monitoring = true` -- terraform retries until it times out.
    from moto.ec2.responses.monitoring import Monitoring

    def toggle(state: str) -> Callable[[Any], str]:
        def action(self: Any) -> str:
            self.error_on_dryrun()
            ids = self._get_param("InstanceIds", [])
            items = []
            for instance in self.ec2_backend.get_multi_instances_by_id(ids):
                instance.monitoring_state = state
                items.append(
                    f"<item><instanceId>{instance.id}</instanceId>"
                    f"<monitoring><state>{state}</state></monitoring></item>"
                )
            name = ("Monitor" if state == "enabled" else "Unmonitor") + "InstancesResponse"
            return (
                f'<{name} xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">'
                "<requestId>59dbff89-35bd-4eac-99ed-be587EXAMPLE</requestId>"
                f"<instancesSet>{''.join(items)}</instancesSet></{name}>"
            )

        return action

    return _chain(
        _patch(Monitoring, "monitor_instances", toggle("enabled")),
        _patch(Monitoring, "unmonitor_instances", toggle("disabled")),
    )


# --- S3: EventBridge notifications read back -----------------------------------------------


def _s3_eventbridge_notification() -> Undo:
    # PutBucketNotificationConfiguration keeps <EventBridgeConfiguration/> (and moto then sends
    # the bucket's events to EventBridge), but GetBucketNotificationConfiguration leaves it out:
    # the provider reads `eventbridge = false` back and plans to turn it on at every run.
    from moto.s3.responses import S3Response

    original = S3Response.get_bucket_notification

    def get_bucket_notification(self: Any) -> Any:
        answer = original(self)
        config = self.backend.get_bucket_notification_configuration(self.bucket_name)
        if getattr(config, "event_bridge", None) is None or not isinstance(answer, tuple):
            return answer
        status, headers, body = answer
        text = body.decode() if isinstance(body, bytes) else str(body)
        if "EventBridgeConfiguration" in text:
            return answer
        marker = "</NotificationConfiguration>"
        if marker in text:
            text = text.replace(marker, f"<EventBridgeConfiguration/>{marker}", 1)
        else:  # an empty, self-closing <NotificationConfiguration .../>
            text = re.sub(
                r"<NotificationConfiguration([^>]*)/>",
                r"<NotificationConfiguration\1><EventBridgeConfiguration/>" + marker,
                text,
                count=1,
            )
        return status, headers, text.encode() if isinstance(body, bytes) else text

    return _patch(S3Response, "get_bucket_notification", get_bucket_notification)


# --- EC2: descriptions of rules that reference a security group ------------------------------


def _ec2_referenced_group_rule_descriptions() -> Undo:
    # DescribeSecurityGroupRules answers a rule that references another security group (the
    # instances accept the service port from the load balancer's group) without its Description:
    # moto keeps it with the referenced group and reports only an address range's. The provider
    # then plans to set the description again on every run.
    from moto.ec2.responses.security_groups import SecurityGroups

    original = SecurityGroups.describe_security_group_rules

    def describe_security_group_rules(self: Any) -> Any:
        result = original(self)
        answer = cast("dict[str, Any]", result.result)  # {"SecurityGroupRules": [copies]}
        for rule in answer.get("SecurityGroupRules", []):
            described = (rule.source_group or {}).get("Description")
            if described is not None and "Description" not in rule.ip_range:
                rule.ip_range = {**rule.ip_range, "Description": described}  # rule is a copy
        return result

    return _patch(SecurityGroups, "describe_security_group_rules", describe_security_group_rules)


SHIMS: tuple[Shim, ...] = (
    Shim(
        "iam_managed_policies",
        "AWS managed policies exist only with MOTO_IAM_LOAD_MANAGED_POLICIES=true",
        _iam_managed_policies,
    ),
    Shim(
        "codedeploy_update_and_delete",
        "UpdateDeploymentGroup, DeleteDeploymentGroup and DeleteApplication (missing in moto)",
        _codedeploy_update_and_delete,
    ),
    Shim(
        "codecommit_tags",
        "CodeCommit Tag/Untag/ListTagsForResource and CreateRepository tags (missing in moto)",
        _codecommit_tags,
    ),
    Shim(
        "s3_eventbridge_notification",
        "GetBucketNotificationConfiguration returns the EventBridgeConfiguration it was given",
        _s3_eventbridge_notification,
    ),
    Shim(
        "ec2_monitor_instances",
        "MonitorInstances/UnmonitorInstances (missing in moto; used by monitoring = true)",
        _ec2_monitor_instances,
    ),
    Shim(
        "ec2_referenced_group_rule_descriptions",
        "DescribeSecurityGroupRules keeps the Description of a rule referencing a security group",
        _ec2_referenced_group_rule_descriptions,
    ),
)


def install_shims() -> list[str]:
    """Install every shim once (idempotent); returns their names."""
    for shim in SHIMS:
        if shim.name not in _installed:
            _installed[shim.name] = shim.install()
    return [s.name for s in SHIMS]


def uninstall_shims() -> None:
    """Restore moto as it was (tests use this to show each gap still exists)."""
    for name in reversed(list(_installed)):
        _installed.pop(name)()


def installed() -> list[str]:
    return list(_installed)
