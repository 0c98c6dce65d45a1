"""Building blocks of a CodeCommit -> CodeDeploy delivery stack, made with boto3 (moto server).

Shared by the monitor scenarios, the sandbox delivery `Stack` and the name-clash tests, which
each need a service role, a CodeDeploy application and group, and a two-stage pipeline.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def trust_policy(service: str) -> str:
    """An assume-role policy document letting `service` (e.g. `ec2.amazonaws.com`) assume it."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": service},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )


def create_role(iam: Any, name: str, service: str = "codepipeline.amazonaws.com") -> str:
    """An IAM role `service` may assume; its ARN."""
    return str(
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust_policy(service))["Role"][
            "Arn"
        ]
    )


def create_application_and_group(
    codedeploy: Any, application: str, group: str, service_role: str, **group_settings: Any
) -> None:
    """A CodeDeploy application (Server) and one deployment group of it."""
    codedeploy.create_application(applicationName=application, computePlatform="Server")
    codedeploy.create_deployment_group(
        applicationName=application,
        deploymentGroupName=group,
        serviceRoleArn=service_role,
        **group_settings,
    )


def pipeline_declaration(
    name: str,
    role_arn: str,
    *,
    bucket: str,
    repository: str,
    branch: str,
    application: str,
    group: str,
    source_settings: Mapping[str, str] | None = None,
    artifact: str = "src",
    namespace: str | None = None,
) -> dict[str, Any]:
    """`create_pipeline`'s declaration: stage Source (CodeCommit `repository`/`branch`) then stage
    Deploy (CodeDeploy `application`/`group`), the artifact store in `bucket`."""
    source: dict[str, Any] = {
        "name": "Source",
        "actionTypeId": {
            "category": "Source",
            "owner": "AWS",
            "provider": "CodeCommit",
            "version": "1",
        },
        "configuration": {
            "RepositoryName": repository,
            "BranchName": branch,
            **(source_settings or {}),
        },
        "outputArtifacts": [{"name": artifact}],
    }
    if namespace:
        source["namespace"] = namespace
    deploy = {
        "name": "Deploy",
        "actionTypeId": {
            "category": "Deploy",
            "owner": "AWS",
            "provider": "CodeDeploy",
            "version": "1",
        },
        "configuration": {"ApplicationName": application, "DeploymentGroupName": group},
        "inputArtifacts": [{"name": artifact}],
    }
    return {
        "name": name,
        "roleArn": role_arn,
        "artifactStore": {"type": "S3", "location": bucket},
        "stages": [
            {"name": "Source", "actions": [source]},
            {"name": "Deploy", "actions": [deploy]},
        ],
    }
