"""Ship the payload to an S3 source: one deterministic zip, `s3:PutObject` to the source key.

The new object version starts the pipeline (S3's EventBridge notification and the rule that
targets the pipeline, or polling). The zip has fixed timestamps, so the same payload gives the
same ETag: when the current version already holds it, nothing is uploaded (`unchanged`). The
commit message travels as the object's `codepipeline-artifact-revision-summary` metadata, which
CodePipeline shows as the revision's summary.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from wizard.core.events.base import plural
from wizard.services.aws.ship import ShipError, ShipFile

if TYPE_CHECKING:
    from wizard.services.aws.session import AwsClients

SUMMARY_METADATA = "codepipeline-artifact-revision-summary"
_EPOCH = (1980, 1, 1, 0, 0, 0)


def payload_zip(files: Sequence[ShipFile]) -> bytes:
    """The files as a zip CodeDeploy can install: files at the root, executable bits kept,
    deterministic (sorted, fixed timestamps)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for f in sorted(files, key=lambda f: f.path):
            info = zipfile.ZipInfo(f.path, date_time=_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (0o100755 if f.executable else 0o100644) << 16
            archive.writestr(info, f.content)
    return out.getvalue()


@dataclass(frozen=True)
class S3Uploaded:
    bucket: str
    key: str
    version_id: str
    etag: str
    files: int
    unchanged: bool


@dataclass(frozen=True)
class S3Shipment:
    bucket: str
    key: str
    files: tuple[ShipFile, ...]
    content: bytes
    #: the version the key holds now when it is exactly this zip (None: upload)
    current_version: str | None
    clients: AwsClients

    @property
    def md5(self) -> str:
        return hashlib.md5(self.content, usedforsecurity=False).hexdigest()

    def describe(self) -> str:
        size = max(1, len(self.content) // 1024)
        if self.current_version:
            return (
                f"s3://{self.bucket}/{self.key} already holds this payload (version "
                f"{self.current_version}): nothing to upload"
            )
        return (
            f"Upload {plural(len(self.files), 'file')} as one {size} KB zip to "
            f"s3://{self.bucket}/{self.key} with s3:PutObject; its new version starts the "
            "pipeline."
        )

    def details(self, message: str) -> list[str]:
        return [
            f"s3:PutObject Bucket={self.bucket} Key={self.key} ({len(self.content)} bytes, "
            f"MD5 {self.md5}, ContentType=application/zip, "
            f"Metadata {SUMMARY_METADATA}={message!r})",
            *(f"  {'executable' if f.executable else 'normal':10} {f.path}" for f in self.files),
        ]

    def execute(self, *, message: str) -> S3Uploaded:
        if self.current_version:
            return S3Uploaded(
                self.bucket, self.key, self.current_version, self.md5, len(self.files), True
            )
        out = self.clients.client("s3").put_object(
            Bucket=self.bucket,
            Key=self.key,
            Body=self.content,
            ContentType="application/zip",
            Metadata={SUMMARY_METADATA: message[:1024]},
        )
        version = out.get("VersionId")
        if not version or version == "null":
            raise ShipError(
                f"bucket {self.bucket} is not versioned, and CodePipeline's S3 source reads a "
                "versioned bucket only: turn versioning on (aws s3api put-bucket-versioning "
                f"--bucket {self.bucket} --versioning-configuration Status=Enabled)"
            )
        return S3Uploaded(
            self.bucket,
            self.key,
            str(version),
            str(out.get("ETag", "")).strip('"'),
            len(self.files),
            False,
        )


def plan_upload(
    clients: AwsClients, bucket: str, key: str, files: Sequence[ShipFile]
) -> S3Shipment:
    """Zip the payload and look at the key's current version (read only)."""

    if not files:
        raise ShipError("nothing to ship: the payload has no files")
    content = payload_zip(files)
    md5 = hashlib.md5(content, usedforsecurity=False).hexdigest()
    s3 = clients.client("s3")
    current = None
    try:
        head = s3.head_object(Bucket=bucket, Key=key)
        if str(head.get("ETag", "")).strip('"') == md5:
            current = head.get("VersionId")
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in ("NoSuchBucket",) or (code == "404" and not _bucket_exists(clients, bucket)):
            raise ShipError(
                f"source bucket {bucket} does not exist: run `cdwizard apply` (it creates it "
                "with source.create_bucket: true) or fix source.bucket"
            ) from None
        if code not in ("404", "NoSuchKey", "NotFound"):
            raise
    return S3Shipment(bucket, key, tuple(files), content, current, clients)


def _bucket_exists(clients: AwsClients, bucket: str) -> bool:

    try:
        clients.client("s3").head_bucket(Bucket=bucket)
    except ClientError:
        return False
    return True
