"""Preflight of the sources other than CodeCommit: the connection (its status) and the S3
source bucket (versioning, EventBridge notifications, the object).

Each returns `(status, detail, fix)` with `status` one of "ok", "warn", "fail", "skip"; the
preflight turns them into `PreflightCheck`s. Branches of GitHub, GitLab and Bitbucket are not
looked at: CodeConnections has no API that lists a repository's branches, and cdwizard does not
call the provider with your token.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from botocore.exceptions import ClientError

from wizard.core.connections import PROVIDER_TYPES, authorise_step, status_line
from wizard.services.aws.connections import connection_of

if TYPE_CHECKING:
    from wizard.core.answers import Answers
    from wizard.services.aws.session import AwsClients

Status = Literal["ok", "warn", "fail", "skip"]
Result = tuple[Status, str, str | None]


def connection_check(answers: Answers, clients: AwsClients, *, sandbox: bool) -> Result:
    """ConnectionStatus: AVAILABLE ok, PENDING warn (runs fail until authorised), ERROR fail."""

    source = answers.source
    if source.provider not in PROVIDER_TYPES:
        return "skip", f"the source is {source.provider}: no connection", None
    wanted = PROVIDER_TYPES[source.provider]
    found = connection_of(clients, answers)
    if found is None and source.connection_arn:
        return (
            "fail",
            f"no connection {source.connection_arn} in this account and region",
            "check the ARN (`cdwizard connection list` shows the connections), or leave "
            "source.connection_arn empty to create one",
        )
    if found is None:
        where = "`cdwizard connection --sandbox`" if sandbox else "`cdwizard connection`"
        return (
            "ok",
            f"terraform creates connection {source.connection_name} ({wanted}); it starts PENDING",
            f"after apply, authorise it once ({where} says where)",
        )
    if found.provider_type != wanted:
        return (
            "fail",
            f"connection {found.name} is a {found.provider_type} connection, but the source is "
            f"{wanted}",
            f"use a {wanted} connection (`cdwizard connection list --provider "
            f"{source.provider}`) or set source.provider",
        )
    line = status_line(found.name, found.provider_type, found.status, found.arn, sandbox=sandbox)
    if found.status == "AVAILABLE":
        return "ok", line, None
    if found.status == "PENDING":
        return (
            "warn",
            f"connection {found.name} ({found.provider_type}) is PENDING: pipeline runs fail at "
            "Source until it is authorised",
            authorise_step(found.arn, sandbox=sandbox),
        )
    what, _, fix = line.partition(": ")
    return "fail", what, fix or None


def source_bucket_check(answers: Answers, clients: AwsClients, bucket: str | None) -> Result:
    """An existing source bucket: it exists, is versioned, sends EventBridge notifications
    (for eventbridge change detection); the object is there (else the first run fails)."""

    source = answers.source
    if source.provider != "s3":
        return "skip", f"the source is {source.provider}: no source bucket", None
    if source.create_bucket:
        name = bucket or f"{answers.project}-source-<account id>"
        return (
            "ok",
            f"terraform creates {name} (versioned, EventBridge notifications on)",
            f"after apply, `cdwizard ship` uploads the payload to {source.object_key}",
        )
    assert bucket is not None
    s3 = clients.client("s3")
    try:
        versioning = s3.get_bucket_versioning(Bucket=bucket).get("Status")
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in ("NoSuchBucket", "404"):
            return (
                "fail",
                f"bucket {bucket} does not exist (or not in this account)",
                "fix source.bucket, or set source.create_bucket: true",
            )
        raise
    if versioning != "Enabled":
        return (
            "fail",
            f"bucket {bucket} is not versioned; CodePipeline's S3 source needs versioning",
            f"aws s3api put-bucket-versioning --bucket {bucket} --versioning-configuration "
            "Status=Enabled",
        )
    if source.change_detection == "eventbridge":
        notifications = s3.get_bucket_notification_configuration(Bucket=bucket)
        if "EventBridgeConfiguration" not in notifications:
            return (
                "fail",
                f"bucket {bucket} does not send its events to EventBridge, so a new object "
                "version would start nothing",
                "turn it on in the bucket's Properties > Event notifications > Amazon "
                "EventBridge (the API call put-bucket-notification-configuration replaces the "
                "whole configuration: keep its other notifications in it), or use "
                "source.change_detection: poll",
            )
    try:
        s3.head_object(Bucket=bucket, Key=source.object_key)
    except ClientError:
        return (
            "warn",
            f"bucket {bucket} is ready, but {source.object_key} is not there yet: the first "
            "run fails until it is",
            "upload the payload after apply: `cdwizard ship`",
        )
    return "ok", f"bucket {bucket} is versioned and holds {source.object_key}", None
