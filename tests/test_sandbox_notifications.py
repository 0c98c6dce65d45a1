"""CodeStar Notifications and SNS email subscriptions in the sandbox: over HTTP with boto3
against the moto server (the emulator extensions `notifications` and `sns_email`), and with the
real hashicorp/aws provider (tests/data/sandbox_tf_notifications/main.tf: create, re-plan
clean, destroy)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from wizard.core.answers import default_answers
from wizard.core.events.terraform import TfCommandFinished, TfDiagnostic
from wizard.core.progress import replay
from wizard.core.render import render
from wizard.services.aws.session import AwsClients, AwsTarget
from wizard.services.sandbox import sandbox_render_context
from wizard.services.sandbox.launcher import Sandbox
from wizard.services.terraform.binary import probe
from wizard.services.terraform.commands import DESTROY_PLAN_FILE
from wizard.services.terraform.runner import TerraformRunner, terraform_env

FIXTURE = Path(__file__).parent / "data" / "sandbox_tf_notifications" / "main.tf"

PIPELINE_ARN = "arn:aws:codepipeline:eu-west-1:123456789012:shop-pipeline"
EVENTS = [
    "codepipeline-pipeline-pipeline-execution-failed",
    "codepipeline-pipeline-pipeline-execution-succeeded",
    "codepipeline-pipeline-manual-approval-needed",
]


@pytest.fixture
def clients(aws_target: AwsTarget) -> AwsClients:
    return AwsClients(aws_target)


def _topic(sns: Any, *, policy: bool = True) -> str:
    arn = str(sns.create_topic(Name="shop-notifications")["TopicArn"])
    if policy:
        document = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "codestar-notifications.amazonaws.com"},
                    "Action": "SNS:Publish",
                    "Resource": arn,
                }
            ],
        }
        sns.set_topic_attributes(
            TopicArn=arn, AttributeName="Policy", AttributeValue=json.dumps(document)
        )
    return arn


def _code(failed: pytest.ExceptionInfo[ClientError]) -> str:
    return str(failed.value.response["Error"]["Code"])


def test_notification_rule_lifecycle(clients: AwsClients) -> None:
    notifications = clients.client("codestar-notifications")
    topic = _topic(clients.client("sns"))
    arn = notifications.create_notification_rule(
        Name="shop-pipeline",
        EventTypeIds=EVENTS,
        Resource=PIPELINE_ARN,
        Targets=[{"TargetType": "SNS", "TargetAddress": topic}],
        DetailType="FULL",
        Tags={"team": "web"},
    )["Arn"]
    assert arn.startswith("arn:aws:codestar-notifications:eu-west-1:123456789012:notificationrule/")
    rule = notifications.describe_notification_rule(Arn=arn)
    assert rule["Name"] == "shop-pipeline"
    assert rule["Status"] == "ENABLED"
    assert rule["Resource"] == PIPELINE_ARN
    assert [e["EventTypeId"] for e in rule["EventTypes"]] == EVENTS
    assert rule["EventTypes"][0]["ServiceName"] == "CodePipeline"
    assert rule["EventTypes"][0]["ResourceType"] == "Pipeline"
    assert rule["Targets"] == [
        {"TargetAddress": topic, "TargetType": "SNS", "TargetStatus": "ACTIVE"}
    ]
    assert rule["Tags"] == {"team": "web"}
    assert rule["CreatedBy"] == "arn:aws:iam::123456789012:root"

    notifications.update_notification_rule(Arn=arn, Status="DISABLED", DetailType="BASIC")
    rule = notifications.describe_notification_rule(Arn=arn)
    assert (rule["Status"], rule["DetailType"]) == ("DISABLED", "BASIC")

    other = "arn:aws:sns:eu-west-1:123456789012:elsewhere"  # no such topic: unreachable
    notifications.subscribe(Arn=arn, Target={"TargetType": "SNS", "TargetAddress": other})
    targets = {
        t["TargetAddress"]: t["TargetStatus"] for t in notifications.list_targets()["Targets"]
    }
    assert targets == {topic: "ACTIVE", other: "UNREACHABLE"}
    listed = notifications.list_notification_rules(
        Filters=[{"Name": "TARGET_ADDRESS", "Value": other}]
    )["NotificationRules"]
    assert [r["Arn"] for r in listed] == [arn]
    assert listed[0]["Id"] == arn.rsplit("/", 1)[-1]
    notifications.unsubscribe(Arn=arn, TargetAddress=other)
    assert [
        r["Arn"]
        for r in notifications.list_notification_rules(
            Filters=[{"Name": "TARGET_ADDRESS", "Value": other}]
        )["NotificationRules"]
    ] == []
    notifications.delete_target(TargetAddress=other)
    with pytest.raises(ClientError) as used:
        notifications.delete_target(TargetAddress=topic)
    assert _code(used) == "ValidationException"

    notifications.tag_resource(Arn=arn, Tags={"env": "dev"})
    notifications.untag_resource(Arn=arn, TagKeys=["team"])
    assert notifications.list_tags_for_resource(Arn=arn)["Tags"] == {"env": "dev"}

    notifications.delete_notification_rule(Arn=arn)
    with pytest.raises(ClientError) as gone:
        notifications.describe_notification_rule(Arn=arn)
    assert _code(gone) == "ResourceNotFoundException"
    assert gone.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    notifications.delete_target(TargetAddress=topic)
    assert notifications.list_targets()["Targets"] == []


def test_notification_rules_are_validated_as_aws(clients: AwsClients) -> None:
    notifications = clients.client("codestar-notifications")
    topic = _topic(clients.client("sns"), policy=False)
    base: dict[str, Any] = {
        "Name": "shop-pipeline",
        "EventTypeIds": EVENTS,
        "Resource": PIPELINE_ARN,
        "Targets": [{"TargetType": "SNS", "TargetAddress": topic}],
        "DetailType": "FULL",
    }
    arn = notifications.create_notification_rule(**base)["Arn"]
    # a topic whose policy does not let CodeStar Notifications publish cannot be reached
    [target] = notifications.describe_notification_rule(Arn=arn)["Targets"]
    assert target["TargetStatus"] == "UNREACHABLE"
    cases = {
        "ResourceAlreadyExistsException": {},
        "ValidationException": {
            "EventTypeIds": ["codedeploy-application-deployment-failed"],
            "Name": "wrong-resource",
        },
    }
    for code, change in cases.items():
        with pytest.raises(ClientError) as failed:
            notifications.create_notification_rule(**{**base, **change})
        assert _code(failed) == code, change
    with pytest.raises(ClientError) as unknown:
        notifications.create_notification_rule(
            **{**base, "Name": "other", "EventTypeIds": ["codepipeline-pipeline-no-such-event"]}
        )
    assert _code(unknown) == "ValidationException"
    with pytest.raises(ClientError) as reserved:
        notifications.create_notification_rule(**{**base, "Name": "other", "Tags": {"aws:x": "1"}})
    assert _code(reserved) == "ValidationException"
    deployments = notifications.create_notification_rule(
        **{
            **base,
            "Name": "shop-deployments",
            "EventTypeIds": ["codedeploy-application-deployment-failed"],
            "Resource": "arn:aws:codedeploy:eu-west-1:123456789012:application:shop",
        }
    )["Arn"]
    assert notifications.describe_notification_rule(Arn=deployments)["EventTypes"] == [
        {
            "EventTypeId": "codedeploy-application-deployment-failed",
            "ServiceName": "CodeDeploy",
            "EventTypeName": "Deployment: Failed",
            "ResourceType": "Application",
        }
    ]
    types = notifications.list_event_types(
        Filters=[{"Name": "SERVICE_NAME", "Value": "CodePipeline"}]
    )["EventTypes"]
    assert "codepipeline-pipeline-manual-approval-needed" in {t["EventTypeId"] for t in types}
    with pytest.raises(ClientError) as nowhere:
        notifications.subscribe(
            Arn=arn.replace(arn.rsplit("/", 1)[-1], "0" * 40),
            Target={"TargetType": "SNS", "TargetAddress": topic},
        )
    assert _code(nowhere) == "ResourceNotFoundException"


def test_email_subscriptions_wait_for_confirmation(clients: AwsClients) -> None:
    sns = clients.client("sns")
    topic = _topic(sns)
    answer = sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="ops@example.com")
    assert answer["SubscriptionArn"] == "pending confirmation"
    arn = sns.subscribe(
        TopicArn=topic,
        Protocol="email",
        Endpoint="ops@example.com",
        ReturnSubscriptionArn=True,
    )["SubscriptionArn"]
    assert arn.startswith(f"{topic}:")
    attributes = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    assert attributes["PendingConfirmation"] == "true"
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["SubscriptionsPending"] == "1"
    with pytest.raises(ClientError) as refused:
        sns.unsubscribe(SubscriptionArn=arn)
    assert _code(refused) == "InvalidParameter"
    assert "pending confirmation" in refused.value.response["Error"]["Message"]
    [listed] = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert (listed["SubscriptionArn"], listed["Endpoint"]) == (
        "PendingConfirmation",
        "ops@example.com",
    )
    queue = sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint="arn:aws:sqs:eu-west-1:123456789012:q",
        ReturnSubscriptionArn=True,
    )["SubscriptionArn"]
    assert (
        sns.get_subscription_attributes(SubscriptionArn=queue)["Attributes"]["PendingConfirmation"]
        == "false"
    )
    sns.unsubscribe(SubscriptionArn=queue)
    sns.delete_topic(TopicArn=topic)
    with pytest.raises(ClientError) as gone:
        sns.get_subscription_attributes(SubscriptionArn=arn)
    assert _code(gone) == "NotFound"


async def _run(events: Any) -> list[Any]:
    out = [e async for e in events]
    errors = [e.summary() for e in out if isinstance(e, TfDiagnostic) and e.severity == "error"]
    assert isinstance(out[-1], TfCommandFinished)
    assert out[-1].exit_code in (0, 2), errors
    return out


@pytest.mark.slow
@pytest.mark.terraform
@pytest.mark.mirror
async def test_the_provider_creates_and_destroys_notifications(
    tmp_path: Path, terraform_bin: str, tf_cli_config: Path
) -> None:
    shutil.copy(FIXTURE, tmp_path / "main.tf")
    for rel, rendered in render(default_answers(), sandbox=sandbox_render_context()).items():
        if rel in ("terraform/sandbox_override.tf", "terraform/sandbox_variables.tf"):
            (tmp_path / Path(rel).name).write_bytes(rendered.content)
    with Sandbox(log_file=tmp_path / "sandbox.log") as box:
        env = terraform_env(cli_config=tf_cli_config, extra=box.terraform_env())
        runner = TerraformRunner(tmp_path, probe(terraform_bin), env=env)
        await _run(runner.init())
        await _run(runner.plan())
        applied = await _run(runner.apply())
        assert replay(applied).counts().done == 8
        assert runner.last is not None and runner.last.exit_code == 0
        clean = await _run(runner.plan())
        assert clean[-1].exit_code == 0  # no perpetual diff

        notifications = box.clients.client("codestar-notifications")
        [listed] = notifications.list_notification_rules()["NotificationRules"]
        rule = notifications.describe_notification_rule(Arn=listed["Arn"])
        assert rule["Resource"].endswith(":notify-pipeline")
        assert [t["TargetStatus"] for t in rule["Targets"]] == ["ACTIVE"]
        sns = box.clients.client("sns")
        [subscription] = sns.list_subscriptions()["Subscriptions"]
        assert subscription["SubscriptionArn"] == "PendingConfirmation"
        state = json.loads((tmp_path / "terraform.tfstate").read_text())
        attributes = sns.get_subscription_attributes(
            SubscriptionArn=state["outputs"]["subscription_arn"]["value"]
        )["Attributes"]
        assert attributes["PendingConfirmation"] == "true"

        await _run(runner.plan(destroy=True, out=DESTROY_PLAN_FILE))
        await _run(runner.apply(plan=DESTROY_PLAN_FILE))
        assert notifications.list_notification_rules()["NotificationRules"] == []
        assert notifications.list_targets()["Targets"] == []
        assert sns.list_topics()["Topics"] == []
        assert sns.list_subscriptions()["Subscriptions"] == []
        assert box.clients.client("codepipeline").list_pipelines()["pipelines"] == []
