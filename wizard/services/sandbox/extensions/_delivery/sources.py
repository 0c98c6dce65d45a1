"""Source actions beyond CodeCommit, and what each pipeline source watches for new revisions.

- `CodeStarSourceConnection` (GitHub, GitLab, Bitbucket): the connection must be AVAILABLE;
  the repository is the sandbox's bare git repository of the connection's provider and the
  `FullRepositoryId` (`wizard.services.sandbox.git_remotes`); the branch head is zipped with
  `git archive`. A push starts the pipeline through the connection's webhook: on a V2 pipeline
  when a push trigger's branch filters match (no trigger: any push to the branch), on V1 unless
  `DetectChanges` is false -- and only while the connection is AVAILABLE (a pending connection
  has no app installed to send the webhook).
- `S3`: the newest version of the object in a versioned bucket. A new version starts the
  pipeline through S3's own EventBridge notification and the rule targeting the pipeline
  (`events_hook`), or by polling (PollForSourceChanges).

Failures carry CodePipeline's wording where AWS documents or reports it ("[GitHub] No Branch
[main] found for FullRepositoryName [owner/repo]", "Unable to use Connection ... The provided
role does not have sufficient permissions.").
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import quote

from wizard.services.sandbox import git_remotes
from wizard.services.sandbox.extensions import connections
from wizard.services.sandbox.extensions._delivery.world import World

CONNECTION = "CodeStarSourceConnection"


class SourceFailed(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Revision:
    """What a source action read: the revision, the zip to store, its output variables."""

    revision_id: str
    summary: str | None
    created: float
    content: bytes
    variables: dict[str, str]
    url: str | None = None
    external_summary: str | None = None


def _stamp(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _console(world: World) -> str:
    return f"https://{world.region}.console.aws.amazon.com"


# --- connections --------------------------------------------------------------------------


def connection_of(world: World, arn: str) -> dict[str, Any] | None:
    return connections.find(world.codepipeline, arn)


def _provider_label(connection: dict[str, Any] | None) -> str:
    return str(connection["provider_type"]) if connection else "Connection"


def repository_of(connection: dict[str, Any], full_id: str) -> Any:
    """The bare repository a connection's FullRepositoryId names in the sandbox (or None)."""
    base = git_remotes.root()
    if base is None:
        return None
    return git_remotes.repository_path(base, str(connection["provider_type"]), full_id)


def read_connection(world: World, config: dict[str, Any], override: str | None) -> Revision:
    arn = str(config.get("ConnectionArn") or "")
    full_id = str(config.get("FullRepositoryId") or "")
    branch = str(config.get("BranchName") or "")
    connection = connection_of(world, arn)
    label = _provider_label(connection)
    if connection is None or connection["status"] != "AVAILABLE":
        raise SourceFailed(
            "ConfigurationError",
            f"[{label}] Unable to use Connection: {arn}. The provided role does not have "
            "sufficient permissions.",
        )
    repository = repository_of(connection, full_id)
    head = override or (
        git_remotes.branch_head(repository, branch) if repository is not None else None
    )
    commit = git_remotes.read_commit(repository, head) if head and repository else None
    if commit is None:
        raise SourceFailed(
            "ConfigurationError",
            f"[{label}] No Branch [{branch}] found for FullRepositoryName [{full_id}]",
        )
    try:
        content = git_remotes.archive_zip(repository, commit.commit_id)
    except git_remotes.RemoteError as exc:
        raise SourceFailed("JobFailed", f"[{label}] {exc}") from None
    url = (
        f"{_console(world)}/codesuite/settings/connections/redirect?connectionArn="
        f"{quote(arn, safe='')}&referenceType=COMMIT&FullRepositoryId={quote(full_id, safe='')}"
        f"&Commit={commit.commit_id}"
    )
    summary = json.dumps({"ProviderType": label, "CommitMessage": commit.message})
    return Revision(
        revision_id=commit.commit_id,
        summary=summary,
        created=commit.authored,
        content=content,
        url=url,
        external_summary=commit.message,
        variables={
            "AuthorDate": _stamp(commit.authored),
            "BranchName": branch,
            "CommitId": commit.commit_id,
            "CommitMessage": commit.message,
            "ConnectionArn": arn,
            "FullRepositoryName": full_id,
        },
    )


# --- S3 -----------------------------------------------------------------------------------

#: The object metadata CodePipeline shows as an S3 revision's summary.
SUMMARY_METADATA = "codepipeline-artifact-revision-summary"


def _s3_object(world: World, bucket: str, key: str, version: str | None = None) -> Any:
    try:
        return world.s3.get_object(bucket, key, version_id=version)
    except Exception:  # moto's MissingBucket / MissingKey / MissingVersion
        return None


def _versioned(world: World, bucket: str) -> bool | None:
    try:
        found = world.s3.get_bucket(bucket)
    except Exception:
        return None
    return str(getattr(found, "versioning_status", "") or "") == "Enabled"


def read_s3(world: World, config: dict[str, Any], overrides: dict[str, str]) -> Revision:
    bucket = str(config.get("S3Bucket") or "")
    key = overrides.get("S3_OBJECT_KEY") or str(config.get("S3ObjectKey") or "")
    versioned = _versioned(world, bucket)
    if versioned is None:
        raise SourceFailed(
            "ConfigurationError",
            f"The Amazon S3 bucket named {bucket} does not exist, or the service role does not "
            "have permission to access it.",
        )
    if not versioned:
        raise SourceFailed(
            "ConfigurationError",
            f"The Amazon S3 bucket named {bucket} is not versioned. Enable versioning on the "
            "bucket, and then try again.",
        )
    found = _s3_object(world, bucket, key, overrides.get("S3_OBJECT_VERSION_ID"))
    if found is None:
        raise SourceFailed(
            "ConfigurationError",
            f"The object with key {key} does not exist in the Amazon S3 bucket {bucket}. Upload "
            "the source as a zip file to that key, and then try again.",
        )
    etag = str(found.etag).strip('"')
    version = str(found.version_id)
    metadata = {str(k).lower(): str(v) for k, v in (getattr(found, "metadata", {}) or {}).items()}
    summary = metadata.get(SUMMARY_METADATA) or metadata.get(f"x-amz-meta-{SUMMARY_METADATA}")
    modified: Any = getattr(found, "last_modified", None)
    created = float(modified.timestamp()) if modified is not None else 0.0
    url = (
        f"{_console(world)}/s3/object/{bucket}?region={world.region}&prefix={quote(key)}"
        f"&versionId={version}"
    )
    return Revision(
        revision_id=version,
        summary=summary,
        created=created,
        content=bytes(found.value),
        url=url,
        external_summary=summary,
        variables={"ETag": etag, "VersionId": version},
    )


# --- what starts a pipeline ---------------------------------------------------------------


@dataclass(frozen=True)
class Watch:
    """One source a pipeline watches. `key` names it in `PipelineRuns.heads` (CodeCommit keeps
    the `<repository>/<branch>` form saved states already hold)."""

    key: str
    kind: Literal["codecommit", "connection", "s3"]
    polls: bool = False
    #: for a connection: the trigger type a push starts (None: pushes do not start it)
    trigger: str | None = None
    detail: str | None = None
    params: dict[str, str] = field(default_factory=dict)


def _branch_filters(pipeline: Any, action: str) -> list[dict[str, Any]] | None:
    """The push branch filters of the V2 triggers on this source action (None: no trigger)."""
    triggers = [
        t
        for t in pipeline.pipeline.get("triggers") or []
        if (t.get("gitConfiguration") or {}).get("sourceActionName") == action
    ]
    if not triggers:
        return None
    filters: list[dict[str, Any]] = []
    for trigger in triggers:
        for push in (trigger.get("gitConfiguration") or {}).get("push") or []:
            filters.append(push.get("branches") or {})
    return filters


def push_starts(pipeline: Any, action: str, branch: str, config: dict[str, Any]) -> bool:
    """Whether a push to `branch` starts the pipeline through this connection source."""
    if str(pipeline.pipeline.get("pipelineType") or "V1") == "V2":
        filters = _branch_filters(pipeline, action)
        if filters is not None:
            return any(_matches(branch, f) for f in filters)
    return str(config.get("DetectChanges", "true")).lower() != "false"


def _matches(branch: str, branches: dict[str, Any]) -> bool:
    includes = branches.get("includes") or []
    excludes = branches.get("excludes") or []
    if includes and not any(fnmatch.fnmatchcase(branch, p) for p in includes):
        return False
    return not any(fnmatch.fnmatchcase(branch, p) for p in excludes)


def watches(world: World, pipeline: Any, first_stage: list[dict[str, Any]]) -> list[Watch]:
    found: list[Watch] = []
    v2 = str(pipeline.pipeline.get("pipelineType") or "V1") == "V2"
    for action in first_stage:
        provider = (action.get("actionTypeId") or {}).get("provider")
        config = action.get("configuration") or {}
        polls = str(config.get("PollForSourceChanges", "true")).lower() != "false"
        if provider == "CodeCommit":
            repository, branch = str(config.get("RepositoryName")), str(config.get("BranchName"))
            found.append(
                Watch(
                    f"{repository}/{branch}",
                    "codecommit",
                    polls=polls,
                    params={"repository": repository, "branch": branch},
                )
            )
        elif provider == CONNECTION:
            arn = str(config.get("ConnectionArn") or "")
            full_id, branch = str(config.get("FullRepositoryId")), str(config.get("BranchName"))
            starts = push_starts(pipeline, str(action.get("name")), branch, config)
            found.append(
                Watch(
                    f"connection:{arn}:{full_id}@{branch}",
                    "connection",
                    trigger=("WebhookV2" if v2 else "Webhook") if starts else None,
                    detail=arn,
                    params={"arn": arn, "full_id": full_id, "branch": branch},
                )
            )
        elif provider == "S3":
            bucket, key = str(config.get("S3Bucket")), str(config.get("S3ObjectKey"))
            found.append(
                Watch(
                    f"s3:{bucket}/{key}", "s3", polls=polls, params={"bucket": bucket, "key": key}
                )
            )
    return found


def connection_head(world: World, watch: Watch) -> str | None:
    connection = connection_of(world, watch.params["arn"])
    if connection is None:
        return None
    repository = repository_of(connection, watch.params["full_id"])
    return git_remotes.branch_head(repository, watch.params["branch"]) if repository else None


def s3_head(world: World, watch: Watch) -> str | None:
    found = _s3_object(world, watch.params["bucket"], watch.params["key"])
    return str(found.version_id) if found is not None else None


def connection_ready(world: World, watch: Watch) -> bool:
    """A pending (or revoked) connection has no app installed to send the push's webhook."""
    connection = connection_of(world, watch.params["arn"])
    return connection is not None and connection["status"] == "AVAILABLE"
