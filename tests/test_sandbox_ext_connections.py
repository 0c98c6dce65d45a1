"""The CodeConnections emulator extension over HTTP with boto3 against the moto server: the
connection API answers (moto >= 5.2 names actions from CodePipeline's service model, which has
none of these, so without the extension's routing they end as bare 404s), a new connection is
PENDING until the sandbox-only authorise step, and CodePipeline's own calls on the same app
(its tagging, shared by name) keep working."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from wizard.services.aws.session import AwsClients, AwsTarget
from wizard.services.sandbox.console import authorize_connection, revoke_connection


@pytest.fixture
def connections(aws_target: AwsTarget) -> Any:
    return AwsClients(aws_target).client("codestar-connections")


def test_connection_lifecycle(connections: Any, aws_target: AwsTarget) -> None:
    made = connections.create_connection(
        ConnectionName="shop-github", ProviderType="GitHub", Tags=[{"Key": "team", "Value": "web"}]
    )
    arn = made["ConnectionArn"]
    assert arn.startswith("arn:aws:codestar-connections:eu-west-1:123456789012:connection/")
    got = connections.get_connection(ConnectionArn=arn)["Connection"]
    assert (got["ConnectionName"], got["ProviderType"], got["ConnectionStatus"]) == (
        "shop-github",
        "GitHub",
        "PENDING",
    )
    assert connections.list_tags_for_resource(ResourceArn=arn)["Tags"] == [
        {"Key": "team", "Value": "web"}
    ]
    connections.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "dev"}])
    connections.untag_resource(ResourceArn=arn, TagKeys=["team"])
    assert connections.list_tags_for_resource(ResourceArn=arn)["Tags"] == [
        {"Key": "env", "Value": "dev"}
    ]

    assert authorize_connection(aws_target, arn) == "AVAILABLE"
    assert connections.get_connection(ConnectionArn=arn)["Connection"]["ConnectionStatus"] == (
        "AVAILABLE"
    )
    assert revoke_connection(aws_target, arn) == "ERROR"

    connections.create_connection(ConnectionName="shop-gitlab", ProviderType="GitLab")
    listed = connections.list_connections(ProviderTypeFilter="GitLab")["Connections"]
    assert [c["ConnectionName"] for c in listed] == ["shop-gitlab"]
    assert len(connections.list_connections()["Connections"]) == 2

    connections.delete_connection(ConnectionArn=arn)
    with pytest.raises(ClientError) as gone:
        connections.get_connection(ConnectionArn=arn)
    assert gone.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_bad_input_gets_the_service_errors(connections: Any) -> None:
    with pytest.raises(ClientError) as bad:
        connections.create_connection(ConnectionName="x", ProviderType="SourceForge")
    assert bad.value.response["Error"]["Code"] == "ValidationException"
    assert "providerType" in bad.value.response["Error"]["Message"]


def test_codepipeline_tagging_still_answers_for_pipelines(aws_target: AwsTarget) -> None:
    clients = AwsClients(aws_target)
    iam = clients.client("iam")
    role = iam.create_role(
        RoleName="pipe",
        AssumeRolePolicyDocument=(
            '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole",'
            '"Principal":{"Service":"codepipeline.amazonaws.com"}}]}'
        ),
    )["Role"]["Arn"]
    pipelines = clients.client("codepipeline")
    stage = {
        "name": "Source",
        "actions": [
            {
                "name": "Source",
                "actionTypeId": {
                    "category": "Source",
                    "owner": "AWS",
                    "provider": "S3",
                    "version": "1",
                },
                "configuration": {"S3Bucket": "bucket", "S3ObjectKey": "k"},
                "outputArtifacts": [{"name": "out"}],
            }
        ],
    }
    deploy = {
        "name": "Next",
        "actions": [
            {
                "name": "Next",
                "actionTypeId": {
                    "category": "Approval",
                    "owner": "AWS",
                    "provider": "Manual",
                    "version": "1",
                },
            }
        ],
    }
    made = pipelines.create_pipeline(
        pipeline={
            "name": "p",
            "roleArn": role,
            "artifactStore": {"type": "S3", "location": "bucket"},
            "stages": [stage, deploy],
        },
        tags=[{"key": "team", "value": "web"}],
    )
    arn = pipelines.get_pipeline(name="p")["metadata"]["pipelineArn"]
    assert made["tags"] == [{"key": "team", "value": "web"}]
    assert pipelines.list_tags_for_resource(resourceArn=arn)["tags"] == [
        {"key": "team", "value": "web"}
    ]
