"""Answers -> the root module's variables (`terraform/terraform.tfvars.json`).

User values reach Terraform as JSON values, never as HCL source: terraform reads a `.tfvars.json`
literally (no `${...}` or `%{...}` interpretation), so whatever the answers allow arrives intact.
Only the backend block, which cannot use variables, is written as HCL (through the `hcl` filter).

Every answers key is either mapped to a variable here or listed in `NOT_TERRAFORM` with the reason;
a test keeps both complete, so a new question cannot silently miss the stack. A variable exists
in a rendering only while its question applies (`source.bucket` only for an S3 source, …): the
declarations and the values leave it out together, so a CodeCommit rendering is the same as it
was before other sources existed. Likewise the load balancer's variables exist only when the
answers configure one (`load_balancer.mode` other than none).
"""

from __future__ import annotations

from typing import Any

from wizard.core.answers import Answers, question_map, to_flat
from wizard.core.answers.model import notifications_enabled

#: Root variable name -> answers key. Order is the order of `terraform.tfvars.json`.
VARIABLES: dict[str, str] = {
    "project": "project",
    "region": "aws.region",
    "aws_profile": "aws.profile",
    "tags": "tags",
    "source_provider": "source.provider",
    "repository_name": "source.repository",
    "full_repository_id": "source.repository_id",
    "connection_arn": "source.connection_arn",
    "connection_name": "source.connection_name",
    "branch": "source.branch",
    "create_repository": "source.create_repository",
    "source_bucket": "source.bucket",
    "source_object_key": "source.object_key",
    "create_source_bucket": "source.create_bucket",
    "change_detection": "source.change_detection",
    "tag_key": "targets.tag_key",
    "tag_value": "targets.tag_value",
    "create_instance": "targets.create_instance",
    "instance_type": "targets.instance_type",
    "instance_count": "targets.instance_count",
    "ami": "targets.ami",
    "root_volume_size": "targets.root_volume_size",
    "subnet_id": "targets.subnet_id",
    "agent_install": "targets.agent_install",
    "ssm_managed": "targets.ssm_managed",
    "extend_role": "targets.extend_role",
    "application_name": "deployment.application",
    "deployment_group_name": "deployment.group",
    "deployment_config": "deployment.config",
    "rollback_on_failure": "deployment.rollback_on_failure",
    "group_tags": "deployment.group_tags",
    "service_role_name": "deployment.service_role",
    "instance_profile_name": "deployment.instance_profile",
    "pipeline_name": "pipeline.name",
    "pipeline_type": "pipeline.type",
    "artifact_bucket": "pipeline.artifact_bucket",
    "artifact_expiration_days": "pipeline.artifact_expiration_days",
}

#: The load balancer's variables (declared and set only when `load_balancer.mode` is not none).
LOAD_BALANCER_VARIABLES: dict[str, str] = {
    "load_balancer_mode": "load_balancer.mode",
    "load_balancer_name": "load_balancer.name",
    "load_balancer_scheme": "load_balancer.scheme",
    "load_balancer_subnet_ids": "load_balancer.subnet_ids",
    "load_balancer_allowed_cidrs": "load_balancer.allowed_cidrs",
    "load_balancer_http_port": "load_balancer.http_port",
    "load_balancer_https_port": "load_balancer.https_port",
    "load_balancer_certificate_arn": "load_balancer.certificate_arn",
    "load_balancer_ssl_policy": "load_balancer.ssl_policy",
    "load_balancer_redirect_http": "load_balancer.redirect_http",
    "load_balancer_target_group_arn": "load_balancer.target_group_arn",
    "load_balancer_target_port": "load_balancer.target_port",
    "load_balancer_health_check_path": "load_balancer.health_check_path",
    "load_balancer_deregistration_delay": "load_balancer.deregistration_delay",
    "load_balancer_access_logs_bucket": "load_balancer.access_logs_bucket",
}

#: The environments' variable (declared and set only when the answers list environments).
ENVIRONMENT_VARIABLES: dict[str, str] = {"environments": "environments"}

#: The notifications' variables (declared and set only when notifications are on: emails or an
#: existing topic).
NOTIFICATION_VARIABLES: dict[str, str] = {
    "notification_topic_arn": "notifications.topic_arn",
    "notification_emails": "notifications.emails",
    "notification_events": "notifications.events",
}

#: Answers keys that deliberately do not become root variables, and where they go instead.
NOT_TERRAFORM: dict[str, str] = {
    "version": "format version of the answers file",
    "terraform.backend": "backend.tf (backend blocks cannot use variables)",
    "terraform.state_bucket": "backend.tf",
    "terraform.state_key": "backend.tf",
    "terraform.state_region": "backend.tf",
    "terraform.binary": "the runner's choice of terraform binary",
    "payload.destination": "payload (appspec.yml)",
    "payload.user": "payload (hook scripts)",
    "payload.port": "payload (service and ValidateService)",
    "payload.bind_address": "payload (service listen address)",
    "payload.health_path": "payload (ValidateService)",
    "payload.hook_timeout": "payload (appspec.yml)",
    "payload.file_exists_behavior": "payload (appspec.yml)",
    "load_balancer.url": "payload (the AfterAllowTraffic check)",
}


def has_load_balancer(answers: Answers) -> bool:
    """Whether the answers put the deployments behind a load balancer."""
    return answers.load_balancer.mode != "none"


def has_environments(answers: Answers) -> bool:
    """Whether the answers list environments (else: today's single environment)."""
    return bool(answers.environments)


def has_notifications(answers: Answers) -> bool:
    """Whether the answers ask for notifications (emails, or an existing topic)."""
    return notifications_enabled(to_flat(answers))


def variables_for(answers: Answers) -> dict[str, str]:
    """Root variable name -> answers key, for this stack (the load balancer's when it has one,
    the environments' and the notifications' when the answers give them)."""
    out = dict(VARIABLES)
    if has_load_balancer(answers):
        out.update(LOAD_BALANCER_VARIABLES)
    if has_environments(answers):
        out.update(ENVIRONMENT_VARIABLES)
    if has_notifications(answers):
        out.update(NOTIFICATION_VARIABLES)
    return out


def root_variables(answers: Answers) -> dict[str, Any]:
    """The values of the root variables of these answers (those whose question applies), in
    declaration order (maps as plain dicts)."""
    flat = to_flat(answers)
    questions = question_map()
    return {
        name: flat[key]
        for name, key in variables_for(answers).items()
        if questions[key].applies(flat)
    }
