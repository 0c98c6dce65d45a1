"""`cdwizard ship` for every source: where the payload goes, the plan, the push.

- CodeCommit: the CodeCommit API, no git, no credentials (`wizard.services.aws.ship`);
- GitHub, GitLab, Bitbucket: the user's own git, to the remote they name or the one of the
  current repository that points at the repository (`wizard.services.gitpush`); in the sandbox,
  to its bare repository of that id (`wizard.services.sandbox.git_remotes`);
- S3: one zip, `s3:PutObject` to the source key (`wizard.services.aws.s3_ship`).

Every plan says what it will do (`describe`), shows the exact calls for a dry run (`details`)
and, executed, reports the revision the pipeline will run: a commit id, or the S3 version id
(the monitor follows the execution of that revision).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from wizard.core.events.base import Event
from wizard.core.events.pipeline import CommitPushed, ObjectUploaded
from wizard.services.aws.s3_ship import S3Shipment, plan_upload
from wizard.services.aws.ship import ShipError, ShipFile, ShipPlan, execute_ship, plan_ship
from wizard.services.gitpush import GitShipment, plan_push, redact, resolve_remote

if TYPE_CHECKING:
    from wizard.core.answers import Answers
    from wizard.services.aws.session import AwsClients

Kind = Literal["codecommit", "git", "s3"]


@dataclass(frozen=True)
class Destination:
    """Where the answers' source takes its revisions from."""

    kind: Kind
    provider: str
    project: str
    repository: str | None = None
    branch: str | None = None
    bucket: str | None = None
    key: str | None = None

    @property
    def label(self) -> str:
        if self.kind == "s3":
            return f"s3://{self.bucket or '<project>-source-<account id>'}/{self.key}"
        return f"{self.repository}:{self.branch}"


def destination_of(answers: Answers) -> Destination:
    source = answers.source
    if source.provider == "codecommit":
        return Destination(
            "codecommit", "codecommit", answers.project, source.repository, source.branch
        )
    if source.provider == "s3":
        return Destination("s3", "s3", answers.project, bucket=source.bucket, key=source.object_key)
    return Destination("git", source.provider, answers.project, source.repository_id, source.branch)


@dataclass(frozen=True)
class Shipped:
    """What a ship did: the revision the pipeline runs next, and the event that says so."""

    revision_id: str
    unchanged: bool
    event: Event
    #: `repository/branch` or `s3://bucket/key`
    label: str
    verb: str = "pushed"


class Shipment(Protocol):
    """A planned ship. `api` names what it calls (for the confirmation screen)."""

    @property
    def api(self) -> str: ...

    def params(self) -> dict[str, Any]:
        """The call's main parameters, for the confirmation screen."""
        ...

    def describe(self) -> str: ...

    def details(self, message: str) -> list[str]: ...

    def execute(
        self, *, message: str, author: str | None = None, email: str | None = None
    ) -> Shipped: ...


@dataclass(frozen=True)
class CodeCommitShipment:
    clients: AwsClients
    plan: ShipPlan
    api: str = "codecommit:CreateCommit"

    def describe(self) -> str:
        return self.plan.describe()

    def params(self) -> dict[str, Any]:
        return {
            "repositoryName": self.plan.repository,
            "branchName": self.plan.branch,
            "files": len(self.plan.files),
        }

    def details(self, message: str) -> list[str]:
        return [f"  {f.mode.lower():10} {f.path}" for f in self.plan.files]

    def execute(
        self, *, message: str, author: str | None = None, email: str | None = None
    ) -> Shipped:
        done = execute_ship(
            self.clients, self.plan, message=message, author=author or "cdwizard", email=email
        )
        return _pushed(done)


def _pushed(done: Any) -> Shipped:
    """What a commit pushed to a branch (CodeCommit's API or git) reports."""
    event = CommitPushed(
        repository=done.repository,
        branch=done.branch,
        commit_id=done.commit_id,
        files=done.files,
        created_branch=done.created_branch,
        unchanged=done.unchanged,
    )
    return Shipped(done.commit_id, done.unchanged, event, f"{done.repository}/{done.branch}")


@dataclass(frozen=True)
class GitPushShipment:
    plan: GitShipment
    api: str = "git push"

    def describe(self) -> str:
        return self.plan.describe()

    def params(self) -> dict[str, Any]:
        return {
            "remote": redact(self.plan.url),
            "branch": self.plan.branch,
            "files": len(self.plan.files),
        }

    def details(self, message: str) -> list[str]:
        return [f"  $ {line}" for line in self.plan.details(message)]

    def execute(
        self, *, message: str, author: str | None = None, email: str | None = None
    ) -> Shipped:
        who = (author, email or f"{author}@users.noreply.local") if author else None
        done = self.plan.execute(message=message, author=who)
        return _pushed(done)


@dataclass(frozen=True)
class S3UploadShipment:
    plan: S3Shipment
    api: str = "s3:PutObject"

    def describe(self) -> str:
        return self.plan.describe()

    def params(self) -> dict[str, Any]:
        return {"Bucket": self.plan.bucket, "Key": self.plan.key, "files": len(self.plan.files)}

    def details(self, message: str) -> list[str]:
        return [f"  {line}" for line in self.plan.details(message)]

    def execute(
        self, *, message: str, author: str | None = None, email: str | None = None
    ) -> Shipped:
        done = self.plan.execute(message=message)
        event = ObjectUploaded(
            bucket=done.bucket,
            key=done.key,
            version_id=done.version_id,
            etag=done.etag,
            files=done.files,
            unchanged=done.unchanged,
        )
        label = f"s3://{done.bucket}/{done.key}"
        return Shipped(done.version_id, done.unchanged, event, label, verb="uploaded")


def source_bucket(destination: Destination, clients: AwsClients) -> str:
    """The S3 source bucket: the answers' name, else `<project>-source-<account id>`."""
    if destination.bucket:
        return destination.bucket
    account = clients.client("sts").get_caller_identity()["Account"]
    return f"{destination.project}-source-{account}"


def plan_shipment(
    destination: Destination,
    files: Sequence[ShipFile],
    *,
    clients: AwsClients,
    workspace: Path,
    remote: str | None = None,
    cwd: Path | None = None,
    sandbox_git: Path | None = None,
) -> Shipment:
    """Read the destination (never write) and plan the ship.

    `sandbox_git`: the sandbox's bare repositories (a connection source then pushes there; the
    repository is created empty on first use, as one is on the provider's website)."""
    if destination.kind == "codecommit":
        assert destination.repository and destination.branch
        return CodeCommitShipment(
            clients, plan_ship(clients, destination.repository, destination.branch, files)
        )
    if destination.kind == "s3":
        assert destination.key
        bucket = source_bucket(destination, clients)
        return S3UploadShipment(plan_upload(clients, bucket, destination.key, files))
    assert destination.repository and destination.branch
    if sandbox_git is not None:
        from wizard.services.sandbox.extensions.delivery import catch_up
        from wizard.services.sandbox.git_remotes import RemoteError, ensure_repository
        from wizard.services.sandbox.launcher import ACCOUNT_ID

        # runs due since the last command read the repository before this push changes it
        catch_up(ACCOUNT_ID, clients.target.region)

        try:
            url = str(ensure_repository(sandbox_git, destination.provider, destination.repository))
        except RemoteError as exc:
            raise ShipError(str(exc)) from None
    else:
        url = resolve_remote(remote, destination.repository, cwd or Path.cwd())
    return GitPushShipment(
        plan_push(url, destination.branch, files, workspace=workspace, label=destination.repository)
    )


__all__ = [
    "CodeCommitShipment",
    "Destination",
    "GitPushShipment",
    "S3UploadShipment",
    "ShipError",
    "Shipment",
    "Shipped",
    "destination_of",
    "plan_shipment",
    "source_bucket",
]
