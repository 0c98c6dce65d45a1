"""doctor's checks of the sources other than CodeCommit, against the moto server over HTTP (with
the sandbox's CodeConnections extension): the connection's ConnectionStatus (AVAILABLE ok,
PENDING warn with where to authorise it, ERROR and a wrong provider fail) and an existing S3
source bucket (versioning, EventBridge notifications, the object)."""

from __future__ import annotations

from typing import Any

import pytest

from wizard.core.answers import Answers, validate_mapping
from wizard.services.aws.session import AwsClients, AwsTarget
from wizard.services.aws.source_checks import connection_check, source_bucket_check
from wizard.services.sandbox.console import authorize_connection, revoke_connection


def answers(**source: Any) -> Answers:
    return validate_mapping({"version": 1, "project": "shop", "source": source})


GITHUB = {"provider": "github", "repository_id": "my-org/shop", "branch": "main"}


@pytest.fixture
def clients(aws_target: AwsTarget) -> AwsClients:
    return AwsClients(aws_target)


def test_connection_status_decides(clients: AwsClients, aws_target: AwsTarget) -> None:
    # before apply: terraform will create it, and it will start PENDING
    status, detail, fix = connection_check(answers(**GITHUB), clients, sandbox=False)
    assert status == "ok" and "terraform creates connection shop (GitHub)" in detail
    assert fix and "authorise it once" in fix

    arn = clients.client("codestar-connections").create_connection(
        ConnectionName="shop", ProviderType="GitHub"
    )["ConnectionArn"]
    status, detail, fix = connection_check(answers(**GITHUB), clients, sandbox=False)
    assert status == "warn" and "is PENDING: pipeline runs fail at Source" in detail
    connection_id = arn.rsplit("/", 1)[1]
    assert fix and f"connections/{connection_id}?region=eu-west-1" in fix  # its console page
    status, _, fix = connection_check(answers(**GITHUB), clients, sandbox=True)
    assert fix and "cdwizard connection authorize --sandbox" in fix

    authorize_connection(aws_target, arn)
    assert connection_check(answers(**GITHUB), clients, sandbox=False)[0] == "ok"
    revoke_connection(aws_target, arn)
    status, detail, _ = connection_check(answers(**GITHUB), clients, sandbox=False)
    assert status == "fail" and "is in ERROR" in detail


def test_a_named_connection_must_exist_and_fit_the_provider(clients: AwsClients) -> None:
    gitlab = clients.client("codestar-connections").create_connection(
        ConnectionName="team", ProviderType="GitLab"
    )["ConnectionArn"]
    status, detail, _ = connection_check(
        answers(**GITHUB, connection_arn=gitlab), clients, sandbox=False
    )
    assert status == "fail" and "is a GitLab connection, but the source is GitHub" in detail
    missing = gitlab.rsplit("/", 1)[0] + "/0000aaaa-0000"
    status, detail, fix = connection_check(
        answers(**GITHUB, connection_arn=missing), clients, sandbox=False
    )
    assert status == "fail" and "no connection" in detail
    assert fix and "cdwizard connection list" in fix


def test_other_sources_skip_the_checks(clients: AwsClients) -> None:
    codecommit = answers(provider="codecommit")
    assert connection_check(codecommit, clients, sandbox=False)[0] == "skip"
    assert source_bucket_check(codecommit, clients, None)[0] == "skip"


def test_an_existing_source_bucket(clients: AwsClients) -> None:
    s3 = clients.client("s3")
    s3.create_bucket(
        Bucket="shop-source", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    given = {"provider": "s3", "bucket": "shop-source", "create_bucket": False}
    status, detail, fix = source_bucket_check(answers(**given), clients, "shop-source")
    assert status == "fail" and "not versioned" in detail
    assert fix and "put-bucket-versioning --bucket shop-source" in fix

    s3.put_bucket_versioning(Bucket="shop-source", VersioningConfiguration={"Status": "Enabled"})
    status, detail, _ = source_bucket_check(answers(**given), clients, "shop-source")
    assert status == "fail" and "does not send its events to EventBridge" in detail

    polled = {**given, "change_detection": "poll"}
    status, detail, fix = source_bucket_check(answers(**polled), clients, "shop-source")
    assert status == "warn" and "is not there yet" in detail and fix and "cdwizard ship" in fix
    s3.put_object(Bucket="shop-source", Key="shop/payload.zip", Body=b"PK")
    assert source_bucket_check(answers(**polled), clients, "shop-source")[0] == "ok"

    status, detail, _ = source_bucket_check(
        answers(provider="s3", bucket="nope-bucket", create_bucket=False), clients, "nope-bucket"
    )
    assert status == "fail" and "does not exist" in detail
